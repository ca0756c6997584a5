"""FAULTS 21: deleting, trashing or moving the library in use (or a folder holding it, or a link to
it) is refused before anything runs: exit 1, one line, nothing deleted or moved, the library works.
The jobs refuse it too (``jobs run``), so the app and scripts are covered as well as the commands."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


@pytest.fixture
def home(tmp_path, run_cli) -> tuple[Path, Path]:
    """(a folder, the library in it) with one location, so the library has something to lose."""
    parent = tmp_path / "home"
    library = parent / "library"
    photos = parent / "photos"
    photos.mkdir(parents=True)
    (photos / "p.jpg").write_bytes(b"picture")
    assert run_cli("location", "add", photos, library=library).returncode == 0
    return parent, library


def _intact(run_cli, parent: Path, library: Path) -> None:
    assert (parent / "photos" / "p.jpg").read_bytes() == b"picture"
    assert (library / "library.db").is_file()
    listed = run_cli("location", "list", "--json", library=library)
    assert listed.returncode == 0, listed.stderr
    assert [loc["path"] for loc in listed.result["output"]["locations"]] == [str(parent / "photos")]


@pytest.mark.parametrize(
    "args",
    [
        ("delete", "{library}"),
        ("delete", "{library}", "--mode", "permanent", "--yes"),
        ("delete", "{parent}", "--mode", "permanent", "--yes"),
        ("delete", "{parent}"),
        ("delete", "{parent}/photos", "{library}/../../home", "--mode", "secure", "--yes"),
        ("copy", "--move", "{library}", "{dest}"),
        ("copy", "--move", "{parent}", "{dest}"),
    ],
)
def test_the_commands_refuse_before_anything_runs(run_cli, home, tmp_path, args):
    parent, library = home
    dest = tmp_path / "dest"
    dest.mkdir()
    argv = [a.format(library=library, parent=parent, dest=dest) for a in args]
    res = run_cli(*argv, library=library)
    assert res.returncode == 1, res.stderr
    [line] = res.stderr.splitlines()
    assert line.startswith("sd-desktop: refused: ") and f"the library in use ({library})" in line
    assert os.listdir(dest) == []
    _intact(run_cli, parent, library)
    jobs = run_cli("jobs", "list", "--json", library=library).result["output"]["jobs"]
    assert jobs == []  # refused before anything was queued


def test_links_to_the_library_are_refused(run_cli, home, tmp_path):
    parent, library = home
    link = tmp_path / "link-to-library"
    os.symlink(library, link)
    parent_link = tmp_path / "link-to-parent"
    os.symlink(parent, parent_link)
    for argv in (
        ("delete", link, "--mode", "permanent", "--yes"),
        ("copy", "--move", link, tmp_path),
        ("delete", parent_link / "library", "--mode", "permanent", "--yes"),  # through a linked folder
    ):
        res = run_cli(*argv, library=library)
        assert res.returncode == 1, res.stderr
        assert "refused: " in res.stderr and f"the library in use ({library})" in res.stderr
    # the library named through a link, the real folder as the target
    res = run_cli("delete", library, "--mode", "permanent", "--yes", library=link)
    assert res.returncode == 1 and f"{library} is the library in use ({library})" in res.stderr
    assert os.path.islink(link) and os.path.islink(parent_link)
    _intact(run_cli, parent, library)


@pytest.mark.parametrize(
    ("name", "config"),
    [
        ("delete", {"targets": ["{parent}"], "mode": "permanent", "confirm": True}),
        ("delete", {"targets": ["{library}"]}),
        ("file_copy", {"sources": ["{parent}"], "destination": "{dest}", "move": True}),
    ],
)
def test_the_jobs_refuse_at_start(run_cli, home, tmp_path, name, config):
    parent, library = home
    dest = tmp_path / "dest"
    dest.mkdir()
    text = json.dumps(config).replace("{parent}", str(parent)).replace("{library}", str(library))
    res = run_cli("jobs", "run", name, "--config", text.replace("{dest}", str(dest)), "--json", library=library)
    assert res.returncode == 1, res.stderr
    assert res.result["status"] == "failed"
    assert res.result["error"].startswith("refused") and f"the library in use ({library})" in res.result["error"]
    assert res.result["error"].endswith("nothing was deleted" if name == "delete" else "nothing was moved")
    assert os.listdir(dest) == []
    _intact(run_cli, parent, library)


def test_copying_the_library_and_deleting_beside_it_still_work(run_cli, home, tmp_path):
    """Only what would take the library with it is refused."""
    parent, library = home
    (parent / "junk").write_bytes(b"junk")
    assert run_cli("delete", parent / "junk", "--mode", "permanent", "--yes", library=library).returncode == 0
    assert not (parent / "junk").exists()
    dest = tmp_path / "backup"
    dest.mkdir()
    res = run_cli("copy", library, dest, library=library)
    assert res.returncode == 0, res.stderr
    assert (dest / "library" / "library.db").is_file()
    _intact(run_cli, parent, library)

"""Which location holds a path, as ``info`` and ``index`` answer it (real CLI runs on real trees).

``info`` describes a symlink as the link: its entry in the location that holds the link, whatever
the link points to; folders above it are resolved. ``index`` resolves the whole path: a folder
reached through a link is indexed as the location (or part of it) that holds its target.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import cli_env


@pytest.fixture
def tree(tmp_path, run_cli):
    """Two indexed locations ``a`` and ``b``, a folder ``out`` outside both, and links between them."""
    for folder in ("a/sub", "b", "out"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "a" / "sub" / "f.txt").write_text("in a")
    (tmp_path / "out" / "o.txt").write_text("outside")
    os.symlink(tmp_path / "out" / "o.txt", tmp_path / "a" / "to_outside")
    os.symlink(tmp_path / "b", tmp_path / "a" / "to_b")
    os.symlink(tmp_path / "a", tmp_path / "link_to_a")  # outside every location
    for loc in ("a", "b"):
        res = run_cli("index", tmp_path / loc, "--json")
        assert (res.returncode, res.result["output"]["location_id"]) == (0, 1 if loc == "a" else 2)
    return tmp_path


def _info(run_cli, path) -> dict:
    res = run_cli("info", path, "--json")
    assert res.returncode == 0, res.stderr
    return res.result["output"]


def _where(out: dict) -> tuple:
    return out["kind"], out["location_id"], out["indexed"]


def test_a_symlink_is_found_in_the_location_that_holds_the_link(run_cli, tree):
    assert _where(_info(run_cli, tree / "a" / "to_outside")) == ("symlink", 1, True)
    assert _where(_info(run_cli, tree / "a" / "to_b")) == ("symlink", 1, True)
    assert _where(_info(run_cli, tree / "link_to_a")) == ("symlink", None, False)


def test_folders_above_the_path_are_resolved(run_cli, tree):
    through_link = _info(run_cli, tree / "link_to_a" / "sub" / "f.txt")
    direct = _info(run_cli, tree / "a" / "sub" / "f.txt")
    assert _where(through_link) == _where(direct) == ("file", 1, True)
    assert through_link["entry_id"] == direct["entry_id"]
    # a trailing slash names the folder a link points to, as the file system does
    assert _where(_info(run_cli, f"{tree / 'link_to_a'}/")) == ("dir", 1, True)


def test_dot_and_a_trailing_slash_name_the_folder_itself(run_cli, tree, library_dir):
    root = _info(run_cli, tree / "a")
    assert _where(root) == ("dir", 1, True)
    assert _info(run_cli, f"{tree / 'a' / 'sub'}/")["entry_id"] == _info(run_cli, tree / "a" / "sub")["entry_id"]
    proc = subprocess.run(  # ``info .`` in the location's folder: run from there
        [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), "info", ".", "--json"],
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=tree / "a",
    )
    assert proc.returncode == 0, proc.stderr
    dot = json.loads(proc.stdout.splitlines()[-1])["output"]
    assert (dot["path"], dot["entry_id"]) == (str(tree / "a"), root["entry_id"])


def test_index_through_a_link_indexes_the_location_of_its_target(run_cli, tree):
    whole = run_cli("index", tree / "link_to_a", "--json")
    assert (whole.returncode, whole.result["output"]["location_id"]) == (0, 1)
    part = run_cli("index", tree / "link_to_a" / "sub", "--json")
    assert (part.returncode, part.result["output"]["location_id"]) == (0, 1)
    listed = run_cli("location", "list", "--json").result["output"]["locations"]
    assert [(loc["id"], loc["path"]) for loc in listed] == [(1, str(tree / "a")), (2, str(tree / "b"))]


def test_info_id_is_the_entry_id_and_a_rename_keeps_it(tree, run_cli):
    """``id`` is the entry's id: a file renamed (same inode) and indexed again keeps it, so what
    hangs on the entry (history, thumbnails) follows the file."""
    before = _info(run_cli, tree / "a" / "sub" / "f.txt")
    assert before["id"] == before["entry_id"] and isinstance(before["id"], int)
    os.rename(tree / "a" / "sub" / "f.txt", tree / "a" / "sub" / "g.txt")
    assert run_cli("index", tree / "a", "--json").returncode == 0
    after = _info(run_cli, tree / "a" / "sub" / "g.txt")
    assert (after["indexed"], after["id"]) == (True, before["id"])

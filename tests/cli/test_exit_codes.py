"""FAULTS 20, honest exit codes, through real subprocesses: every item done 0, some failed 4, every
item failed 1 (status ``failed``, the outcomes still listed). ``copy a b && rm -rf a`` must be safe."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, cli_env
from tests.fileops.helpers import mount_tmpfs  # noqa: F401  (fixture)

NO_SPACE = "no space left on the destination; the file was not copied and any old target is intact"


def _exhaust_inodes(disk: Path, leave: int = 0) -> None:
    """Use up the tmpfs's inodes, leaving ``leave``: a disk that is full although bytes are free, so
    the copy passes its up-front space check and meets ENOSPC when it creates the file."""
    made = []
    while True:
        path = disk / f"filler{len(made)}"
        try:
            path.touch()
        except OSError:
            break
        made.append(path)
    for path in made[:leave]:
        path.unlink()


@pytest.fixture
def sources(tmp_path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.bin").write_bytes(b"a" * 3000)
    (src / "b.bin").write_bytes(b"b" * 3000)
    return src


def test_copy_onto_a_full_disk_fails_exit_1_with_the_outcomes(run_cli, sources, mount_tmpfs):  # noqa: F811
    disk = mount_tmpfs("full", "4m,nr_inodes=16")
    _exhaust_inodes(disk)
    res = run_cli("copy", sources / "a.bin", sources / "b.bin", disk, "--json")
    assert res.returncode == 1, res.stderr
    result = res.result
    assert result["status"] == "failed"
    assert result["error"] == "nothing was done: all 2 items failed (the outcomes say why)"
    out = result["output"]
    assert [(Path(r["path"]).name, r["outcome"], r["reason"]) for r in out["outcomes"]] == [
        ("a.bin", "failed", NO_SPACE),
        ("b.bin", "failed", NO_SPACE),
    ]
    assert (out["files"], out["failed"], out["items_done"], out["items_failed"]) == (0, 2, 0, 2)
    assert (sources / "a.bin").read_bytes() == b"a" * 3000 and (sources / "b.bin").read_bytes() == b"b" * 3000
    assert not (disk / "a.bin").exists() and not (disk / "b.bin").exists()
    # as text: the outcomes on stdout, the failure on stderr, and the shell's && stops
    text = run_cli("copy", sources / "a.bin", disk)
    assert text.returncode == 1
    assert f"  failed  {sources / 'a.bin'} -> {disk / 'a.bin'} ({NO_SPACE})" in text.stdout.splitlines()
    assert "failed: nothing was done: the item failed (the outcomes say why)" in text.stderr


def test_copy_where_some_files_fail_exits_4(run_cli, sources, mount_tmpfs):  # noqa: F811
    disk = mount_tmpfs("full", "4m,nr_inodes=16")
    _exhaust_inodes(disk, leave=1)  # room for one file
    res = run_cli("copy", sources / "a.bin", sources / "b.bin", disk, "--json")
    assert res.returncode == 4, res.stderr
    out = res.result["output"]
    assert res.result["status"] == "completed_with_errors"
    assert sorted(r["outcome"] for r in out["outcomes"]) == ["copied", "failed"]
    assert (out["files"], out["failed"], out["items_done"], out["items_failed"]) == (1, 1, 1, 1)
    [copied] = [Path(r["path"]).name for r in out["outcomes"] if r["outcome"] == "copied"]
    assert (disk / copied).read_bytes() == (sources / copied).read_bytes()


def test_copy_where_every_file_is_skipped_as_asked_exits_0(run_cli, sources, tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "a.bin").write_bytes(b"older a")
    (dest / "b.bin").write_bytes(b"older b")
    res = run_cli("copy", sources / "a.bin", sources / "b.bin", dest, "--on-conflict", "skip", "--json")
    assert res.returncode == 0, res.stderr
    out = res.result["output"]
    assert res.result["status"] == "completed"
    assert [r["outcome"] for r in out["outcomes"]] == ["skipped", "skipped"]
    assert (out["skipped"], out["items_done"], out["items_failed"]) == (2, 2, 0)
    assert (dest / "a.bin").read_bytes() == b"older a" and (dest / "b.bin").read_bytes() == b"older b"


def test_a_skip_the_engine_imposed_is_a_failure(run_cli, sources, tmp_path):
    """A folder stands where the file should go: ``overwrite`` cannot replace it, so the file is
    skipped, but not as asked; the move did nothing and says so."""
    dest = tmp_path / "dest"
    (dest / "a.bin").mkdir(parents=True)
    res = run_cli("copy", "--move", sources / "a.bin", dest, "--on-conflict", "overwrite", "--json")
    assert res.returncode == 1, res.stderr
    assert res.result["status"] == "failed"
    [row] = res.result["output"]["outcomes"]
    assert (row["outcome"], row["reason"]) == (
        "skipped",
        "a folder of that name is in the way at the destination; not replaced",
    )
    assert (sources / "a.bin").read_bytes() == b"a" * 3000


def test_delete_where_every_path_fails_exits_1(run_cli, mount_tmpfs):  # noqa: F811
    disk = mount_tmpfs("ro", "1m")
    for name in ("x", "y"):
        (disk / name).write_bytes(name.encode())
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    res = run_cli("delete", disk / "x", disk / "y", "--mode", "permanent", "--yes", "--json")
    assert res.returncode == 1, res.stderr
    assert res.result["status"] == "failed"
    assert res.result["error"] == "nothing was done: all 2 items failed (the outcomes say why)"
    out = res.result["output"]
    assert [(Path(r["path"]).name, r["outcome"], r["reason"]) for r in out["outcomes"]] == [
        ("x", "failed", "Read-only file system"),
        ("y", "failed", "Read-only file system"),
    ]
    assert (disk / "x").read_bytes() == b"x" and (disk / "y").read_bytes() == b"y"


def test_delete_where_some_paths_fail_exits_4(run_cli, mount_tmpfs, tmp_path):  # noqa: F811
    disk = mount_tmpfs("ro", "1m")
    (disk / "kept").write_bytes(b"kept")
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    (tmp_path / "gone").write_bytes(b"gone")
    res = run_cli("delete", tmp_path / "gone", disk / "kept", "--mode", "permanent", "--yes", "--json")
    assert res.returncode == 4, res.stderr
    assert res.result["status"] == "completed_with_errors"
    assert [r["outcome"] for r in res.result["output"]["outcomes"]] == ["deleted", "failed"]
    assert not (tmp_path / "gone").exists() and (disk / "kept").read_bytes() == b"kept"


def test_a_refused_secure_delete_is_not_success(run_cli, tmp_path):
    """FAULTS 2: secure delete refuses a file with other hard links; that refusal is exit 1."""
    (tmp_path / "one").write_bytes(b"shared content")
    os.link(tmp_path / "one", tmp_path / "other-name")
    res = run_cli("delete", tmp_path / "one", "--mode", "secure", "--yes", "--json")
    assert res.returncode == 1, res.stderr
    assert res.result["status"] == "failed"
    [row] = res.result["output"]["outcomes"]
    assert row["outcome"] == "skipped" and row["reason"].startswith("refused: this file has 2 hard links")
    assert (tmp_path / "one").read_bytes() == b"shared content"
    assert (tmp_path / "other-name").read_bytes() == b"shared content"


def test_deleting_what_is_already_gone_is_done(run_cli, tmp_path):
    """The one skip that is not a failure: the path is gone, as asked (a re-run after a kill)."""
    (tmp_path / "here").mkdir()
    targets = [str(tmp_path / "here"), str(tmp_path / "never-was")]
    config = json.dumps({"targets": targets, "mode": "permanent", "confirm": True})
    res = run_cli("jobs", "run", "delete", "--config", config, "--json")
    assert res.returncode == 0, res.stderr
    assert res.result["status"] == "completed"
    assert [(r["outcome"], r["reason"]) for r in res.result["output"]["outcomes"]] == [
        ("deleted", None),
        ("skipped", "already gone"),
    ]


def _without_root_read_rights() -> list[str]:
    """A command prefix under which a mode-000 folder cannot be read: root's capabilities to read
    anything are dropped (the process stays root, so the rest of the tree and the library work)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv (util-linux) to drop root's read-anything capabilities")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--inh-caps=-all"]


def test_index_that_meets_an_unreadable_folder_exits_4(library_dir, tmp_path):
    tree = tmp_path / "tree"
    (tree / "locked").mkdir(parents=True)
    (tree / "fine.txt").write_bytes(b"fine")
    (tree / "locked" / "hidden.txt").write_bytes(b"hidden")
    os.chmod(tree / "locked", 0)
    try:
        cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), "index", str(tree), "--json"]
        proc = subprocess.run(
            _without_root_read_rights() + cmd, capture_output=True, text=True, env=cli_env(), cwd=REPO, timeout=120
        )
    finally:
        os.chmod(tree / "locked", 0o755)
    assert proc.returncode == 4, proc.stderr
    result = [json.loads(line) for line in proc.stdout.splitlines() if '"event": "result"' in line][-1]
    assert result["status"] == "completed_with_errors"
    assert [e["path"] for e in result["errors"]] == [str(tree / "locked")]


def test_validation_that_finds_problems_did_its_job_exit_0(run_cli, tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("keep.txt", "gone.txt", "grown.txt"):
        (tree / name).write_bytes(b"original")
    assert run_cli("index", tree).returncode == 0
    (tree / "gone.txt").unlink()
    (tree / "grown.txt").write_bytes(b"original, and more")
    res = run_cli("validate", tree, "--json")
    assert res.returncode == 0, res.stderr
    assert res.result["status"] == "completed"
    found = {(Path(i["path"]).name, i["type"]) for i in res.result["output"]["issues"]}
    assert found == {("gone.txt", "missing"), ("grown.txt", "size_changed")}

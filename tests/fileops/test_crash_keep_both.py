"""FAULTS 24 for the local copy and move: killed (SIGKILL) right after a file was renamed into place
as ``name (1).ext`` (``--on-conflict rename``, Keep Both) and before the job recorded it. The
resumed job keeps that one copy, records it as renamed, and neither writes it again nor makes a
``name (2).ext``; a copy the user replaced before the resume is never taken for the job's own.
Real CLI processes; the kill is the process's own ``SIGKILL`` from a wrapper around the rename."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO, cli_env
from tests.fileops.helpers import mount_tmpfs  # noqa: F401 - the fixture

# ``python -c WRAP ARGS...``: the CLI, killed right after it renamed its first finished temporary
# file into place (before the job could record it)
WRAP = """
import os, signal, sys
sys.argv = ["sd-desktop", *sys.argv[1:]]
from sd_desktop.volumes import local_writes

commit = local_writes.LocalWrites.commit


def commit_then_die(self, tmp, dst, *, replace=False):
    commit(self, tmp, dst, replace=replace)
    os.kill(os.getpid(), signal.SIGKILL)


local_writes.LocalWrites.commit = commit_then_die
from sd_desktop.__main__ import main
sys.exit(main())
"""

A = os.urandom(200 * 1024)
B = os.urandom(50 * 1024)


@pytest.fixture
def trees(tmp_path):
    src = tmp_path / "src" / "tree"
    src.mkdir(parents=True)
    (src / "a.txt").write_bytes(A)
    (src / "b.txt").write_bytes(B)
    dest = tmp_path / "dest"
    (dest / "tree").mkdir(parents=True)
    (dest / "tree" / "a.txt").write_bytes(b"mine a")
    return src, dest


def _kill_after_rename(library_dir, *args: str) -> None:
    argv = [sys.executable, "-c", WRAP, "--library", str(library_dir), *args]
    first = subprocess.run(argv, capture_output=True, text=True, env=cli_env(), cwd=REPO, timeout=120)
    assert first.returncode == -9, first.stderr


def _names(dest) -> list[str]:
    return sorted(p.name for p in (dest / "tree").iterdir())


def _placed_names(dest) -> list[str]:
    return [n for n in _names(dest) if not n.startswith(".sd-desktop-")]


def _resume(run_cli) -> dict:
    resumed = run_cli("jobs", "resume", "1", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.result["errors"] == []
    return resumed.result["output"]


def test_copy_killed_after_keep_both_placed_a_file_resumes_without_a_second_copy(library_dir, run_cli, trees):
    src, dest = trees
    _kill_after_rename(library_dir, "copy", str(src), str(dest), "--on-conflict", "rename", "--json")
    assert _placed_names(dest) == ["a (1).txt", "a.txt"]  # b.txt was written too, to its temporary name
    placed = (dest / "tree" / "a (1).txt").stat().st_ino
    out = _resume(run_cli)
    assert _names(dest) == ["a (1).txt", "a.txt", "b.txt"]
    assert (dest / "tree" / "a.txt").read_bytes() == b"mine a"
    assert (dest / "tree" / "a (1).txt").read_bytes() == A
    assert (dest / "tree" / "a (1).txt").stat().st_ino == placed  # the same file: not written again
    assert (dest / "tree" / "b.txt").read_bytes() == B
    assert (out["files"], out["skipped"], out["failed"], out["renamed"]) == (2, 0, 0, 1)


def test_move_killed_after_keep_both_placed_a_file_removes_its_source_on_resume(
    library_dir,
    run_cli,
    trees,
    mount_tmpfs,  # noqa: F811
):
    _src, dest = trees
    moved = mount_tmpfs("other", "4m") / "tree"  # another device: a move copies, then removes
    moved.mkdir()
    (moved / "a.txt").write_bytes(A)
    (moved / "b.txt").write_bytes(B)
    _kill_after_rename(library_dir, "copy", str(moved), str(dest), "--move", "--on-conflict", "rename", "--json")
    assert _placed_names(dest) == ["a (1).txt", "a.txt"]  # b.txt was written too, to its temporary name
    out = _resume(run_cli)
    assert _names(dest) == ["a (1).txt", "a.txt", "b.txt"]
    assert (dest / "tree" / "a (1).txt").read_bytes() == A
    assert not moved.exists()
    assert (out["files"], out["skipped"], out["failed"], out["renamed"]) == (2, 0, 0, 1)


def test_a_copy_the_user_replaced_before_the_resume_is_never_taken_for_the_jobs_own(library_dir, run_cli, trees):
    src, dest = trees
    _kill_after_rename(library_dir, "copy", str(src), str(dest), "--on-conflict", "rename", "--json")
    placed = dest / "tree" / "a (1).txt"
    was = placed.stat()
    theirs = dest / "tree" / "theirs"
    theirs.write_bytes(b"t" * len(A))  # the same size and mtime: only its identity differs
    os.utime(theirs, ns=(was.st_atime_ns, was.st_mtime_ns))
    os.replace(theirs, placed)
    out = _resume(run_cli)
    assert _names(dest) == ["a (1).txt", "a (2).txt", "a.txt", "b.txt"]
    assert placed.read_bytes() == b"t" * len(A)
    assert (dest / "tree" / "a (2).txt").read_bytes() == A
    assert (out["files"], out["renamed"]) == (2, 1)

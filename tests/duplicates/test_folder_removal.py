"""Removing extra copies of duplicate folders through the guarded DeleteJob: each folder is compared,
right before it goes, with a kept copy read whole (FAULTS 5, 6, 7, 8 for whole folders). A folder
changed by one byte in the middle of a big file (its mtime put back), a kept copy gone or changed, a
kept copy that is being removed too: the folder stays, the reason said."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from sd_desktop.jobs import JobStatus
from sd_desktop.ops.files.delete.config import DeleteConfig, DeleteMode, GuardedFolder
from sd_desktop.ops.files.delete.guard import REFUSED_ALL
from tests.duplicates._helpers import run_job
from tests.duplicates.test_folders import make_project


def copies(tmp_path: Path, n: int) -> list[Path]:
    first = make_project(tmp_path / "t" / "c0")
    for i in range(1, n):
        shutil.copytree(first, tmp_path / "t" / f"c{i}", symlinks=True)
    return [tmp_path / "t" / f"c{i}" for i in range(n)]


def remove(library, folders: list[GuardedFolder], permanent: bool = False) -> list[tuple[str, str, str | None]]:
    mode = DeleteMode.PERMANENT if permanent else DeleteMode.TRASH
    info = run_job(library, "delete", DeleteConfig(folders=folders, mode=mode, confirm=permanent))
    assert info.status in (JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_ERRORS, JobStatus.FAILED), info
    return [(os.path.basename(o["path"]), o["outcome"], o["reason"]) for o in info.output["outcomes"]]


def test_identical_copies_go_to_the_trash_and_the_kept_one_stays(library, tmp_path):
    c0, c1, c2 = copies(tmp_path, 3)
    done = remove(library, [GuardedFolder(c1, [c0]), GuardedFolder(c2, [c0])])
    assert done == [("c1", "trashed", None), ("c2", "trashed", None)]
    assert sorted(os.listdir(tmp_path / "t")) == ["c0"]
    assert (c0 / "big.bin").stat().st_size == 2 * 1024 * 1024


def test_a_folder_changed_since_the_search_is_kept(library, tmp_path):
    c0, c1 = copies(tmp_path, 2)
    big = c1 / "big.bin"
    st = big.stat()
    with open(big, "r+b") as f:  # one byte in the middle, mtime put back: only a full read sees it
        f.seek(st.st_size // 2)
        f.write(b"\xff")
    os.utime(big, ns=(st.st_atime_ns, st.st_mtime_ns))
    (c0 / "sub" / "later.txt").write_bytes(b"")  # and the keeper of the second gained an empty file
    shutil.copytree(c0, tmp_path / "t" / "c2", symlinks=True)
    os.rename(tmp_path / "t" / "c2" / "sub" / "a.txt", tmp_path / "t" / "c2" / "sub" / "A.txt")
    done = remove(library, [GuardedFolder(c1, [c0]), GuardedFolder(tmp_path / "t" / "c2", [c0])])
    assert done == [
        ("c1", "skipped", f"no verified copy is kept: the kept copy {c0} differs from it now"),
        ("c2", "skipped", f"no verified copy is kept: the kept copy {c0} differs from it now"),
    ]
    assert sorted(os.listdir(tmp_path / "t")) == ["c0", "c1", "c2"]


def test_no_copy_kept_means_nothing_removed(library, tmp_path):
    c0, c1, c2 = copies(tmp_path, 3)
    shutil.rmtree(c2)
    done = remove(
        library,
        [
            GuardedFolder(c0, [c1]),  # each keeps the other: both would go
            GuardedFolder(c1, [c0]),
            GuardedFolder(c0 / "sub", [c0]),  # its keeper is around it
            GuardedFolder(tmp_path / "t" / "elsewhere", [c2]),  # gone, and so is its keeper
        ],
    )
    assert done[:3] == [("c0", "skipped", REFUSED_ALL), ("c1", "skipped", REFUSED_ALL), ("sub", "skipped", REFUSED_ALL)]
    assert done[3] == ("elsewhere", "skipped", "already gone")
    assert sorted(os.listdir(tmp_path / "t")) == ["c0", "c1"]


def test_a_kept_copy_gone_keeps_the_folder(library, tmp_path):
    c0, c1, c2 = copies(tmp_path, 3)
    shutil.rmtree(c0)
    done = remove(library, [GuardedFolder(c1, [c0, c2])])  # the second keeper is there and identical
    assert done == [("c1", "trashed", None)]
    shutil.rmtree(c2)
    (tmp_path / "t" / "c3").mkdir()
    done = remove(library, [GuardedFolder(tmp_path / "t" / "c3", [c2])])
    assert done == [("c3", "skipped", f"no verified copy is kept: the kept copy {c2} is gone")]


@pytest.fixture
def bind_mounted(tmp_path):
    """``t/c0`` (a project) also seen as ``t/view`` through a bind mount (one folder, two paths)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to bind-mount")
    (c0,) = copies(tmp_path, 1)
    view = tmp_path / "t" / "view"
    view.mkdir()
    subprocess.run(["mount", "--bind", str(c0), str(view)], check=True)
    try:
        yield c0, view
    finally:
        subprocess.run(["umount", str(view)], check=True)


def test_a_bind_mount_of_the_kept_copy_is_never_removed(library, bind_mounted, run_cli, tmp_path):
    """FAULTS 1 for folders: one folder seen under two paths is neither a duplicate of itself nor
    removed "keeping" itself."""
    c0, view = bind_mounted
    res = run_cli("duplicates", tmp_path / "t", "--folders", "--json", library=tmp_path / "another-library")
    assert res.returncode == 0, res.stderr
    assert res.result["output"]["folder_groups"] == []
    why = f"no verified copy is kept: refused: the kept copy {c0} is the same folder (a bind mount), or holds it"
    for permanent in (False, True):  # a permanent delete would empty the kept copy through the mount
        assert remove(library, [GuardedFolder(view, [c0])], permanent) == [("view", "skipped", why)]
    assert (c0 / "big.bin").stat().st_size == 2 * 1024 * 1024

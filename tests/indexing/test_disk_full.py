"""The library's disk fills up mid-index: the job fails with a clear message, committed batches
stay intact, and once there is space again a re-run completes to the same result as a clean run."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from sd_desktop.library import Library
from tests.indexing.helpers import snapshot, write


@pytest.fixture
def small_tmpfs(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(mnt)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_library_disk_full_fails_clearly_then_rerun_completes(small_tmpfs, run_cli, tmp_path):
    tree = tmp_path / "tree"
    for d in range(40):
        for i in range(60):
            write(tree / f"folder-{d:02d}" / f"a-rather-long-file-name-to-fill-the-index-{i:03d}.txt", f"{d}/{i}")
    library = small_tmpfs / "lib"
    full = run_cli("index", tree, "--json", library=library)
    assert full.returncode == 1, full.stdout
    assert full.result["status"] == "failed"
    assert "cannot write to the library" in full.result["error"]

    subprocess.run(["mount", "-o", "remount,size=64m", str(small_tmpfs)], check=True)
    again = run_cli("index", tree, "--json", library=library)
    assert again.returncode == 0, again.stderr
    assert again.result["output"]["files"] == 2400

    clean = tmp_path / "clean"
    assert run_cli("index", tree, "--json", library=clean).returncode == 0
    got, want = Library.open(library), Library.open(clean)
    try:
        assert snapshot(got) == snapshot(want)
    finally:
        got.close()
        want.close()

"""Clones (FICLONE) are tried on the destination rather than decided by the file system's type
name: a destination that cannot share blocks with the source (tmpfs, XFS made without reflink,
another device) refuses the first attempt and the job copies the bytes from then on — one failed
ioctl per job, not one per file — while one that can (XFS with reflink) gets shared extents.

Watched with strace on a real ``sd-desktop copy`` process, on real loop-mounted XFS images.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, cli_env
from tests.fileops.helpers import temp_leftovers

MIB = 1024 * 1024


def _copy_traced(tmp_path: Path, sources: list[Path], dest: Path, *flags: str) -> tuple[dict, list[str]]:
    """Run ``sd-desktop copy`` under strace; (its JSON result, the ioctl/copy_file_range calls it made)."""
    if shutil.which("strace") is None:
        pytest.skip("needs strace (installed by scripts/setup.sh --test)")
    log = tmp_path / "strace.log"
    cmd = [sys.executable, "-m", "sd_desktop", "--library", str(tmp_path / "lib"), "copy"]
    cmd += [*map(str, sources), str(dest), "--json", *flags]
    proc = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=ioctl,copy_file_range", "-o", str(log), *cmd],
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    calls = [line for line in log.read_text().splitlines() if "FICLONE" in line or "copy_file_range(" in line]
    return result, calls


def _files(folder: Path, sizes: dict[str, int]) -> dict[str, bytes]:
    folder.mkdir()
    files = {name: os.urandom(size) for name, size in sizes.items()}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def _clones(calls: list[str]) -> list[str]:
    """The FICLONE attempts, as "ok" or the errno name strace printed."""
    found = []
    for line in calls:
        if "FICLONE" in line:
            ret = line.rsplit("= ", 1)[1].split()  # "0", or "-1 EOPNOTSUPP (Operation not supported)"
            found.append("ok" if ret[0] == "0" else ret[1])
    return found


SIZES = {"a.bin": 2 * MIB, "b.bin": 3 * MIB, "c.bin": 100, "d.bin": 5 * MIB, "e.bin": 4096}


@pytest.mark.parametrize("flags", [(), ("--verify",)])
def test_a_destination_that_cannot_clone_is_asked_once_per_job(tmp_path, mount_xfs, flags):
    # XFS without reflink: its type name alone said "may clone", so every file paid a failed ioctl
    fs = mount_xfs("noreflink", reflink=False)
    files = _files(fs / "src", SIZES)

    result, calls = _copy_traced(tmp_path, [fs / "src"], fs / "dest", *flags)

    assert result["status"] == "completed"
    assert _clones(calls) == ["EOPNOTSUPP"]
    for name, data in files.items():
        assert (fs / "dest" / "src" / name).read_bytes() == data
    assert temp_leftovers(fs / "dest") == []


def test_a_tmpfs_destination_falls_back_to_copying(tmp_path, mount_tmpfs):
    dest = mount_tmpfs("dest", "32m")
    files = _files(tmp_path / "src", SIZES)

    result, calls = _copy_traced(tmp_path, [tmp_path / "src"], dest)

    assert result["status"] == "completed"
    # the source is on another device: EXDEV, remembered for the rest of the job
    assert _clones(calls) == ["EXDEV"]
    for name, data in files.items():
        assert (dest / "src" / name).read_bytes() == data
    assert temp_leftovers(dest) == []


@pytest.mark.parametrize("flags", [(), ("--verify",)])
def test_a_reflink_destination_gets_shared_blocks(tmp_path, mount_xfs, flags):
    fs = mount_xfs("reflink", reflink=True)
    files = _files(fs / "src", {"big.bin": 8 * MIB})

    result, calls = _copy_traced(tmp_path, [fs / "src" / "big.bin"], fs / "dest", *flags)

    assert result["status"] == "completed"
    assert _clones(calls) == ["ok"]
    assert [c for c in calls if "copy_file_range(" in c] == []
    target = fs / "dest" / "big.bin"
    assert target.read_bytes() == files["big.bin"]
    extents = subprocess.run(["filefrag", "-v", str(target)], capture_output=True, text=True, check=True).stdout
    assert "shared" in extents

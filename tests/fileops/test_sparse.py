"""Sparse files keep their holes: only the data ranges are copied (``SEEK_DATA``/``SEEK_HOLE``),
where ``copy_file_range`` on ext4 would write every hole out as zeros."""

from __future__ import annotations

import os

import pytest

from sd_desktop.ops.files.copy import CopyConfig
from tests.fileops.helpers import outcomes, run_job

MIB = 1024 * 1024


def _sparse(path, size: int, pieces: dict[int, bytes]) -> None:
    with open(path, "wb") as f:
        for offset, data in pieces.items():
            f.seek(offset)
            f.write(data)
        f.truncate(size)


@pytest.mark.parametrize("verify", [False, True])
def test_sparse_file_keeps_its_holes(library, tmp_path, verify):
    src = tmp_path / "src"
    src.mkdir()
    pieces = {0: os.urandom(300_000), 20 * MIB: os.urandom(MIB + 5)}
    _sparse(src / "disk.img", 64 * MIB, pieces)  # data, hole, data, hole to the end
    _sparse(src / "hole-first.img", 16 * MIB, {9 * MIB: b"late data"})
    used = {p.name: p.stat().st_blocks * 512 for p in src.iterdir()}
    if used["disk.img"] >= 8 * MIB:
        pytest.skip("this file system does not keep holes")
    dest = tmp_path / "dest"

    info = run_job(library, "file_copy", CopyConfig(sources=[src], destination=dest, verify=verify))

    assert info.status.value == "completed", info.errors
    assert outcomes(info)["src"]["outcome"] == "copied"
    for name in ("disk.img", "hole-first.img"):
        copy = dest / "src" / name
        assert copy.read_bytes() == (src / name).read_bytes()
        assert copy.stat().st_size == (src / name).stat().st_size
        assert copy.stat().st_blocks * 512 <= used[name] + MIB  # the holes stayed holes


def test_sparse_file_moved_across_file_systems_keeps_its_holes(library, tmp_path, mount_tmpfs):
    # across file systems copy_file_range is refused (EXDEV): the read/write loop copies the ranges
    disk = mount_tmpfs("other", "64m")
    src = tmp_path / "vm.img"
    data = os.urandom(MIB)
    _sparse(src, 40 * MIB, {12 * MIB: data})
    if src.stat().st_blocks * 512 >= 8 * MIB:
        pytest.skip("this file system does not keep holes")

    info = run_job(library, "file_copy", CopyConfig(sources=[src], destination=disk, move=True))

    assert outcomes(info)["vm.img"]["outcome"] == "moved", info.errors
    moved = disk / "vm.img"
    assert moved.stat().st_size == 40 * MIB and moved.stat().st_blocks * 512 <= 2 * MIB
    with open(moved, "rb") as f:
        f.seek(12 * MIB)
        assert f.read(MIB) == data
        f.seek(0)
        assert f.read(12 * MIB) == bytes(12 * MIB)
    assert not src.exists()

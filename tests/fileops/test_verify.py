"""``verify``: big files are copied by the kernel while a helper thread hashes the source; the
written file is re-read after its fsync and compared. A source rewritten during the copy must
never end up "verified": the file fails, nothing lands under the final name, the source stays."""

from __future__ import annotations

import asyncio
import ctypes
import mmap
import os
from pathlib import Path

import pytest

from sd_desktop.jobs import JobManager
from sd_desktop.ops.files.copy import CopyConfig
from sd_desktop.ops.files.fsops import read_from_device
from tests.fileops.helpers import outcomes, temp_leftovers

MIB = 1024 * 1024


async def _rewrite_mid_copy(lib, sources: list[Path], dest: Path, victim: Path, new: bytes):
    size = len(new)
    manager = JobManager(lib, run_queued=True)
    await manager.start()
    done = False

    def listener(event) -> None:
        nonlocal done
        if not done and event.kind == "progress" and (event.progress or {}).get("bytes_done", 0) >= size // 2:
            with open(victim, "r+b") as f:  # rewritten in place: same size, new bytes
                f.write(new)
            done = True

    manager.events.add_listener(listener)
    try:
        # bwlimit: the first file's chunk is copied at once, then the copy waits ~2 s: the rewrite lands
        config = CopyConfig(sources=sources, destination=dest, verify=True, bwlimit=size // 2)
        return await manager.wait(await manager.enqueue("file_copy", config))
    finally:
        await manager.shutdown()


@pytest.mark.parametrize("size", [4 * MIB, 600_000])
def test_source_rewritten_during_a_verified_copy_is_not_verified(library, tmp_path, size):
    src = tmp_path / "src"
    src.mkdir()
    first, other = os.urandom(size), os.urandom(1000)
    (src / "a.bin").write_bytes(first)
    (src / "b.bin").write_bytes(other)
    dest = tmp_path / "dest"
    dest.mkdir()
    replacement = os.urandom(size)

    info = asyncio.run(_rewrite_mid_copy(library, [src / "a.bin", src / "b.bin"], dest, src / "a.bin", replacement))

    rows = outcomes(info)
    assert rows["a.bin"]["outcome"] == "failed" and "changed" in rows["a.bin"]["reason"]
    assert not (dest / "a.bin").exists()
    assert (src / "a.bin").read_bytes() == replacement
    assert rows["b.bin"]["outcome"] == "copied" and (dest / "b.bin").read_bytes() == other
    assert temp_leftovers(dest) == []


def _resident_pages(path: Path) -> tuple[int, int]:
    """(pages of ``path`` in the page cache, pages in all), as ``mincore`` reports them."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    size = path.stat().st_size
    pages = -(-size // mmap.PAGESIZE)
    fd = os.open(path, os.O_RDONLY)
    try:
        # mapping faults nothing in; mincore then reports which pages the page cache holds
        addr = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        assert addr != ctypes.c_void_p(-1).value, os.strerror(ctypes.get_errno())
        try:
            vec = ctypes.create_string_buffer(pages)
            assert libc.mincore(addr, size, vec) == 0, os.strerror(ctypes.get_errno())
            return sum(b & 1 for b in vec.raw), pages
        finally:
            libc.munmap(addr, size)
    finally:
        os.close(fd)


def test_a_flushed_copy_is_read_back_from_the_disk_not_from_memory(tmp_path):
    # the verify pass's step before its re-read: a written, fsynced file's pages leave the page
    # cache, so the re-read reaches the disk (tests/fileops/test_io_errors.py shows it catching a
    # device that corrupts writes)
    path = tmp_path / "copy.bin"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.write(fd, os.urandom(4 * MIB))
        os.fsync(fd)
        cached, pages = _resident_pages(path)
        assert cached == pages == 4 * MIB // mmap.PAGESIZE  # just written: all in memory
        read_from_device(fd)
    finally:
        os.close(fd)
    assert _resident_pages(path) == (0, pages)

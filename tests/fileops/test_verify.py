"""``verify``: big files are copied by the kernel while a helper thread hashes the source; the
written file is re-read after its fsync and compared. A source rewritten during the copy must
never end up "verified": the file fails, nothing lands under the final name, the source stays."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from sd_desktop.jobs import JobManager
from sd_desktop.ops.files.copy import CopyConfig
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

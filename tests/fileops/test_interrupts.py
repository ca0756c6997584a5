"""Pause and cancel inside a copy (the worker polls the interrupt inside long file copies):
temporary files are removed, a paused copy resumes to the same result, a cancelled one leaves
sources intact and no half-written file under a final name."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from sd_desktop.jobs import JobManager
from sd_desktop.ops.files.copy import CopyConfig
from tests.fileops.helpers import temp_leftovers

SIZE = 1024 * 1024


def _tree(root: Path, n: int = 12) -> dict[str, bytes]:
    root.mkdir()
    content = {f"f{i:02d}": os.urandom(SIZE) for i in range(n)}
    for name, data in content.items():
        (root / name).write_bytes(data)
    return content


async def _interrupt(lib, config: CopyConfig, action: str, resume: bool):
    manager = JobManager(lib, run_queued=True)
    await manager.start()
    reached = asyncio.Event()

    def listener(event) -> None:
        if event.kind == "progress" and (event.progress or {}).get("bytes_done", 0) >= 3 * SIZE + SIZE // 2:
            reached.set()

    manager.events.add_listener(listener)
    try:
        job_id = await manager.enqueue("file_copy", config)
        await asyncio.wait_for(reached.wait(), 60)
        await (manager.pause(job_id) if action == "pause" else manager.cancel(job_id))
        stopped = await manager.wait(job_id)
        leftovers = temp_leftovers(config.destination)
        final = None
        if resume:
            await manager.resume(job_id)
            final = await manager.wait(job_id)
        return stopped, leftovers, final
    finally:
        await manager.shutdown()


def test_pause_mid_file_then_resume(library, tmp_path):
    content = _tree(tmp_path / "src")
    dest = tmp_path / "dest"
    config = CopyConfig(sources=[tmp_path / "src"], destination=dest, bwlimit=4 * SIZE)
    stopped, leftovers, final = asyncio.run(_interrupt(library, config, "pause", resume=True))
    assert stopped.status.value == "paused"
    assert leftovers == []  # the file being written when the pause came was removed
    done_then = stopped.progress["done"]
    assert 0 < done_then < len(content)
    assert final.status.value == "completed"
    for name, data in content.items():
        assert (dest / "src" / name).read_bytes() == data


def test_cancel_mid_verified_copy_keeps_sources_and_leaves_no_temp(library, tmp_path):
    content = _tree(tmp_path / "src")
    dest = tmp_path / "dest"
    config = CopyConfig(sources=[tmp_path / "src"], destination=dest, verify=True, bwlimit=4 * SIZE)
    stopped, leftovers, _ = asyncio.run(_interrupt(library, config, "cancel", resume=False))
    assert stopped.status.value == "cancelled"
    assert leftovers == []
    for name, data in content.items():
        assert (tmp_path / "src" / name).read_bytes() == data
        target = dest / "src" / name
        assert not target.exists() or target.read_bytes() == data

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


async def _change_source_mid_move(lib, src: Path, dest: Path) -> object:
    manager = JobManager(lib, run_queued=True)
    await manager.start()
    changed = False

    def listener(event) -> None:
        nonlocal changed
        if not changed and event.kind == "progress" and (event.progress or {}).get("bytes_done", 0) >= SIZE:
            with open(src, "ab") as f:  # someone appends to the file while it is being moved
                f.write(b"appended while moving")
            changed = True

    manager.events.add_listener(listener)
    try:
        config = CopyConfig(sources=[src], destination=dest, move=True, bwlimit=2 * SIZE)
        return await manager.wait(await manager.enqueue("file_copy", config))
    finally:
        await manager.shutdown()


def test_source_changed_during_a_cross_device_move_is_kept(library, tmp_path):
    import subprocess

    import pytest

    if os.stat("/dev/shm").st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("/dev/shm is not a separate file system here")
    root = Path(os.fsdecode(subprocess.check_output(["mktemp", "-d", "-p", "/dev/shm"]).strip()))
    try:
        src = root / "growing.bin"
        original = os.urandom(4 * SIZE)
        src.write_bytes(original)
        info = asyncio.run(_change_source_mid_move(library, src, tmp_path / "dest"))
        assert info.status.value == "failed"  # its only file was not moved (FAULTS 20)
        row = info.output["outcomes"][0]
        assert row["outcome"] == "failed" and "changed" in row["reason"]
        assert src.read_bytes() == original + b"appended while moving"  # the source is kept, with the change
        assert not (tmp_path / "dest" / "growing.bin").exists()
        assert temp_leftovers(tmp_path / "dest") == []
    finally:
        subprocess.run(["rm", "-rf", str(root)])

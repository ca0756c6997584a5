"""FAULT 9: a full destination. Refused up front when the space is known to be short; when the
disk fills mid-way, the file fails cleanly: no partial file under the final name, the old target
intact, the source untouched, no temporary file left, and the job says which files did not make it."""

from __future__ import annotations

import asyncio
import os

from sd_desktop.jobs import JobManager
from sd_desktop.ops.files.copy import ConflictPolicy, CopyConfig
from sd_desktop.ops.files.copy.conflicts import answer_conflicts
from tests.fileops.helpers import fill, run_job, temp_leftovers


def test_not_enough_space_is_refused_before_writing(library, tmp_path, mount_tmpfs):
    disk = mount_tmpfs("small", "2m")
    (tmp_path / "big").write_bytes(os.urandom(3_000_000))
    info = run_job(library, "file_copy", CopyConfig(sources=[tmp_path / "big"], destination=disk / "in"))
    assert info.status.value == "failed"
    assert "not enough free space" in info.error
    assert os.listdir(disk) == []


async def _fill_then_copy(lib, sources, disk, move: bool):
    manager = JobManager(lib, run_queued=True)
    await manager.start()
    try:
        config = CopyConfig(sources=sources, destination=disk, move=move, on_conflict=ConflictPolicy.ASK)
        job_id = await manager.enqueue("file_copy", config)
        assert (await manager.wait(job_id)).status.value == "paused"  # planned: the space check passed
        fill(disk, leave=200_000)  # meanwhile the disk fills up
        await answer_conflicts(lib, job_id, apply_to_all="overwrite")
        await manager.resume(job_id)
        return await manager.wait(job_id)
    finally:
        await manager.shutdown()


def test_disk_full_mid_copy_with_and_without_existing_target(library, tmp_path, mount_tmpfs):
    disk = mount_tmpfs("small", "2m")
    src = tmp_path / "src"
    src.mkdir()
    new_target, existing = os.urandom(600_000), os.urandom(600_000)
    (src / "existing.bin").write_bytes(existing)
    (src / "new.bin").write_bytes(new_target)
    old = b"the old target " * 1000
    (disk / "existing.bin").write_bytes(old)
    for move in (False, True):
        info = asyncio.run(_fill_then_copy(library, [src / "existing.bin", src / "new.bin"], disk, move))
        assert info.status.value == "failed"  # every file failed: nothing was done (FAULTS 20)
        assert info.error == "nothing was done: all 2 items failed (the outcomes say why)"
        rows = {os.path.basename(r["path"]): r for r in info.output["outcomes"]}
        assert rows["existing.bin"]["outcome"] == "failed" and "no space" in rows["existing.bin"]["reason"]
        assert rows["new.bin"]["outcome"] == "failed"
        assert (disk / "existing.bin").read_bytes() == old  # the old target is intact
        assert not (disk / "new.bin").exists()  # nothing half-written under the final name
        assert (src / "existing.bin").read_bytes() == existing and (src / "new.bin").read_bytes() == new_target
        assert temp_leftovers(disk) == []
        assert {e["path"] for e in info.errors} >= {str(src / "existing.bin"), str(src / "new.bin")}
        os.unlink(disk / "filler")

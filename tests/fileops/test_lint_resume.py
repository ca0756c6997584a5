"""The lint job paused between its units of work and resumed finds exactly what an uninterrupted run
finds: committed units are not walked again (no finding twice), the rest are."""

from __future__ import annotations

import asyncio

from sd_desktop.jobs import JobContext, JobManager, JobStatus
from sd_desktop.ops.files.lint import LintConfig
from tests.duplicates._helpers import run_job


def test_pause_then_resume_equals_uninterrupted(library, tmp_path, monkeypatch):
    root = tmp_path / "tree"
    for n in range(6):
        d = root / f"d{n}"
        (d / "hollow" / "deeper").mkdir(parents=True)
        (d / "nil.txt").write_bytes(b"")
        (d / "x.tmp").write_bytes(b"t")
        (d / "dead").symlink_to("nowhere")
    (root / "top.txt").write_bytes(b"")
    cfg = LintConfig(paths=[root])
    reference = run_job(library, "lint", cfg).output
    assert len(reference["findings"]) == 6 * 4 + 1

    original = JobContext.checkpoint
    calls = []

    async def checkpoint_then_pause(self, fn=None):
        result = await original(self, fn)
        calls.append(1)
        if len(calls) == 3:  # the plan, the root's own entries, the first folder
            await self.manager.pause(self.job_id)
        return result

    monkeypatch.setattr(JobContext, "checkpoint", checkpoint_then_pause)

    async def go(resume_id=None):
        manager = JobManager(library, run_queued=True)
        await manager.start()
        try:
            if resume_id is None:
                job_id = await manager.enqueue("lint", cfg)
            else:
                job_id = resume_id
                await manager.resume(job_id)
            return await manager.wait(job_id)
        finally:
            await manager.shutdown()

    paused = asyncio.run(go())
    assert paused.status is JobStatus.PAUSED
    monkeypatch.undo()
    done = asyncio.run(go(paused.id))
    assert done.status is JobStatus.COMPLETED
    assert done.output["findings"] == reference["findings"]
    assert done.output["counts"] == reference["counts"]

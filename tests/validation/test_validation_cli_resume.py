"""``sd-desktop validate`` as a subprocess (JSON contract, export) and pause/resume of the job."""

from __future__ import annotations

import asyncio
import csv
import json
import os

from sd_desktop.jobs import JobContext, JobManager, JobStatus
from sd_desktop.ops.files.validation import ValidationConfig, ValidationMode
from sd_desktop.ops.files.validation.job import BATCH_FILES
from tests.duplicates._helpers import run_job, write
from tests.support.fds import open_below
from tests.validation._library_rows import index_tree


def test_cli_json_and_export(run_cli, tmp_path):
    d = tmp_path / "d"
    write(d / "fine.txt", b"hello")
    write(d / "bad.png", b"GIF89a" + os.urandom(100))
    r = run_cli("validate", d, "--mode", "corruption", "--json")
    assert r.returncode == 0, r.stderr
    out = r.result["output"]
    assert out["files_checked"] == 2
    [issue] = out["issues"]
    assert set(issue) >= {"path", "type", "severity", "message", "suggested_action"}
    assert issue["type"] == "extension_mismatch" and issue["path"].endswith("bad.png")
    assert run_cli("validate", d, "--mode", "corruption", "--export", tmp_path / "v.csv").returncode == 0
    rows = list(csv.DictReader((tmp_path / "v.csv").open()))
    assert [row["type"] for row in rows] == ["extension_mismatch"]
    assert run_cli("validate", d, "--mode", "corruption", "--export", tmp_path / "v.json").returncode == 0
    assert json.loads((tmp_path / "v.json").read_text())["issues"][0]["severity"] == "warning"
    human = run_cli("validate", d, "--mode", "corruption")
    assert human.returncode == 0 and "extension_mismatch" in human.stdout
    missing = run_cli("validate", tmp_path / "nope")
    assert missing.returncode == 2


def test_pause_then_resume_equals_uninterrupted(library, tmp_path, monkeypatch):
    from sd_desktop.ops.files.validation import job as job_module

    monkeypatch.setattr(job_module, "BATCH_FILES", BATCH_FILES // 4)  # three batches of a smaller tree
    root = tmp_path / "loc"
    count = 3 * job_module.BATCH_FILES
    for n in range(count):
        write(root / f"d{n % 20}" / f"{n}.txt", os.urandom(50 + n % 7), 1_600_000_000)
    index_tree(library, root)
    for n in range(0, count, 97):  # damage some: same size, same mtime, other content
        p = root / f"d{n % 20}" / f"{n}.txt"
        write(p, os.urandom(p.stat().st_size), 1_600_000_000)
    cfg = ValidationConfig(targets=[root], mode=ValidationMode.INTEGRITY)
    reference = run_job(library, "file_validation", cfg).output
    assert len(reference["issues"]) == len(range(0, count, 97))

    original = JobContext.checkpoint
    calls = []

    async def checkpoint_then_pause(self, fn=None):
        result = await original(self, fn)
        calls.append(1)
        if len(calls) == 2:  # listing, then the first batch
            await self.manager.pause(self.job_id)
        return result

    monkeypatch.setattr(JobContext, "checkpoint", checkpoint_then_pause)

    async def go(resume_id=None):
        manager = JobManager(library, run_queued=True)
        await manager.start()
        try:
            if resume_id is None:
                job_id = await manager.enqueue("file_validation", cfg)
            else:
                job_id = resume_id
                await manager.resume(job_id)
            return await manager.wait(job_id)
        finally:
            await manager.shutdown()

    paused = asyncio.run(go())
    assert paused.status is JobStatus.PAUSED
    assert open_below(root) == 0, "files opened ahead of their check are closed by the pause"
    monkeypatch.undo()
    done = asyncio.run(go(paused.id))
    assert done.status is JobStatus.COMPLETED
    assert done.output["issues"] == reference["issues"]
    assert done.output["files_checked"] == count


def test_a_batch_is_checked_in_streams_of_consecutive_files_of_about_equal_bytes():
    from sd_desktop.ops.files.validation.job import _streams
    from sd_desktop.ops.files.validation.listing import Item

    sizes = [10_000_000, 50, 60, 4_000_000, 4_000_000, 70, 2_000_000, 80]
    batch = [Item(b"/f%d" % n, None, [size, 0, 0, n, 1], False) for n, size in enumerate(sizes)]
    batch.append(Item(b"/gone", [5, 0, 0, 99, 1, None], None, True))  # not on disk any more: no bytes
    streams = _streams(batch, 2)
    assert len(streams) == 2
    assert [i for stream in streams for i, _item in stream] == list(range(len(batch)))  # all, in order, once
    weights = [sum((item.disk[0] if item.disk else 0) for _i, item in stream) for stream in streams]
    assert max(weights) < sum(weights) * 0.6  # neither stream does most of the reading
    assert _streams(batch[:1], 2) == [[(0, batch[0])]]


def test_a_commit_that_fails_fails_the_job_and_leaves_no_file_open(library, tmp_path, monkeypatch):
    """A batch is checked while the one before is committed: when that commit fails (a full disk), the
    batch in flight ends, the job fails with the reason, and no file stays open."""
    import sqlite3

    from sd_desktop.ops.files.validation import job as job_module

    monkeypatch.setattr(job_module, "BATCH_FILES", 50)
    root = tmp_path / "loc"
    for n in range(200):
        write(root / f"d{n % 5}" / f"{n}.txt", os.urandom(3000), 1_600_000_000)
    index_tree(library, root)
    original = JobContext.checkpoint
    calls = []

    async def fails_second(self, fn=None):
        calls.append(1)
        if len(calls) == 2:  # the first batch's findings
            raise sqlite3.OperationalError("database or disk is full")
        return await original(self, fn)

    monkeypatch.setattr(JobContext, "checkpoint", fails_second)
    info = run_job(library, "file_validation", ValidationConfig(targets=[root], mode=ValidationMode.INTEGRITY))
    assert info.status is JobStatus.FAILED and "disk is full" in info.error
    assert open_below(root) == 0

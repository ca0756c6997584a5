"""Typed front-end API of the engine: ``JobManager.submit(config)`` finds the job from the config's
type; event kinds are an enum equal to their strings; progress snapshots come back from dicts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest

import tests.engine.jobs_for_tests as tj
from sd_desktop.jobs import (
    FINISHING_KINDS,
    EventKind,
    JobManager,
    JobStateError,
    JobStatus,
    Progress,
    job_class,
    job_class_for,
)
from sd_desktop.ops.files.delete.config import DeleteConfig, DeleteMode
from sd_desktop.ops.files.duplicate_detection import DuplicateConfig
from sd_desktop.ops.files.validation import ValidationConfig
from sd_desktop.ops.indexing.config import IndexerConfig
from sd_desktop.ops.media.thumbnail.job import ThumbnailConfig


def test_each_front_end_config_names_its_job():
    from sd_desktop.ops.files.copy.config import CopyConfig

    assert job_class_for(DuplicateConfig()) is job_class("duplicate_detection")
    assert job_class_for(ValidationConfig()) is job_class("file_validation")
    assert job_class_for(DeleteConfig()) is job_class("delete")
    assert job_class_for(CopyConfig([Path("/a")], Path("/b"))) is job_class("file_copy")
    assert job_class_for(ThumbnailConfig()) is job_class("thumbnails")
    assert job_class_for(IndexerConfig()) is job_class("indexer")
    assert job_class_for(tj.CountConfig()) is tj.CountJob


def test_a_config_no_job_takes_is_refused_with_one_line():
    @dataclass
    class Stray:
        n: int = 1

    with pytest.raises(JobStateError, match="^no job takes a Stray as its config: submit it by job name$"):
        job_class_for(Stray())
    with pytest.raises(JobStateError, match="no job takes a dict"):
        job_class_for({"targets": []})


def test_submit_queues_the_job_of_the_config_and_runs_it(library, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("x")

    async def go():
        m = JobManager(library)
        await m.start()
        try:
            count_id = await m.submit(tj.CountConfig(n=3))
            delete_id = await m.submit(DeleteConfig(targets=[victim], mode=DeleteMode.PERMANENT, confirm=True))
            again = await m.submit(tj.CountConfig(n=3))  # identical and still active: the same job
            return count_id, again, await m.wait(count_id), await m.wait(delete_id)
        finally:
            await m.shutdown()

    count_id, again, count, delete = asyncio.run(go())
    assert again == count_id
    assert (count.name, count.status, count.output) == ("test_count", JobStatus.COMPLETED, {"count": 3, "total": 3})
    assert (delete.name, delete.status) == ("delete", JobStatus.COMPLETED)
    assert delete.config["mode"] == "permanent" and not victim.exists()


def test_event_kinds_equal_their_strings():
    assert EventKind("failed") is EventKind.FAILED and EventKind.FAILED == "failed"
    assert FINISHING_KINDS == {"completed", "failed", "cancelled"}
    assert all(isinstance(k, EventKind) for k in FINISHING_KINDS)
    assert "progress" not in FINISHING_KINDS


def test_progress_from_dict_round_trips_and_ignores_unknown_keys():
    p = Progress(phase="hash", done=3, total=10, bytes_done=5, bytes_total=50, rate=2.5, eta_seconds=4.0)
    assert Progress.from_dict(p.to_dict()) == p
    assert Progress.from_dict({"phase": "scan", "done": 7, "added_later": 1}) == Progress(phase="scan", done=7)
    assert Progress.from_dict(None) is None and Progress.from_dict({}) is None

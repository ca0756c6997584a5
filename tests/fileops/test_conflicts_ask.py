"""The ``ask`` conflict policy, headless: the job pauses with its conflicts listed, answers are
stored through ``conflicts.py`` (per path and apply-to-all), and a resume carries them out."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sd_desktop.jobs import JobManager
from sd_desktop.ops.files.copy import ConflictPolicy, CopyConfig
from sd_desktop.ops.files.copy.conflicts import answer_conflicts, pending_conflicts
from tests.fileops.helpers import temp_leftovers


def _setup(tmp_path):
    src, dest = tmp_path / "src", tmp_path / "dest"
    src.mkdir()
    dest.mkdir()
    for name in ("a", "b", "c"):
        (src / name).write_bytes(b"new " + name.encode())
        (dest / name).write_bytes(b"old " + name.encode())
    (src / "fresh").write_bytes(b"fresh")
    return src, dest


async def _ask_flow(lib, src: Path, dest: Path):
    manager = JobManager(lib, run_queued=True)
    await manager.start()
    try:
        config = CopyConfig(sources=sorted(src.iterdir()), destination=dest, on_conflict=ConflictPolicy.ASK)
        job_id = await manager.enqueue("file_copy", config)
        paused = await manager.wait(job_id)
        assert paused.status.value == "paused"
        assert "3 conflict(s) need an answer" in paused.progress["message"]
        assert not (dest / "fresh").exists()  # nothing is written while the question is open
        conflicts = await pending_conflicts(lib, job_id)
        assert sorted(c.target.name for c in conflicts) == ["a", "b", "c"]
        assert all(c.answer is None and c.target_size == 5 for c in conflicts)

        # a partial answer: the job asks again for the rest
        await answer_conflicts(lib, job_id, {src / "a": "overwrite"})
        await manager.resume(job_id)
        again = await manager.wait(job_id)
        assert again.status.value == "paused" and "2 conflict(s)" in again.progress["message"]

        with pytest.raises(ValueError):
            await answer_conflicts(lib, job_id, apply_to_all="abort")
        with pytest.raises(ValueError):
            await answer_conflicts(lib, job_id, {src / "not-a-conflict": "skip"})
        await answer_conflicts(lib, job_id, {dest / "b": "rename"}, apply_to_all=ConflictPolicy.SKIP)
        answers = {c.target.name: c.answer for c in await pending_conflicts(lib, job_id)}
        assert answers == {"a": ConflictPolicy.OVERWRITE, "b": ConflictPolicy.RENAME, "c": ConflictPolicy.SKIP}
        await manager.resume(job_id)
        done = await manager.wait(job_id)
        with pytest.raises(ValueError):
            await answer_conflicts(lib, job_id, apply_to_all="skip")  # finished: nothing to answer
        return done
    finally:
        await manager.shutdown()


def test_ask_pauses_lists_conflicts_and_applies_answers(library, tmp_path):
    src, dest = _setup(tmp_path)
    info = asyncio.run(_ask_flow(library, src, dest))
    assert info.status.value == "completed"
    assert (dest / "a").read_bytes() == b"new a"
    assert (dest / "b").read_bytes() == b"old b" and (dest / "b (1)").read_bytes() == b"new b"
    assert (dest / "c").read_bytes() == b"old c"
    assert (dest / "fresh").read_bytes() == b"fresh"
    outcomes = {Path(r["path"]).name: r["outcome"] for r in info.output["outcomes"]}
    assert outcomes == {"a": "copied", "b": "renamed", "c": "skipped", "fresh": "copied"}
    assert temp_leftovers(dest) == []


def test_ask_without_conflicts_runs_straight_through(library, tmp_path):
    from tests.fileops.helpers import run_job

    (tmp_path / "only").write_bytes(b"x")
    info = run_job(
        library,
        "file_copy",
        CopyConfig(sources=[tmp_path / "only"], destination=tmp_path / "d", on_conflict=ConflictPolicy.ASK),
    )
    assert info.status.value == "completed" and (tmp_path / "d" / "only").read_bytes() == b"x"

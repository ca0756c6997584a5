"""Pause/resume and kill -9/resume give exactly the groups of an uninterrupted run (FAULTS 15)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from sd_desktop.jobs import JobContext, JobManager, JobStatus, codec
from sd_desktop.ops.files.duplicate_detection import DuplicateConfig
from sd_desktop.ops.files.duplicate_detection.config import DuplicateState
from sd_desktop.ops.files.duplicate_detection.hashing import BATCH_FILES
from tests.conftest import REPO, cli_env
from tests.duplicates._helpers import crowd_hash_cache, resume_job, resume_with_cli, run_job


def make_pairs(root, pairs: int, base: int = 100, unique: bool = True) -> None:
    """``pairs`` groups of two identical files of distinct sizes, plus as many unique files."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(pairs):
        data = os.urandom(base + i)
        d = root / f"d{i % 37}"
        d.mkdir(exist_ok=True)
        (d / f"{i}.a").write_bytes(data)
        (d / f"{i}.b").write_bytes(data)
        if unique:
            (d / f"{i}.u").write_bytes(os.urandom(base + pairs + i))


PAIRS = 3 * BATCH_FILES  # three hashing batches at least


@pytest.fixture(scope="module")
def pairs_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("pairs") / "tree"
    make_pairs(root, PAIRS, base=3000, unique=False)
    return root


def stored_state(db_path, job_id) -> tuple[str, DuplicateState]:
    conn = sqlite3.connect(db_path)
    try:
        status, state = conn.execute("SELECT status, state FROM job WHERE id = ?", (job_id,)).fetchone()
    finally:
        conn.close()
    return status, codec.unpack(state, DuplicateState)


def run_until_paused_after_checkpoint(library, cfg, monkeypatch, n: int) -> int:
    """Run a search that is asked to pause right after its ``n``-th checkpoint (the scan's is the
    first, then one per hashing batch); returns the job id of the paused job."""
    original = JobContext.checkpoint
    calls = []

    async def checkpoint_then_pause(self, fn=None):
        result = await original(self, fn)
        calls.append(1)
        if len(calls) == n:
            await self.manager.pause(self.job_id)
        return result

    async def first() -> int:
        manager = JobManager(library, run_queued=True)
        await manager.start()
        job_id = await manager.enqueue("duplicate_detection", cfg)
        info = await manager.wait(job_id)
        await manager.shutdown()
        assert info.status is JobStatus.PAUSED
        return job_id

    monkeypatch.setattr(JobContext, "checkpoint", checkpoint_then_pause)
    try:
        return asyncio.run(first())
    finally:
        monkeypatch.undo()


def test_pause_then_resume_equals_uninterrupted(library, pairs_tree, monkeypatch):
    pairs = PAIRS
    cfg = DuplicateConfig(search_paths=[pairs_tree], reuse_unchanged=False)  # the tree is the same each time
    reference = run_job(library, "duplicate_detection", cfg).output
    assert reference["group_count"] == pairs
    library.write_sync(lambda c: c.execute("DELETE FROM hash_cache"))
    crowd_hash_cache(library, pairs_tree)  # no reads while listing: the pairs are hashed in batches

    job_id = run_until_paused_after_checkpoint(library, cfg, monkeypatch, 2)
    status, state = stored_state(library.db_path, job_id)
    assert status == "paused" and state.phase == "hash"
    assert state.cursor == BATCH_FILES // 2, "paused after the first batch (pairs: 2 files per size group)"

    info = resume_job(library, job_id)
    assert info.status is JobStatus.COMPLETED
    assert info.output["groups"] == reference["groups"]
    left = library.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM work_item WHERE job_id = ?", (job_id,)))
    assert left.fetchone()[0] == 0, "the work list is removed with the finished job"


def test_pause_after_groups_settled_from_the_cache_then_resume(library, pairs_tree, monkeypatch):
    """The scan commits the groups the cache settles with the candidates of the others; a pause in the
    hashing that follows and a resume give the groups of an uninterrupted run."""
    cfg = DuplicateConfig(search_paths=[pairs_tree], reuse_unchanged=False)  # the tree is the same each time
    reference = run_job(library, "duplicate_detection", cfg).output
    # forget one file of every other pair (chosen by name: inode numbers depend on the file system)
    forget = [(a.stat().st_dev, a.stat().st_ino) for a in pairs_tree.rglob("*.a") if int(a.stem) % 2 == 0]
    library.write_sync(lambda c: c.executemany("DELETE FROM hash_cache WHERE device = ? AND inode = ?", forget))
    crowd_hash_cache(library, pairs_tree)

    job_id = run_until_paused_after_checkpoint(library, cfg, monkeypatch, 2)
    status, state = stored_state(library.db_path, job_id)
    assert status == "paused" and state.phase == "hash"
    # the pairs whose two rows were kept were settled by the scan without a read
    settled = sum(1 for a in pairs_tree.rglob("*.a") if int(a.stem) % 2)
    assert 0 < settled < PAIRS
    assert state.groups_found == settled + state.cursor, "settled groups + those of the first hashing batch"

    info = resume_job(library, job_id)
    assert info.status is JobStatus.COMPLETED
    assert info.output["groups"] == reference["groups"]


def test_kill_9_during_hashing_then_resume(pairs_tree, library_dir):
    pairs = PAIRS
    from sd_desktop.library import Library

    lib = Library.open(library_dir)
    crowd_hash_cache(lib, pairs_tree)
    lib.close()
    cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), "duplicates", str(pairs_tree)]
    proc = subprocess.Popen([*cmd, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(), cwd=REPO)
    db_path = library_dir / "library.db"
    cursor = None
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, state = stored_state(db_path, 1)
            except (sqlite3.Error, TypeError, codec.CodecError):
                time.sleep(0.002)
                continue
            if state.phase == "hash" and state.cursor > 0:
                os.kill(proc.pid, signal.SIGSTOP)  # freeze it, read what is committed, then kill
                status, state = stored_state(db_path, 1)
                cursor = state.cursor
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.002)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert cursor is not None, "the job finished before it could be killed mid-way"
    assert 0 < cursor < pairs
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    result = resume_with_cli(library_dir)
    assert result["status"] == "completed"
    groups = result["output"]["groups"]
    assert len(groups) == pairs
    for g in groups:
        names = sorted(os.path.basename(p) for p in g["paths"])
        stem = names[0].split(".")[0]
        assert names == [f"{stem}.a", f"{stem}.b"]

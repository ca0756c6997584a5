"""Scheduled re-index of a remote location: a real sshd, a real ``sd-desktop serve``; a file added on
the server reaches the index with no command, and one location never has two re-indexes at once."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import time

from sd_desktop.enums import JobStatus
from tests.volumes.test_volume_cli import add_sftp


def _indexed(library_dir) -> set[bytes]:
    conn = sqlite3.connect(library_dir / "library.db")
    try:
        return {bytes(p) for (p,) in conn.execute("SELECT path FROM entry WHERE kind = 0")}
    finally:
        conn.close()


def _jobs(library_dir) -> list[tuple[str, int, str, float, float]]:
    conn = sqlite3.connect(library_dir / "library.db")
    try:
        return list(conn.execute("SELECT name, priority, status, started_at, finished_at FROM job ORDER BY id"))
    finally:
        conn.close()


def test_a_file_added_on_the_server_reaches_the_index_on_schedule(run_cli, sshd, tmp_path, library_dir):
    from tests.serve.conftest import Engine

    remote = tmp_path / "r"
    remote.mkdir()
    (remote / "first.txt").write_bytes(b"one")
    assert add_sftp(run_cli, sshd, remote).returncode == 0
    added = run_cli("location", "add", "nas:/", "--every", "2s", "--json")
    assert added.returncode == 0, added.stderr
    assert added.result["output"] == {"id": 1, "path": "nas:/", "volume": "nas", "every": 2.0}
    engine = Engine(library_dir).wait_serving()
    try:
        deadline = time.monotonic() + 30
        while _indexed(library_dir) != {b"first.txt"} and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _indexed(library_dir) == {b"first.txt"}  # never indexed: due at once
        (remote / "later.txt").write_bytes(b"two")
        deadline = time.monotonic() + 30
        while _indexed(library_dir) != {b"first.txt", b"later.txt"} and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _indexed(library_dir) == {b"first.txt", b"later.txt"}
        off = run_cli("location", "schedule", "1", "off", "--json")  # through the engine
        assert off.returncode == 0, off.stderr
        assert off.result["output"] == {"id": 1, "path": "nas:/", "every": None}
        time.sleep(0.5)  # a re-index that was due as the schedule went off finishes
        before = _jobs(library_dir)
        time.sleep(3)
        assert _jobs(library_dir) == before  # off: nothing more is queued
    finally:
        code, err = engine.stop()
    assert code == 0, err
    jobs = _jobs(library_dir)
    # how many ran depends on the machine's speed (one every 2 s); each is a low-priority re-index
    # that completed, and each started after the one before had finished: never two at once
    assert {(name, priority, status) for name, priority, status, _, _ in jobs} == {("remote_indexer", -10, "completed")}
    assert all(later[3] >= earlier[4] for earlier, later in itertools.pairwise(jobs))


def test_schedule_usage_and_local_locations(run_cli, tmp_path):
    local = tmp_path / "local"
    local.mkdir()
    assert run_cli("location", "add", str(local)).returncode == 0
    refused = run_cli("location", "schedule", "1", "6h")
    assert (refused.returncode, refused.stderr) == (
        1,
        "sd-desktop: location 1 is on this machine: a running engine watches it, a schedule is for locations "
        "on volumes (NAME:/path)\n",
    )
    bad = run_cli("location", "schedule", "1", "6 hours")
    assert bad.returncode == 2
    assert bad.stderr.splitlines()[-1] == (
        "sd-desktop location schedule: error: argument INTERVAL|off: bad interval '6 hours': write a number and "
        "s, m, h or d (30s, 15m, 6h, 1d)"
    )
    missing = run_cli("location", "schedule", "7", "off")
    assert (missing.returncode, missing.stderr) == (1, "sd-desktop: no location with id 7\n")


def test_the_scheduler_never_queues_a_second_reindex_and_resumes_a_paused_one(library, sshd, tmp_path):
    """The scheduler's decisions on a real library and manager (no job runs: the manager does not
    run its queue), at chosen times."""
    from sd_desktop.engine.schedule import ReindexScheduler
    from sd_desktop.jobs import JobManager
    from sd_desktop.library import schedules, volumes

    volumes.add_volume(library, "nas", "sftp", str(tmp_path), {}, None)
    loc = volumes.add_remote_location(library, "nas", "")
    schedules.set_every(library, loc, 60.0)

    async def scenario() -> list:
        manager = JobManager(library, run_queued=False)
        scheduler = ReindexScheduler(manager)
        seen = []
        t0 = time.time()
        assert await scheduler.queue_due(t0) == 5.0  # never indexed: queued now
        seen.append([(i.name, i.status, i.priority) for i in await manager.list()])
        assert await scheduler.queue_due(t0 + 61) == 5.0  # due again, but one is queued already
        seen.append(len(await manager.list()))
        job_id = (await manager.list())[0].id
        await library.write(lambda c: c.execute("UPDATE job SET status = 'paused' WHERE id = ?", (job_id,)))
        assert await scheduler.queue_due(t0 + 62) == 5.0  # tried at t0 + 61: not yet
        seen.append((await manager.info(job_id)).status)
        await scheduler.queue_due(t0 + 122)  # due: the paused one is resumed, none added
        seen.append([(i.id, i.status) for i in await manager.list()])
        return seen

    seen = asyncio.run(scenario())
    assert seen == [
        [("remote_indexer", JobStatus.QUEUED, -10)],
        1,
        JobStatus.PAUSED,
        [(1, JobStatus.QUEUED)],
    ]

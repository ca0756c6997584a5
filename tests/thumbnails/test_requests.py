"""On-demand requests (the UI scrolling): batched into one job, never one job per file."""

from __future__ import annotations

import asyncio

from sd_desktop.jobs import JobManager, JobStatus
from sd_desktop.ops.media.thumbnail.requests import request_thumbnails
from tests.thumbnails._rows import index_tree, picture
from tests.thumbnails.conftest import sidecar_rows


def _thumbnail_jobs(lib) -> list[tuple]:
    return lib.read_sync(lambda c: c.execute("SELECT id, status FROM job WHERE name = 'thumbnails'").fetchall())


def test_requests_before_the_job_starts_join_the_queued_job(library, pictures, indexed):
    async def go():
        manager = JobManager(library)
        first = await request_thumbnails(manager, [indexed["photo0.jpg"]])
        second = await request_thumbnails(manager, [indexed["photo1.jpg"], indexed["sub/logo.png"]])
        third = await request_thumbnails(manager, [indexed["photo1.jpg"]])
        pending = library.read_sync(
            lambda c: c.execute("SELECT seq FROM work_item WHERE job_id = ? AND status = 0 ORDER BY seq", (first,))
        ).fetchall()
        await manager.start()
        info = await manager.wait(first)
        await manager.shutdown()
        return first, second, third, [p[0] for p in pending], info

    first, second, third, pending, info = asyncio.run(go())
    assert first == second == third
    assert pending == sorted([indexed["photo1.jpg"], indexed["sub/logo.png"]])
    assert len(_thumbnail_jobs(library)) == 1
    assert info.status is JobStatus.COMPLETED
    assert info.output["generated"] == 3 and info.output["requested"] == 2
    assert len(sidecar_rows(library)) == 6
    statuses = library.read_sync(lambda c: c.execute("SELECT DISTINCT status FROM work_item").fetchall())
    assert statuses == [(1,)]


def _second_tree(library, tmp_path, n: int = 3) -> list[int]:
    root = tmp_path / "elsewhere"
    for i in range(n):
        picture(root / f"e{i}.jpg", (640, 480), seed=100 + i)
    return list(index_tree(library, root).values())


def test_requests_are_added_to_the_running_job(library, tmp_path):
    root = tmp_path / "many"
    for i in range(16):
        picture(root / f"p{i:02}.jpg", (1000, 750), seed=i)
    index_tree(library, root)
    others = _second_tree(library, tmp_path)
    got: dict = {}

    async def go():
        manager = JobManager(library)

        def on_event(ev):
            if ev.kind == "started" and "task" not in got:
                got["task"] = asyncio.get_running_loop().create_task(request_thumbnails(manager, others))

        manager.events.add_listener(on_event)
        await manager.start()
        job_id = await manager.enqueue("thumbnails", {"location_id": 1, "batch_size": 2, "max_concurrency": 1})
        info = await manager.wait(job_id)
        await manager.shutdown()
        return job_id, await got["task"], info

    job_id, requested_into, info = asyncio.run(go())
    assert requested_into == job_id
    assert len(_thumbnail_jobs(library)) == 1, "never a job per request"
    assert info.output["requested"] == 3
    assert info.output["generated"] == 19
    assert len(sidecar_rows(library)) == 38


def test_requests_survive_a_pause_and_a_restart(library, tmp_path):
    root = tmp_path / "many"
    for i in range(16):
        picture(root / f"p{i:02}.jpg", (1000, 750), seed=i)
    index_tree(library, root)
    others = _second_tree(library, tmp_path)
    got: dict = {}

    async def first_run():
        manager = JobManager(library)

        async def request_then_pause(job_id):
            got["into"] = await request_thumbnails(manager, others)
            await manager.pause(job_id)

        def on_event(ev):
            if ev.kind == "started" and "task" not in got:
                got["task"] = asyncio.get_running_loop().create_task(request_then_pause(ev.job_id))

        manager.events.add_listener(on_event)
        await manager.start()
        job_id = await manager.enqueue("thumbnails", {"location_id": 1, "batch_size": 2, "max_concurrency": 1})
        info = await manager.wait(job_id)
        await got["task"]
        await manager.shutdown()
        return job_id, info

    job_id, paused = asyncio.run(first_run())
    assert got["into"] == job_id and paused.status is JobStatus.PAUSED
    rows = library.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM work_item WHERE job_id = ?", (job_id,)))
    assert rows.fetchone()[0] == 3  # the requests are stored with the job, not in memory

    async def second_run():  # a new manager, as after an app restart
        manager = JobManager(library)
        await manager.start()
        await manager.resume(job_id)
        info = await manager.wait(job_id)
        await manager.shutdown()
        return info

    done = asyncio.run(second_run())
    assert done.status is JobStatus.COMPLETED
    assert done.output["requested"] == 3 and done.output["generated"] == 19
    assert len(sidecar_rows(library)) == 38

"""On-demand thumbnails: the UI asks for entries as they scroll into view.

Requests are batched into the thumbnail job that is already running (as ``work_item`` rows it
drains before its own scope, which survive pause, crash and resume), else into a request job this
manager queued and that has not started yet, else a new job is queued with those entries. Never
one job per file.

Why no request is lost: the check "is that job still taking requests?" and the insert run in one
transaction on the library's single writer thread, and a job gives up taking requests in a
transaction on that same thread, after seeing no pending request (``ThumbnailJob._close_if_idle``).
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref

from sd_desktop.enums import JobStatus
from sd_desktop.jobs import JobManager
from sd_desktop.library import job_rows, worklist
from sd_desktop.ops.media.thumbnail.config import ThumbnailConfig
from sd_desktop.ops.media.thumbnail.job import ThumbnailJob, WorkKind, accepting

_locks: weakref.WeakKeyDictionary[JobManager, asyncio.Lock] = weakref.WeakKeyDictionary()
_queued_by_us: weakref.WeakKeyDictionary[JobManager, set[int]] = weakref.WeakKeyDictionary()


def _add(conn: sqlite3.Connection, job_id: int, entry_ids: list[int]) -> None:
    # a request for an entry handled earlier in this job is handled again (its file may be gone)
    worklist.add_or_reopen(conn, job_id, [(entry_id, WorkKind.REQUEST) for entry_id in entry_ids], ("seq", "kind"))


async def request_thumbnails(manager: JobManager, entry_ids: list[int]) -> int:
    """Make sure thumbnails of ``entry_ids`` get made soon; returns the id of the job doing it."""
    ids = sorted({int(i) for i in entry_ids})
    if not ids:
        raise ValueError("request_thumbnails needs at least one entry id")
    lock = _locks.setdefault(manager, asyncio.Lock())
    ours = _queued_by_us.setdefault(manager, set())
    async with lock:
        candidates = sorted(accepting)
        waiting = sorted(ours)

        def tx(conn: sqlite3.Connection) -> int | None:
            for job_id in candidates:
                if job_id in accepting:  # re-checked here, on the writer thread
                    row = job_rows.status_of(conn, job_id)
                    if row and row.status is JobStatus.RUNNING:
                        _add(conn, job_id, ids)
                        return job_id
            for job_id in reversed(waiting):
                row = job_rows.status_of(conn, job_id)
                if row and row.status is JobStatus.QUEUED and row.name == ThumbnailJob.NAME:
                    _add(conn, job_id, ids)
                    return job_id
            return None

        job_id = await manager.library.write(tx)
        if job_id is None:
            job_id = await manager.enqueue(ThumbnailJob.NAME, ThumbnailConfig(entry_ids=ids, on_demand=True))
            ours.add(job_id)
        return job_id

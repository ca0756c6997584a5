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

from sd_desktop.jobs import JobManager
from sd_desktop.ops.media.thumbnail.job import ThumbnailConfig, ThumbnailJob, accepting

REQUEST_KIND = 1  # work_item.kind of an on-demand thumbnail request

_locks: weakref.WeakKeyDictionary[JobManager, asyncio.Lock] = weakref.WeakKeyDictionary()
_queued_by_us: weakref.WeakKeyDictionary[JobManager, set[int]] = weakref.WeakKeyDictionary()


def _add(conn: sqlite3.Connection, job_id: int, entry_ids: list[int]) -> None:
    # a request for an entry handled earlier in this job is handled again (its file may be gone)
    conn.executemany(
        "INSERT INTO work_item (job_id, seq, kind, status) VALUES (?, ?, ?, 0) "
        "ON CONFLICT (job_id, seq) DO UPDATE SET status = 0, outcome = NULL",
        [(job_id, entry_id, REQUEST_KIND) for entry_id in entry_ids],
    )


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
                    row = conn.execute("SELECT status FROM job WHERE id = ?", (job_id,)).fetchone()
                    if row and row[0] == "running":
                        _add(conn, job_id, ids)
                        return job_id
            for job_id in reversed(waiting):
                row = conn.execute("SELECT status, name FROM job WHERE id = ?", (job_id,)).fetchone()
                if row and row[0] == "queued" and row[1] == ThumbnailJob.NAME:
                    _add(conn, job_id, ids)
                    return job_id
            return None

        job_id = await manager.library.write(tx)
        if job_id is None:
            job_id = await manager.enqueue(ThumbnailJob.NAME, ThumbnailConfig(entry_ids=ids))
            ours.add(job_id)
        return job_id

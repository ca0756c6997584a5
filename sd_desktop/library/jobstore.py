"""The ``job`` table: the rows of the persistent job queue, read and written by named functions.

``JobManager`` owns the queue's rules (what may run, when a job finishes, which statuses a command
may change); this module knows how they are stored: queueing a row, finding the next runnable one
and claiming it, status changes, a checkpoint's state and progress, a finished job's output, the
rows a crash left running, the history, and the active row of a (name, config) identity.

Every function takes the ``sqlite3`` connection it works on and never commits: writers run inside
the caller's transaction (``Library.write(fn)``, ``JobContext.checkpoint(fn)``), so a checkpoint's
state commits with the rows it accounts for, and readers run on any connection (a reader thread's
own, or the writer's inside a transaction). Statuses are ``JobStatus`` members, bound as parameters.

Plain ``sqlite3`` rather than the peewee model: ``checkpoint`` runs once per batch of every job and
must cost no more than the one statement it is, and the manager decodes rows straight from tuples
(``JobRecord``) on reader threads, where a model object per row would only be thrown away.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable
from typing import NamedTuple

from sd_desktop.enums import ACTIVE, FINISHED, JobStatus
from sd_desktop.library.light_reads import SUMMARY_FIELDS  # what a listing shows of a job, in this order


class JobRecord(NamedTuple):
    """A ``job`` row as stored: blobs still encoded (msgpack; ``progress`` is JSON text)."""

    id: int
    name: str
    version: int
    status: JobStatus
    priority: int
    target: str
    config: bytes
    state: bytes | None
    progress: str | None
    output: bytes | None  # None too when read with ``output=False``
    error: str | None
    errors: bytes | None
    error_count: int
    parent_id: int | None
    interrupted: int
    created_at: float
    started_at: float | None
    finished_at: float | None
    updated_at: float


_COLUMNS = ", ".join(JobRecord._fields)
_SELECT = f"SELECT {_COLUMNS} FROM job"
# a finished job's output can be megabytes: callers that have it already read the row without it
_SELECT_BUT_OUTPUT = "SELECT " + _COLUMNS.replace(" output,", " NULL,") + " FROM job"
_SUCCEEDED = (JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_ERRORS)


def _marks(values: Collection[object]) -> str:
    return ", ".join("?" * len(values))


def _record(row: tuple | None) -> JobRecord | None:
    if row is None:
        return None
    return JobRecord(row[0], row[1], row[2], JobStatus(row[3]), *row[4:])


# -- reading -------------------------------------------------------------------------------------
def get(conn: sqlite3.Connection, job_id: int, *, output: bool = True) -> JobRecord | None:
    """The job's row, or None; with ``output=False`` its ``output`` is left unread (None)."""
    sql = _SELECT if output else _SELECT_BUT_OUTPUT
    return _record(conn.execute(f"{sql} WHERE id = ?", (job_id,)).fetchone())


def history(
    conn: sqlite3.Connection,
    limit: int,
    statuses: Collection[JobStatus] | None = None,
    exclude_names: Collection[str] = (),
    *,
    output: bool = True,
) -> list[JobRecord]:
    """The newest ``limit`` jobs (of ``statuses`` when given, else of any status), newest first,
    leaving out the jobs named in ``exclude_names`` (internal ones); with ``output=False`` their
    ``output`` is left unread (None)."""
    where: list[str] = []
    args: list[object] = []
    if statuses:
        where.append(f"status IN ({_marks(statuses)})")
        args.extend(statuses)
    if exclude_names:
        where.append(f"name NOT IN ({_marks(exclude_names)})")
        args.extend(exclude_names)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    sql = _SELECT if output else _SELECT_BUT_OUTPUT
    rows = conn.execute(f"{sql}{clause} ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
    return [_record(r) for r in rows]


def summary(record: JobRecord) -> dict:
    """A job as a listing shows it, straight from its row: no blob decoded but the progress (JSON),
    so a listing needs neither msgpack nor the job engine. ``JobInfo.to_json`` gives the same."""
    out = {name: getattr(record, name) for name in SUMMARY_FIELDS}
    out["status"] = record.status.value
    out["progress"] = json.loads(record.progress) if record.progress else None
    return out


def active_id(conn: sqlite3.Connection, name: str, config_key: str) -> int | None:
    """The oldest active (queued, running or paused) job of ``name`` with this config identity."""
    row = conn.execute(
        f"SELECT id FROM job WHERE config_key = ? AND name = ? AND status IN ({_marks(ACTIVE)}) ORDER BY id LIMIT 1",
        (config_key, name, *ACTIVE),
    ).fetchone()
    return row[0] if row else None


def children(conn: sqlite3.Connection, job_id: int) -> list[int]:
    """The ids of the jobs that follow ``job_id`` (its follow-ups), oldest first."""
    return [r[0] for r in conn.execute("SELECT id FROM job WHERE parent_id = ? ORDER BY id", (job_id,))]


def active_followups(conn: sqlite3.Connection, name: str, parent_name: str, parent_config_key: str) -> list[int]:
    """Active jobs of ``name`` that follow a job of ``parent_name`` with that config identity, oldest
    first (e.g. an unfinished removal of duplicates that followed a search with the same settings)."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT d.id FROM job d JOIN job p ON p.id = d.parent_id "
            f"WHERE d.name = ? AND d.status IN ({_marks(ACTIVE)}) AND p.name = ? AND p.config_key = ? "
            "ORDER BY d.id",
            (name, *ACTIVE, parent_name, parent_config_key),
        )
    ]


def found_running(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """``(id, name)`` of the jobs stored as running: at start-up, those a crash (or kill) stopped."""
    return conn.execute("SELECT id, name FROM job WHERE status = ? ORDER BY id", (JobStatus.RUNNING,)).fetchall()


def found_interrupted(conn: sqlite3.Connection) -> list[tuple[int, str, int, bytes, JobStatus]]:
    """``(id, name, version, config, status)`` of the jobs a crash stopped: stored as running, or
    queued again by an earlier start that found them interrupted (a CLI run leaves them so)."""
    rows = conn.execute(
        "SELECT id, name, version, config, status FROM job WHERE status = ? OR (status = ? AND interrupted > 0) "
        "ORDER BY id",
        (JobStatus.RUNNING, JobStatus.QUEUED),
    ).fetchall()
    return [(i, n, v, c, JobStatus(st)) for i, n, v, c, st in rows]


def next_runnable(conn: sqlite3.Connection, only: Collection[int] | None = None) -> int | None:
    """The queued job to run next (highest priority, then oldest), or None.

    A follow-up is runnable once the job it follows succeeded (or is gone). ``only``: consider these
    ids alone (an empty collection: none)."""
    if only is not None and not only:
        return None
    sql = (
        "SELECT j.id FROM job j LEFT JOIN job p ON p.id = j.parent_id WHERE j.status = ? "
        f"AND (j.parent_id IS NULL OR p.status IN ({_marks(_SUCCEEDED)}))"
    )
    args: list[object] = [JobStatus.QUEUED, *_SUCCEEDED]
    if only is not None:
        sql += f" AND j.id IN ({_marks(only)})"
        args.extend(only)
    row = conn.execute(sql + " ORDER BY j.priority DESC, j.id LIMIT 1", args).fetchone()
    return row[0] if row else None


# -- writing -------------------------------------------------------------------------------------
def insert(
    conn: sqlite3.Connection,
    *,
    name: str,
    version: int,
    config: bytes,
    config_key: str,
    target: str,
    priority: int,
    parent_id: int | None,
    now: float,
) -> int:
    """Queue a new job; returns its id."""
    cur = conn.execute(
        "INSERT INTO job (name, version, status, priority, target, config, config_key, parent_id, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (name, version, JobStatus.QUEUED, priority, target, config, config_key, parent_id, now, now),
    )
    return cur.lastrowid


def insert_completed(
    conn: sqlite3.Connection,
    *,
    name: str,
    version: int,
    config: bytes,
    config_key: str,
    target: str,
    output: bytes,
    errors: bytes,
    progress: str,
    created_at: float,
    started_at: float,
    finished_at: float,
) -> int:
    """Record a run that completed without the engine, as the engine leaves one it ran (queued,
    claimed, ended: no state, no error, ``errors`` the empty list it stores); returns its id."""
    cur = conn.execute(
        "INSERT INTO job (name, version, status, priority, target, config, config_key, parent_id, progress, "
        "output, errors, error_count, created_at, started_at, finished_at, updated_at) "
        "VALUES (?, ?, ?, 0, ?, ?, ?, NULL, ?, ?, ?, 0, ?, ?, ?, ?)",
        (
            name,
            version,
            JobStatus.COMPLETED,
            target,
            config,
            config_key,
            progress,
            output,
            errors,
            created_at,
            started_at,
            finished_at,
            finished_at,
        ),
    )
    return cur.lastrowid


def claim(conn: sqlite3.Connection, job_id: int, now: float) -> JobRecord:
    """Mark the job running (its first start time kept) and return its row as it now is."""
    conn.execute(
        "UPDATE job SET status = ?, started_at = COALESCE(started_at, ?), updated_at = ? WHERE id = ?",
        (JobStatus.RUNNING, now, now, job_id),
    )
    record = get(conn, job_id)
    assert record is not None  # claimed inside the caller's transaction: it cannot have gone
    return record


def set_status_if(
    conn: sqlite3.Connection, job_id: int, allowed: Collection[JobStatus], new: JobStatus, now: float
) -> bool:
    """Set the job's status to ``new`` if it is one of ``allowed``; whether it was."""
    cur = conn.execute(
        f"UPDATE job SET status = ?, updated_at = ? WHERE id = ? AND status IN ({_marks(allowed)})",
        (new, now, job_id, *allowed),
    )
    return cur.rowcount > 0


def mark_interrupted(
    conn: sqlite3.Connection, outcomes: Iterable[tuple[int, JobStatus, str | None, int]], now: float
) -> None:
    """Settle jobs a crash stopped: each ``(id, status, error, crashed)`` gets that status (queued
    again to resume, paused to wait for the user, or failed with ``error``; a None error keeps the
    stored one), ``crashed`` (1 or 0) more interruptions counted, and a finish time when it failed."""
    conn.executemany(
        "UPDATE job SET status = ?, error = COALESCE(?, error), interrupted = interrupted + ?, "
        "updated_at = ?, finished_at = ? WHERE id = ?",
        [
            (status, error, crashed, now, now if status in FINISHED else None, job_id)
            for job_id, status, error, crashed in outcomes
        ],
    )


def checkpoint(
    conn: sqlite3.Connection,
    job_id: int,
    state: bytes,
    errors: bytes,
    error_count: int,
    progress: str,
    now: float,
) -> None:
    """Store a checkpoint: the job's state, its non-critical errors and its progress.

    Runs in the transaction of the rows the state accounts for (``JobContext.checkpoint``), once per
    batch of every running job: one plain statement, nothing else."""
    conn.execute(
        "UPDATE job SET state = ?, errors = ?, error_count = ?, progress = ?, updated_at = ? WHERE id = ?",
        (state, errors, error_count, progress, now, job_id),
    )


def store_end(
    conn: sqlite3.Connection,
    job_id: int,
    status: JobStatus,
    *,
    error: str | None,
    now: float,
    output: bytes | None = None,
    report: tuple[bytes, int, str] | None = None,
) -> None:
    """Store how a run ended: its status and error, and ``report`` (errors blob, error count, progress
    JSON) when given. A finished job also gets its finish time and ``output``, and its state is
    dropped; a paused one keeps its state (and output) for the next run."""
    sets = ["status = ?", "updated_at = ?", "error = ?"]
    args: list[object] = [status, now, error]
    if report is not None:
        sets += ["errors = ?", "error_count = ?", "progress = ?"]
        args += list(report)
    if status.finished:
        sets += ["finished_at = ?", "state = NULL", "output = ?"]
        args += [now, output]
    conn.execute(f"UPDATE job SET {', '.join(sets)} WHERE id = ?", (*args, job_id))


def cancel_followups(conn: sqlite3.Connection, job_id: int, error: str, now: float) -> int:
    """Cancel the follow-ups of ``job_id`` that have not started (queued or paused), with ``error``
    as the reason; returns how many."""
    waiting = (JobStatus.QUEUED, JobStatus.PAUSED)
    cur = conn.execute(
        "UPDATE job SET status = ?, error = ?, finished_at = ?, updated_at = ? "
        f"WHERE parent_id = ? AND status IN ({_marks(waiting)})",
        (JobStatus.CANCELLED, error, now, now, job_id, *waiting),
    )
    return cur.rowcount


def delete_finished_ids(conn: sqlite3.Connection, job_ids: Collection[int]) -> int:
    """Forget the finished jobs among ``job_ids`` (internal jobs nobody needs in the History);
    returns how many. Their work lists go with them (the foreign key cascades)."""
    if not job_ids:
        return 0
    return conn.execute(
        f"DELETE FROM job WHERE id IN ({_marks(job_ids)}) AND status IN ({_marks(FINISHED)})",
        (*job_ids, *FINISHED),
    ).rowcount


def delete_finished(conn: sqlite3.Connection, keep_last_of: Collection[str] = ()) -> int:
    """Forget every finished job; returns how many. Their work lists go with them (the foreign key
    cascades), and follow-ups still stored lose their parent (it is set to NULL).

    For the job names in ``keep_last_of`` (searches whose results are costly to make again), the
    newest successful job of each config is kept."""
    sql = f"DELETE FROM job WHERE status IN ({_marks(FINISHED)})"
    args: list[object] = list(FINISHED)
    if keep_last_of:
        sql += (
            f" AND id NOT IN (SELECT MAX(id) FROM job WHERE status IN ({_marks(_SUCCEEDED)}) "
            f"AND name IN ({_marks(keep_last_of)}) GROUP BY name, config_key)"
        )
        args += [*_SUCCEEDED, *keep_last_of]
    return conn.execute(sql, args).rowcount


def delete_job(conn: sqlite3.Connection, job_id: int) -> None:
    """Remove one job's row (its work list goes with it)."""
    conn.execute("DELETE FROM job WHERE id = ?", (job_id,))

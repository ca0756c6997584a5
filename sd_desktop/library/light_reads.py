"""The listings of ``location list`` and ``jobs list`` on a healthy library, at the least import cost.

A cold start of a list command is mostly the reading of every module it imports from disk
(tests/perf/README.md: "Where the cold list commands' time goes"): this module imports ``os``,
``json`` and ``sqlite3`` and nothing of the project but the schema's version, so
``sd_desktop.quick_answers`` can answer without argparse, pathlib, typing or the library's error
modules.

It only answers the plain case: ``open_healthy`` returns None for anything else (no library, an
empty, damaged, read-only or older/newer database, a path it would have to quote), and the caller
then takes the full path (``library.reader``), which says exactly what is wrong, migrates or
recovers. The listings are the ones ``locations.list_locations`` + ``LocationInfo.to_json`` and
``jobstore.history`` + ``jobstore.summary`` give (tests/cli/test_quick_answers.py checks both).
"""

from __future__ import annotations

import json
import os
import sqlite3

from sd_desktop.library.migrations import LATEST

TYPE_CHECKING = False  # not ``typing``'s: see above
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    T = TypeVar("T")

DB_NAME = "library.db"  # as ``faults.DB_NAME`` (checked by the tests)
BUSY_TIMEOUT_MS = 10000  # as ``reader.BUSY_TIMEOUT_MS``
# characters a ``file:`` URI takes as they are; a library path with any other is left to ``reader``
_URI_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-._~")
_STATUSES = frozenset(("queued", "paused", "completed", "completed_with_errors", "failed", "cancelled"))

STATS_SQL = """
SELECT l.id, l.path, l.name, l.last_indexed, l.index_mode,
       COUNT(e.id) FILTER (WHERE e.path != x''),
       COUNT(e.id) FILTER (WHERE e.kind = 0),
       COUNT(e.id) FILTER (WHERE e.kind = 1 AND e.path != x''),
       COUNT(e.id) FILTER (WHERE e.kind = 2),
       COALESCE(SUM(e.size) FILTER (WHERE e.kind = 0), 0)
FROM location l LEFT JOIN entry e ON e.location_id = l.id
GROUP BY l.id ORDER BY l.name COLLATE NOCASE, l.id
"""

# what a listing shows of a job (``jobs list --json``, ``JobInfo.to_json``), in this order
SUMMARY_FIELDS = (
    "id",
    "name",
    "status",
    "target",
    "created_at",
    "started_at",
    "finished_at",
    "progress",
    "error",
    "error_count",
    "parent_id",
    "interrupted",
    "priority",
)
_HISTORY_SQL = f"SELECT {', '.join(SUMMARY_FIELDS)} FROM job ORDER BY id DESC LIMIT ?"


def open_healthy(folder: str, *, write: bool = False) -> sqlite3.Connection | None:
    """``folder``'s database opened read-only when it is plainly healthy: there, not empty, writable
    (as every command needs it), at this build's schema. None in every other case, nothing raised:
    the full path decides what to say. With ``write``, opened for writing (autocommit: the caller
    holds the library's lock and begins its own transaction), as ``Library`` sets its connections."""
    db = os.path.join(os.getcwd(), folder, DB_NAME)  # not normalised: ``a/link/..`` is the kernel's to resolve
    raw = os.fsencode(db)
    if not _URI_SAFE.issuperset(raw) or b"/./" in raw or b"/../" in raw or "//" in db:
        return None  # a URI would need quoting, or dots SQLite's URI might not resolve as the kernel does
    try:
        if os.stat(db).st_size == 0 or not (os.access(db, os.W_OK) and os.access(folder, os.W_OK)):
            return None
    except (OSError, ValueError):
        return None
    conn = None
    try:
        if write:
            conn = sqlite3.connect(f"file:{db}", uri=True, isolation_level=None)
            conn.execute("PRAGMA foreign_keys=1")
            conn.execute("PRAGMA synchronous=normal")
        else:
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        wal = not write or conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        if not wal or conn.execute("PRAGMA user_version").fetchone()[0] != LATEST:
            conn.close()
            return None
    except sqlite3.Error:
        if conn is not None:
            conn.close()
        return None
    return conn


def in_transaction(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``fn(conn)`` in one ``BEGIN IMMEDIATE`` transaction of a connection ``open_healthy(write=True)``
    opened (its caller holding the library's lock), committed, or rolled back if it raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = fn(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return result


def location_rows(conn: sqlite3.Connection) -> list[dict]:
    """Every location with its totals, as ``LocationInfo.to_json`` gives them."""
    return [
        {
            "id": r[0],
            # ``paths.display`` of the stored bytes: undecodable bytes as ``\\xNN``
            "path": bytes(r[1]).decode("utf-8", "backslashreplace"),
            "name": r[2],
            "entries": r[5],
            "files": r[6],
            "dirs": r[7],
            "symlinks": r[8],
            "total_bytes": r[9],
            "last_indexed": r[3],
            "index_mode": r[4],
        }
        for r in conn.execute(STATS_SQL)
    ]


def job_summaries(conn: sqlite3.Connection, limit: int) -> list[dict] | None:
    """The newest ``limit`` jobs as ``jobstore.summary`` gives them; None when one is stored as running
    (a crash may have left it so: the full path recovers it first) or has a status this build does
    not know."""
    out = []
    for row in conn.execute(_HISTORY_SQL, (limit,)):
        job = dict(zip(SUMMARY_FIELDS, row, strict=True))
        if job["status"] not in _STATUSES:
            return None
        job["progress"] = json.loads(job["progress"]) if job["progress"] else None
        out.append(job)
    return out

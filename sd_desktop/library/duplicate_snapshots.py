"""The ``duplicate_snapshot`` table: the last result of a duplicate search per settings, with the
listing it came from, so a search of an unchanged tree can take it as it was.

A row is the digest of the search's settings (``key``), the folders' digests and the result (both
encoded by the caller: ``duplicate_detection.snapshot`` owns their format), the job that made it and
when. Only the newest few are kept.
"""

from __future__ import annotations

import sqlite3
import time
from typing import NamedTuple


class StoredSnapshot(NamedTuple):
    folders: bytes
    result: bytes
    job_id: int | None
    created_at: float


def load(conn: sqlite3.Connection, key: bytes) -> StoredSnapshot | None:
    """The snapshot stored for ``key``, if any."""
    row = conn.execute(
        "SELECT folders, result, job_id, created_at FROM duplicate_snapshot WHERE key = ?", (key,)
    ).fetchone()
    return None if row is None else StoredSnapshot(*row)


def save(conn: sqlite3.Connection, key: bytes, folders: bytes, result: bytes, job_id: int | None, keep: int) -> None:
    """Store a snapshot for ``key`` (replacing the one it had), then keep only the ``keep`` newest."""
    conn.execute(
        "INSERT OR REPLACE INTO duplicate_snapshot (key, folders, result, job_id, created_at) VALUES (?, ?, ?, ?, ?)",
        (key, folders, result, job_id, time.time()),
    )
    conn.execute(
        "DELETE FROM duplicate_snapshot WHERE key NOT IN "
        "(SELECT key FROM duplicate_snapshot ORDER BY created_at DESC LIMIT ?)",
        (keep,),
    )


def remove(conn: sqlite3.Connection, key: bytes) -> None:
    """Drop the snapshot of ``key`` (a result too big to keep must not leave an older one behind)."""
    conn.execute("DELETE FROM duplicate_snapshot WHERE key = ?", (key,))

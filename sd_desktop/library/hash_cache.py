"""The ``hash_cache`` table: what was learned about a file's content, keyed by its identity.

A row is (device, inode, size, mtime_ns, ctime_ns, hash): the duplicate search (and the indexer)
write one for each file they hashed, and a search trusts it only while the file's fresh ``lstat``
still gives the same size, mtime_ns and ctime_ns. What ``hash`` holds (a bare full hash, or full,
head and tail digests) is the caller's business: ``duplicate_detection.cache`` reads and writes it.
This module only moves rows, a device or a batch at a time.

Why raw ``executemany`` and one statement per device or chunk of inodes: a search writes and reads
tens of thousands of rows between two walks, and that is the part of an unchanged tree's search
that is not the walk itself; peewee's ``insert_many`` measured about five times slower than
``executemany`` for bulk writes here, and model objects per row cost more than the rows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence

CHUNK = 500  # inodes per ``IN (...)`` look-up (well below SQLite's limit on bound parameters)
_ROWS = "SELECT inode, size, mtime_ns, ctime_ns, hash FROM hash_cache"

Row = tuple[int, int, int, int, int, str]  # device, inode, size, mtime_ns, ctime_ns, hash
DeviceRow = tuple[int, int, int, int, str]  # inode, size, mtime_ns, ctime_ns, hash (the device is asked for)
Stat = tuple[int, int, int, int, int]  # device, inode, size, mtime_ns, ctime_ns


def store(conn: sqlite3.Connection, rows: Sequence[Row]) -> None:
    """Remember ``rows``, replacing what was known of those identities."""
    if rows:
        conn.executemany(
            "INSERT OR REPLACE INTO hash_cache (device, inode, size, mtime_ns, ctime_ns, hash) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )


def store_at_once(conn: sqlite3.Connection, rows: Sequence[Sequence[object]]) -> None:
    """``store`` in one statement over a JSON array of ``[device, inode, size, mtime_ns, ctime_ns,
    hash]`` lists: for a writer beside a hashing thread (the indexer's), since ``executemany``
    releases and retakes the GIL around every row and each retake waits on that thread."""
    if rows:
        conn.execute(
            "INSERT OR REPLACE INTO hash_cache (device, inode, size, mtime_ns, ctime_ns, hash) "
            "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), "
            "json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]') "
            "FROM json_each(?)",
            (json.dumps(rows),),
        )


def count_on_device(conn: sqlite3.Connection, device: int, limit: int | None = None) -> int:
    """How many rows ``device`` has; with ``limit``, counted without reading past ``limit + 1`` (a
    device-wide library can hold millions)."""
    if limit is None:
        return conn.execute("SELECT count(*) FROM hash_cache WHERE device = ?", (device,)).fetchone()[0]
    return conn.execute(
        "SELECT count(*) FROM (SELECT 1 FROM hash_cache WHERE device = ? LIMIT ?)", (device, limit + 1)
    ).fetchone()[0]


def rows_on_device(conn: sqlite3.Connection, device: int) -> list[DeviceRow]:
    """Every row of ``device``, in one range read of the primary key."""
    return conn.execute(f"{_ROWS} WHERE device = ?", (device,)).fetchall()


def rows_of_inodes(conn: sqlite3.Connection, device: int, inodes: Sequence[int]) -> list[DeviceRow]:
    """The rows of ``inodes`` on ``device`` (those that have one), CHUNK inodes per query."""
    out: list[DeviceRow] = []
    for start in range(0, len(inodes), CHUNK):
        chunk = inodes[start : start + CHUNK]
        marks = ",".join("?" * len(chunk))
        out += conn.execute(f"{_ROWS} WHERE device = ? AND inode IN ({marks})", (device, *chunk)).fetchall()
    return out


def prune(conn: sqlite3.Connection, stale: Iterable[Stat]) -> int:
    """Forget rows given as (device, inode, size, mtime_ns, ctime_ns) as they were read; a row
    rewritten since (by another job) with other values stays. Returns how many went."""
    before = conn.total_changes
    conn.executemany(
        "DELETE FROM hash_cache WHERE device = ? AND inode = ? AND size = ? AND mtime_ns = ? AND ctime_ns = ?", stale
    )
    return conn.total_changes - before


def prune_unseen(conn: sqlite3.Connection, device: int, inodes: list[int]) -> int:
    """Forget the rows of ``device`` whose inode is not in ``inodes`` (for a walk that saw the whole
    file system: the files that are gone). One statement over a JSON array. Returns how many went."""
    before = conn.total_changes
    conn.execute(
        "DELETE FROM hash_cache WHERE device = ? AND inode NOT IN (SELECT value FROM json_each(?))",
        (device, json.dumps(inodes)),
    )
    return conn.total_changes - before

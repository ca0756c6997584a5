"""Reads of indexed files (``entry`` rows of regular files) for the jobs that compare them with a walk.

Validation pairs the files under a target with the entries stored for them (``files_below``); the
duplicate search takes an indexed file's ``integrity_hash`` as known content, under the hash
cache's rule (same device, inode, size, mtime_ns and ctime_ns), so it reads the hashed files of a
device (``hashed_files_on_device``, ``hashed_files_of_inodes``). The index itself is written by the
indexer, not here.

Rows are plain tuples in one read per device or per chunk of inodes: these reads feed per-file loops
over tens of thousands of files, where a model object per row would cost more than the row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from sd_desktop.enums import EntryKind

CHUNK = 500  # inodes per ``IN (...)`` look-up (well below SQLite's limit on bound parameters)
# the kind is spelled into the statements (a constant): the same text, and plan, for every call
_FILES = f"kind = {int(EntryKind.FILE)}"
_HASHED = f"{_FILES} AND integrity_hash IS NOT NULL"
_HASHED_ROWS = "SELECT inode, size, mtime_ns, ctime_ns, integrity_hash FROM entry"

HashedFile = tuple[int, int, int, int, str]  # inode, size, mtime_ns, ctime_ns, integrity_hash
# path (relative to the location root), size, mtime_ns, ctime_ns, inode, device, integrity_hash
IndexedFile = tuple[bytes, int, int, int, int, int, str | None]


def files_below(conn: sqlite3.Connection, location_id: int, rel: bytes) -> list[IndexedFile]:
    """The indexed regular files of a location at or below ``rel`` (a path relative to its root; ``b""``:
    all of them)."""
    select = "SELECT path, size, mtime_ns, ctime_ns, inode, device, integrity_hash FROM entry WHERE location_id = ?"
    if rel == b"":
        return conn.execute(f"{select} AND {_FILES}", (location_id,)).fetchall()
    # the subtree of rel as a BLOB range: rel itself, then rel/... ('0' is the byte after '/')
    return conn.execute(
        f"{select} AND {_FILES} AND (path = ? OR (path >= ? AND path < ?))",
        (location_id, rel, rel + b"/", rel + b"0"),
    ).fetchall()


def any_on_device(conn: sqlite3.Connection, device: int) -> bool:
    """Whether any entry is on ``device`` (an index probe: most searched paths are outside locations)."""
    return conn.execute("SELECT 1 FROM entry WHERE device = ? LIMIT 1", (device,)).fetchone() is not None


def count_hashed_on_device(conn: sqlite3.Connection, device: int, limit: int) -> int:
    """How many regular files with an integrity hash ``device`` has, counted up to ``limit + 1`` only."""
    return conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM entry WHERE device = ? AND {_HASHED} LIMIT ?)", (device, limit + 1)
    ).fetchone()[0]


def hashed_files_on_device(conn: sqlite3.Connection, device: int) -> list[HashedFile]:
    """Every regular file of ``device`` with an integrity hash."""
    return conn.execute(f"{_HASHED_ROWS} WHERE device = ? AND {_HASHED}", (device,)).fetchall()


def hashed_files_of_inodes(conn: sqlite3.Connection, device: int, inodes: Sequence[int]) -> list[HashedFile]:
    """The regular files with an integrity hash among ``inodes`` of ``device``, CHUNK inodes per query."""
    out: list[HashedFile] = []
    for start in range(0, len(inodes), CHUNK):
        chunk = inodes[start : start + CHUNK]
        marks = ",".join("?" * len(chunk))
        out += conn.execute(
            f"{_HASHED_ROWS} WHERE device = ? AND inode IN ({marks}) AND {_HASHED}", (device, *chunk)
        ).fetchall()
    return out

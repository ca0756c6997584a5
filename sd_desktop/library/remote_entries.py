"""Entries of a remote location, written one listed folder at a time by the remote indexer.

A remote folder is listed in one request, so the indexer writes each folder's children in one
checkpoint: the rows it listed (inserted or updated in place, keyed by path), their contents, and
the deletion of the children that are gone (with everything below them). Paths are the UTF-8 bytes
of the '/'-separated path below the location's folder, as local entries store theirs.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from typing import NamedTuple

from sd_desktop.enums import EntryKind
from sd_desktop.library.entries import delete_subtree, subtree_bounds

_DIR = EntryKind.DIR.value


class Stored(NamedTuple):
    id: int
    kind: int
    size: int
    mtime_ns: int | None
    cas_id: str | None


class Listed(NamedTuple):
    """One child as listed: the fields the indexer stores."""

    path: bytes
    name: str
    kind: int
    size: int
    mtime_ns: int | None
    cas_id: str | None


def ensure_folders(conn: sqlite3.Connection, location_id: int, rels: Sequence[bytes]) -> None:
    """Make sure a folder entry exists for each of ``rels`` (given parents first; b'' = the root)."""
    for rel in rels:
        if folder_id(conn, location_id, rel) is not None:
            continue
        parent = None if rel == b"" else folder_id(conn, location_id, rel.rpartition(b"/")[0])
        name = rel.rpartition(b"/")[2].decode("utf-8", "replace")
        conn.execute(
            "INSERT INTO entry (location_id, parent_id, path, name, kind) VALUES (?, ?, ?, ?, ?)",
            (location_id, parent, rel, name, _DIR),
        )


def folder_id(conn: sqlite3.Connection, location_id: int, rel: bytes) -> int | None:
    row = conn.execute("SELECT id FROM entry WHERE location_id = ? AND path = ?", (location_id, rel)).fetchone()
    return row[0] if row else None


def children(conn: sqlite3.Connection, location_id: int, rel: bytes) -> dict[bytes, Stored]:
    """The stored children of the folder at ``rel``, by path."""
    parent = folder_id(conn, location_id, rel)
    if parent is None:
        return {}
    rows = conn.execute("SELECT path, id, kind, size, mtime_ns, cas_id FROM entry WHERE parent_id = ?", (parent,))
    return {bytes(r[0]): Stored(*r[1:]) for r in rows}


_UPSERT = (
    "INSERT INTO entry (location_id, parent_id, path, name, kind, size, mtime_ns, hidden, cas_id, content_id) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, (SELECT id FROM content_identity WHERE cas_id = ?9)) "
    "ON CONFLICT(location_id, path) DO UPDATE SET parent_id = excluded.parent_id, name = excluded.name, "
    "kind = excluded.kind, size = excluded.size, mtime_ns = excluded.mtime_ns, hidden = excluded.hidden, "
    "cas_id = excluded.cas_id, content_id = excluded.content_id, "
    "integrity_hash = CASE WHEN entry.cas_id IS excluded.cas_id THEN entry.integrity_hash END"
)


def write_folder(
    conn: sqlite3.Connection, location_id: int, rel: bytes, listed: Sequence[Listed], gone: Sequence[bytes]
) -> None:
    """Store the children of the folder at ``rel`` as listed, and forget the ``gone`` ones (and
    everything below them)."""
    parent = folder_id(conn, location_id, rel)
    stored = children(conn, location_id, rel)
    for path in gone:
        old = stored.get(path)
        if old is not None:
            delete_subtree(conn, location_id, old.id, path)
    now = time.time()
    conn.executemany(
        "INSERT INTO content_identity (cas_id, size, created_at) VALUES (?, ?, ?) ON CONFLICT(cas_id) DO NOTHING",
        [(e.cas_id, e.size, now) for e in listed if e.cas_id],
    )
    conn.executemany(
        _UPSERT,
        [
            (location_id, parent, e.path, e.name, e.kind, e.size, e.mtime_ns, int(e.name.startswith(".")), e.cas_id)
            for e in listed
        ],
    )
    if parent is not None:
        conn.execute("UPDATE entry SET child_count = ? WHERE id = ?", (len(listed), parent))


def entry_at(conn: sqlite3.Connection, location_id: int, rel: bytes) -> dict | None:
    """What the library knows of the entry at ``rel``: kind, size, mtime_ns, cas_id, integrity hash."""
    row = conn.execute(
        "SELECT kind, size, mtime_ns, cas_id, integrity_hash FROM entry WHERE location_id = ? AND path = ?",
        (location_id, rel),
    ).fetchone()
    if row is None:
        return None
    return {"kind": row[0], "size": row[1], "mtime_ns": row[2], "cas_id": row[3], "integrity_hash": row[4]}


def remove_entry(conn: sqlite3.Connection, location_id: int, rel: bytes) -> None:
    """Forget the entry at ``rel`` and everything below it (a remote file or folder deleted)."""
    row = conn.execute("SELECT id FROM entry WHERE location_id = ? AND path = ?", (location_id, rel)).fetchone()
    if row is not None:
        delete_subtree(conn, location_id, row[0], rel)


def identified_files(conn: sqlite3.Connection, location_id: int, below: bytes, min_size: int) -> list[tuple]:
    """``(path, size, cas_id)`` of the location's files at or below ``below`` (b'' = all of it)
    with a content id and at least ``min_size`` bytes: what a duplicate search across locations
    starts from (the same query for a local location and a remote one)."""
    sql = "SELECT path, size, cas_id FROM entry WHERE location_id = ? AND kind = ? AND cas_id IS NOT NULL AND size >= ?"
    args: list = [location_id, EntryKind.FILE.value, max(1, min_size)]
    if below:
        lo, hi = subtree_bounds(below)
        sql += " AND (path = ? OR (path > ? AND path < ?))"
        args += [below, lo, hi]
    return [(bytes(p), s, c) for p, s, c in conn.execute(sql, args)]


def record_integrity(
    conn: sqlite3.Connection, location_id: int, rows: Sequence[tuple[bytes, int, int | None, str]]
) -> int:
    """Store the full hash a validation made of remote files: ``(path, size, mtime_ns, hash)`` each,
    written only where the entry still has that size and time and no hash yet (the bytes hashed are
    the ones indexed; a file re-indexed meanwhile keeps what the indexer said). Returns how many."""
    done = 0
    for path, size, mtime_ns, digest in rows:
        cur = conn.execute(
            "UPDATE entry SET integrity_hash = ? WHERE location_id = ? AND path = ? AND size = ? "
            "AND mtime_ns IS ? AND integrity_hash IS NULL",
            (digest, location_id, path, size, mtime_ns),
        )
        done += cur.rowcount
    return done

"""What the indexer learns about files' contents: ``content_identity`` rows (one per distinct cas_id),
the entries' cas_id, MIME and integrity hash, and the files still to identify. (The full-content
hashes it also hands to the duplicate search go through ``hash_cache``.)

Called once per batch of a few hundred to a few thousand files, on the library's writer thread,
while the indexer's hashing thread runs beside it. Both share the GIL, and sqlite3 releases and
retakes it around every row an ``executemany`` steps, each retake waiting on the hashing thread;
so some batches are written by one statement over a JSON array (``add_identities_at_once``,
``set_integrity``). No peewee here for the same reason: its per-row objects
cost more than the rows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from sd_desktop.enums import EntryKind
from sd_desktop.library.entries import subtree_bounds

_FILE = EntryKind.FILE.value

_ADD_IDENTITY = (
    "INSERT INTO content_identity (cas_id, size, kind, mime, created_at) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT(cas_id) DO NOTHING"
)
# ORDER BY key: the batch's first file of a content decides its row (kind, MIME)
_ADD_IDENTITIES_JSON = (
    "INSERT INTO content_identity (cas_id, size, kind, mime, created_at) "
    "SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, ? FROM json_each(?) WHERE 1 ORDER BY key "
    "ON CONFLICT(cas_id) DO NOTHING"
)
_SET_IDENTIFIED = (
    "UPDATE entry SET cas_id = ?1, mime = ?2, integrity_hash = COALESCE(?3, integrity_hash), "
    "content_id = (SELECT id FROM content_identity WHERE cas_id = ?1) WHERE id = ?4"
)


def content_id_of(conn: sqlite3.Connection, cas_id: str) -> int | None:
    """The ``content_identity`` row of ``cas_id``, or None when the library holds no such content."""
    row = conn.execute("SELECT id FROM content_identity WHERE cas_id = ?", (cas_id,)).fetchone()
    return row[0] if row else None


def add_identities(conn: sqlite3.Connection, rows: Iterable[Sequence[Any]]) -> None:
    """Store the contents ``(cas_id, size, kind, mime, created_at)`` not stored yet (one row per
    cas_id: the first of the batch, or the one stored already, wins)."""
    conn.executemany(_ADD_IDENTITY, rows)


def add_identities_at_once(conn: sqlite3.Connection, identities: Sequence[Sequence[Any]], now: float) -> None:
    """``add_identities`` in one statement over a JSON array of ``[cas_id, size, kind, mime]`` lists: for
    a writer that races a busy thread for the GIL (alone, ``executemany`` is the faster one)."""
    conn.execute(_ADD_IDENTITIES_JSON, (now, json.dumps(identities)))


def set_identified(conn: sqlite3.Connection, rows: Iterable[Sequence[Any]]) -> None:
    """Give entries their content: each row is ``(cas_id, mime, integrity hash or None, entry id)``;
    ``content_id`` points at the cas_id's ``content_identity`` row (``add_identities`` first), a
    None integrity hash keeps the stored one."""
    conn.executemany(_SET_IDENTIFIED, rows)


def set_integrity(conn: sqlite3.Connection, hashes: Sequence[Sequence[Any]]) -> None:
    """Set the integrity hash of entries whose content is known already: ``[entry id, hash]`` pairs.
    Only that column is written (rewriting cas_id and content_id would touch two indexes and a
    foreign key per row for nothing)."""
    conn.execute(
        "UPDATE entry SET integrity_hash = json_extract(j.value, '$[1]') FROM json_each(?) AS j "
        "WHERE entry.id = json_extract(j.value, '$[0]')",
        (json.dumps(hashes),),
    )


def collect_orphans(conn: sqlite3.Connection) -> int:
    """Delete the content identities no entry refers to any more (after deletions and edits), in one
    statement; returns how many. Their sidecar rows go with them (ON DELETE CASCADE); the thumbnail
    job's sweep removes sidecar files no row refers to."""
    return conn.execute(
        "DELETE FROM content_identity WHERE NOT EXISTS (SELECT 1 FROM entry e WHERE e.content_id = content_identity.id)"
    ).rowcount


# -- the files still to identify -------------------------------------------------------------------
def _unidentified(location_id: int, deep: bool, below: bytes) -> tuple[str, list[Any]]:
    # "+location_id": never let the planner pick the (location_id, path) index and sort the
    # whole location per batch; walk rowids (or entry_cas) from the cursor instead
    where = f"+location_id = ? AND kind = {_FILE} AND ((cas_id IS NULL AND size > 0)"
    where += " OR integrity_hash IS NULL)" if deep else ")"
    args: list[Any] = [location_id]
    if below:
        lo, hi = subtree_bounds(below)
        where += " AND path > ? AND path < ?"
        args += [lo, hi]
    return where, args


def count_unidentified(conn: sqlite3.Connection, location_id: int, *, deep: bool, below: bytes = b"") -> int:
    """How many files of the location (below the folder ``below`` when given) have no cas_id yet
    (empty files never get one) or, with ``deep``, no integrity hash."""
    where, args = _unidentified(location_id, deep, below)
    return conn.execute(f"SELECT COUNT(*) FROM entry WHERE {where} AND id > ?", (*args, 0)).fetchone()[0]


def unidentified(
    conn: sqlite3.Connection, location_id: int, *, deep: bool, below: bytes = b"", after: int = 0, limit: int
) -> list[tuple[int, bytes, int, int, int, str | None, str | None]]:
    """The next ``limit`` files ``count_unidentified`` counts, with an id above ``after``, in id order:
    ``(id, path, size, mtime_ns, inode, cas_id, mime)``."""
    where, args = _unidentified(location_id, deep, below)
    rows = conn.execute(
        f"SELECT id, path, size, mtime_ns, inode, cas_id, mime FROM entry WHERE {where} AND id > ? ORDER BY id LIMIT ?",
        (*args, after, limit),
    ).fetchall()
    return [(r[0], bytes(r[1]), r[2], r[3], r[4], r[5], r[6]) for r in rows]

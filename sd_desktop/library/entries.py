"""The indexer's writes of ``entry`` rows: batches of new and changed entries, moves, subtree
deletions, and the bookkeeping that survives a crash between batches (pending deletions and the
folders whose children changed, kept in the job's work list).

Rows come in the walk's order (``WALK_COLUMNS``): the ``entry`` columns after ``id, location_id,
parent_id``. Ids are assigned by the caller (the library's writer thread is the only writer), so a
batch goes in as one statement and children can point at folders inserted in the same batch.

Why raw ``executemany`` and not peewee: these functions are the indexer's hot path, called once per
batch of thousands of rows inside a checkpoint's transaction; peewee's ``insert_many`` measured about
five times slower than ``executemany`` here. Callers pass whole batches, never one row at a time.

Paths are raw bytes relative to the location root (``b""`` is the root). A subtree is selected by a
path range (``subtree_bounds``), so a deep tree never relies on recursive foreign-key cascades.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from sd_desktop.enums import EntryKind
from sd_desktop.library import worklist
from sd_desktop.library.migrations import DEFERRABLE_INDEXES, restore_indexes  # noqa: F401 - restore_indexes: here too

# the walk row: the entry columns after (id, location_id, parent_id), in this order
WALK_COLUMNS = (
    "path",
    "name",
    "kind",
    "size",
    "inode",
    "device",
    "mtime_ns",
    "ctime_ns",
    "mode",
    "hidden",
    "link_target",
)
_ROW = ", ".join(WALK_COLUMNS)

_INSERT = f"INSERT INTO entry (id, location_id, parent_id, {_ROW}) VALUES ({', '.join('?' * 14)})"
# a file inserted with its identity: the content_identity row must exist already (``contents.add_identities``)
_INSERT_IDENTIFIED = (
    f"INSERT INTO entry (id, location_id, parent_id, {_ROW}, cas_id, mime, content_id) "
    f"VALUES ({', '.join('?' * 14)}, ?15, ?, (SELECT id FROM content_identity WHERE cas_id = ?15))"
)
# ?1 parent, ?2..?12 the walk row, ?13 forget the content (cas_id, content_id, hashes, mime), ?14 id
_UPDATE = (
    "UPDATE entry SET parent_id = ?1, path = ?2, name = ?3, kind = ?4, size = ?5, inode = ?6, device = ?7, "
    "mtime_ns = ?8, ctime_ns = ?9, mode = ?10, hidden = ?11, link_target = ?12, "
    "cas_id = CASE WHEN ?13 THEN NULL ELSE cas_id END, content_id = CASE WHEN ?13 THEN NULL ELSE content_id END, "
    "integrity_hash = CASE WHEN ?13 THEN NULL ELSE integrity_hash END, mime = CASE WHEN ?13 THEN NULL ELSE mime END "
    "WHERE id = ?14"
)

# what ``children`` returns per entry: (path, id), then the walk row's fields from ``kind`` on in
# the walk's order, then the parent's id. An unchanged entry is then one tuple-slice comparison
# (``child[CHILD_KIND:CHILD_PARENT] == walk_row[kind index:]``), no per-field Python work.
CHILD_PATH, CHILD_ID, CHILD_KIND, CHILD_SIZE, CHILD_LINK, CHILD_PARENT = 0, 1, 2, 3, 10, 11
_CHILDREN = f"SELECT path, id, {', '.join(WALK_COLUMNS[2:])}, parent_id FROM entry WHERE parent_id IN ({{marks}})"
# bound parameters per statement stay well below SQLite's limit
CHUNK = 500
# written into the statements' text (not bound), so SQLite plans them with the constant
_DIR = EntryKind.DIR.value


def subtree_bounds(rel: bytes) -> tuple[bytes, bytes]:
    """Blob bounds (exclusive) of every path strictly below ``rel`` ('0' sorts right after '/')."""
    return (rel + b"/", rel + b"0") if rel else (b"", b"\xff" * 8)


# -- reading -------------------------------------------------------------------------------------
def has_below(conn: sqlite3.Connection, location_id: int, rel: bytes) -> bool:
    """Whether any entry is stored below the folder ``rel`` of the location."""
    lo, hi = subtree_bounds(rel)
    row = conn.execute(
        "SELECT 1 FROM entry WHERE location_id = ? AND path > ? AND path < ? LIMIT 1", (location_id, lo, hi)
    ).fetchone()
    return row is not None


def has_entries(conn: sqlite3.Connection, location_id: int) -> bool:
    """Whether the location has any entry (none: a first index, nothing to match)."""
    row = conn.execute("SELECT 1 FROM entry WHERE location_id = ? LIMIT 1", (location_id,)).fetchone()
    return row is not None


def count(conn: sqlite3.Connection, location_id: int) -> int:
    """How many entries the location has (its root included)."""
    return conn.execute("SELECT COUNT(*) FROM entry WHERE location_id = ?", (location_id,)).fetchone()[0]


def next_id(conn: sqlite3.Connection) -> int:
    """The first free entry id: a batch numbers its new rows from here."""
    return conn.execute("SELECT COALESCE(MAX(id), 0) FROM entry").fetchone()[0] + 1


def find(conn: sqlite3.Connection, location_id: int, rel: bytes) -> tuple[int, int, int | None] | None:
    """``(id, kind, parent id)`` of the entry at ``rel``, or None."""
    return conn.execute(
        "SELECT id, kind, parent_id FROM entry WHERE location_id = ? AND path = ?", (location_id, rel)
    ).fetchone()


def folder_id(conn: sqlite3.Connection, location_id: int, rel: bytes) -> int | None:
    """The id of the folder entry at ``rel`` (None when there is none, or it is not a folder)."""
    row = conn.execute(
        f"SELECT id FROM entry WHERE location_id = ? AND path = ? AND kind = {_DIR}", (location_id, rel)
    ).fetchone()
    return row[0] if row else None


def folder_ids(conn: sqlite3.Connection, location_id: int, rels: Sequence[bytes]) -> list[tuple[bytes, int]]:
    """``(path, id)`` of the folder entries among ``rels`` (those that exist), in a few queries."""
    out: list[tuple[bytes, int]] = []
    for i in range(0, len(rels), CHUNK):
        chunk = rels[i : i + CHUNK]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT path, id FROM entry WHERE location_id = ? AND kind = {_DIR} AND path IN ({marks})"
        out += conn.execute(sql, (location_id, *chunk))
    return out


def children(conn: sqlite3.Connection, parent_ids: Sequence[int]) -> list[tuple]:
    """The stored direct children of the folders ``parent_ids``, as rows laid out as described at
    ``CHILD_PATH`` ... ``CHILD_PARENT`` (every column a walk row has, so a caller can tell which
    entries changed without reading more)."""
    out: list[tuple] = []
    for i in range(0, len(parent_ids), CHUNK):
        chunk = parent_ids[i : i + CHUNK]
        out += conn.execute(_CHILDREN.format(marks=",".join("?" * len(chunk))), chunk)
    return out


# Look up by (device, inode), never scan: "+location_id" keeps the path index out, and INDEXED BY
# keeps the planner from a full scan when the statistics were taken while the table was tiny (PRAGMA
# optimize on closing a library of a few rows): a long-lived engine then grew it by tens of thousands
# of rows and ran this once per new file (a 50,000-file burst took minutes, quadratic).
_MOVE_CANDIDATES = (
    "SELECT id, path, parent_id FROM entry INDEXED BY entry_inode WHERE device = ? AND inode = ? AND kind = ? "
    f"AND +location_id = ? AND mtime_ns = ? AND (kind = {_DIR} OR size = ?)"
)


def move_candidates(
    conn: sqlite3.Connection, location_id: int, device: int, inode: int, kind: int, mtime_ns: int, size: int
) -> list[tuple[int, bytes, int | None]]:
    """``(id, path, parent id)`` of the location's entries with this identity: same device, inode,
    kind and mtime, and for anything but a folder the same size (the entries a new path may have
    been moved or renamed from)."""
    return conn.execute(_MOVE_CANDIDATES, (device, inode, kind, location_id, mtime_ns, size)).fetchall()


def known_inodes(
    conn: sqlite3.Connection, location_id: int, identities: Iterable[tuple[int, int]]
) -> set[tuple[int, int]]:
    """The ``(device, inode)`` pairs among ``identities`` that some entry of the location has: the
    only new paths worth a ``move_candidates`` look-up. One query per few hundred inodes instead of
    one per new file (a new folder's walk checks every file it lists)."""
    by_device: dict[int, list[int]] = {}
    for device, inode in identities:
        by_device.setdefault(device, []).append(inode)
    found: set[tuple[int, int]] = set()
    for device, inodes in by_device.items():
        for i in range(0, len(inodes), CHUNK):
            chunk = inodes[i : i + CHUNK]
            sql = (
                "SELECT DISTINCT inode FROM entry INDEXED BY entry_inode WHERE device = ? "
                f"AND inode IN ({','.join('?' * len(chunk))}) AND +location_id = ?"
            )
            found.update((device, r[0]) for r in conn.execute(sql, (device, *chunk, location_id)))
    return found


# -- writing -------------------------------------------------------------------------------------
WAL_PAGES_BULK = 10_000  # ~40 MB of write-ahead log between automatic checkpoints during a walk
WAL_PAGES_DEFAULT = 1_000  # SQLite's own


def only_location(conn: sqlite3.Connection, location_id: int) -> bool:
    """Whether every entry in the library belongs to ``location_id`` (or there is none)."""
    return (
        conn.execute("SELECT NOT EXISTS (SELECT 1 FROM entry WHERE location_id != ?)", (location_id,)).fetchone()[0]
        == 1
    )


def set_aside_indexes(conn: sqlite3.Connection) -> None:
    """Drop the secondary indexes ``restore_indexes`` builds again (a first index of a library, while
    it inserts: the caller restores them when it ends or unwinds, and opening a library restores
    them after a crash)."""
    for name in DEFERRABLE_INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {name}")


def bulk_checkpoints(conn: sqlite3.Connection, on: bool) -> None:
    """While an index writes batch after batch (``on``), checkpoint the write-ahead log into the
    database every ~40 MB instead of every 4 MB; back to SQLite's default when off. A batch of
    thousands of rows dirties more than 4 MB of index pages, so every commit also ran a checkpoint
    (copy the pages, sync the database). A commit is as safe either way: the log survives a kill -9
    and is replayed; only what a power cut may take back (commits since the last checkpoint, WAL with
    ``synchronous=normal``) grows, and the job resumes from the state committed with its rows.
    A setting of the connection, not of the transaction."""
    conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_PAGES_BULK if on else WAL_PAGES_DEFAULT}")


def defer_reference_checks(conn: sqlite3.Connection) -> None:
    """Check ``parent_id`` references when the transaction commits, not per statement: a batch may
    point an entry at a folder it inserts only later."""
    conn.execute("PRAGMA defer_foreign_keys = ON")


def insert(conn: sqlite3.Connection, rows: Iterable[Sequence[Any]]) -> None:
    """Insert new entries: each row is ``(id, location_id, parent_id, *walk row)``."""
    conn.executemany(_INSERT, rows)


def insert_identified(conn: sqlite3.Connection, rows: Iterable[Sequence[Any]]) -> None:
    """Insert new files with their content: each row is ``(id, location_id, parent_id, *walk row,
    cas_id, mime)``; ``content_id`` points at the ``content_identity`` row of that cas_id."""
    conn.executemany(_INSERT_IDENTIFIED, rows)


def update(conn: sqlite3.Connection, rows: Iterable[Sequence[Any]]) -> None:
    """Rewrite stored entries: each row is ``(parent_id, *walk row, forget, id)``. With ``forget``
    true the content found earlier (cas_id, content_id, integrity hash, MIME) is cleared, to be
    identified again; otherwise it stays (a move, a changed mode or ctime)."""
    conn.executemany(_UPDATE, rows)


def move_subtree(conn: sqlite3.Connection, location_id: int, old: bytes, new: bytes) -> None:
    """Rewrite the paths of every entry below the folder ``old`` to sit below ``new`` instead."""
    lo, hi = subtree_bounds(old)
    below = conn.execute(
        "SELECT id, path FROM entry WHERE location_id = ? AND path > ? AND path < ?", (location_id, lo, hi)
    ).fetchall()
    cut = len(old)
    conn.executemany("UPDATE entry SET path = ? WHERE id = ?", [(new + bytes(p)[cut:], i) for i, p in below])


def delete_subtree(conn: sqlite3.Connection, location_id: int, entry_id: int, rel: bytes) -> None:
    """Delete the entry ``entry_id`` (at ``rel``) and everything below it."""
    lo, hi = subtree_bounds(rel)
    # descendants first, by path range: a deep subtree never relies on recursive FK cascades
    conn.execute("DELETE FROM entry WHERE location_id = ? AND path > ? AND path < ?", (location_id, lo, hi))
    conn.execute("DELETE FROM entry WHERE id = ?", (entry_id,))


def delete_many(conn: sqlite3.Connection, location_id: int, doomed: Sequence[tuple[int, bytes, int]]) -> int:
    """Delete the entries ``(id, path, kind)`` and, for folders, everything below them; returns
    how many rows went (subtrees included)."""
    before = count(conn, location_id)
    for _entry_id, path, kind in doomed:
        if kind == EntryKind.DIR:
            lo, hi = subtree_bounds(bytes(path))
            conn.execute("DELETE FROM entry WHERE location_id = ? AND path > ? AND path < ?", (location_id, lo, hi))
    conn.executemany("DELETE FROM entry WHERE id = ?", [(d[0],) for d in doomed])
    return before - count(conn, location_id)


# -- pending deletions: entries not seen again, removed once the walk is over --------------------
def add_pending_deletes(conn: sqlite3.Connection, job_id: int, kind: int, doomed: Sequence[tuple[int, bytes]]) -> None:
    """Record the entries ``(id, path)`` for deletion at the end of the job's walk, in its work list
    (items of ``kind``, ``seq`` = the entry id; recording one twice keeps the first)."""
    kind = int(kind)  # a plain int binds without an adapter look-up per row
    worklist.add(conn, job_id, [(i, kind, p) for i, p in doomed], ("seq", "kind", "src"), ignore_existing=True)


def pending_deletes(conn: sqlite3.Connection, job_id: int, kind: int, location_id: int) -> list[tuple[int, bytes, int]]:
    """``(id, path, kind)`` of the entries recorded by ``add_pending_deletes`` that still exist at the
    path recorded (a move since then took the entry elsewhere: it is no longer pending)."""
    return conn.execute(
        "SELECT e.id, e.path, e.kind FROM work_item w JOIN entry e ON e.id = w.seq AND e.path = w.src "
        "WHERE w.job_id = ? AND w.kind = ? AND e.location_id = ?",
        (job_id, kind, location_id),
    ).fetchall()


# -- folders whose children changed: their totals are recomputed after the walk -------------------
def add_changed_folders(conn: sqlite3.Connection, job_id: int, kind: int, folder_ids: Iterable[int]) -> None:
    """Record folders whose direct children changed, in the job's work list (items of ``kind`` with
    ``seq`` = minus the folder's id, so they never collide with a pending deletion's entry id;
    recording one twice keeps one)."""
    kind = int(kind)  # a plain int binds without an adapter look-up per row
    worklist.add(conn, job_id, [(-f, kind) for f in folder_ids], ("seq", "kind"), ignore_existing=True)


def stage_changed_folders(conn: sqlite3.Connection, job_name: str, kind: int) -> int:
    """Fill ``temp.idx_dirty`` (what ``aggregates.aggregate_changed`` recomputes) with the folders
    recorded by ``add_changed_folders`` in the work list of every job named ``job_name``; returns
    how many. Every such job's, not only the running one's: a run killed and never resumed, or one
    cancelled, committed changes whose folders nobody else would recompute."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS idx_dirty (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp.idx_dirty")
    return conn.execute(
        "INSERT OR IGNORE INTO temp.idx_dirty (id) SELECT -w.seq FROM work_item w "
        "WHERE w.kind = ? AND w.job_id IN (SELECT id FROM job WHERE name = ?)",
        (kind, job_name),
    ).rowcount


def forget_changed_folders(conn: sqlite3.Connection, job_name: str, kind: int, location_id: int) -> None:
    """Drop the recorded folders of ``location_id`` (and those whose entry is gone) from the work
    lists of every job named ``job_name``: its aggregation covered them."""
    conn.execute(
        "DELETE FROM work_item WHERE kind = ? AND job_id IN (SELECT id FROM job WHERE name = ?) "
        "AND NOT EXISTS (SELECT 1 FROM entry e WHERE e.id = -work_item.seq AND e.location_id != ?)",
        (kind, job_name, location_id),
    )

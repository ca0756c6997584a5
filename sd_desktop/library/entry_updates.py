"""Keeping the library's ``entry`` rows in step with what copy, move and delete did on disk.

Minimal on purpose: a file, folder or link placed gets an entry with its stat fields (content ids
stay empty until the indexer passes), a removed path loses its entry and everything below it. The
folders whose children changed are recomputed before ``record`` returns, with their ancestors,
by the indexer's set-based aggregation, so the browser and the sidebar show the right totals at
once, not after a re-index.

Which entry a path is: the location holding the path as its folder really is (symlinks in the
folders above it resolved, as the indexer stored them), the path's own last name kept as written.
So a file copied through a linked folder lands on the entry the indexer would give it, and a link
that was copied or removed is that link's entry, never its target's.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterable
from typing import NamedTuple

from sd_desktop import paths
from sd_desktop.enums import EntryKind
from sd_desktop.library.aggregates import aggregate_changed
from sd_desktop.library.locations import Located, locate_many


class Placed(NamedTuple):
    """A file, folder or link now at ``path`` (its ``lstat``): its entry is added or refreshed."""

    path: bytes
    st: os.stat_result


class Removed(NamedTuple):
    """Nothing is at ``path`` any more: its entry and those below it go."""

    path: bytes


def tracking(conn: sqlite3.Connection) -> bool:
    """Whether the library has any location, i.e. whether a change on disk can touch an entry
    (a job need not ``lstat`` what it placed when none can)."""
    return conn.execute("SELECT 1 FROM location LIMIT 1").fetchone() is not None


def record(conn: sqlite3.Connection, changes: Iterable[Placed | Removed]) -> list[int | None]:
    """Bring the entries in step with ``changes`` (applied in order), then recompute the totals of
    the folders that changed and of their ancestors, all in the caller's transaction.

    Returns, for each change, the id of the location whose entries it touched, or None for a path
    outside every location or a location's root itself (a root's entry belongs to the indexer)."""
    changes = list(changes)
    touched: list[int | None] = []
    marked = False
    for change, found in zip(changes, locate_many(conn, _as_stored(c.path for c in changes)), strict=True):
        if found is None or found.relative == b"":
            touched.append(None)
            continue
        if not marked:
            conn.execute(_DIRTY_TABLE)
            marked = True
        if isinstance(change, Placed):
            _upsert(conn, found, change.path, change.st)
        else:
            # two statements, each one search of the (location, path) index: with the two
            # conditions OR-ed, SQLite walks every entry of the location for each removed path
            conn.execute(_DELETE_BELOW, (found.location_id, *_below(found.relative)))
            conn.execute(_DELETE, (found.location_id, found.relative))
        conn.execute(_MARK_PARENT, (found.location_id, os.path.dirname(found.relative), int(EntryKind.DIR)))
        touched.append(found.location_id)
    if marked:
        _refresh_totals(conn)
    return touched


def _as_stored(paths_: Iterable[bytes]) -> list[bytes]:
    """Each path with the links in its folders resolved, its own name kept (see the module's doc)."""
    real_folders: dict[bytes, bytes] = {}  # for this call only: folders may be relinked between calls
    found = []
    for path in paths_:
        folder, name = os.path.split(path)
        real = real_folders.get(folder)
        if real is None:
            real = real_folders[folder] = os.path.realpath(folder)
        found.append(os.path.join(real, name))
    return found


def _below(rel: bytes) -> tuple[bytes, bytes]:
    """Bounds of the paths strictly below ``rel``: ``rel/`` <= path < ``rel0`` ("0" follows "/")."""
    return rel + b"/", rel + b"0"


_UPSERT = """
INSERT INTO entry (location_id, parent_id, path, name, kind, size, inode, device, mtime_ns, ctime_ns, mode,
                   hidden, link_target)
VALUES (?, (SELECT id FROM entry WHERE location_id = ? AND path = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (location_id, path) DO UPDATE SET
    kind = excluded.kind, size = excluded.size, inode = excluded.inode, device = excluded.device,
    mtime_ns = excluded.mtime_ns, ctime_ns = excluded.ctime_ns, mode = excluded.mode,
    link_target = excluded.link_target, cas_id = NULL, content_id = NULL, integrity_hash = NULL
"""
_DELETE = "DELETE FROM entry WHERE location_id = ? AND path = ?"
_EXISTS = "SELECT 1 FROM entry WHERE location_id = ? AND path = ?"
_DELETE_BELOW = "DELETE FROM entry WHERE location_id = ? AND path >= ? AND path < ?"
# the folders whose direct children changed in this transaction, per location (for the totals)
_DIRTY_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS entries_dirty (location_id INTEGER NOT NULL, id INTEGER NOT NULL, "
    "PRIMARY KEY (location_id, id))"
)
_MARK_PARENT = (
    "INSERT OR IGNORE INTO temp.entries_dirty (location_id, id) "
    "SELECT location_id, id FROM entry WHERE location_id = ? AND path = ? AND kind = ?"
)


def _upsert(conn: sqlite3.Connection, found: Located, path: bytes, st: os.stat_result) -> None:
    if _has_parent(conn, found):
        _write_row(conn, found, path, st)


def _has_parent(conn: sqlite3.Connection, found: Located) -> bool:
    """Make sure the folder holding ``found`` has an entry: folders placed by the job itself (``copy
    --mkpath``, a destination made on the way) that the index has not seen are added first, top
    down, so no entry is written without its parent (the next re-index would insert that path a
    second time). The root's own entry belongs to the indexer: a location not indexed yet has
    entries below a missing root, which its first index adopts. False when a folder on the way is
    gone or no longer a folder."""
    missing: list[bytes] = []
    folder = os.path.dirname(found.relative)
    while folder and conn.execute(_EXISTS, (found.location_id, folder)).fetchone() is None:
        missing.append(folder)
        folder = os.path.dirname(folder)
    for rel in reversed(missing):
        full = os.path.join(found.root, rel)
        try:
            st = os.lstat(full)
        except OSError:
            return False  # gone again: the re-index that follows sees what is there
        if not stat.S_ISDIR(st.st_mode):
            return False
        _write_row(conn, found._replace(relative=rel), full, st)
        conn.execute(_MARK_PARENT, (found.location_id, os.path.dirname(rel), int(EntryKind.DIR)))
    return True


def _write_row(conn: sqlite3.Connection, found: Located, path: bytes, st: os.stat_result) -> None:
    rel = found.relative
    name = os.path.basename(rel)
    link = None
    if stat.S_ISLNK(st.st_mode):
        try:
            link = os.readlink(path)
        except OSError:
            link = None
    conn.execute(
        _UPSERT,
        (
            found.location_id,
            found.location_id,
            os.path.dirname(rel),
            rel,
            paths.display(name),
            EntryKind.of_mode(st.st_mode),
            st.st_size if stat.S_ISREG(st.st_mode) else 0,
            st.st_ino,
            st.st_dev,
            st.st_mtime_ns,
            st.st_ctime_ns,
            st.st_mode,
            int(name.startswith(b".")),
            link,
        ),
    )


def _refresh_totals(conn: sqlite3.Connection) -> None:
    """Recompute the folders marked in ``temp.entries_dirty`` and their ancestors, location by
    location (``aggregate_changed`` reads its folders from ``temp.idx_dirty``)."""
    locations = [r[0] for r in conn.execute("SELECT DISTINCT location_id FROM temp.entries_dirty")]
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS idx_dirty (id INTEGER PRIMARY KEY)")
    for location_id in locations:
        conn.execute("DELETE FROM temp.idx_dirty")
        conn.execute(
            "INSERT INTO temp.idx_dirty (id) SELECT id FROM temp.entries_dirty WHERE location_id = ?", (location_id,)
        )
        aggregate_changed(conn, location_id)
    conn.execute("DELETE FROM temp.entries_dirty")

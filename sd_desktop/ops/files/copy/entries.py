"""Keeping the library's ``entry`` rows in step with what copy, move and delete did on disk.

Minimal on purpose: new entries get the stat fields (content ids stay empty until the indexer
passes), removed paths lose their rows and descendants. The folders whose children changed are
marked as it goes, and ``refresh_totals`` (called before the transaction commits) recomputes their
sizes and counts and those of their ancestors with the indexer's set-based aggregation: the
browser and the sidebar show the right totals at once, not after a re-index.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import stat
from dataclasses import dataclass

from sd_desktop import paths
from sd_desktop.enums import EntryKind
from sd_desktop.library.aggregates import aggregate_changed


@dataclass
class LocationRoot:
    id: int
    path: bytes


def load_locations(conn: sqlite3.Connection) -> list[LocationRoot]:
    _real_folder.cache_clear()  # folders may have been renamed or relinked since the last job
    return [LocationRoot(r[0], bytes(r[1])) for r in conn.execute("SELECT id, path FROM location")]


def locate(roots: list[LocationRoot], path: bytes) -> tuple[LocationRoot, bytes] | None:
    """(location, path relative to its root) for an absolute ``path`` inside a location."""
    real = os.path.join(_real_folder(os.path.dirname(path)), os.path.basename(path))
    best = None
    for root in roots:
        if paths.is_within(real, root.path) and (best is None or len(root.path) > len(best.path)):
            best = root
    if best is None:
        return None
    rel = os.path.relpath(real, best.path)
    return best, (b"" if rel == b"." else rel)


@functools.lru_cache(maxsize=4096)
def _real_folder(folder: bytes) -> bytes:
    return os.path.realpath(folder)


def _kind(mode: int) -> int:
    return EntryKind.of_mode(mode)


UPSERT = """
INSERT INTO entry (location_id, parent_id, path, name, kind, size, inode, device, mtime_ns, ctime_ns, mode,
                   hidden, link_target)
VALUES (?, (SELECT id FROM entry WHERE location_id = ? AND path = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (location_id, path) DO UPDATE SET
    kind = excluded.kind, size = excluded.size, inode = excluded.inode, device = excluded.device,
    mtime_ns = excluded.mtime_ns, ctime_ns = excluded.ctime_ns, mode = excluded.mode,
    link_target = excluded.link_target, cas_id = NULL, content_id = NULL, integrity_hash = NULL
"""


def upsert(conn: sqlite3.Connection, roots: list[LocationRoot], path: bytes, st: os.stat_result) -> int | None:
    """Insert (or refresh) the entry for ``path``; returns its location id, or None outside locations."""
    found = locate(roots, path)
    if found is None or found[1] == b"":
        return None
    root, rel = found
    name = os.path.basename(rel)
    parent = os.path.dirname(rel)
    link = None
    if stat.S_ISLNK(st.st_mode):
        try:
            link = os.readlink(path)
        except OSError:
            link = None
    conn.execute(
        UPSERT,
        (
            root.id,
            root.id,
            parent,
            rel,
            paths.display(name),
            _kind(st.st_mode),
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
    _mark_parent(conn, root.id, parent)
    return root.id


def remove(conn: sqlite3.Connection, roots: list[LocationRoot], path: bytes) -> int | None:
    """Remove the entry for ``path`` and everything below it; returns the location id touched."""
    found = locate(roots, path)
    if found is None or found[1] == b"":
        return None
    root, rel = found
    conn.execute(
        "DELETE FROM entry WHERE location_id = ? AND (path = ? OR (path >= ? AND path < ?))",
        (root.id, rel, rel + b"/", rel + b"0"),
    )
    _mark_parent(conn, root.id, os.path.dirname(rel))
    return root.id


def _mark_parent(conn: sqlite3.Connection, location_id: int, parent: bytes) -> None:
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS entries_dirty (location_id INTEGER NOT NULL, id INTEGER NOT NULL, "
        "PRIMARY KEY (location_id, id))"
    )
    conn.execute(
        "INSERT OR IGNORE INTO temp.entries_dirty (location_id, id) "
        "SELECT location_id, id FROM entry WHERE location_id = ? AND path = ? AND kind = ?",
        (location_id, parent, int(EntryKind.DIR)),
    )


def refresh_totals(conn: sqlite3.Connection) -> int:
    """Recompute the totals of the folders marked by ``upsert``/``remove`` in this transaction, and
    of their ancestors; returns how many folders were recomputed."""
    if conn.execute("SELECT 1 FROM sqlite_temp_master WHERE name = 'entries_dirty'").fetchone() is None:
        return 0
    recomputed = 0
    locations = [r[0] for r in conn.execute("SELECT DISTINCT location_id FROM temp.entries_dirty")]
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS idx_dirty (id INTEGER PRIMARY KEY)")
    for location_id in locations:
        conn.execute("DELETE FROM temp.idx_dirty")
        conn.execute(
            "INSERT INTO temp.idx_dirty (id) SELECT id FROM temp.entries_dirty WHERE location_id = ?", (location_id,)
        )
        recomputed += aggregate_changed(conn, location_id)[0]
    conn.execute("DELETE FROM temp.entries_dirty")
    return recomputed

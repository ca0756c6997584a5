"""Keeping the library's ``entry`` rows in step with what copy, move and delete did on disk.

Minimal on purpose: new entries get the stat fields (content ids stay empty until the indexer
passes), removed paths lose their rows and descendants. Folder totals are refreshed by a
follow-up indexer run when that job is available.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import stat
from dataclasses import dataclass

from sd_desktop import paths
from sd_desktop.library.models import EntryKind


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
    return root.id

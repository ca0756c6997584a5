"""Locations: folders the library tracks, with the totals people see in the sidebar.

Changes (add, set the index mode, remove) go through the peewee ``Location`` model on the library's
writer thread. Reads stay plain SQL on the ``sqlite3`` connection they are given: the window calls
them on reader connections of its own, and read-only commands such as ``location list`` should be
able to answer without importing peewee, a noticeable part of a command's start-up.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from sd_desktop import paths
from sd_desktop.library.light_reads import STATS_SQL

if TYPE_CHECKING:
    import peewee as pw

    from sd_desktop.library.library import Library
    from sd_desktop.library.reader import Reader


class LocationError(ValueError):
    """A path that cannot become (or be found as) a location."""


class LocationInfo(NamedTuple):
    """A location with its totals (a plain record: no ``dataclasses`` import for ``location list``)."""

    id: int
    path: str
    name: str
    entries: int
    files: int
    dirs: int
    symlinks: int
    total_bytes: int
    last_indexed: float | None
    index_mode: str

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "path": paths.display(self.path),
            "name": self.name,
            "entries": self.entries,
            "files": self.files,
            "dirs": self.dirs,
            "symlinks": self.symlinks,
            "total_bytes": self.total_bytes,
            "last_indexed": self.last_indexed,
            "index_mode": self.index_mode,
        }


def normalize(path: paths.PathLike) -> bytes:
    """Absolute, normalised raw bytes of ``path`` (symlinks in the path itself are resolved)."""
    return os.fsencode(os.path.realpath(os.fsencode(path)))


def add_location(
    lib: Library, path: paths.PathLike, name: str | None = None, index_mode: str = "content", rules: dict | None = None
) -> int:
    """Register ``path`` as a location; returns its id (the existing id if already one)."""
    check_index_mode(index_mode)
    raw = normalize(path)
    try:
        st = os.stat(raw)
    except FileNotFoundError:
        raise LocationError(f"no such folder: {paths.display(raw)}") from None
    except PermissionError:
        raise LocationError(f"permission denied: {paths.display(raw)}") from None
    if not os.path.isdir(raw):
        raise LocationError(f"not a folder: {paths.display(raw)}")
    existing = find_location(lib, raw, exact=True)
    if existing is not None:
        return existing
    for other_id, other_path in _all_paths(lib):
        if paths.is_within(raw, other_path):
            raise LocationError(
                f"{paths.display(raw)} is inside the location {paths.display(other_path)} (id {other_id})"
            )
        if paths.is_within(other_path, raw):
            raise LocationError(
                f"{paths.display(raw)} contains the location {paths.display(other_path)} (id {other_id}); "
                "remove that one first"
            )
    label = name or paths.display(os.path.basename(raw) or raw)
    from sd_desktop.library.models import Location  # peewee: only for a change

    insert = Location.insert(
        path=raw,
        name=label,
        device=st.st_dev,
        index_mode=index_mode,
        rules=json.dumps(rules or {}),
        created_at=time.time(),
    )
    return _write(lib, insert)


def _write(lib: Library, query: pw.Query) -> int:
    """Run a peewee ``query`` in a transaction of its own on the library's writer thread; returns the
    new row's id for an insert, the number of rows changed for an update or a delete.

    The query runs on ``lib.db`` by name rather than on the models' database proxy, which points at
    whichever library was opened last in this process."""
    return lib.write_sync(lambda _conn: query.execute(lib.db))


INDEX_MODES = ("shallow", "content", "deep")


def check_index_mode(mode: str) -> str:
    if mode not in INDEX_MODES:
        raise LocationError(f"unknown index mode {mode!r} (one of: {', '.join(INDEX_MODES)})")
    return mode


def set_index_mode(lib: Library, location_id: int, mode: str) -> None:
    """How the app indexes this location from now on (the next index run uses it)."""
    check_index_mode(mode)
    from sd_desktop.library.models import Location  # peewee: only for a change

    if not _write(lib, Location.update(index_mode=mode).where(Location.id == location_id)):
        raise LocationError(f"no location with id {location_id}")


def index_mode_of(lib: Library, location_id: int) -> str:
    """The location's index mode ("content" for a location that is gone)."""
    row = lib.read_sync(
        lambda conn: conn.execute("SELECT index_mode FROM location WHERE id = ?", (location_id,)).fetchone()
    )
    return row[0] if row and row[0] in INDEX_MODES else "content"


def remove_location(lib: Library, location_id: int) -> None:
    """Forget a location and its entries (files on disk are untouched)."""
    from sd_desktop.library.models import Location  # peewee: only for a change

    _write(lib, Location.delete().where(Location.id == location_id))


def _all_paths(lib: Library) -> list[tuple[int, bytes]]:
    return lib.read_sync(lambda conn: [(r[0], bytes(r[1])) for r in conn.execute("SELECT id, path FROM location")])


def find_location(lib: Library, path: paths.PathLike, exact: bool = False) -> int | None:
    """The id of the location that is (or, unless ``exact``, contains) ``path``."""
    raw = normalize(path)
    best: tuple[int, int] | None = None
    for loc_id, loc_path in _all_paths(lib):
        if loc_path == raw or (not exact and paths.is_within(raw, loc_path)):
            if best is None or len(loc_path) > best[1]:
                best = (loc_id, len(loc_path))
    return best[0] if best else None


class Located(NamedTuple):
    """Where a path sits in the library (see ``locate``)."""

    location_id: int
    relative: bytes  # the path below the location's root, as ``entry.path`` stores it; b"" for the root
    root: bytes  # the location's root folder, as ``location.path`` stores it


def locate(conn: sqlite3.Connection, path: paths.PathLike) -> Located | None:
    """Which location holds ``path``: the location whose root is ``path`` or one of its parent
    folders (the deepest one, should roots ever nest), with ``path`` relative to that root; None
    when no location holds it.

    ``path`` is taken as written: made absolute and normalised lexically (``a/./b``, ``a/../b``,
    doubled slashes), but symlinks are NOT resolved, so a folder browsed through a link stays the
    path the user sees. Pass ``normalize(path)`` to resolve symlinks first (``find_location`` does).
    A root equal to a path only by prefix (``/data/photos2`` for the root ``/data/photos``) does
    not hold it. ``relative`` is the ``entry.path`` the indexer stores for ``path``, whether or not
    that entry exists yet. Reads ``conn`` only (any connection: a reader of its own, or the one
    ``Library.read_sync`` hands over)."""
    return locate_many(conn, [path])[0]


def locate_many(conn: sqlite3.Connection, paths_: Iterable[paths.PathLike]) -> list[Located | None]:
    """``locate`` of each of ``paths_``, reading the locations once (for batches of paths)."""
    roots = [(loc_id, bytes(root)) for loc_id, root in conn.execute("SELECT id, path FROM location")]
    found: list[Located | None] = []
    for path in paths_:
        raw = os.path.normpath(os.path.abspath(os.fsencode(path)))
        best: tuple[int, bytes] | None = None
        for loc_id, root in roots:
            if paths.is_within(raw, root) and (best is None or len(root) > len(best[1])):
                best = (loc_id, root)
        if best is None:
            found.append(None)
        else:
            loc_id, root = best
            found.append(Located(loc_id, b"" if raw == root else os.path.relpath(raw, root), root))
    return found


def root_of(conn: sqlite3.Connection, location_id: int) -> bytes | None:
    """The location's root folder as ``location.path`` stores it (raw bytes), or None if there is none."""
    row = conn.execute("SELECT path FROM location WHERE id = ?", (location_id,)).fetchone()
    return bytes(row[0]) if row else None


def set_last_indexed(conn: sqlite3.Connection, location_id: int, when: float) -> None:
    """Record when an index run over the location finished, in the caller's transaction on ``conn``
    (the statement is the ``Location`` model's, run on that connection)."""
    from sd_desktop.library.models import Location  # peewee: only for a change

    sql, params = Location.update(last_indexed=when).where(Location.id == location_id).sql()
    conn.execute(sql, params)


def location_path(lib: Library, location_id: int) -> Path:
    row = lib.read_sync(lambda conn: conn.execute("SELECT path FROM location WHERE id = ?", (location_id,)).fetchone())
    if row is None:
        raise LocationError(f"no location with id {location_id}")
    return paths.to_path(bytes(row[0]))


def list_locations(lib: Library | Reader | None = None, conn: sqlite3.Connection | None = None) -> list[LocationInfo]:
    """Every location with its totals (files = regular files; dirs exclude the root)."""

    def query(c: sqlite3.Connection) -> list[LocationInfo]:
        return [
            LocationInfo(
                id=r[0],
                path=os.fsdecode(bytes(r[1])),
                name=r[2],
                last_indexed=r[3],
                index_mode=r[4],
                entries=r[5],
                files=r[6],
                dirs=r[7],
                symlinks=r[8],
                total_bytes=r[9],
            )
            for r in c.execute(STATS_SQL)
        ]

    if conn is not None:
        return query(conn)
    assert lib is not None
    return lib.read_sync(query)

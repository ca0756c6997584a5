"""Files with content in a scope, read in entry-id order: what the thumbnail job walks.

A scope is every regular file the indexer identified (an entry with a ``content_id``) in the whole
library, in one location, or at or below one path of a location. Rows come in entry-id order a
bounded number at a time, so a job that keeps the last id it finished as its cursor resumes where it
stopped, and memory stays the same whatever the size of the library.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from sd_desktop import paths
from sd_desktop.enums import EntryKind
from sd_desktop.library.locations import LocationError, normalize
from sd_desktop.library.volumes import split_address


class ContentFile(NamedTuple):
    """An entry as the thumbnail job needs it; ``path`` is relative to its location's root."""

    id: int
    location_id: int
    path: bytes
    size: int
    content_id: int | None
    cas_id: str | None
    mime: str | None


@dataclass(frozen=True)
class Scope:
    """The whole library (no location), a location, or what is at or below ``below`` in it."""

    location_id: int | None = None
    below: bytes = b""  # relative to the location's root; b"" is the whole location
    empty: bool = False  # a location and a path of another location: nothing is in both


# the path comes back as bytes whatever it was stored as, so rows become ContentFile as they are
_SELECT = (
    "SELECT e.id, e.location_id, CAST(e.path AS BLOB), e.size, e.content_id, ci.cas_id, e.mime "
    "FROM entry e LEFT JOIN content_identity ci ON ci.id = e.content_id"
)


def scope(conn: sqlite3.Connection, location_id: int | None = None, path: paths.PathLike | None = None) -> Scope:
    """The scope of a location and/or a path; raises ``LocationError`` for an unknown one.

    A path belongs to the innermost location holding it."""
    roots = location_roots(conn)
    if location_id is not None and location_id not in roots:
        raise LocationError(f"no location with id {location_id}")
    if path is None:
        return Scope(location_id)
    remote = _remote_scope(roots, os.fsencode(path))
    if remote is not None:
        return Scope(remote[0], remote[1], empty=location_id is not None and location_id != remote[0])
    raw = normalize(path)
    found: tuple[int, bytes] | None = None
    for loc_id, loc_path in roots.items():
        if paths.is_within(raw, loc_path) and (found is None or len(loc_path) > len(found[1])):
            found = (loc_id, loc_path)
    if found is None:
        raise LocationError(f"{paths.display(raw)} is not in any location of this library; index it first")
    below = b"" if raw == found[1] else os.path.relpath(raw, found[1])
    return Scope(found[0], below, empty=location_id is not None and location_id != found[0])


def _remote_scope(roots: dict[int, bytes], raw: bytes) -> tuple[int, bytes] | None:
    """``(location id, path below it)`` for ``NAME:/path`` on a volume (a remote location's root has
    that form too: such paths are compared as text, never resolved on the local disk)."""
    if split_address(raw.decode("utf-8", "replace")) is None:
        return None
    found: tuple[int, bytes] | None = None
    for loc_id, root in roots.items():
        top = root.rstrip(b"/")
        if (raw.rstrip(b"/") == top or raw.startswith(top + b"/")) and (found is None or len(top) > len(found[1])):
            found = (loc_id, top)
    if found is None:
        return None
    return found[0], raw.rstrip(b"/")[len(found[1]) :].strip(b"/")


def _where(sc: Scope) -> tuple[str, list]:
    where, args = f"e.kind = {int(EntryKind.FILE)} AND e.content_id IS NOT NULL", []
    if sc.empty:
        where += " AND 0"
    if sc.location_id is not None:
        where += " AND e.location_id = ?"
        args.append(sc.location_id)
        if sc.below:
            # the entry itself or anything below it; a range on the (location_id, path) index
            where += " AND (e.path = ? OR (e.path >= ? AND e.path < ?))"
            args += [sc.below, sc.below + b"/", sc.below + b"0"]  # '0' is the byte after '/'
    return where, args


def totals(conn: sqlite3.Connection, sc: Scope) -> tuple[int, int]:
    """How many files the scope holds and their bytes."""
    where, args = _where(sc)
    n, size = conn.execute(f"SELECT COUNT(*), COALESCE(SUM(e.size), 0) FROM entry e WHERE {where}", args).fetchone()
    return n, size


def after(conn: sqlite3.Connection, sc: Scope, entry_id: int, limit: int) -> list[ContentFile]:
    """The first ``limit`` files of the scope whose id is above ``entry_id``, by id."""
    where, args = _where(sc)
    return _read(conn, f"{_SELECT} WHERE {where} AND e.id > ? ORDER BY e.id LIMIT ?", [*args, entry_id, limit])


def among(conn: sqlite3.Connection, sc: Scope, entry_ids: Iterable[int]) -> list[ContentFile]:
    """The files of the scope among ``entry_ids``, by id."""
    where, args = _where(sc)
    return _read_ids(conn, f"{_SELECT} WHERE {where} AND", args, entry_ids)


def by_id(conn: sqlite3.Connection, entry_ids: Iterable[int]) -> list[ContentFile]:
    """The entries of these ids, whatever their kind or content, by id."""
    return _read_ids(conn, f"{_SELECT} WHERE", [], entry_ids)


def location_roots(conn: sqlite3.Connection) -> dict[int, bytes]:
    """Every location's id and root folder (raw bytes), to turn an entry's path into a full one."""
    return {r[0]: bytes(r[1]) for r in conn.execute("SELECT id, path FROM location")}


# ids per "IN (...)" query: well below SQLite's limit on bound parameters
CHUNK = 1000


def _read_ids(conn: sqlite3.Connection, head: str, args: list, entry_ids: Iterable[int]) -> list[ContentFile]:
    ids = sorted(set(entry_ids))
    out: list[ContentFile] = []
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        marks = ",".join("?" * len(chunk))
        out += _read(conn, f"{head} e.id IN ({marks}) ORDER BY e.id", [*args, *chunk])
    return out


def _read(conn: sqlite3.Connection, sql: str, args: list) -> list[ContentFile]:
    # _make takes each row tuple whole: a job reads thousands of rows per batch
    return list(map(ContentFile._make, conn.execute(sql, args)))

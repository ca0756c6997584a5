"""Reads for browsing the library: one folder's children sorted and filtered in SQL, the content
ids of paths, and the thumbnail files of content ids.

Browsers (the window's models) call these on read connections of their own (WAL readers, see
``Library.connect_reader``) from worker threads; nothing here writes or imports Qt. Rows are plain
tuples (see ``Row``): a folder can hold 100,000 of them, and tuples of strings and numbers cost
the garbage collector nothing.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum

from sd_desktop import paths
from sd_desktop.enums import EntryKind
from sd_desktop.library.locations import locate

KIND_DIR = EntryKind.DIR.value
KIND_FILE = EntryKind.FILE.value

# A listed child: (entry id or None, name, absolute raw path, kind, size, mtime_ns, hidden,
# content id or None, MIME or None, child count or None); a folder's size is the indexer's total
# of the files below it. The R_* numbers index it.
Row = tuple
R_ID, R_NAME, R_PATH, R_KIND, R_SIZE, R_MTIME, R_HIDDEN, R_CONTENT, R_MIME, R_CHILDREN = range(10)


class SortKey(IntEnum):
    NAME = 0
    SIZE = 1
    KIND = 2
    MODIFIED = 3


_SQL_KEYS = {
    SortKey.NAME: ("e.name COLLATE NOCASE",),
    SortKey.SIZE: ("(CASE WHEN e.kind = 1 THEN e.aggregate_size ELSE e.size END)",),
    SortKey.KIND: ("e.kind", "e.mime"),
    SortKey.MODIFIED: ("e.mtime_ns",),
}


@dataclass(frozen=True)
class FolderTarget:
    """What a path resolves to: a library folder entry, or a plain folder (not in the library)."""

    path: bytes  # absolute, raw
    location_id: int | None = None
    location_root: bytes | None = None
    entry_id: int | None = None

    @property
    def in_library(self) -> bool:
        return self.entry_id is not None

    @property
    def display(self) -> str:
        return paths.display(self.path)


def resolve_folder(conn: sqlite3.Connection, path: paths.PathLike) -> FolderTarget:
    """Map an absolute folder path to its library entry when an indexed location holds it."""
    raw = os.path.normpath(os.path.abspath(os.fsencode(path)))
    found = locate(conn, raw)
    if found is None:
        return FolderTarget(raw)
    row = conn.execute(
        "SELECT id FROM entry WHERE location_id = ? AND path = ? AND kind = 1", (found.location_id, found.relative)
    ).fetchone()
    return FolderTarget(raw, found.location_id, found.root, row[0] if row else None)


def _like_escape(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class FolderListing:
    """The children of a library folder, folders first, then by ``key`` (then by id, or with
    ``name_ties`` by name and path, the order ``ops.files.disk_listing.arrange`` gives), optionally
    without hidden entries and filtered by a name substring (case-insensitive for ASCII, as LIKE)."""

    def __init__(
        self,
        target: FolderTarget,
        key: SortKey = SortKey.NAME,
        descending: bool = False,
        filter_text: str = "",
        show_hidden: bool = False,
        name_ties: bool = False,
    ):
        if not target.in_library:
            raise ValueError(f"{target.display} is not a folder of the library")
        where = ["e.parent_id = ?"]
        self._args: list = [target.entry_id]
        if not show_hidden:
            where.append("e.hidden = 0")
        if filter_text:
            where.append("e.name LIKE ? ESCAPE '\\'")
            self._args.append(_like_escape(filter_text))
        clause = " AND ".join(where)
        direction = "DESC" if descending else "ASC"
        ties = ("e.name", "e.path") if name_ties else ("e.id",)
        keys = ", ".join(f"{k} {direction}" for k in (*_SQL_KEYS[SortKey(key)], *ties))
        self._rows_sql = (
            "SELECT e.id, e.name, e.path, e.kind, CASE WHEN e.kind = 1 THEN e.aggregate_size ELSE e.size END, "
            "e.mtime_ns, e.hidden, e.content_id, e.mime, e.child_count "
            f"FROM entry e WHERE {clause} ORDER BY (e.kind = 1) DESC, {keys}"
        )
        self._count_sql = f"SELECT COUNT(*) FROM entry e WHERE {clause}"
        self._root = target.location_root or b""

    def _build(self, r: tuple) -> Row:
        return (r[0], r[1], os.path.join(self._root, bytes(r[2])), r[3], r[4], r[5], bool(r[6]), r[7], r[8], r[9])

    def first(self, conn: sqlite3.Connection, limit: int) -> list[Row]:
        """The first ``limit`` rows. SQLite keeps only the top rows while sorting, so this returns
        before the whole folder is sorted: the first screenful paints at once."""
        build = self._build
        return [build(r) for r in conn.execute(f"{self._rows_sql} LIMIT ?", (*self._args, limit))]

    def count(self, conn: sqlite3.Connection) -> int:
        return conn.execute(self._count_sql, self._args).fetchone()[0]

    def batches(self, conn: sqlite3.Connection, offset: int, size: int) -> Iterator[list[Row]]:
        """The rows from ``offset`` on, ``size`` at a time; the last batch is shorter than ``size``
        (possibly empty). Closing the iterator early closes its cursor."""
        build = self._build
        cur = conn.execute(f"{self._rows_sql} LIMIT -1 OFFSET ?", (*self._args, offset))
        try:
            while True:
                batch = cur.fetchmany(size)
                yield [build(r) for r in batch]
                if len(batch) < size:
                    return
        finally:
            cur.close()


def content_ids(conn: sqlite3.Connection, files: list[bytes]) -> dict[bytes, int]:
    """The content id of each of ``files`` (absolute raw paths) that the library indexed with
    content; paths outside every location, not indexed yet or without content are left out."""
    found: dict[bytes, int] = {}
    for raw in files:
        where = locate(conn, raw)
        if where is None:
            continue
        row = conn.execute(
            "SELECT content_id FROM entry WHERE location_id = ? AND path = ?", (where.location_id, where.relative)
        ).fetchone()
        if row and row[0] is not None:
            found[raw] = row[0]
    return found


def thumbnail_files(
    conn: sqlite3.Connection, content_ids: list[int], variant: str, sidecar_dir: paths.PathLike
) -> list[tuple[int, bytes]]:
    """(content id, absolute raw path of its ``variant`` thumbnail) for the ids that have one
    recorded (the file itself may be gone: the caller decodes it and finds out)."""
    if not content_ids:
        return []
    marks = ",".join("?" * len(content_ids))
    base = os.fsencode(sidecar_dir)
    rows = conn.execute(
        f"SELECT content_id, path FROM sidecar WHERE variant = ? AND content_id IN ({marks})", (variant, *content_ids)
    )
    return [(cid, os.path.join(base, os.fsencode(rel))) for cid, rel in rows]


def known_children(conn: sqlite3.Connection, entry_id: int) -> list[tuple]:
    """What the library holds of a folder's children, to merge into a listing of the disk:
    ``(path, id, kind, size, aggregate_size, mtime_ns, content_id, mime, child_count)`` each."""
    return conn.execute(
        "SELECT path, id, kind, size, aggregate_size, mtime_ns, content_id, mime, child_count "
        "FROM entry WHERE parent_id = ?",
        (entry_id,),
    ).fetchall()


def content_kinds(
    conn: sqlite3.Connection, content_ids: list[int]
) -> dict[int, tuple[str, list[tuple[str | None, str | None]]]]:
    """For each content id: its cas_id and the (name, MIME) of the content and of every entry with it,
    so a caller can tell whether any of them is a picture."""
    found: dict[int, tuple[str, list[tuple[str | None, str | None]]]] = {}
    ids = list(dict.fromkeys(content_ids))
    for i in range(0, len(ids), 500):  # below SQLite's limit on bound parameters
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for cid, cas_id, ci_mime, name, mime in conn.execute(
            "SELECT ci.id, ci.cas_id, ci.mime, e.name, e.mime FROM content_identity ci "
            f"LEFT JOIN entry e ON e.content_id = ci.id WHERE ci.id IN ({marks})",
            chunk,
        ):
            kinds = found.setdefault(cid, (cas_id, [(None, ci_mime)]))[1]
            kinds.append((name, mime))
    return found

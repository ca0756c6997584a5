"""One folder as it is on disk, with what the library knows of it.

The window lists every folder the same way: ``os.scandir`` of that one folder (``volumes.listing``),
so a file copied in from outside shows at once whether or not the folder is in a location. When a
location holds the folder, each child is enriched from the library's rows of the same name: its
entry id, a folder's total size and item count, and a file's content id and MIME (only while its
size and modification time are still the ones indexed: otherwise they describe older bytes). The
listing also says whether the library's rows differ from the disk (``stale``), so the caller can
have them brought up to date (``ops.indexing.refresh``).

A scan must see the whole folder before it can sort it (100,000 children: most of a second), so
``indexed_first`` gives the first rows of an indexed folder as the library last saw them, in the
same order, to show while the disk is listed; the caller then edits them into the disk's truth.

Reads only (a reader connection of the caller's own, on a worker thread, through ``library.browse``);
no Qt.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from sd_desktop import paths
from sd_desktop.enums import EntryKind
from sd_desktop.library.browse import (
    KIND_DIR,
    R_KIND,
    R_MTIME,
    R_NAME,
    R_PATH,
    R_SIZE,
    FolderListing,
    FolderTarget,
    Row,
    SortKey,
    known_children,
    resolve_folder,
)
from sd_desktop.volumes.listing import scan_rows

KIND_FILE = EntryKind.FILE.value


@dataclass(frozen=True)
class DiskListing:
    """A folder's children (``browse.Row`` tuples, unsorted, hidden ones included)."""

    target: FolderTarget
    rows: list[Row]
    stale: bool  # a location holds the folder and its library rows differ from the disk


def resolve_shown(conn: sqlite3.Connection, path: paths.PathLike) -> FolderTarget:
    """``browse.resolve_folder`` of the folder a path shows: a link to a folder is looked up where it
    leads (the library indexes links, not what they point to), but keeps the path it was opened by."""
    shown = os.path.normpath(os.path.abspath(os.fsencode(path)))
    real = os.path.realpath(shown)
    found = resolve_folder(conn, real)
    return FolderTarget(shown, found.location_id, found.location_root, found.entry_id)


def list_folder(conn: sqlite3.Connection, target: FolderTarget) -> DiskListing:
    """The children of ``target.path`` as listed now, enriched from the library (``ListingError``
    when the folder itself cannot be read)."""
    listed = scan_rows(target.path)
    known: dict[bytes, tuple] = {}
    if target.in_library:
        for r in known_children(conn, target.entry_id):
            known[bytes(r[0]).rpartition(b"/")[2]] = r
    stale = target.location_id is not None and not target.in_library  # in a location, not indexed yet
    rows: list[Row] = []
    append = rows.append
    basename = os.path.basename
    # rows are plain tuples, built in one pass (see ``volumes.listing.ListedRow``)
    for name, path, kind, size, mtime, _inode, hidden, _error in listed:
        k = known.pop(basename(path), None) if known else None
        if k is None or k[2] != kind:
            stale = stale or target.in_library
            append((None, name, path, kind, size, mtime, hidden, None, None, None))
        elif kind == KIND_DIR:
            append((k[1], name, path, kind, k[4] or 0, mtime, hidden, None, None, k[8]))
        elif kind == KIND_FILE and (k[3] != size or k[5] != mtime):
            stale = True  # changed since it was indexed: its content id describes older bytes
            append((k[1], name, path, kind, size, mtime, hidden, None, None, None))
        else:
            append((k[1], name, path, kind, size, mtime, hidden, k[6], k[7], None))
    return DiskListing(target, rows, stale or bool(known))  # rows left in ``known``: gone from disk


def indexed_first(
    conn: sqlite3.Connection,
    target: FolderTarget,
    key: SortKey,
    descending: bool,
    filter_text: str,
    show_hidden: bool,
    limit: int,
) -> list[Row]:
    """The first ``limit`` rows of ``target`` as the library last indexed them, in ``arrange``'s
    order and shaped as ``list_folder`` shapes them, so the rows a scan finds unchanged compare
    equal. SQLite keeps only the top rows while sorting: this returns long before a scan of a
    large folder does. Empty when the library does not hold the folder, or when sorted by kind
    (``arrange`` orders kinds by extension, which SQL does not know: the first rows would differ)."""
    if not target.in_library or key is SortKey.KIND:
        return []
    listing = FolderListing(target, key, descending, filter_text, show_hidden, name_ties=True)
    rows = [
        (*r[:4], r[R_SIZE] or 0, *r[5:7], None, None, r[9]) if r[R_KIND] == KIND_DIR else (*r[:9], None)
        for r in listing.first(conn, limit)
    ]
    # SQL folds only ASCII case in names; ``arrange`` casefolds: the same order for ASCII names
    return arrange(rows, key, descending, filter_text, show_hidden)


def arrange(rows: list[Row], key: SortKey, descending: bool, filter_text: str, show_hidden: bool) -> list[Row]:
    """The rows to show: without hidden ones unless asked, those whose name holds ``filter_text``
    (case-insensitive), folders first, then by ``key`` (then by name)."""
    needle = filter_text.casefold()
    shown = [r for r in rows if (show_hidden or not r[6]) and (not needle or needle in r[R_NAME].casefold())]
    keyfn: Callable[[Row], object]
    if key is SortKey.SIZE:
        keyfn = lambda r: r[R_SIZE] or 0  # noqa: E731
    elif key is SortKey.KIND:
        keyfn = lambda r: (r[R_KIND], os.path.splitext(r[R_NAME])[1].lower())  # noqa: E731
    elif key is SortKey.MODIFIED:
        keyfn = lambda r: r[R_MTIME] or 0  # noqa: E731
    else:
        keyfn = lambda r: r[R_NAME].casefold()  # noqa: E731
    shown.sort(key=lambda r: (keyfn(r), r[R_NAME], r[R_PATH]), reverse=descending)
    shown.sort(key=lambda r: r[R_KIND] != KIND_DIR)  # stable: folders first, keeping the order inside
    return shown

"""What a validation looks at: the files on disk under the targets, paired with their library entries.

A target inside a location is compared with the entries stored for it (matched by the path
relative to the location root, raw bytes); a target outside every location is only checked on
its own (corruption checks), and says so once.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from sd_desktop import paths
from sd_desktop.library import Library
from sd_desktop.library.locations import find_location, location_path
from sd_desktop.ops.files import walker
from sd_desktop.ops.files.scan import ScanFilter, resolve_roots

ENTRY_COLUMNS = "path, size, mtime_ns, ctime_ns, inode, device, integrity_hash"
WALKERS = 1  # two walkers list no faster here: pairing the files with their entries is the bound


@dataclass(slots=True)
class Item:
    """One path to check. ``entry`` = (size, mtime_ns, ctime_ns, inode, device, integrity_hash) from the
    library, ``disk`` = (size, mtime_ns, ctime_ns, inode, device) as listed; either may be missing."""

    path: bytes
    entry: list | None
    disk: list | None
    indexed: bool
    hash_for_move: bool = False

    def pack(self) -> list:
        return [self.path, self.entry, self.disk, self.indexed, self.hash_for_move]

    @classmethod
    def unpack(cls, row: list) -> Item:
        return cls(*row)


@dataclass
class Listing:
    items: list[Item]
    unindexed_targets: list[bytes]


def _entries_below(conn: sqlite3.Connection, location_id: int, rel: bytes) -> dict[bytes, list]:
    if rel == b"":
        rows = conn.execute(
            f"SELECT {ENTRY_COLUMNS} FROM entry WHERE location_id = ? AND kind = 0", (location_id,)
        ).fetchall()
    else:
        # the subtree of rel as a BLOB range: rel itself, then rel/... ('0' is the byte after '/')
        rows = conn.execute(
            f"SELECT {ENTRY_COLUMNS} FROM entry WHERE location_id = ? AND kind = 0 "
            "AND (path = ? OR (path >= ? AND path < ?))",
            (location_id, rel, rel + b"/", rel + b"0"),
        ).fetchall()
    return {bytes(r[0]): list(r[1:]) for r in rows}


def list_items(
    lib: Library,
    targets: list[paths.PathLike],
    use_library: bool,
    want_moves: bool,
    on_error: Callable[[bytes, str], None],
    should_stop: Callable[[], bool] | None = None,
) -> Listing:
    items: list[Item] = []
    unindexed: list[bytes] = []
    flt = ScanFilter(include_empty=True)
    for root in resolve_roots(list(targets)):
        loc_id = find_location(lib, root) if use_library else None
        entries: dict[bytes, list] = {}
        loc_root = b""
        if loc_id is not None:
            loc_root = os.fsencode(location_path(lib, loc_id))
        elif use_library:
            unindexed.append(root)
        prefix = loc_root.rstrip(b"/") + b"/"
        cut = len(prefix)

        def read_entries(
            root: bytes = root, loc_id: int | None = loc_id, loc_root: bytes = loc_root, entries: dict = entries
        ) -> None:
            if loc_id is not None:
                rel = b"" if root == loc_root else os.path.relpath(root, loc_root)
                entries.update(lib.read_sync(lambda c: _entries_below(c, loc_id, rel)))

        # listed by a walker process (reading the library's entries meanwhile) while this thread pairs
        # the files with the entries
        listed = walker.walk_folders([root], flt, [], on_error, should_stop, meanwhile=read_entries, walkers=WALKERS)
        for files in listed:
            for info in files:
                entry = None
                if loc_id is not None:
                    # walk paths start with the (real) location root: slicing is relpath without its cost
                    rel = info.path[cut:] if info.path.startswith(prefix) else os.path.relpath(info.path, loc_root)
                    entry = entries.pop(rel, None)
                disk = [info.size, info.mtime_ns, info.ctime_ns, info.inode, info.device]
                items.append(Item(info.path, entry, disk, loc_id is not None))
        for rel_path, entry in entries.items():  # in the library, not found as a regular file
            items.append(Item(prefix + rel_path if rel_path else loc_root, entry, None, True))
    if want_moves:
        missing_sizes = {i.entry[0] for i in items if i.disk is None and i.entry[5]}
        for i in items:
            if i.indexed and i.entry is None and i.disk[0] in missing_sizes:
                i.hash_for_move = True
    items.sort(key=lambda i: i.path)
    return Listing(items, unindexed)

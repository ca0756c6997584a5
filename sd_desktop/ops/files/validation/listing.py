"""What a validation looks at: the files on disk under the targets, paired with their library entries.

A target inside a location is compared with the entries stored for it (matched by the path
relative to the location root, raw bytes); a target outside every location is only checked on
its own (corruption checks), and says so once.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sd_desktop import paths
from sd_desktop.library import Library, entry_listing
from sd_desktop.library.locations import find_location, location_path
from sd_desktop.ops.files import listing_processes
from sd_desktop.ops.files.file_listing import ScanFilter, resolve_roots
from sd_desktop.volumes.backend import LOCAL, VolumeBackend

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
    """The location's indexed files at or below ``rel``: path relative to its root -> (size, mtime_ns,
    ctime_ns, inode, device, integrity_hash)."""
    return {bytes(r[0]): list(r[1:]) for r in entry_listing.files_below(conn, location_id, rel)}


def list_items(
    lib: Library,
    targets: list[paths.PathLike],
    use_library: bool,
    want_moves: bool,
    on_error: Callable[[bytes, str], None],
    should_stop: Callable[[], bool] | None = None,
    backend: VolumeBackend = LOCAL,
) -> Listing:
    items: list[Item] = []
    unindexed: list[bytes] = []
    for root in resolve_roots(list(targets), backend):
        loc_id = find_location(lib, root) if use_library else None
        if loc_id is None and use_library:
            unindexed.append(root)
        items += _list_root(lib, root, loc_id, on_error, should_stop, backend)
    if want_moves:
        missing_sizes = {i.entry[0] for i in items if i.disk is None and i.entry[5]}
        for i in items:
            if i.indexed and i.entry is None and i.disk[0] in missing_sizes:
                i.hash_for_move = True
    items.sort(key=lambda i: i.path)
    return Listing(items, unindexed)


def _list_root(
    lib: Library,
    root: bytes,
    loc_id: int | None,
    on_error: Callable[[bytes, str], None],
    should_stop: Callable[[], bool] | None,
    backend: VolumeBackend = LOCAL,
) -> list[Item]:
    """The files below ``root`` paired with their entries (of location ``loc_id``), then the entries
    not found. The entries are read on a thread of their own while this one takes the walk's batches
    (a walker process lists); files are paired with them once they are in, which is faster than
    reading the entries first: the read and the walk overlap."""
    items: list[Item] = []
    loc_root = os.fsencode(location_path(lib, loc_id)) if loc_id is not None else b""
    prefix = loc_root.rstrip(b"/") + b"/"
    cut = len(prefix)
    indexed = loc_id is not None
    reader = _EntriesReader(lib, root, loc_id, loc_root)
    entries: dict[bytes, list] | None = None

    def pair(folders: list[listing_processes.Listed], entries: dict[bytes, list]) -> None:
        for folder in folders:
            for path, size, device, inode, mtime_ns, ctime_ns, _links, _ref in folder.rows():
                entry = None
                if indexed:
                    # walk paths start with the (real) location root: slicing is relpath without its cost
                    rel = path[cut:] if path.startswith(prefix) else os.path.relpath(path, loc_root)
                    entry = entries.pop(rel, None)
                items.append(Item(path, entry, [size, mtime_ns, ctime_ns, inode, device], indexed))

    held: list[listing_processes.Listed] = []  # listed before the entries were in
    flt = ScanFilter(include_empty=True)
    for batch in listing_processes.walk_listed(
        [root], flt, [], on_error, should_stop, meanwhile=reader.start, walkers=WALKERS, backend=backend
    ):
        if entries is None:
            held += batch
            if reader.is_alive():
                continue
            entries, batch, held = reader.result(), held, []
        pair(batch, entries)
    if entries is None:
        entries = reader.result()
        pair(held, entries)
    for rel_path, entry in entries.items():  # in the library, not found as a regular file
        items.append(Item(prefix + rel_path if rel_path else loc_root, entry, None, True))
    return items


class _EntriesReader(threading.Thread):
    """Reads the library's entries below a root (none outside a location) on its own thread; ``result``
    waits for them and raises what the read raised."""

    def __init__(self, lib: Library, root: bytes, loc_id: int | None, loc_root: bytes):
        super().__init__(name="sd-validate-entries", daemon=True)
        self.lib, self.root, self.loc_id, self.loc_root = lib, root, loc_id, loc_root
        self._entries: dict[bytes, list] = {}
        self._error: BaseException | None = None

    def run(self) -> None:
        try:
            if self.loc_id is not None:
                loc_id = self.loc_id
                rel = b"" if self.root == self.loc_root else os.path.relpath(self.root, self.loc_root)
                self._entries = self.lib.read_sync(lambda c: _entries_below(c, loc_id, rel))
        except BaseException as exc:  # handed to the walk's thread, which reports it as the job's failure
            self._error = exc

    def result(self) -> dict[bytes, list]:
        if self.ident is None:  # never started: the walk ended before it asked for anything
            self.start()
        self.join()
        if self._error is not None:
            raise self._error
        return self._entries

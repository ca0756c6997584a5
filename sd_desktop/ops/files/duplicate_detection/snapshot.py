"""Unchanged trees: a duplicate search that finds nothing changed since the last one with the same
settings takes that search's result as it was.

A search that completes without any error remembers, for its settings (mode, filters, search and
reference paths), a digest of each folder's listing and its result. A folder's digest covers every
wanted file the walk listed there, in the walk's order: its path and the ``lstat`` fields the hash
cache trusts (size, device, inode, mtime_ns, ctime_ns, links), so it changes whenever the cache would
re-hash a file of the folder, and whenever a file is added, removed or renamed there.

The next search with those settings compares each folder's digest as the walk lists it. When the
walk lists exactly the same folders with the same digests and no error, every file is one the hash
cache would answer unchanged, so the groups are the same ones: the stored result is taken without a
per-file look-up (the listing's files are not even unpacked). The first folder that differs ends the
comparison, and the search goes on as usual from what was listed so far.

The rule is the hash cache's own (see ``cache``): content rewritten in place gets a new ctime, which
no tool can set back, so a change never goes unseen. And nothing is deleted on the strength of a
result: the guarded delete checks every file again when it runs.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import msgpack
from blake3 import blake3

from sd_desktop.library import duplicate_snapshots

KEEP = 16  # searches remembered (settings that differ); the oldest go first
MAX_BYTES = 64 * 1024 * 1024  # a bigger result is not kept (it would cost more to store than to redo)
_ERRORS = "surrogateescape"  # result paths are ``str`` with undecodable bytes escaped
FORMAT = 1  # of the result: one written by another format is not taken


@dataclass
class Snapshot:
    folders: dict[bytes, bytes]  # folder path -> digest of its listing
    result: dict  # as ``save`` was given it (values given as bytes stay bytes: decoding them is the caller's)
    job_id: int | None
    created_at: float


def key_of(mode: str, filter_fields: list, roots: list[bytes], references: list[bytes]) -> bytes:
    """The settings a result depends on (roots and references resolved, as the walk takes them)."""
    return blake3(msgpack.packb([mode, filter_fields, roots, references])).digest()


def load(conn: sqlite3.Connection, key: bytes) -> Snapshot | None:
    """The snapshot of ``key``; None when there is none, or it is damaged or of another format."""
    stored = duplicate_snapshots.load(conn, key)
    if stored is None:
        return None
    try:
        by_folder = msgpack.unpackb(stored.folders, strict_map_key=False)
        kept = msgpack.unpackb(stored.result, unicode_errors=_ERRORS)
    except (ValueError, TypeError):  # a damaged row: as if there were none (the search runs in full)
        return None
    if not isinstance(by_folder, dict) or not isinstance(kept, dict) or kept.get("format") != FORMAT:
        return None  # damaged, or written by another version of the app
    return Snapshot(by_folder, kept, stored.job_id, stored.created_at)


def save(conn: sqlite3.Connection, key: bytes, folders: dict[bytes, bytes], result: dict, job_id: int) -> bool:
    """Remember ``result`` for ``key``; False when it is too big to keep (any older one is dropped)."""
    packed = msgpack.packb({**result, "format": FORMAT}, unicode_errors=_ERRORS)
    if len(packed) > MAX_BYTES:
        duplicate_snapshots.remove(conn, key)
        return False
    duplicate_snapshots.save(conn, key, msgpack.packb(folders), packed, job_id, keep=KEEP)
    return True


class Comparison:
    """A walk's folders checked against a snapshot as they come (``matches``), and the digests of the
    walk collected for the next snapshot (``folders``)."""

    def __init__(self, previous: Snapshot | None = None):
        self.previous = previous
        self.folders: dict[bytes, bytes] = {}
        self.same = previous is not None  # every folder so far is as it was

    def compare_with(self, previous: Snapshot | None) -> None:
        """Compare with ``previous`` from now on: only a walk not begun yet can be found unchanged."""
        self.previous = previous
        self.same = previous is not None and not self.folders

    def matches(self, path: bytes, digest: bytes) -> bool:
        """Record a folder; True while the walk is still the snapshot's."""
        self.folders[path] = digest
        if self.same and (self.previous is None or self.previous.folders.get(path) != digest):
            self.same = False
        return self.same

    def differ(self) -> None:
        """Something other than a folder's files differs (an error in the walk)."""
        self.same = False

    def unchanged(self) -> bool:
        """After the walk: exactly the snapshot's folders, each as it was."""
        return self.same and self.previous is not None and len(self.folders) == len(self.previous.folders)

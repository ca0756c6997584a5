"""Candidates for duplicate folders from one walk: a digest per folder of its shape, made bottom-up.

A folder's shape digest covers the names and sizes of its files (empty ones too) and the names and
shape digests of its sub-folders (empty ones too), so two folders with identical content always have
the same digest, and most folders that differ (another name, size, file or sub-folder) do not. It says
nothing about the bytes: every candidate is confirmed by ``content`` before anything is reported.

The walk is the duplicate search's own (``listing_processes``, symlinks never followed, FIFOs and
devices never opened), with every file listed: hidden ones, empty ones, none left out. A folder the
walk could not read completely, and every folder above it, is no candidate (its content is not
known); the walk reports the problem. Folders without a single file below them are no candidates
either: empty folders are what ``lint`` reports.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import msgpack
from blake3 import blake3

from sd_desktop.ops.files import listing_processes
from sd_desktop.ops.files.file_listing import ScanFilter
from sd_desktop.volumes.backend import LOCAL, VolumeBackend

DIGEST_BYTES = 16
WALKERS = 2
EVERY_FILE = ScanFilter(include_hidden=True, include_empty=True)


@dataclass(slots=True)
class _Folder:
    own: bytes  # digest of its files' names and sizes
    size: int  # bytes of its files, then (after ``_fold``) of everything below it
    files: int
    children: list[bytes] = field(default_factory=list)
    digest: bytes = b""


@dataclass
class Shapes:
    """The walk's outcome: the candidate groups (each sorted paths, shallowest groups first) with the
    size and file count of one member, and what was listed."""

    groups: list[tuple[list[bytes], int, int]]
    folders: int
    files: int


def _own_digest(rows: list[tuple]) -> bytes:
    entries = sorted((os.path.basename(r[0]), r[1]) for r in rows)
    return blake3(msgpack.packb(entries)).digest(length=DIGEST_BYTES)


def scan(
    roots: list[bytes],
    on_error: Callable[[bytes, str], None],
    should_stop: Callable[[], bool],
    on_listed: Callable[[int, int], None] | None = None,
    backend: VolumeBackend = LOCAL,
) -> Shapes:
    """Walk ``roots`` (folders, resolved and de-nested) and group their folders by shape (runs on a
    worker thread). ``on_listed(folders, files)`` is called after each batch the walk hands over."""
    folders: dict[bytes, _Folder] = {}
    errors: list[bytes] = []

    def error(path: bytes, message: str) -> None:
        errors.append(path)
        on_error(path, message)

    count = 0
    dirname = os.path.dirname
    listed = listing_processes.walk_listed(roots, EVERY_FILE, [], error, should_stop, walkers=WALKERS, backend=backend)
    for batch in listed:
        for folder in batch:
            rows = folder.rows()
            count += len(rows)
            folders[folder.path] = _Folder(_own_digest(rows), sum(r[1] for r in rows), len(rows))
            parent = folders.get(dirname(folder.path))
            if parent is not None:  # a parent is always listed before its sub-folders; a root has none
                parent.children.append(folder.path)
        if on_listed is not None:
            on_listed(len(folders), count)
    if should_stop():
        return Shapes([], len(folders), count)
    tainted = _tainted(folders, errors, set(roots))
    return Shapes(_fold(folders, tainted), len(folders), count)


def _tainted(folders: dict[bytes, _Folder], errors: list[bytes], roots: set[bytes]) -> set[bytes]:
    """Folders whose content is not completely known: one the walk met a problem in, and every one
    above it (up to its root)."""
    out: set[bytes] = set()
    for path in errors:
        p = path if path in folders else os.path.dirname(path)
        while p in folders and p not in out:
            out.add(p)
            if p in roots:
                break
            p = os.path.dirname(p)
    return out


def _fold(folders: dict[bytes, _Folder], tainted: set[bytes]) -> list[tuple[list[bytes], int, int]]:
    """Shape digests bottom-up (deepest folders first); the groups of two or more folders of one shape
    that hold at least one file and are not tainted."""
    basename = os.path.basename
    by_digest: dict[bytes, list[bytes]] = {}
    for path in sorted(folders, key=lambda p: p.count(b"/"), reverse=True):
        f = folders[path]
        subs = sorted((basename(c), folders[c].digest) for c in f.children)
        for c in f.children:
            f.size += folders[c].size
            f.files += folders[c].files
        f.digest = blake3(msgpack.packb([f.own, subs])).digest(length=DIGEST_BYTES)
        if f.files and path not in tainted:
            by_digest.setdefault(f.digest, []).append(path)
    groups = []
    for paths in by_digest.values():
        if len(paths) > 1:
            paths.sort()
            first = folders[paths[0]]
            groups.append((paths, first.size, first.files))
    # shallowest first: a group whose parents are confirmed together is then known to be implied
    groups.sort(key=lambda g: (min(p.count(b"/") for p in g[0]), -g[1], g[0][0]))
    return groups

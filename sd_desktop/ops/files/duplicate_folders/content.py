"""Confirming candidate folders: a fresh walk of each one and the full hash of every file in it.

A folder's content digest covers, recursively, every entry's name and what it is: a regular file
(any size, empty ones too) by the blake3 of all its bytes, a sub-folder (empty ones too) by its own
content digest, a symlink by its target text (never followed). FIFOs, sockets and devices are never
opened and are not content (as in the file search). Equal digests: identical content, byte for byte
(up to a blake3 collision). A file renamed, added, removed or changed by one byte anywhere changes
the digest.

The walk is this module's own (the backend's ``scandir`` + ``lstat``, every entry, hidden ones too): what the
shape walk listed is not trusted, since files may have changed since. A full hash comes from the
hash cache only when the file's identity, size, mtime and ctime all match this walk's ``lstat`` (the
cache's rule: see ``duplicate_detection.cache``); any other file is read whole, checked against the
walk before and after the read (``stages.open_checked``). A folder where anything cannot be read, or
changed while it was read, is not compared, and the problem is reported.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field

import msgpack
from blake3 import blake3

from sd_desktop.cas import HashInterrupted
from sd_desktop.library import Library, hash_cache
from sd_desktop.ops.files.duplicate_detection import cache, results
from sd_desktop.ops.files.duplicate_detection.stages import FileChanged, Pipeline, open_checked
from sd_desktop.ops.files.file_listing import FileInfo
from sd_desktop.ops.files.readahead import opened_ahead
from sd_desktop.volumes.backend import LOCAL, VolumeBackend

FILE, FOLDER, LINK = 0, 1, 2


class Unreadable(Exception):
    def __init__(self, path: bytes, message: str):
        super().__init__(message)
        self.path = path


@dataclass
class Walked:
    """One candidate folder as a fresh walk found it: each folder's entries as (name, kind, value),
    value a ``FileInfo``, a sub-folder's path or a link's target; folders in the walk's order."""

    root: bytes
    entries: dict[bytes, list[tuple[bytes, int, object]]] = field(default_factory=dict)
    files: list[FileInfo] = field(default_factory=list)
    folder_ids: set[tuple[int, int]] = field(default_factory=set)  # (device, inode) of every folder walked


def walk_folder(root: bytes, should_stop: Callable[[], bool], fs: VolumeBackend = LOCAL) -> Walked:
    """Every entry below ``root``, without following symlinks; ``Unreadable`` at the first problem."""
    out = Walked(root)
    try:
        st = fs.lstat(root)
    except OSError as exc:
        raise Unreadable(root, f"cannot read: {exc.strerror or exc}") from None
    out.folder_ids.add((st.st_dev, st.st_ino))
    todo = [root]
    while todo:
        if should_stop():
            raise HashInterrupted()
        folder = todo.pop()
        entries: list[tuple[bytes, int, object]] = []
        try:
            with fs.scandir(folder) as it:
                for entry in it:
                    st = entry.stat(follow_symlinks=False)
                    mode = st.st_mode
                    if stat.S_ISDIR(mode):
                        entries.append((entry.name, FOLDER, entry.path))
                        todo.append(entry.path)
                        out.folder_ids.add((st.st_dev, st.st_ino))
                    elif stat.S_ISREG(mode):
                        info = FileInfo(
                            entry.path, st.st_size, st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_nlink
                        )
                        entries.append((entry.name, FILE, info))
                        out.files.append(info)
                    elif stat.S_ISLNK(mode):
                        entries.append((entry.name, LINK, fs.readlink(entry.path)))
                    # FIFOs, sockets, devices: never opened, not content
        except OSError as exc:
            path = os.fsencode(exc.filename) if exc.filename else folder
            raise Unreadable(path, f"cannot read: {exc.strerror or exc}") from None
        out.entries[folder] = entries
    return out


class Confirmer:
    """Confirms candidate groups one at a time (on a worker thread); remembers the content digests of
    every folder it walked and the hashes it knows, for the groups that follow in this run. Collects
    the problems met (``errors``), the hash-cache rows of what it read (``cache_rows``) and counts."""

    def __init__(
        self,
        library: Library | None,  # None: every file read whole (the guard of a removal trusts no cache)
        should_stop: Callable[[], bool],
        on_bytes: Callable[[int], None] | None = None,
        backend: VolumeBackend = LOCAL,
    ):
        self.library, self.should_stop = library, should_stop
        self.fs = backend
        self.pipeline = Pipeline(deep=False, should_stop=should_stop, on_bytes=on_bytes, backend=backend)
        self.digests: dict[bytes, bytes | None] = {}  # folder -> content digest (None: not comparable)
        # folder -> digest of what its files are (device, inode): two names of the same files are one copy
        self.identities: dict[bytes, bytes] = {}
        self.hashes: dict[tuple[int, int], str] = {}
        self.errors: list[tuple[bytes, str]] = []
        self.cache_rows: list[hash_cache.Row] = []
        self.files_hashed = 0

    def take_cache_rows(self) -> list[hash_cache.Row]:
        rows, self.cache_rows = self.cache_rows, []
        return rows

    def take_errors(self) -> list[tuple[bytes, str]]:
        errors, self.errors = self.errors, []
        return errors

    def confirm(self, paths: list[bytes]) -> list[list[bytes]]:
        """The sub-groups of ``paths`` (two or more folders each, sorted) whose content is identical."""
        walked = []
        for path in paths:
            if path in self.digests:
                continue
            try:
                walked.append(walk_folder(path, self.should_stop, self.fs))
            except Unreadable as exc:
                self.errors.append((exc.path, f"not compared as a duplicate folder: {exc}"))
                self.digests[path] = None
        self._hash([info for w in walked for info in w.files])
        for w in walked:
            self._digest(w)
        by_digest: dict[bytes, dict[bytes, bytes]] = {}
        for path in sorted(paths):
            digest = self.digests.get(path)
            if digest is not None:
                # folders whose files are the very same inodes (hard links, ``cp -al``) are one copy, not
                # duplicates of each other: removing one frees nothing (FAULTS 2)
                by_digest.setdefault(digest, {}).setdefault(self.identities[path], path)
        return [sorted(g.values()) for g in by_digest.values() if len(g) > 1]

    def digest(self, path: bytes) -> tuple[bytes, set[tuple[int, int]]]:
        """The content digest of one folder as it is now, and the identities of every folder in it;
        ``Unreadable`` when some of it cannot be read."""
        walked = walk_folder(path, self.should_stop, self.fs)
        self._hash(walked.files)
        self._digest(walked)
        digest = self.digests.get(path)
        if digest is None:
            where, why = self.errors[-1] if self.errors else (path, "cannot be read whole")
            raise Unreadable(where, why.removeprefix("not compared as a duplicate folder: "))
        return digest, walked.folder_ids

    def _digest(self, walked: Walked) -> None:
        """Content digests of the walked folders, deepest first (a folder with a file that could not
        be hashed, and every folder above it, gets None)."""
        for folder in reversed(list(walked.entries)):  # the walk lists a folder before its sub-folders
            parts: list[list[object]] = []
            ids: list[list[object]] = []
            for name, kind, value in walked.entries[folder]:
                if kind == FILE:
                    assert isinstance(value, FileInfo)
                    got: object = self.hashes.get(value.identity)
                    ids.append([name, kind, list(value.identity)])
                elif kind == FOLDER:
                    assert isinstance(value, bytes)
                    got = self.digests.get(value)
                    ids.append([name, kind, self.identities.get(value, b"")])
                else:
                    got = value
                    ids.append([name, kind, value])
                if got is None:
                    self.digests[folder] = None
                    break
                parts.append([name, kind, got])
            else:
                parts.sort()
                ids.sort()
                self.digests[folder] = blake3(msgpack.packb(parts)).digest()
                self.identities[folder] = blake3(msgpack.packb(ids)).digest()

    def _hash(self, infos: list[FileInfo]) -> None:
        """Full hashes of ``infos`` into ``hashes``: from the hash cache where it holds this very file,
        else read whole (in inode order, opened ahead); a file that fails is left out, reported."""
        need = [i for i in infos if i.identity not in self.hashes]
        if not need:
            return
        library = self.library
        known = {} if library is None else library.read_sync(lambda c: cache.lookup(c, need).known)
        members = results.members(need)
        cache.apply_known(members, known)
        todo = []
        for m in members:
            if m.hash is not None:
                self.hashes[m.info.identity] = m.hash
            else:
                todo.append(m)
        todo.sort(key=lambda m: m.info.identity)  # close to on-disk order
        pipeline = self.pipeline
        fs = self.fs
        opened = opened_ahead(
            todo, lambda m: open_checked(m.info, fs), lambda m: (0, m.info.size), (FileChanged, OSError), backend=fs
        )
        with contextlib.closing(opened):
            for m, fd in opened:
                if self.should_stop():
                    raise HashInterrupted()
                try:
                    if not isinstance(fd, int):
                        raise fd
                    m.hash = pipeline.full(m.info, fd)
                except (FileChanged, OSError) as exc:
                    message = str(exc) if isinstance(exc, FileChanged) else (exc.strerror or str(exc))
                    self.errors.append((m.info.path, f"not compared as a duplicate folder: {message}"))
                    continue
                self.hashes[m.info.identity] = m.hash
                self.cache_rows.append(cache.member_row(m))
                self.files_hashed += 1

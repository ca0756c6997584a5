"""Listing only the regular files under search roots, for the duplicate search and validation: one
walk per root, never following symlinks.

Roots are resolved (``realpath``) and nested or repeated roots are dropped, so a path given twice or
``A`` together with ``A/sub`` lists every file once. Only regular files are listed: symlinks, FIFOs,
sockets and devices are never candidates (and never opened).

``listing_processes`` runs this same listing in helper processes; this module imports nothing heavy,
so such a process starts in milliseconds. (The indexer has a walk of its own: it records every kind
of entry, folders and symlinks too.)
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from blake3 import blake3

from sd_desktop import paths
from sd_desktop.volumes.backend import DIR_FLAGS, LOCAL, VolumeBackend

_DIR_FLAGS = DIR_FLAGS  # a folder opened to stat its files by name (module-level: replaceable, to try the by-path way)

DIGEST_BYTES = 16  # of a folder's listing (``digest_of``)


@dataclass(slots=True)
class FileInfo:
    """One regular file as the walk saw it (``path`` is absolute raw bytes)."""

    path: bytes
    size: int
    device: int
    inode: int
    mtime_ns: int
    ctime_ns: int
    nlink: int
    reference: bool = False

    @property
    def identity(self) -> tuple[int, int]:
        return (self.device, self.inode)


@dataclass
class ScanFilter:
    min_size: int = 0
    max_size: int | None = None
    extensions: tuple[bytes, ...] = ()  # lower-case, without the leading dot ("jpg", "tar.gz")
    include_hidden: bool = True
    include_empty: bool = False

    def lists_every_file(self) -> bool:
        """True when the walk lists every non-empty regular file it reaches (no name or size filter)."""
        return self.include_hidden and self.min_size <= 1 and self.max_size is None and not self.extensions

    def wants(self, name: bytes, size: int) -> bool:
        if size == 0 and not self.include_empty:
            return False
        if size < self.min_size or (self.max_size is not None and size > self.max_size):
            return False
        if self.extensions:
            low = name.lower()
            if not any(low.endswith(b"." + ext) for ext in self.extensions):
                return False
        return True


def filter_fields(flt: ScanFilter) -> list:
    """The filter as plain values (for a message, or a key)."""
    return [flt.min_size, flt.max_size, list(flt.extensions), flt.include_hidden, flt.include_empty]


def digest_of(packed: bytes) -> bytes:
    """A folder's digest: of its files as a walker packs them (msgpack of ``row_of`` tuples, in the
    walk's order). Equal digests, same listing (``duplicate_detection.snapshot``)."""
    return blake3(packed).digest(length=DIGEST_BYTES)


def normalize_extensions(exts: list[str]) -> tuple[bytes, ...]:
    out = []
    for ext in exts:
        e = ext.strip().lstrip(".").lower()
        if e:
            out.append(os.fsencode(e))
    return tuple(out)


def resolve_roots(roots: list[paths.PathLike], backend: VolumeBackend = LOCAL) -> list[bytes]:
    """Absolute real paths, without repeats and without roots nested in another root."""
    resolved = sorted({backend.realpath(os.fsencode(r)) for r in roots}, key=lambda p: (len(p), p))
    kept: list[bytes] = []
    for root in resolved:
        if not any(paths.is_within(root, k) for k in kept):
            kept.append(root)
    return sorted(kept)


def _list_dir(
    folder: bytes,
    in_ref: bool,
    flt: ScanFilter,
    references: list[bytes],
    on_error: Callable[[bytes, str], None],
    make: Callable[..., Any] | None = FileInfo,
    fs: VolumeBackend = LOCAL,
) -> tuple[list[Any], list[tuple[bytes, bool]]]:
    """The wanted regular files of one folder (each made by ``make`` from FileInfo's fields; None: the
    plain tuple of them) and its sub-folders (with their reference flag)."""
    files: list[Any] = []
    subdirs: list[tuple[bytes, bool]] = []
    # the default filter (non-empty files, any size and name) is one comparison: this loop runs per file
    any_nonempty = flt.min_size <= 1 and flt.max_size is None and not flt.extensions and not flt.include_empty
    skip_hidden = not flt.include_hidden
    stat_at = fs.stat
    try:
        it = fs.scandir(folder)
    except OSError as exc:
        on_error(folder, f"cannot list folder: {exc.strerror or exc}")
        return files, subdirs
    # each file is stat'ed relative to the folder, not by its whole path: the kernel resolves one name
    # instead of every folder above it (measurably faster: tests/perf/README.md)
    try:
        dir_fd: int | None = fs.open(folder, _DIR_FLAGS)
    except OSError:
        dir_fd = None  # listable but not openable (a race with a rename): by path
    with it:
        try:
            for entry in it:  # an error of the listing itself ends it (below); the per-entry ones are caught here
                if skip_hidden and entry.name.startswith(b"."):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        sub = entry.path
                        subdirs.append(
                            (sub, in_ref or (bool(references) and any(paths.is_within(sub, r) for r in references)))
                        )
                        continue
                    if not entry.is_file(follow_symlinks=False):
                        continue  # symlinks, FIFOs, sockets, devices
                    if dir_fd is None:
                        st = entry.stat(follow_symlinks=False)
                    else:
                        st = stat_at(entry.name, dir_fd=dir_fd, follow_symlinks=False)
                except OSError as exc:
                    if not isinstance(exc, FileNotFoundError):  # vanished mid-walk: not a problem
                        on_error(entry.path, f"cannot stat: {exc.strerror or exc}")
                    continue
                size = st.st_size
                if (size > 0) if any_nonempty else flt.wants(entry.name, size):
                    row = (entry.path, size, st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_nlink, in_ref)
                    files.append(row if make is None else make(*row))
        except OSError as exc:
            on_error(folder, f"error while listing folder: {exc.strerror or exc}")
        finally:
            if dir_fd is not None:
                fs.close(dir_fd)
    subdirs.sort()
    return files, subdirs


def _root_start(
    root: bytes,
    flt: ScanFilter,
    references: list[bytes],
    on_error: Callable[[bytes, str], None],
    fs: VolumeBackend = LOCAL,
) -> tuple[FileInfo | None, bool]:
    """A root that is a file yields that file; a folder root is walked (second value True)."""
    try:
        st = fs.lstat(root)
    except FileNotFoundError:
        on_error(root, "no such file or folder")
        return None, False
    except OSError as exc:
        on_error(root, f"cannot read: {exc.strerror or exc}")
        return None, False
    in_ref = any(paths.is_within(root, r) for r in references)
    if stat.S_ISREG(st.st_mode):
        return (_info(root, st, in_ref) if flt.wants(os.path.basename(root), st.st_size) else None), False
    return None, stat.S_ISDIR(st.st_mode)


def walk(
    roots: list[bytes],
    flt: ScanFilter,
    references: list[bytes],
    on_error: Callable[[bytes, str], None],
    should_stop: Callable[[], bool] | None = None,
    backend: VolumeBackend = LOCAL,
) -> Iterator[FileInfo]:
    """Every wanted regular file below ``roots`` (already resolved and de-nested), no recursion.

    One thread, on purpose: every ``stat`` releases the GIL, and threads walking together hand it round
    at each one, so several threads list a tree several times slower than one, warm or cold (to share
    a walk, ``listing_processes`` uses processes)."""
    for _folder, files in Walk(roots, flt, references, on_error, should_stop, backend=backend):
        yield from files


class Walk:
    """The walk as (folder, its wanted files) for every folder listed, also those without any (a root
    that is a file comes as (root, [that file])): for a caller whose loop per file is hot, no generator
    hop per file. Folders in ``skip`` were listed already: their files (and errors) are left out, their
    sub-folders are still walked. It can be handed over half-way: ``pending()`` are the
    roots and folders not listed yet, in the order the walk would take them, and walking those as roots
    lists exactly what the rest of this walk would (depth first, each folder's sub-folders in name
    order). Folders in ``prune`` are left out with everything below them."""

    def __init__(
        self,
        roots: list[bytes],
        flt: ScanFilter,
        references: list[bytes],
        on_error: Callable[[bytes, str], None],
        should_stop: Callable[[], bool] | None = None,
        skip: set[bytes] | frozenset[bytes] = frozenset(),
        rows: bool = False,  # files as plain tuples (``row_of``), not ``FileInfo``s
        prune: set[bytes] | frozenset[bytes] = frozenset(),
        backend: VolumeBackend = LOCAL,
    ):
        self.flt, self.references, self.on_error = flt, references, on_error
        self.backend = backend
        self.should_stop, self.skip, self.prune = should_stop, skip, prune
        self.make: Callable[..., Any] | None = None if rows else FileInfo
        # last popped first; in_ref None marks a root, which may be a file
        self._todo: list[tuple[bytes, bool | None]] = [(root, None) for root in reversed(roots)]

    def pending(self) -> list[bytes]:
        return [path for path, _in_ref in reversed(self._todo)]

    def split_off(self) -> list[bytes]:
        """About half of the folders not listed yet, taken out of this walk (for another walker to
        walk as roots): every other one, so big folders near the roots and small deep ones are shared."""
        if len(self._todo) < 2:
            return []
        given = self._todo[::2]  # the first is the one this walk would take last
        del self._todo[::2]
        return [path for path, _in_ref in reversed(given)]

    def __iter__(self) -> Iterator[tuple[bytes, list[FileInfo]]]:
        flt, references, skip, prune, todo = self.flt, self.references, self.skip, self.prune, self._todo
        fs = self.backend
        while todo:
            if self.should_stop is not None and self.should_stop():
                return
            folder, in_ref = todo.pop()
            if folder in prune:  # walked (or being walked) by someone else, sub-folders and all
                continue
            on_error = _ignore_error if folder in skip else self.on_error
            if in_ref is None:
                info, is_dir = _root_start(folder, flt, references, on_error, fs)
                if not is_dir:
                    if folder not in skip:
                        yield folder, [info if self.make is FileInfo else row_of(info)] if info is not None else []
                    continue
                in_ref = any(paths.is_within(folder, r) for r in references)
            files, subdirs = _list_dir(folder, in_ref, flt, references, on_error, self.make, fs)
            todo.extend(reversed(subdirs))  # before the yield: a caller stopping here finds them pending
            if folder not in skip:
                yield folder, files


def walk_threaded(
    roots: list[bytes],
    flt: ScanFilter,
    references: list[bytes],
    on_error: Callable[[bytes, str], None],
    should_stop: Callable[[], bool] | None = None,
    threads: int = 4,
    backend: VolumeBackend = LOCAL,
) -> Iterator[tuple[bytes, list[tuple]]]:
    """What ``Walk(..., rows=True)`` lists, folder by folder with each folder's files in the same order,
    but the folders in no set order: ``threads`` threads list folders at once. For a caller that
    compares folders (``duplicate_detection.unchanged``): cold, one thread waits for the disk at every
    ``stat``, and several requests in flight list a tree about twice as fast (tests/perf/README.md).
    ``on_error`` is called from those threads. Closed early, it waits for the folders being listed."""
    import queue  # not ``concurrent.futures``: it imports ``logging`` and more, paid by a cold start
    import threading

    todo: queue.SimpleQueue[tuple[bytes, bool] | None] = queue.SimpleQueue()
    done: queue.SimpleQueue[tuple[bytes, Any]] = queue.SimpleQueue()
    stopped: list[bool] = []

    def work() -> None:
        while True:
            item = todo.get()
            if item is None or stopped:
                return
            folder, in_ref = item
            try:
                done.put((folder, _list_dir(folder, in_ref, flt, references, on_error, None, backend)))
            except BaseException as exc:  # raised in the caller's thread
                done.put((folder, exc))

    workers = [threading.Thread(target=work, name="sd-walk", daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    try:
        outstanding = 0
        for root in roots:
            info, is_dir = _root_start(root, flt, references, on_error, backend)
            if not is_dir:
                yield root, [row_of(info)] if info is not None else []
                continue
            todo.put((root, any(paths.is_within(root, r) for r in references)))
            outstanding += 1
        while outstanding:
            if should_stop is not None and should_stop():
                return
            folder, listed = done.get()
            outstanding -= 1
            if isinstance(listed, BaseException):
                raise listed
            files, subdirs = listed
            for sub in subdirs:
                todo.put(sub)
            outstanding += len(subdirs)
            yield folder, files
    finally:
        stopped.append(True)  # the folders still queued are left; those being listed are waited for
        for _ in workers:
            todo.put(None)
        for worker in workers:
            worker.join()


def row_of(info: FileInfo) -> tuple:
    """A file as the plain tuple of its fields (what ``Walk(rows=True)`` lists; ``FileInfo(*row)``)."""
    return (info.path, info.size, info.device, info.inode, info.mtime_ns, info.ctime_ns, info.nlink, info.reference)


def _ignore_error(path: bytes, message: str) -> None:
    return None


def _info(path: bytes, st: os.stat_result, reference: bool) -> FileInfo:
    return FileInfo(path, st.st_size, st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_nlink, reference)

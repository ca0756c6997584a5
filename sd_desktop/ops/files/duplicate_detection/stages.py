"""The staged content comparison: most files are never read whole.

For size groups (files of equal size, one member per inode), each stage running over a whole batch
of groups at once, its files read on one thread in inode order (close to disk order) while the
next ones are already being fetched (``readahead``: many reads in flight is what makes a cold disk
fast, and threads would only fight over the GIL):

1. files up to ``WHOLE_LIMIT`` are hashed whole at once (one small read costs what a 16 KiB read
   does, and the result is a real full hash the cache can keep);
2. larger files: blake3 of the first 16 KiB, then of the last 16 KiB, splitting the group at each
   stage and dropping members left alone;
3. survivors get their full-content blake3, read with ``cas.full_hash_of_fd``;
4. ``deep`` mode compares the bytes of every remaining group against its first member.

Whatever the cache knows of an unchanged file (full hash, head and tail digests; set on the members
before ``resolve_many``) is used instead of reading, so an unchanged tree is settled without reads.

Every open re-checks the file against what the walk saw (regular file, same device/inode, size,
mtime and ctime) and again after reading: a file changed since it was listed is left out and
reported, never guessed about, and its hash never reaches the cache.
"""

from __future__ import annotations

import contextlib
import stat
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import blake3

from sd_desktop.cas import HashInterrupted
from sd_desktop.ops.files.file_listing import FileInfo
from sd_desktop.ops.files.readahead import opened_ahead
from sd_desktop.volumes.backend import LOCAL, READ_FLAGS, VolumeBackend

HEAD_SIZE = 16 * 1024
TAIL_SIZE = 16 * 1024
WHOLE_LIMIT = 64 * 1024
COMPARE_CHUNK = 1024 * 1024
REPORT_BYTES = 1024 * 1024  # progress goes out per this many bytes read
OPEN_FLAGS = READ_FLAGS


class FileChanged(Exception):
    """The file is not what the walk listed any more (replaced, rewritten, gone)."""

    def __init__(self, path: bytes, message: str):
        super().__init__(message)
        self.path = path


@dataclass
class Member:
    """One inode of a size group: its first name, the other names (hard links) and what is known."""

    info: FileInfo
    links: list[bytes] = field(default_factory=list)
    hash: str | None = None
    cached: bool = False  # ``hash`` came from the cache
    head: bytes | None = None  # blake3 of the first / last 16 KiB (large files), cached or read
    tail: bytes | None = None


@dataclass
class StageCounters:
    size_candidates: int = 0  # files (inodes) in groups of equal size
    whole_small: int = 0  # small files hashed whole in one read
    head_hashed: int = 0
    tail_hashed: int = 0
    full_hashed: int = 0
    cache_hits: int = 0
    byte_compared: int = 0

    def add(self, other: StageCounters) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def open_checked(info: FileInfo, fs: VolumeBackend = LOCAL) -> int:
    """Open without following symlinks or blocking on FIFOs, and make sure it is the listed file."""
    try:
        fd = fs.open(info.path, OPEN_FLAGS)
    except (FileNotFoundError, NotADirectoryError):  # NotADirectory: a folder above it is a file now
        raise FileChanged(info.path, "vanished since it was listed") from None
    try:
        st = fs.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) != (info.device, info.inode):
            raise FileChanged(info.path, "replaced by another file since it was listed")
        if (st.st_size, st.st_mtime_ns, st.st_ctime_ns) != (info.size, info.mtime_ns, info.ctime_ns):
            raise FileChanged(info.path, "modified since it was listed")
        fs.set_blocking(fd, True)
        return fd
    except BaseException:
        fs.close(fd)
        raise


def _unchanged_after(fd: int, info: FileInfo, fs: VolumeBackend) -> None:
    # ctime too: a rewrite with its mtime put back still moves ctime, and the cache keys on it
    st = fs.fstat(fd)
    if (st.st_size, st.st_mtime_ns, st.st_ctime_ns) != (info.size, info.mtime_ns, info.ctime_ns):
        raise FileChanged(info.path, "modified while it was being read")


class Pipeline:
    """Runs the stages for a batch of size groups (called on a worker thread); collects stage
    counters, per-file errors and the members it learned something about."""

    def __init__(
        self,
        deep: bool,
        should_stop: Callable[[], bool] | None = None,
        on_bytes: Callable[[int], None] | None = None,
        backend: VolumeBackend = LOCAL,
    ):
        self.deep = deep
        self.fs = backend
        self.should_stop = should_stop
        self.on_bytes = on_bytes or (lambda n: None)
        self.counters = StageCounters()
        self.errors: list[tuple[bytes, str]] = []
        self.bytes_read = 0
        self._unreported = 0
        self.learned: dict[tuple[int, int], Member] = {}  # members given a new hash, head or tail: for the cache

    # -- reads (each gets the file open and checked by ``open_checked``) ---------------------
    def _read_range(self, info: FileInfo, fd: int, offset: int, length: int) -> bytes:
        data = self.fs.pread(fd, length, offset)
        if len(data) != length:
            raise FileChanged(info.path, "shrank while it was being read")
        self._count_bytes(len(data))
        return data

    def _count_bytes(self, n: int) -> None:
        self.bytes_read += n
        self._unreported += n
        if self._unreported >= REPORT_BYTES:  # not per file: 10,000 small files would be 10,000 calls
            self._report_bytes()

    def _report_bytes(self) -> None:
        if self._unreported:
            self.on_bytes(self._unreported)
            self._unreported = 0

    def whole_small(self, info: FileInfo, fd: int) -> str:
        data = self.fs.pread(fd, info.size + 1, 0)  # one byte more: notices a file that grew
        _unchanged_after(fd, info, self.fs)
        if len(data) != info.size:
            raise FileChanged(info.path, "changed size while it was being read")
        self._count_bytes(len(data))
        return blake3.blake3(data).hexdigest()  # the same digest as cas.full_hash

    def full(self, info: FileInfo, fd: int) -> str:
        digest = self.fs.full_hash_of_fd(fd, self.should_stop)
        _unchanged_after(fd, info, self.fs)
        self._count_bytes(info.size)
        return digest

    def same_bytes(self, a: FileInfo, b: FileInfo) -> bool:
        fs = self.fs
        fa = open_checked(a, fs)
        try:
            fb = open_checked(b, fs)
            try:
                offset = 0
                while True:
                    if self.should_stop is not None and self.should_stop():
                        raise HashInterrupted()
                    x = fs.pread(fa, COMPARE_CHUNK, offset)
                    y = fs.pread(fb, COMPARE_CHUNK, offset)
                    if x != y:
                        return False
                    if not x:
                        break
                    offset += len(x)
                    self._count_bytes(2 * len(x))
                _unchanged_after(fa, a, fs)
                _unchanged_after(fb, b, fs)
                return offset == a.size
            finally:
                fs.close(fb)
        finally:
            fs.close(fa)

    # -- stages ----------------------------------------------------------------------------
    def _error(self, m: Member, exc: Exception) -> None:
        if isinstance(exc, FileChanged):
            self.errors.append((exc.path, f"left out of the duplicate search: {exc}"))
        else:
            self.errors.append((m.info.path, f"cannot read: {getattr(exc, 'strerror', None) or exc}"))

    def _keys(
        self,
        fn: Callable[[FileInfo, int], object],
        members: list[Member],
        span: Callable[[FileInfo], tuple[int, int]],
    ) -> dict[int, object]:
        """``fn`` over the members' open files (``span``: the bytes it reads, fetched ahead); failures
        are recorded and the member left out of the result."""
        # inode order is close to on-disk order on most file systems: fewer seeks on a cold disk
        members = sorted(members, key=lambda m: m.info.identity)
        keys: dict[int, object] = {}
        fs = self.fs
        opened = opened_ahead(
            members, lambda m: open_checked(m.info, fs), lambda m: span(m.info), (FileChanged, OSError), backend=fs
        )
        with contextlib.closing(opened):
            for m, fd in opened:
                if self.should_stop is not None and self.should_stop():
                    raise HashInterrupted()
                if not isinstance(fd, int):
                    self._error(m, fd)
                    continue
                try:
                    keys[id(m)] = fn(m.info, fd)
                except (FileChanged, OSError) as exc:
                    self._error(m, exc)
        self._report_bytes()
        return keys

    @staticmethod
    def _split(groups: list[list[Member]], attr: str) -> list[list[Member]]:
        """Split each group by the members' ``attr`` (hash, head or tail); drop members left alone and
        members without one (their read failed)."""
        out = []
        for members in groups:
            buckets: dict[object, list[Member]] = defaultdict(list)
            for m in members:
                k = getattr(m, attr)
                if k is not None:
                    buckets[k].append(m)
            out.extend(b for b in buckets.values() if len(b) > 1)
        return out

    def _fill(
        self,
        groups: list[list[Member]],
        attr: str,
        fn: Callable[[FileInfo, int], object],
        span: Callable[[FileInfo], tuple[int, int]],
    ) -> int:
        """Read ``attr`` for the members that do not know it yet; returns how many were read."""
        todo = [m for g in groups for m in g if getattr(m, attr) is None]
        keys = self._keys(fn, todo, span)
        for m in todo:
            k = keys.get(id(m))
            if k is not None:
                setattr(m, attr, k)
                self.learned[m.info.identity] = m
        return len(todo)

    def read_as_listed(
        self,
        candidates: Iterable[FileInfo],
        answered: Callable[[FileInfo], bool],
        keep: Callable[[list[tuple[tuple[int, int], FileInfo, bytes | str]]], None] | None = None,
        keep_every: float = 1.0,
    ) -> dict[tuple[int, int], tuple[FileInfo, bytes | str]]:
        """The first read of each candidate, done while the walk is still listing (``candidates`` is fed by
        the walk: files that share their size with one listed before, so they stay candidates whatever
        comes next). Small files are hashed whole, larger ones get their head digest; files ``answered``
        by the cache, and further names of an inode already read, are skipped. The walk's own disk waits
        and these reads overlap, so both take less time than one after the other.

        Returns identity -> (file, full hash (str) or head digest (bytes)). A read that fails is simply
        not in the result: the stage that needs it reads again and reports the failure. Every
        ``keep_every`` seconds ``keep`` is handed what was read since its last call, as (identity, file,
        value), so it can be made durable before the scan ends (a scan is never committed half-way)."""
        done: set[tuple[int, int]] = set()

        def wanted() -> Iterable[FileInfo]:
            for info in candidates:
                identity = (info.device, info.inode)
                if identity not in done and not answered(info):
                    done.add(identity)
                    yield info

        out: dict[tuple[int, int], tuple[FileInfo, bytes | str]] = {}
        unkept: list[tuple[tuple[int, int], FileInfo, bytes | str]] = []
        next_keep = time.monotonic() + keep_every
        fs = self.fs
        opened = opened_ahead(wanted(), lambda i: open_checked(i, fs), _first_span, (FileChanged, OSError), backend=fs)
        with contextlib.closing(opened):
            for info, fd in opened:
                if not isinstance(fd, int):
                    continue
                identity = (info.device, info.inode)
                try:
                    if info.size <= WHOLE_LIMIT:
                        out[identity] = (info, self.whole_small(info, fd))
                        self.counters.whole_small += 1
                    else:
                        out[identity] = (info, self._head(info, fd))
                        self.counters.head_hashed += 1
                except (FileChanged, OSError):
                    continue
                if keep is not None:
                    unkept.append((identity, *out[identity]))
                    if time.monotonic() >= next_keep:
                        keep(unkept)
                        unkept = []
                        next_keep = time.monotonic() + keep_every
        self._report_bytes()
        return out

    def resolve_many(self, groups: list[list[Member]]) -> list[list[Member]]:
        """Groups of members with identical content (each at least two inodes), hashes set.

        ``groups``: size groups (one member per inode). Every stage runs over all groups at once
        so the reads of a stage can be in flight together.
        """
        known, small, large = [], [], []
        for members in groups:
            self.counters.size_candidates += len(members)
            self.counters.cache_hits += sum(1 for m in members if m.cached)
            if len(members) < 2:
                continue
            if all(m.hash is not None for m in members):
                known.append(members)
            elif members[0].info.size <= WHOLE_LIMIT:
                small.append(members)
            else:
                large.append(members)
        found = self._split(known, "hash")
        self.counters.whole_small += self._fill(small, "hash", self.whole_small, _whole)
        found += self._split(small, "hash")
        if large:  # larger than WHOLE_LIMIT, so larger than HEAD_SIZE: head and tail differ
            self.counters.head_hashed += self._fill(large, "head", self._head, _head_span)
            large = self._split(large, "head")
            self.counters.tail_hashed += self._fill(large, "tail", self._tail, _tail_span)
            large = self._split(large, "tail")
            self.counters.full_hashed += self._fill(large, "hash", self.full, _whole)
            found += self._split(large, "hash")
        if self.deep:
            found = [g for group in found for g in self._byte_groups(group)]
            self._report_bytes()
        return found

    def _head(self, info: FileInfo, fd: int) -> bytes:
        return blake3.blake3(self._read_range(info, fd, *_head_span(info))).digest()

    def _tail(self, info: FileInfo, fd: int) -> bytes:
        return blake3.blake3(self._read_range(info, fd, *_tail_span(info))).digest()

    def _byte_groups(self, group: list[Member]) -> list[list[Member]]:
        out: list[list[Member]] = []
        remaining = group
        while len(remaining) > 1:
            rep, same, others = remaining[0], [remaining[0]], []
            for m in remaining[1:]:
                self.counters.byte_compared += 1
                try:
                    equal = self.same_bytes(rep.info, m.info)
                except (FileChanged, OSError) as exc:
                    self._error(m, exc)
                    if isinstance(exc, FileChanged) and exc.path == rep.info.path:
                        same = []  # the representative itself changed: nothing can be confirmed against it
                        others = list(remaining[1:])
                        break
                    continue
                (same if equal else others).append(m)
            if len(same) > 1:
                out.append(same)
            remaining = others
        return out


def _whole(info: FileInfo) -> tuple[int, int]:
    return 0, info.size


def _first_span(info: FileInfo) -> tuple[int, int]:
    return (0, info.size) if info.size <= WHOLE_LIMIT else (0, HEAD_SIZE)


def _head_span(info: FileInfo) -> tuple[int, int]:
    return 0, HEAD_SIZE


def _tail_span(info: FileInfo) -> tuple[int, int]:
    return info.size - TAIL_SIZE, TAIL_SIZE


def settle_cached(members: list[Member]) -> list[list[Member]] | None:
    """The duplicate groups of one size group when what the cache knows settles it without a read (the
    same stages as ``Pipeline.resolve_many``, each needing its key known for every member still in
    play), else None."""
    if len(members) < 2:
        return []
    groups = [members]
    stages = ("hash",) if members[0].info.size <= WHOLE_LIMIT else ("head", "tail", "hash")
    if all(m.hash is not None for m in members):
        stages = ("hash",)
    for attr in stages:
        if any(getattr(m, attr) is None for g in groups for m in g):
            return None
        groups = Pipeline._split(groups, attr)
        if not groups:
            break
    return groups

"""The duplicate search's scan: one walk of the search paths, grouping the files as they are listed.

The walk runs in walker processes (``listing_processes``) while the job's worker thread groups what
they list by size (or by name and size). In content mode each candidate the hash cache does not
answer is read as the walk finds it (the first read of the staged comparison: small files whole,
larger ones their head), and what was read goes to the hash cache every ``KEEP_EVERY`` seconds, so a
scan started again after a pause or crash does not read those files again. After the walk, the size
groups the cache answers whole are settled; the rest go on to the hashing batches.

While the walk lists every folder as the last search with the same settings saw it (``snapshot``),
its files are held, not even unpacked; when the whole walk matches, that search's result is this
one's (``Scanned.unchanged``).

The scan also finds the cache rows to prune: rows of listed files whose stat no longer matches,
and, when a root is the top of its file system and the walk listed everything without error, the
rows of that device's inodes the walk did not see (files that are gone).
"""

from __future__ import annotations

import asyncio
import itertools
import operator
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import msgpack

from sd_desktop.jobs import JobContext
from sd_desktop.library import Library, hash_cache
from sd_desktop.ops.files import listing_processes
from sd_desktop.ops.files.duplicate_detection import cache, results, snapshot, unchanged
from sd_desktop.ops.files.duplicate_detection.config import DuplicateConfig, DuplicateMode, WorkKind
from sd_desktop.ops.files.duplicate_detection.results import members
from sd_desktop.ops.files.duplicate_detection.stages import Member, Pipeline, StageCounters, settle_cached
from sd_desktop.ops.files.file_listing import FileInfo
from sd_desktop.volumes.backend import VolumeBackend

# candidates listed before the scan reads the cache's rows of a device with many (a small search is
# better served by a look-up of its own files after the walk)
EARLY_AFTER = 1000
WALKERS = 2  # walker processes sharing a big walk (the order of the files does not matter here)
KEEP_EVERY = 1.0  # seconds between hash-cache writes of what the scan read (a scan is not committed half-way)
REPORT_EVERY = 0.2  # seconds between progress reports of the walk
_PATH = operator.attrgetter("path")


@dataclass
class Scanned:
    """What the scan hands back: the size groups still to resolve and the rows to commit."""

    groups: list[list[FileInfo]]
    scanned: int
    candidates: int = 0
    candidate_bytes: int = 0
    settled: list[list[Member]] = field(default_factory=list)  # groups the cache settled
    # the results so far in the output's form: ``settled`` groups, hard-link sets
    found: list[dict] = field(default_factory=list)
    hardlinks: list[dict] = field(default_factory=list)
    # work items to commit when groups are left to hash (``results.ROW_COLUMNS``): candidates of
    # ``groups``; hard-link sets and settled groups
    rows: list[tuple] = field(default_factory=list)
    results: list[tuple] = field(default_factory=list)
    counters: StageCounters = field(default_factory=StageCounters)
    known: dict[tuple[int, int], str] | None = None
    stale: list[tuple[int, int, int, int, int]] = field(default_factory=list)
    unseen: dict[int, list[int]] = field(default_factory=dict)  # whole file systems walked: device -> inodes seen
    fresh: set[tuple[int, int]] = field(default_factory=set)  # identities whose ``known`` was read by the scan
    cache_rows: list[hash_cache.Row] = field(default_factory=list)  # hash-cache rows of what the scan read
    bytes_read: int = 0
    unchanged: snapshot.Snapshot | None = None  # nothing changed since this search: its result is this one
    watched: bool = False  # ``unchanged`` on the word of the engine's disk watcher: nothing was walked


class Scan:
    """One scan of a search. Made on the event loop (progress is reported to it); ``run`` runs on a
    worker thread. After the run, ``walk_errors``, ``snapshot_key`` and ``comparison`` say whether and
    how its listing is remembered for the next search."""

    def __init__(self, ctx: JobContext, config: DuplicateConfig, mode: DuplicateMode):
        self.ctx, self.config, self.mode = ctx, config, mode
        # asked per folder and per file read: a closure over the context, not a bound method (which
        # would tie this scan, and every file it listed, into a reference cycle through ``early``)
        self.stop: Callable[[], bool] = lambda: ctx.interrupt_requested
        self.fs = fs = ctx.backend
        settings = unchanged.walk_settings(config, mode, fs)  # as a search answered without the job walks
        self.flt, self.roots, self.references = settings.flt, settings.roots, settings.references
        self.snapshot_key = settings.key
        self.comparison = snapshot.Comparison()
        # a root that is a whole file system, walked without error and without leaving anything out,
        # saw every file of its device: cache rows of other inodes there are files that are gone
        self.whole_devices = _whole_devices(fs, self.roots) if self.flt.lists_every_file() else set()
        self.walk_errors: list[bytes] = []
        self.started = 0.0  # when the walk began (epoch seconds): what a watcher is asked about next time
        self.by_key: dict[object, list[FileInfo]] = {}  # the files listed, by size (or size and name)
        self.linked: set[object] = set()  # keys of the groups holding a name with other hard links
        self.count = 0  # files listed
        self.early = Pipeline(deep=False, should_stop=self.stop, backend=fs)  # the reads while listing
        self.preloaded: cache.Preload | None = None  # the cache's rows of the searched devices
        self.kept: set[tuple[int, int]] = set()  # identities whose first read is in the hash cache already
        self._devices: set[int] = set()
        self._loaded = False  # the snapshot was read already (asking the watcher)
        self._loop = asyncio.get_running_loop()

    # -- the run ---------------------------------------------------------------------------
    def run(self) -> Scanned:
        """Walk, group and read; the groups left to resolve and what to commit."""
        mode, stop = self.mode, self.stop
        self.started = time.time()
        watched = self._watched_unchanged()
        if watched is not None:
            return Scanned(groups=[], scanned=0, unchanged=watched, watched=True)
        # candidates are read as they are found, those the cache does not answer: its rows for the
        # searched devices are read first when there are few, else once EARLY_AFTER candidates show
        # the search is big
        self._devices = _devices(self.fs, self.roots)
        listed = self._listing(self._prepare)
        first = list(itertools.islice(listed, 1))  # starts the walk (and the read of the few rows)
        if self.comparison.unchanged() and not stop():
            return Scanned(groups=[], scanned=0, unchanged=self.comparison.previous)
        if mode.verified and self.preloaded is None:
            first += itertools.islice(listed, max(0, EARLY_AFTER - len(first)))
            if len(first) >= EARLY_AFTER:
                devices = self._devices
                self.preloaded = self.ctx.library.read_sync(lambda c: cache.preload(c, devices))
        if self.preloaded is not None:
            candidates = itertools.chain(first, listed)
            fresh = self.early.read_as_listed(candidates, self.preloaded.answer, self._keep, KEEP_EVERY)
        else:
            fresh = {}
            for _info in listed:
                pass
        groups, hardlinks = self._size_groups()
        out = Scanned(groups=groups, scanned=self.count)
        out.candidates = sum(len(g) for g in groups)
        out.candidate_bytes = sum(g[0].size * len(g) for g in groups)
        out.counters.add(self.early.counters)
        out.bytes_read = self.early.bytes_read
        out.groups = groups if stop() or not mode.verified else self._settle(groups, fresh, out)
        self._make_results(out, hardlinks)
        return out

    def _watched_unchanged(self) -> snapshot.Snapshot | None:
        """The last search's snapshot when the engine's disk watcher vouches that nothing changed
        under any root since that search began its walk (``jobs.watching``): then nothing is walked.
        Only a long-lived engine has a watcher; its answer is read before the walk starts."""
        watchers = self.ctx.manager.watchers
        if not self.config.reuse_unchanged or not watchers:
            return None
        key = self.snapshot_key
        previous = self.ctx.library.read_sync(lambda c: snapshot.load(c, key))
        self.comparison.compare_with(previous)
        self._loaded = True
        began = previous.result.get("walk_started") if previous is not None else None
        if not isinstance(began, (int, float)) or not self.roots:
            return None
        if all(watchers.unchanged_since(root, began) for root in self.roots):
            return previous
        return None

    def _prepare(self) -> None:
        """Reads the last search's snapshot and the cache's few rows (while the walker lists the first
        folders)."""
        previous = self.comparison.previous
        if self.config.reuse_unchanged and not self._loaded:
            key = self.snapshot_key
            previous = self.ctx.library.read_sync(lambda c: snapshot.load(c, key))
            self.comparison.compare_with(previous)
        if self.mode.verified and previous is None:  # else read only once the tree proves changed
            devices = self._devices
            self.preloaded = self.ctx.library.read_sync(lambda c: cache.preload(c, devices, limit=cache.QUICK_PRELOAD))

    def _keep(self, read: list[tuple[tuple[int, int], FileInfo, bytes | str]]) -> None:
        """What the scan read so far goes to the hash cache now: a scan paused or killed later starts
        again, and the preloaded rows spare it these reads."""
        rows = [cache.first_read_row(identity, info, value) for identity, info, value in read]
        self.ctx.library.write_sync(lambda c: hash_cache.store(c, rows))
        self.kept.update(identity for identity, _info, _value in read)

    # -- listing and grouping --------------------------------------------------------------
    def _listing(self, meanwhile: Callable[[], None]) -> Iterator[FileInfo]:
        """Walks, grouping as it goes (``_grouped``). While every folder is as the last search with
        these settings saw it, its files are held, not even unpacked: when the whole walk is,
        ``comparison.unchanged()`` and that search's result is this one's."""
        comparison = self.comparison
        last = 0.0  # the first batch is reported at once
        held: list[listing_processes.Listed] | None = []  # None once the walk differs from the snapshot
        listed = listing_processes.walk_listed(
            self.roots,
            self.flt,
            self.references,
            self._on_error,
            self.stop,
            meanwhile=meanwhile,
            digests=True,
            walkers=WALKERS,
            backend=self.fs,
        )
        # listed by a walker process while this thread groups and reads (see ``listing_processes``)
        for batch in listed:
            if held is not None:
                if all([comparison.matches(folder.path, folder.digest) for folder in batch]):
                    held += batch
                    if time.monotonic() - last > REPORT_EVERY:
                        last = time.monotonic()
                        self._report_compared(len(comparison.folders), len(comparison.previous.folders))
                    continue
                batch, held = held + batch, None
            else:
                for folder in batch:
                    comparison.folders[folder.path] = folder.digest
            if time.monotonic() - last > REPORT_EVERY:
                last = time.monotonic()
                self._report(self.count, self.early.bytes_read)
            yield from self._grouped(batch)
        if held and not comparison.unchanged():
            yield from self._grouped(held)

    def _grouped(self, folders: list[listing_processes.Listed]) -> Iterator[FileInfo]:
        """Groups the folders' files; yields each file once it shares its key with another."""
        by_key, linked, stop = self.by_key, self.linked, self.stop
        by_size = self.mode is not DuplicateMode.NAME_SIZE
        basename = os.path.basename
        for folder in folders:
            if stop():  # a batch can hold hundreds of candidates to read: a pause stops here
                return
            files = folder.files()
            self.count += len(files)
            for info in files:
                key = info.size if by_size else (info.size, basename(info.path))
                if info.nlink > 1:
                    linked.add(key)
                same = by_key.get(key)
                if same is None:  # most files: alone so far
                    by_key[key] = [info]
                    continue
                same.append(info)
                if len(same) == 2:
                    yield same[0]
                yield info

    def _size_groups(self) -> tuple[list[list[FileInfo]], list[dict]]:
        """The groups of files sharing a key (largest first; each in path order) and the hard-link sets
        among them (stored form). A group whose names are all one inode is only a hard-link set."""
        by_key = self.by_key
        groups, hardlinks = [], []
        keys = [k for k, infos in by_key.items() if len(infos) > 1]
        if self.mode is DuplicateMode.NAME_SIZE:
            keys.sort(key=_group_order)
        else:
            keys.sort(reverse=True)  # sizes, largest first
        for key in keys:
            infos = by_key[key]
            infos.sort(key=_PATH)
            if key in self.linked:
                hardlinks += results.hardlink_sets([infos])
                if len({(i.device, i.inode) for i in infos}) < 2:
                    continue
            groups.append(infos)
        return groups, hardlinks

    # -- what the cache answers ------------------------------------------------------------
    def _settle(
        self,
        groups: list[list[FileInfo]],
        fresh: dict[tuple[int, int], tuple[FileInfo, bytes | str]],
        out: Scanned,
    ) -> list[list[FileInfo]]:
        """Looks the candidates up (with what was read while listing), finds the cache rows to prune and
        settles the groups the cache answers whole (into ``out``); returns the groups left to hash."""
        found = _lookup(self.ctx.library, groups, self.by_key, self.preloaded)
        # what was read while listing: files the cache did not answer, so nothing is overwritten
        for identity, (info, value) in fresh.items():
            row = cache.first_read_row(identity, info, value)
            found.known[identity] = row[5]
            if identity not in self.kept:
                out.cache_rows.append(row)
        out.fresh = set(fresh)
        out.known, out.stale = found.known, found.stale
        if self.whole_devices and not self.walk_errors and not self.stop():
            for dev in self.whole_devices:
                out.unseen[dev] = [i.inode for infos in self.by_key.values() for i in infos if i.device == dev]
        return groups if self.mode is DuplicateMode.DEEP else settle(groups, found.known, out)

    def _make_results(self, out: Scanned, hardlinks: list[dict]) -> None:
        """The results so far in the output's form and, when groups are left to hash, the work items to
        commit with them."""
        if not out.groups:  # nothing is committed: straight to the output's form
            out.found = [results.group_record(m, DuplicateMode.CONTENT, os.fsdecode) for m in out.settled]
            out.hardlinks = [results.decode_paths(h) for h in hardlinks]
            return
        out.rows = results.candidate_rows(out.groups)
        stored = [results.group_record(m, DuplicateMode.CONTENT) for m in out.settled]
        out.results = [
            results.result_row(n, WorkKind.HARDLINKS, h["size"], msgpack.packb(h)) for n, h in enumerate(hardlinks, 1)
        ]
        out.results += [
            results.result_row(n, WorkKind.GROUP, g["size"], msgpack.packb(g))
            for n, g in enumerate(stored, len(out.results) + 1)
        ]
        out.found = [results.decode_paths(group) for group in stored]  # packed: now the output's form
        out.hardlinks = [results.decode_paths(h) for h in hardlinks]

    # -- reports (from the worker thread to the event loop) --------------------------------
    def _on_error(self, path: bytes, message: str) -> None:
        self.walk_errors.append(path)
        self.comparison.differ()
        self.ctx.add_non_critical_error(path, message)

    def _report(self, count: int, read: int = 0) -> None:
        message = "listing files, reading those that share a size" if read else "listing files"
        ctx = self.ctx
        self._loop.call_soon_threadsafe(
            lambda: ctx.progress(phase="scanning", done=count, bytes_done=read, message=message)
        )

    def _report_compared(self, folders: int, of: int) -> None:
        message = f"nothing changed so far since the last search ({folders:,} of {of:,} folders)"
        ctx = self.ctx
        self._loop.call_soon_threadsafe(
            lambda: ctx.progress(phase="comparing", done=folders, total=of, message=message)
        )


def settle(groups: list[list[FileInfo]], known: dict[tuple[int, int], str], out: Scanned) -> list[list[FileInfo]]:
    """Resolve the size groups the cache answers whole into ``out.settled``; returns the others."""
    if not known:
        return groups
    rest = []
    found = out.settled
    fresh = out.fresh
    counters = out.counters
    for infos in groups:
        # the usual case first: every file's full hash is known; split by it, building members only for
        # the buckets of several files (most size groups hold no duplicate at all)
        buckets: dict[str, list[FileInfo]] = {}
        one_name_each = True
        for info in infos:
            value = known.get((info.device, info.inode))
            if not value or value[0] == ":":  # no full hash known
                break
            if ":" in value:  # with head and tail digests: the full hash is all that counts here
                value = value.partition(":")[0]
            bucket = buckets.get(value)
            if bucket is None:
                buckets[value] = [info]
            else:
                bucket.append(info)
            if info.nlink != 1:
                one_name_each = False
        else:
            if fresh or not one_name_each:
                ids = {(i.device, i.inode) for i in infos}
                inodes, hits = len(ids), len(ids - fresh)
            else:
                inodes = hits = len(infos)
            counters.size_candidates += inodes
            counters.cache_hits += hits
            if len(buckets) == len(infos):
                continue  # all different
            for value, bucket in buckets.items():
                if len(bucket) > 1:
                    group = members(bucket)
                    if len(group) > 1:
                        for m in group:
                            m.hash, m.cached = value, True
                        found.append(group)
            continue
        group = members(infos)
        cache.apply_known(group, known, fresh)
        groups_found = settle_cached(group)
        if groups_found is None:
            rest.append(infos)
            continue
        counters.size_candidates += len(group)
        counters.cache_hits += sum(1 for m in group if m.cached)
        found.extend(groups_found)
    return rest


def _lookup(
    library: Library,
    groups: list[list[FileInfo]],
    by_key: dict[object, list[FileInfo]],
    preloaded: cache.Preload | None,
) -> cache.Lookup:
    """What the cache knows of the candidates (``groups``) and its stale rows of every listed file
    (``by_key``): from the answers collected during the walk where the rows were read before it."""
    listed_all = (i for infos in by_key.values() for i in infos)
    if preloaded is None:
        return library.read_sync(lambda c: cache.lookup(c, [i for g in groups for i in g], seen=listed_all))
    found = preloaded.lookup(listed_all)
    foreign = preloaded.devices_not_held()
    if foreign:
        more = library.read_sync(
            lambda c: cache.lookup(
                c,
                [i for g in groups for i in g if i.device in foreign],
                seen=(i for infos in by_key.values() for i in infos if i.device in foreign),
            )
        )
        found.known.update(more.known)
        found.stale += more.stale
    return found


def _group_order(key: object) -> tuple:
    if isinstance(key, tuple):
        return (-key[0], key[1])
    return (-key, b"")


def _devices(fs: VolumeBackend, roots: list[bytes]) -> set[int]:
    """The devices the roots are on (a root that cannot be read is reported by the walk)."""
    out = set()
    for root in roots:
        try:
            out.add(fs.lstat(root).st_dev)
        except OSError:
            continue
    return out


def _whole_devices(fs: VolumeBackend, roots: list[bytes]) -> set[int]:
    """Devices of the roots that are the top of their file system (mount points)."""
    out = set()
    for root in roots:
        try:
            if fs.ismount(root):
                out.add(fs.lstat(root).st_dev)
        except OSError:
            continue
    return out

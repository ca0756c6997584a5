"""DuplicateDetectionJob: groups of files with identical content, safe to act on.

Phases: ``scan`` walks the search paths once (a fresh ``lstat`` of every file, listed by a walker
process while this job's thread works on what it lists: ``ops.files.walker``). In content mode it
reads each candidate the cache does not answer as the walk finds it (the first read of the staged
comparison: small files whole, larger ones their head; written to the cache every second, so a scan
started again after a pause or crash does not read them again), then settles the size groups that are
answered whole (every file unchanged and known well enough to need no more reads). If groups are
left, their candidates (files sharing a size, or a name and size) and the results so far are stored
as ``work_item`` rows in one checkpoint; ``hash`` then runs the staged comparison over batches of size
groups, each batch committing its result rows, new hash-cache rows and the cursor together. After a
crash or pause the job continues at the first size group not committed. When the scan settled
everything (an unchanged tree, a tree of small files) no work list is committed: the output is built
from memory, and a crash only means scanning again.

A tree where nothing changed since the last search with the same settings is not grouped at all:
the walk's folders are compared with that search's (``snapshot``) as they come, and when every one
is as it was, that search's result is this one's (``unchanged_since`` says when it was made).

The scan also prunes the cache: rows of listed files whose stat no longer matches, and, when a root
is the top of its file system and the walk listed everything without error, the rows of that device's
inodes the walk did not see (files that are gone).

Identity is (device, inode): a file reached twice is listed once, and the names of one inode are
hard links (reported under ``hardlinks``), never duplicates of each other.
"""

from __future__ import annotations

import asyncio
import itertools
import operator
import os
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import msgpack

from sd_desktop import paths
from sd_desktop.cas import HashInterrupted
from sd_desktop.gc_policy import fewer_collections
from sd_desktop.jobs import Job, JobContext, JobError, codec, register
from sd_desktop.jobs.codec import limits
from sd_desktop.library import Library
from sd_desktop.ops.files import walker
from sd_desktop.ops.files.duplicate_detection import cache, snapshot
from sd_desktop.ops.files.duplicate_detection.stages import (
    Member,
    Pipeline,
    StageCounters,
    settle_cached,
)
from sd_desktop.ops.files.scan import (
    FileInfo,
    ScanFilter,
    normalize_extensions,
    resolve_roots,
)

KIND_CANDIDATE, KIND_GROUP, KIND_HARDLINKS = 0, 1, 2
_PATH = operator.attrgetter("path")
_MEMBER_PATH = operator.attrgetter("info.path")
BATCH_FILES = 2000
BATCH_BYTES = 256 * 1024 * 1024
EARLY_AFTER = 1000  # candidates listed before the scan starts reading (see _scan)
WALKERS = 2  # walker processes sharing a big walk (the order of the files does not matter here)
KEEP_EVERY = 1.0  # seconds between hash-cache writes of what the scan read (a scan is not committed half-way)
UNVERIFIED_NOTE = "candidates, not verified: files that share a size (or a name and size) may still differ"


class DuplicateMode(StrEnum):
    SIZE = "size"
    NAME_SIZE = "name_size"
    CONTENT = "content"
    DEEP = "deep"

    @property
    def verified(self) -> bool:
        return self in (DuplicateMode.CONTENT, DuplicateMode.DEEP)


@dataclass
class DuplicateConfig:
    search_paths: list[Path] = field(default_factory=list)
    mode: DuplicateMode = DuplicateMode.CONTENT
    min_size: int = field(default=0, metadata=limits(0))
    max_size: int | None = field(default=None, metadata=limits(0))
    extensions: list[str] = field(default_factory=list)
    include_hidden: bool = True
    include_empty: bool = False
    reference_paths: list[Path] = field(default_factory=list)
    # the last result with these settings is taken when nothing under the paths changed (see ``snapshot``)
    reuse_unchanged: bool = True


@dataclass
class DuplicateState:
    phase: str = "scan"  # scan -> hash
    cursor: int = 0  # index (work_item seq) of the next size group
    candidates: int = 0  # files in the size groups written by the scan
    candidate_bytes: int = 0
    files_scanned: int = 0
    files_done: int = 0
    bytes_hashed: int = 0
    results: int = 0  # result rows written (groups + hard-link sets)
    groups_found: int = 0
    stages: dict[str, int] = field(default_factory=dict)


@dataclass
class DuplicateOutput:
    mode: str = "content"
    verified: bool = True
    note: str = ""
    groups: list[dict] = field(default_factory=list)
    group_count: int = 0
    duplicate_files: int = 0
    wasted_bytes: int = 0
    hardlinks: list[dict] = field(default_factory=list)
    files_scanned: int = 0
    bytes_hashed: int = 0
    stages: dict[str, int] = field(default_factory=dict)
    search_paths: list[str] = field(default_factory=list)
    reference_paths: list[str] = field(default_factory=list)
    # set when nothing had changed since an earlier search with the same settings, whose result this is:
    # when that search ended (seconds since the epoch); nothing was read or looked up again
    unchanged_since: float | None = None


@register
class DuplicateDetectionJob(Job):
    NAME = "duplicate_detection"
    VERSION = 1
    RESUMABLE = True
    DESCRIPTION = "Find files with identical content (size, name+size, full blake3, or byte-by-byte)"
    Config = DuplicateConfig
    State = DuplicateState
    Output = DuplicateOutput
    # every result so far when this run began with the scan (groups, hard-link sets; stored form): the
    # output is made from them instead of reading the committed rows back (after a resume: from the rows)
    _results: tuple[list[dict], list[dict]] | None = None
    _fresh: frozenset[tuple[int, int]] | set[tuple[int, int]] = frozenset()  # identities read by the scan
    _cache_write: asyncio.Future | None = None  # the scan's hash-cache rows, written while hashing
    # this run's walk, remembered with the result once the job completes without error (``snapshot``)
    _listing: tuple[bytes, dict[bytes, bytes]] | None = None
    _unchanged_since: float | None = None
    _unchanged: codec.Packed | None = None  # the output, when taken from an earlier search (``snapshot``)

    def target(self) -> str:
        roots = self.config.search_paths
        if not roots:
            return ""
        first = paths.display(roots[0])
        return first if len(roots) == 1 else f"{first} and {len(roots) - 1} more"

    # -- run -------------------------------------------------------------------------------
    async def run(self, ctx: JobContext) -> DuplicateOutput | codec.Packed:
        if not self.config.search_paths:
            raise JobError("no search paths given")
        mode = DuplicateMode(self.config.mode)
        with fewer_collections():  # a record per file: see gc_policy
            known: dict[tuple[int, int], str] | None = None  # None: look up per batch (after a resume)
            try:
                if self.state.phase == "scan":
                    groups, known = await self._scan(ctx, mode)
                else:
                    groups = await ctx.library.read(lambda c: _load_candidates(c, ctx.job_id, self.state.cursor))
                await self._hash(ctx, mode, groups, known)
            finally:
                if self._cache_write is not None:
                    await self._cache_write  # also on a pause: its failure is the job's
            if self._unchanged is not None:
                return self._unchanged
            if self._results is not None:
                found, hardlinks = self._results
                output = await ctx.run_blocking(self._output_of, found, hardlinks, mode)
            else:
                output = await ctx.library.read(lambda c: self._output(c, ctx.job_id, mode))
            await self._remember(ctx, output)
            return output

    async def _remember(self, ctx: JobContext, output: DuplicateOutput) -> None:
        """Keep the result with this run's listing for the next search with these settings, when the
        whole run saw every file without an error (a file it could not read is not in the groups, and
        must be reported again next time, not left out silently)."""
        if self._listing is None or ctx.error_count or ctx.interrupt_requested:
            return
        key, folders = self._listing
        st = self.state
        job_id = ctx.job_id

        def save(conn: sqlite3.Connection) -> None:
            # the groups kept as the job's output holds them: taken again, they are not decoded at all
            result = {
                "groups": codec.pack(output.groups),
                "hardlinks": codec.pack(output.hardlinks),
                "group_count": output.group_count,
                "duplicate_files": output.duplicate_files,
                "wasted_bytes": output.wasted_bytes,
                "files_scanned": st.files_scanned,
                "candidates": st.candidates,
                "candidate_bytes": st.candidate_bytes,
                "size_candidates": st.stages.get("size_candidates", 0),
            }
            snapshot.save(conn, key, folders, result, job_id)

        await ctx.library.write(save)

    # -- scan ------------------------------------------------------------------------------
    async def _scan(
        self, ctx: JobContext, mode: DuplicateMode
    ) -> tuple[list[list[FileInfo]], dict[tuple[int, int], str] | None]:
        ctx.progress(phase="scanning", message="listing files")
        cfg = self.config
        flt = ScanFilter(
            min_size=max(0, cfg.min_size or 0),
            max_size=cfg.max_size,
            extensions=normalize_extensions(cfg.extensions),
            include_hidden=cfg.include_hidden,
            include_empty=cfg.include_empty,
        )
        refs = resolve_roots(cfg.reference_paths)
        roots = resolve_roots(list(cfg.search_paths) + list(cfg.reference_paths))

        job_id = ctx.job_id
        loop = asyncio.get_running_loop()
        snapshot_key = snapshot.key_of(mode.value, walker.filter_fields(flt), roots, refs)
        comparison = snapshot.Comparison()

        def report(count: int, read: int = 0) -> None:
            message = "listing files, reading those that share a size" if read else "listing files"
            loop.call_soon_threadsafe(
                lambda: ctx.progress(phase="scanning", done=count, bytes_done=read, message=message)
            )

        def report_compared(folders: int, of: int) -> None:
            message = f"nothing changed so far since the last search ({folders:,} of {of:,} folders)"
            loop.call_soon_threadsafe(lambda: ctx.progress(phase="comparing", done=folders, total=of, message=message))

        # a root that is a whole file system, walked without error and without leaving anything out,
        # saw every file of its device: cache rows of other inodes there are files that are gone
        whole_devices = _whole_devices(roots) if flt.lists_every_file() else set()
        walk_errors = []

        def on_error(path: bytes, message: str) -> None:
            walk_errors.append(path)
            comparison.differ()
            ctx.add_non_critical_error(path, message)

        def scan() -> _Scanned:
            by_key: dict[object, list[FileInfo]] = {}
            count = 0
            stop = lambda: ctx.interrupt_requested  # noqa: E731
            linked: set[object] = set()  # keys of the groups holding a name with other hard links

            def grouped(folders: list[walker.Listed]) -> Iterator[FileInfo]:
                """Groups the folders' files; yields each file once it shares its key with another."""
                nonlocal count
                by_size = mode is not DuplicateMode.NAME_SIZE
                for folder in folders:
                    if stop():  # a batch can hold hundreds of candidates to read: a pause stops here
                        return
                    files = folder.files()
                    count += len(files)
                    for info in files:
                        key = info.size if by_size else (info.size, os.path.basename(info.path))
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

            def listing(meanwhile: Callable[[], None]) -> Iterator[FileInfo]:
                """Walks, grouping as it goes (``grouped``). While every folder is as the last search
                with these settings saw it, its files are held, not even unpacked: when the whole walk
                is, ``comparison.unchanged()`` and that search's result is this one's."""
                last = 0.0  # the first batch is reported at once
                held: list[walker.Listed] | None = []  # None once the walk differs from the snapshot
                listed = walker.walk_listed(
                    roots, flt, refs, on_error, stop, meanwhile=meanwhile, digests=True, walkers=WALKERS
                )
                # listed by a walker process while this thread groups and reads (see ``walker``)
                for batch in listed:
                    if held is not None:
                        if all([comparison.matches(folder.path, folder.digest) for folder in batch]):
                            held += batch
                            if time.monotonic() - last > 0.2:
                                last = time.monotonic()
                                report_compared(len(comparison.folders), len(comparison.previous.folders))
                            continue
                        batch, held = held + batch, None
                    else:
                        for folder in batch:
                            comparison.folders[folder.path] = folder.digest
                    if time.monotonic() - last > 0.2:
                        last = time.monotonic()
                        report(count, early.bytes_read)
                    yield from grouped(batch)
                if held and not comparison.unchanged():
                    yield from grouped(held)

            # candidates are read as they are found, those the cache does not answer: its rows for the
            # searched devices are read first when there are few, else once EARLY_AFTER candidates show
            # the search is big (a small one is better served by a look-up of its own files after the walk)
            devices = _devices(roots)
            early = Pipeline(deep=False, should_stop=stop)
            preloaded = None

            def preload_few() -> None:  # runs while the walker lists the first folders
                nonlocal preloaded
                previous = None
                if self.config.reuse_unchanged:
                    previous = ctx.library.read_sync(lambda c: snapshot.load(c, snapshot_key))
                    comparison.compare_with(previous)
                if mode.verified and previous is None:  # else read only once the tree proves changed
                    preloaded = ctx.library.read_sync(lambda c: cache.preload(c, devices, limit=cache.QUICK_PRELOAD))

            listed = listing(preload_few)
            first = list(itertools.islice(listed, 1))  # starts the walk (and the read of the few rows)
            if comparison.unchanged() and not stop():
                return _Scanned(groups=[], scanned=0, unchanged=comparison.previous)
            if mode.verified and preloaded is None:
                first += itertools.islice(listed, max(0, EARLY_AFTER - len(first)))
                if len(first) >= EARLY_AFTER:
                    preloaded = ctx.library.read_sync(lambda c: cache.preload(c, devices))
            kept: set[tuple[int, int]] = set()

            def keep(read: list[tuple[tuple[int, int], FileInfo, bytes | str]]) -> None:
                # what the scan read so far goes to the hash cache now: a scan paused or killed later
                # starts again, and the preloaded rows spare it these reads
                rows = [_fresh_row(identity, info, value) for identity, info, value in read]
                ctx.library.write_sync(lambda c: cache.store(c, rows))
                kept.update(identity for identity, _info, _value in read)

            if preloaded is not None:
                fresh = early.read_as_listed(itertools.chain(first, listed), preloaded.answer, keep, KEEP_EVERY)
            else:
                fresh = {}
                for _info in listed:
                    pass
            groups, hardlinks = [], []
            keys = [k for k, infos in by_key.items() if len(infos) > 1]
            if mode is DuplicateMode.NAME_SIZE:
                keys.sort(key=_group_order)
            else:
                keys.sort(reverse=True)  # sizes, largest first
            for key in keys:
                infos = by_key[key]
                infos.sort(key=_PATH)
                if key in linked:
                    hardlinks += _hardlink_sets([infos])
                    # a group of names that are all one inode holds no duplicate: keep only its hard-link report
                    if len({(i.device, i.inode) for i in infos}) < 2:
                        continue
                groups.append(infos)
            out = _Scanned(groups=groups, scanned=count)
            out.candidates = sum(len(g) for g in groups)
            out.candidate_bytes = sum(g[0].size * len(g) for g in groups)
            out.counters.add(early.counters)
            out.bytes_read = early.bytes_read
            if stop() or not mode.verified:
                rest = groups
            else:
                found = _lookup(ctx.library, groups, by_key, preloaded)
                # what was read while listing: files the cache did not answer, so nothing is overwritten
                for identity, (info, value) in fresh.items():
                    row = _fresh_row(identity, info, value)
                    found.known[identity] = row[5]
                    if identity not in kept:
                        out.cache_rows.append(row)
                out.fresh = set(fresh)
                out.known, out.stale = found.known, found.stale
                if whole_devices and not walk_errors and not stop():
                    for dev in whole_devices:
                        out.unseen[dev] = [i.inode for infos in by_key.values() for i in infos if i.device == dev]
                rest = groups if mode is DuplicateMode.DEEP else _settle(groups, found.known, out)
            out.groups = rest
            if rest:  # groups left to hash: the work list and the results so far are committed together
                out.rows = [
                    (job_id, gidx, KIND_CANDIDATE, None, g[0].size, _pack_group(g)) for gidx, g in enumerate(rest)
                ]
                stored = [_group_dict(members, DuplicateMode.CONTENT) for members in out.settled]
                out.results = [
                    (job_id, -(n + 1), KIND_HARDLINKS, None, h["size"], msgpack.packb(h))
                    for n, h in enumerate(hardlinks)
                ]
                for group in stored:
                    out.results.append(
                        (job_id, -(len(out.results) + 1), KIND_GROUP, None, group["size"], msgpack.packb(group))
                    )
                out.found = [_unpack_result(group) for group in stored]  # packed: now the output's form
                out.hardlinks = [_unpack_result(h) for h in hardlinks]
            else:  # nothing is committed: straight to the output's form
                out.found = [_group_dict(members, DuplicateMode.CONTENT, os.fsdecode) for members in out.settled]
                out.hardlinks = [_unpack_result(h) for h in hardlinks]
            return out

        scanned = await ctx.run_blocking(scan)
        await ctx.check_interrupt()  # a walk stopped by a pause is incomplete: never commit it
        if not walk_errors:
            self._listing = (snapshot_key, comparison.folders)
        if scanned.unchanged is not None:
            self._take_unchanged(ctx, mode, scanned.unchanged)
            return [], None
        st = self.state
        st.phase, st.cursor, st.files_scanned = "hash", 0, scanned.scanned
        st.candidates, st.candidate_bytes = scanned.candidates, scanned.candidate_bytes
        st.results = len(scanned.hardlinks) + len(scanned.found)
        st.groups_found = len(scanned.found)
        st.files_done = scanned.counters.size_candidates
        st.stages = scanned.counters.as_dict()
        st.bytes_hashed = scanned.bytes_read
        rows, results, stale, unseen = scanned.rows, scanned.results, scanned.stale, scanned.unseen
        cache_rows = scanned.cache_rows

        def prune(conn: sqlite3.Connection) -> None:
            cache.prune(conn, stale)
            for dev, inodes in unseen.items():
                cache.prune_unseen(conn, dev, inodes)

        def store(conn: sqlite3.Connection) -> None:
            cache.store(conn, cache_rows)  # after the pruning: a file read now may have had a stale row

        message = f"{st.candidates} files share a size with another"
        if not scanned.groups:
            # nothing left to read: the job ends here, so there is no work list to commit (after a crash
            # the scan runs again); only the stale cache rows are removed
            if stale or unseen or cache_rows:
                await ctx.library.write(lambda c: (prune(c), store(c)))
            self._results = (scanned.found, scanned.hardlinks)
            ctx.progress(phase="scanning", done=st.files_scanned, message=message)
            return [], None

        def write(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM work_item WHERE job_id = ?", (job_id,))  # leftovers of an unfinished scan
            conn.executemany(
                "INSERT INTO work_item (job_id, seq, kind, src, size, data) VALUES (?, ?, ?, ?, ?, ?)", rows + results
            )
            prune(conn)

        await ctx.checkpoint(write)
        if cache_rows:
            # not part of the checkpoint: facts about files, right whenever they land (the writer keeps
            # order, so after the pruning); written while the hashing reads
            self._cache_write = asyncio.ensure_future(ctx.library.write(store))
        ctx.progress(phase="scanning", done=st.files_scanned, message=message)
        self._results = (scanned.found, scanned.hardlinks)
        self._fresh = scanned.fresh
        return scanned.groups, scanned.known

    def _take_unchanged(self, ctx: JobContext, mode: DuplicateMode, previous: snapshot.Snapshot) -> None:
        """The result of the last search with these settings, nothing having changed since: the output
        is made with its groups as they were stored (``_unchanged``), never decoded here (on the loop:
        what is decoded is a few numbers)."""
        result = previous.result
        st = self.state
        st.phase, st.cursor = "hash", 0
        st.files_scanned, st.candidates = result["files_scanned"], result["candidates"]
        st.candidate_bytes = result["candidate_bytes"]
        st.groups_found = result["group_count"]
        st.bytes_hashed = st.files_done = st.results = 0
        # nothing read: every candidate answered, as if by the hash cache (which this stands for)
        counters = StageCounters(size_candidates=result["size_candidates"], cache_hits=result["size_candidates"])
        st.stages = counters.as_dict()
        self._listing = None  # remembered already
        self._unchanged_since = previous.created_at
        output = self._output_of([], [], mode)
        output.group_count = result["group_count"]
        output.duplicate_files, output.wasted_bytes = result["duplicate_files"], result["wasted_bytes"]
        self._unchanged = codec.pack_with(output, {"groups": result["groups"], "hardlinks": result["hardlinks"]})
        ctx.progress(phase="scanning", done=st.files_scanned, message="nothing changed since the last search")

    # -- hash ------------------------------------------------------------------------------
    async def _hash(
        self,
        ctx: JobContext,
        mode: DuplicateMode,
        groups: list[list[FileInfo]],
        known: dict[tuple[int, int], str] | None,
    ) -> None:
        st = self.state
        loop = asyncio.get_running_loop()
        reporter = _BytesReporter(loop, ctx, st)
        phase = "hashing" if mode.verified else "grouping"
        ctx.progress(phase=phase, done=st.files_done, total=st.candidates, bytes_total=st.candidate_bytes)
        await self._hash_batches(ctx, mode, groups, reporter, phase, known, self._fresh)

    async def _hash_batches(
        self,
        ctx: JobContext,
        mode: DuplicateMode,
        groups: list[list[FileInfo]],
        reporter: _BytesReporter,
        phase: str,
        known: dict[tuple[int, int], str] | None,
        fresh: set[tuple[int, int]] | frozenset[tuple[int, int]],
    ) -> None:
        st = self.state
        job_id = ctx.job_id
        index = 0
        while index < len(groups):
            await ctx.check_interrupt()
            batch, files, size = [], 0, 0
            while index < len(groups) and (not batch or (files < BATCH_FILES and size < BATCH_BYTES)):
                batch.append(groups[index])
                files += len(groups[index])
                size += sum(i.size for i in groups[index])
                index += 1
            pipeline = Pipeline(
                deep=mode is DuplicateMode.DEEP,
                should_stop=lambda: ctx.interrupt_requested,
                on_bytes=reporter.add,
            )
            try:
                found, cache_rows = await ctx.run_blocking(
                    _resolve_batch, ctx.library, pipeline, mode, batch, known, fresh
                )
            except HashInterrupted:
                await ctx.check_interrupt()
                raise
            finally:
                reporter.reset()
            result_rows = []
            for size, group, packed in found:
                if self._results is not None:
                    self._results[0].append(group)
                st.results += 1
                st.groups_found += 1
                result_rows.append((job_id, -st.results, KIND_GROUP, None, size, packed))
            st.cursor += len(batch)
            st.files_done += files
            st.bytes_hashed += pipeline.bytes_read
            counters = StageCounters(**{k: v for k, v in st.stages.items() if k in StageCounters.__dataclass_fields__})
            counters.add(pipeline.counters)
            st.stages = counters.as_dict()
            for path, message in pipeline.errors:
                ctx.add_non_critical_error(path, message)

            def write(conn: sqlite3.Connection, result_rows=result_rows, cache_rows=cache_rows) -> None:
                if result_rows:
                    conn.executemany(
                        "INSERT INTO work_item (job_id, seq, kind, src, size, data) VALUES (?, ?, ?, ?, ?, ?)",
                        result_rows,
                    )
                cache.store(conn, cache_rows)

            await ctx.checkpoint(write)
            ctx.progress(
                phase=phase,
                done=st.files_done,
                total=st.candidates,
                bytes_done=st.bytes_hashed,
                bytes_total=st.candidate_bytes,
                message=f"{st.groups_found} groups found",
            )

    # -- output ----------------------------------------------------------------------------
    def _output(self, conn: sqlite3.Connection, job_id: int, mode: DuplicateMode) -> DuplicateOutput:
        groups, hardlinks = [], []
        for kind, data in conn.execute(
            "SELECT kind, data FROM work_item WHERE job_id = ? AND kind IN (?, ?) ORDER BY seq DESC",
            (job_id, KIND_GROUP, KIND_HARDLINKS),
        ):
            (groups if kind == KIND_GROUP else hardlinks).append(_unpack_result(msgpack.unpackb(data, raw=False)))
        return self._output_of(groups, hardlinks, mode)

    def _output_of(self, groups: list[dict], hardlinks: list[dict], mode: DuplicateMode) -> DuplicateOutput:
        """The output from the results in the output's form (``str`` paths, see ``_unpack_result``)."""
        groups.sort(key=lambda g: (-g["wasted_bytes"], -g["size"], g["paths"][0]))
        hardlinks.sort(key=lambda h: (-h["size"], h["paths"][0]))
        st = self.state
        return DuplicateOutput(
            mode=mode.value,
            verified=mode.verified,
            note="" if mode.verified else UNVERIFIED_NOTE,
            groups=groups,
            group_count=len(groups),
            duplicate_files=sum(len(g["paths"]) - 1 for g in groups),
            wasted_bytes=sum(g["wasted_bytes"] for g in groups),
            hardlinks=hardlinks,
            files_scanned=st.files_scanned,
            bytes_hashed=st.bytes_hashed,
            stages=dict(st.stages),
            search_paths=[os.fsdecode(p) for p in self.config.search_paths],
            reference_paths=[os.fsdecode(p) for p in self.config.reference_paths],
            unchanged_since=self._unchanged_since,
        )


# -- helpers ------------------------------------------------------------------------------
@dataclass
class _Scanned:
    """What the scan's worker thread hands back: the size groups still to resolve and the rows to commit."""

    groups: list[list[FileInfo]]
    scanned: int
    candidates: int = 0
    candidate_bytes: int = 0
    settled: list[list[Member]] = field(default_factory=list)  # groups the cache settled
    # the results so far in the output's form: ``settled`` groups, hard-link sets
    found: list[dict] = field(default_factory=list)
    hardlinks: list[dict] = field(default_factory=list)
    # rows to commit when groups are left to hash: candidates of ``groups``, hard-link sets and settled groups
    rows: list[tuple] = field(default_factory=list)
    results: list[tuple] = field(default_factory=list)
    counters: StageCounters = field(default_factory=StageCounters)
    known: dict[tuple[int, int], str] | None = None
    stale: list[tuple[int, int, int, int, int]] = field(default_factory=list)
    unseen: dict[int, list[int]] = field(default_factory=dict)  # whole file systems walked: device -> inodes seen
    fresh: set[tuple[int, int]] = field(default_factory=set)  # identities whose ``known`` was read by the scan
    cache_rows: list[tuple] = field(default_factory=list)  # hash-cache rows of what the scan read
    bytes_read: int = 0
    unchanged: snapshot.Snapshot | None = None  # nothing changed since this search: its result is this one


def _settle(groups: list[list[FileInfo]], known: dict[tuple[int, int], str], out: _Scanned) -> list[list[FileInfo]]:
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
                    members = _members(bucket)
                    if len(members) > 1:
                        for m in members:
                            m.hash, m.cached = value, True
                        found.append(members)
            continue
        members = _members(infos)
        _apply_known(members, known, fresh)
        groups_found = settle_cached(members)
        if groups_found is None:
            rest.append(infos)
            continue
        counters.size_candidates += len(members)
        counters.cache_hits += sum(1 for m in members if m.cached)
        found.extend(groups_found)
    return rest


def _apply_known(
    members: list[Member],
    known: dict[tuple[int, int], str],
    fresh: set[tuple[int, int]] | frozenset[tuple[int, int]] = frozenset(),
) -> None:
    """Set what is known of each member; ``cached`` only for what came from the cache (not ``fresh``:
    read by this run's scan)."""
    for m in members:
        identity = (m.info.device, m.info.inode)
        value = known.get(identity)
        if value is None:
            continue
        if ":" not in value:  # a full hash alone (most rows)
            m.hash = value
        else:
            k = cache.Known.decode(value)
            m.hash, m.head, m.tail = k.full, k.head, k.tail
        m.cached = m.hash is not None and identity not in fresh


def _cache_row(m: Member) -> tuple[int, int, int, int, int, str]:
    """The hash-cache row of what was learned about ``m`` (a full hash alone needs no ``Known``)."""
    i = m.info
    value = m.hash if m.head is None and m.tail is None else cache.Known(m.hash, m.head, m.tail).encode()
    return (i.device, i.inode, i.size, i.mtime_ns, i.ctime_ns, value or "")


class _BytesReporter:
    """Progress for long hashes: the worker thread counts bytes; the event loop reports them (throttled)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, ctx: JobContext, state: DuplicateState):
        self.loop, self.ctx, self.state = loop, ctx, state
        self.pending = 0
        self.last = 0.0
        self.lock = threading.Lock()

    def add(self, n: int) -> None:
        with self.lock:
            self.pending += n
            now = time.monotonic()
            if now - self.last < 0.2:
                return
            self.last = now
            done = self.state.bytes_hashed + self.pending
        self.loop.call_soon_threadsafe(lambda: self.ctx.progress(bytes_done=done))

    def reset(self) -> None:
        with self.lock:
            self.pending = 0


def _group_order(key: object) -> tuple:
    if isinstance(key, tuple):
        return (-key[0], key[1])
    return (-key, b"")


def _pack_group(infos: list[FileInfo]) -> bytes:
    return msgpack.packb([[i.path, i.device, i.inode, i.mtime_ns, i.ctime_ns, i.nlink, i.reference] for i in infos])


def _load_candidates(conn: sqlite3.Connection, job_id: int, cursor: int) -> list[list[FileInfo]]:
    return [
        [FileInfo(path, size, *rest) for path, *rest in msgpack.unpackb(data)]
        for size, data in conn.execute(
            "SELECT size, data FROM work_item WHERE job_id = ? AND kind = ? AND seq >= ? ORDER BY seq",
            (job_id, KIND_CANDIDATE, cursor),
        )
    ]


def _members(infos: list[FileInfo]) -> list[Member]:
    """One member per inode (its first name by path order); the other names become its links."""
    by_id: dict[tuple[int, int], Member] = {}
    for info in infos:
        key = (info.device, info.inode)
        m = by_id.get(key)
        if m is None:
            by_id[key] = Member(info)
        else:
            m.links.append(info.path)
    return list(by_id.values())


def _fresh_row(identity: tuple[int, int], info: FileInfo, value: bytes | str) -> tuple:
    """The hash-cache row of a first read: a full hash (small files) or a head digest."""
    encoded = value if isinstance(value, str) else cache.Known(head=value).encode()
    return (*identity, info.size, info.mtime_ns, info.ctime_ns, encoded)


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


def _devices(roots: list[bytes]) -> set[int]:
    """The devices the roots are on (a root that cannot be read is reported by the walk)."""
    out = set()
    for root in roots:
        try:
            out.add(os.lstat(root).st_dev)
        except OSError:
            continue
    return out


def _whole_devices(roots: list[bytes]) -> set[int]:
    """Devices of the roots that are the top of their file system (mount points)."""
    out = set()
    for root in roots:
        try:
            if os.path.ismount(root):
                out.add(os.lstat(root).st_dev)
        except OSError:
            continue
    return out


def _hardlink_sets(groups: list[list[FileInfo]]) -> list[dict]:
    out = []
    for g in groups:
        by_id: dict[tuple[int, int], list[FileInfo]] = defaultdict(list)
        for info in g:
            by_id[info.identity].append(info)
        for (dev, ino), infos in by_id.items():
            if len(infos) > 1:
                out.append({"device": dev, "inode": ino, "size": infos[0].size, "paths": [i.path for i in infos]})
    return out


def _resolve_batch(
    library: Library,
    pipeline: Pipeline,
    mode: DuplicateMode,
    batch: list[list[FileInfo]],
    known: dict[tuple[int, int], str] | None = None,
    fresh: set[tuple[int, int]] | frozenset[tuple[int, int]] = frozenset(),
) -> tuple[list[tuple[int, dict, bytes]], list[tuple]]:
    """Groups found in one batch of size groups, as (size, group, packed group row), and the hash-cache
    rows of what was learned (runs on a worker thread)."""
    groups = [_members(infos) for infos in batch]
    if not mode.verified:
        pipeline.counters.size_candidates += sum(len(g) for g in groups)
        found = [g for g in groups if len(g) > 1]
    else:
        if known is None:
            known = library.read_sync(lambda c: cache.lookup(c, [i for g in batch for i in g])).known
        for members in groups:
            _apply_known(members, known, fresh)
        found = pipeline.resolve_many(groups)
    out = []
    for members in found:
        group = _group_dict(members, mode)
        packed = msgpack.packb(group)
        out.append((group["size"], _unpack_result(group), packed))  # packed: now the output's form
    return out, [_cache_row(m) for m in pipeline.learned.values()]


def _as_is(value: bytes) -> bytes:
    return value


def _group_dict(members: list[Member], mode: DuplicateMode, path: Callable[[bytes], object] = _as_is) -> dict:
    """A group's stored form (raw path bytes), or with ``path=os.fsdecode`` its output form."""
    members = sorted(members, key=_MEMBER_PATH)
    names = [path(m.info.path) for m in members]
    size = members[0].info.size
    group = {
        "size": size,
        "hash": members[0].hash if mode.verified else None,
        "paths": names,
        "files": [
            {
                "path": name,
                "mtime_ns": m.info.mtime_ns,
                "ctime_ns": m.info.ctime_ns,
                "device": m.info.device,
                "inode": m.info.inode,
                "reference": m.info.reference,
                "links": [path(p) for p in sorted(m.links)] if m.links else [],
            }
            for m, name in zip(members, names, strict=True)
        ],
        "wasted_bytes": size * (len(members) - 1),
    }
    if mode is DuplicateMode.NAME_SIZE:
        group["name"] = path(os.path.basename(members[0].info.path))
    return group


def _unpack_result(obj: dict) -> dict:
    """Stored rows keep raw path bytes; the output carries ``str`` paths (``os.fsdecode``: undecodable
    bytes become surrogates, which the state codec and ``os.fsencode`` turn back into the same bytes)."""
    fsdecode = os.fsdecode
    obj["paths"] = [fsdecode(p) for p in obj["paths"]]
    if "name" in obj:
        obj["name"] = fsdecode(obj["name"])
    for f in obj.get("files", []):
        f["path"] = fsdecode(f["path"])
        f["links"] = [fsdecode(p) for p in f["links"]]
    return obj

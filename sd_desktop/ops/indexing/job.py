"""IndexerJob: walks a location into the library (Discovery -> Processing -> Aggregation ->
ContentIdentification), pipelined, incremental and crash-safe.

* Discovery/Processing: a worker thread lists a batch of folders (``resumable_walk.Walker``) while the
  previous batch is written (``persist.EntryWriter``) on the library's writer thread. Each write is
  one transaction holding the rows and the state that covers them: the folder frontier and
  counters, never the list of entries. A pause or a kill -9 loses and repeats nothing. A first
  index in content mode also identifies each batch's files on the walker's thread, so they are
  inserted with their cas_id and MIME (no second pass over them).
* Aggregation: pending deletions are applied, then folder totals are recomputed in set-based SQL:
  every folder after a first index, only the folders whose children changed and their ancestors
  after a re-index (``library.aggregates.aggregate_changed``).
* ContentIdentification (content and deep modes): files without a cas_id (deep: without an
  integrity hash) are read in batches of a few hundred per thread hop; the cursor is the last
  entry id done.
* At the end, content identities no entry refers to any more are deleted.
* Deep mode queues a ``thumbnails`` follow-up when that job exists in this build.
* Ephemeral runs walk (and in content mode hash) without writing entries: counts only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import sqlite3
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sd_desktop import paths
from sd_desktop.enums import EntryKind
from sd_desktop.jobs import Job, JobContext, JobError, register, registered
from sd_desktop.library import contents, entries, locations
from sd_desktop.library.aggregates import aggregate_all, aggregate_changed, store_totals
from sd_desktop.ops.indexing import identify
from sd_desktop.ops.indexing.config import (
    REFRESH_MARK,
    IndexerConfig,
    IndexerOutput,
    IndexerState,
    IndexMode,
    IndexScope,
    Persistence,
)
from sd_desktop.ops.indexing.persist import EntryWriter
from sd_desktop.ops.indexing.resumable_walk import WalkBatch, Walker, join, stat_row
from sd_desktop.ops.indexing.rules import RuleSet
from sd_desktop.ops.indexing.walk_process import ListedWalk
from sd_desktop.volumes.backend import LOCAL, VolumeBackend

T = TypeVar("T")

WALK_BATCH_ENTRIES = int(os.environ.get("SD_DESKTOP_INDEX_BATCH", "4000"))
HASH_BATCH_FILES = int(os.environ.get("SD_DESKTOP_INDEX_HASH_BATCH", "1024"))
READER_CACHE_KB = 8 * 1024
HASH_BATCH_BYTES = 256 * 1024 * 1024  # deep mode: checkpoint at least every 256 MB read
# tests only: sleep this long after each committed batch, so a kill -9 lands inside a phase
TEST_DELAY = float(os.environ.get("SD_DESKTOP_INDEX_DELAY_MS", "0")) / 1000.0


@dataclass
class Plan:
    """What a run works on, resolved from the config (never stored: rebuilt on resume)."""

    location_id: int | None
    root: bytes  # the location root (persistent) or the folder (ephemeral), absolute
    target: bytes  # the indexed folder, relative to ``root`` (b"" = the root)
    max_depth: int | None
    rules: RuleSet
    backend: VolumeBackend = LOCAL  # every read of the run goes through it


@register
class IndexerJob(Job):
    NAME = "indexer"
    VERSION = 1
    RESUMABLE = True
    DESCRIPTION = "Index a location: walk it, record every entry, identify contents"
    Config = IndexerConfig
    State = IndexerState
    Output = IndexerOutput

    def target(self) -> str:
        c = self.config
        where = paths.display(c.path) if c.path is not None else f"location {c.location_id}"
        if c.refresh:
            return f"{where} {REFRESH_MARK}"
        return f"{where} ({c.mode.value}{', ephemeral' if c.persistence is Persistence.EPHEMERAL else ''})"

    def recorded(self) -> bool:
        return not self.config.refresh

    # -- entry point -----------------------------------------------------------------------
    async def run(self, ctx: JobContext) -> IndexerOutput:
        plan = await self._plan(ctx)
        st = self.state
        if not st.started_at:
            st.started_at = time.time()
        if self.config.persistence is Persistence.EPHEMERAL:
            await self._run_ephemeral(ctx, plan)
            return self._output(plan)
        async with _location_lock(ctx, plan.location_id):
            await self._run_persistent(ctx, plan)
        return self._output(plan)

    async def _run_persistent(self, ctx: JobContext, plan: Plan) -> None:
        st = self.state
        writer = EntryWriter(plan.location_id, plan.root, ctx.job_id, st.fresh, self.NAME, plan.backend)
        if st.phase == "start":
            await self._start(ctx, plan, writer)
        if st.phase == "discovery":
            try:
                await self._discover(ctx, plan, writer)
            except BaseException:  # paused, cancelled or failed: the library's queries get their indexes back
                with contextlib.suppress(Exception):
                    await ctx.library.write(entries.restore_indexes)
                raise
        if st.phase == "finalize":
            await self._finalize(ctx, plan, writer)
        if st.phase == "content":
            await self._identify(ctx, plan)
        if st.phase != "done":
            await self._finish(ctx, plan)

    # -- planning --------------------------------------------------------------------------
    async def _plan(self, ctx: JobContext) -> Plan:
        c = self.config
        fs = ctx.backend
        location_id = c.location_id
        if c.persistence is Persistence.EPHEMERAL and c.path is not None:
            root = fs.realpath(os.fsencode(c.path))
            target = b""
        else:
            if location_id is None:
                if c.path is None:
                    raise JobError("the indexer needs a location id or a path inside a location")
                location_id = await ctx.run_blocking(locations.find_location, ctx.library, c.path)
                if location_id is None:
                    raise JobError(f"{paths.display(c.path)} is not inside a location; add it as a location first")
            root = await ctx.library.read(lambda conn: locations.root_of(conn, location_id))
            if root is None:
                raise JobError(f"there is no location with id {location_id} (it was removed?)")
            target = self._relative_target(fs, root)
            if c.persistence is Persistence.EPHEMERAL:  # a location browsed without writing: walk from its root
                root, target = join(root, target), b""
        try:
            st = await ctx.run_blocking(fs.stat, root)
        except OSError as exc:
            raise JobError(f"cannot open the folder {paths.display(root)}: {exc.strerror or exc}") from None
        if not fs.isdir(root):
            raise JobError(f"{paths.display(root)} is not a folder")
        skip = set()
        try:
            lib_st = fs.stat(ctx.library.folder)
            skip.add((lib_st.st_dev, lib_st.st_ino))
        except OSError:
            pass
        del st
        rules = RuleSet(c.rules, all_entries=c.all_entries, root=root, skip_ids=frozenset(skip), backend=fs)
        max_depth = 1 if c.scope is IndexScope.CURRENT else c.max_depth
        if max_depth is not None and max_depth < 1:
            raise JobError("max_depth must be at least 1")
        return Plan(location_id, root, target, max_depth, rules, fs)

    def _relative_target(self, fs: VolumeBackend, root: bytes) -> bytes:
        path = self.config.path
        if path is None:
            return b""
        raw = os.fsencode(path)
        absolute = fs.realpath(raw if os.path.isabs(raw) else os.path.join(root, raw))
        if not paths.is_within(absolute, root):
            raise JobError(f"{paths.display(raw)} is not inside the location {paths.display(root)}")
        return b"" if absolute == root else os.path.relpath(absolute, root)

    # -- a checkpoint whose state is updated by the transaction itself -----------------------
    async def _commit(self, ctx: JobContext, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``ctx.checkpoint`` with the state encoded after ``fn`` ran (counters that ``fn`` computes,
        such as new or moved entries, commit with its rows), and a full disk as a clear error."""
        try:
            return await ctx.checkpoint(fn, state_after=True)
        except Exception as exc:  # sqlite3's or peewee's OperationalError
            # SQLite rolls a full-disk transaction back itself, so the error seen may be the failed
            # second rollback; the cause sits in the chain. Earlier batches are committed and intact.
            cause = _disk_full_cause(exc)
            if cause is not None:
                raise JobError(f"cannot write to the library: {cause}; free some space and index again") from exc
            raise

    # -- phases ----------------------------------------------------------------------------
    async def _start(self, ctx: JobContext, plan: Plan, writer: EntryWriter) -> None:
        chain = await ctx.run_blocking(_chain_rows, plan.backend, plan.root, plan.target)
        st = self.state

        def tx(conn: sqlite3.Connection) -> None:
            fresh = not entries.has_entries(conn, plan.location_id)
            writer.fresh = fresh
            st.fresh = fresh
            st.track_dirty = True
            st.entries_written += writer.prepare(conn, chain)
            if fresh and entries.only_location(conn, plan.location_id):
                # the library's first index: its secondary indexes are built at the end, from the
                # stored rows, instead of row by row (``_finalize``; on unwinding, ``_run_persistent``)
                entries.set_aside_indexes(conn)
            st.frontier = [(plan.target, 0)]
            st.phase = "discovery"

        await self._commit(ctx, tx)
        ctx.progress(phase="discovery", done=0, message="listing folders")

    async def _discover(self, ctx: JobContext, plan: Plan, writer: EntryWriter) -> None:
        st = self.state
        walker = Walker(plan.root, st.frontier, plan.max_depth, plan.rules, plan.backend)
        # A first index lists the next folders while a batch is inserted. A re-index does not: its
        # writer reads every listed folder's stored children, and sqlite3 releases the GIL around
        # each row it steps, so with the walker running beside it each row costs two GIL hand-offs
        # (measured: the stored rows took 6x longer to read, the re-index twice as long overall).
        overlap = self._overlaps_listing(writer)
        # taking turns, fewer and larger batches save a thread hop and a commit each (~15 % measured);
        # a first shallow index too: its batches list fast, and each commit writes every index page
        # its rows touched (with ``bulk_checkpoints``: 11 % less CPU and time on 200,000 entries)
        shallow = self.config.mode is IndexMode.SHALLOW
        size = WALK_BATCH_ENTRIES if overlap and not shallow else 4 * WALK_BATCH_ENTRIES
        # a first content index identifies each batch's files on the walker's thread (see
        # ``identify.identify_listed``): one pass instead of a listing pass plus a content pass
        early = self._identifies_while_listing(writer.fresh)
        # overlapping, the walk goes on in helper processes after its first batch (``walk_process``):
        # one beside the writer (whose inserts take most of a shallow index); two where they also
        # read the files (the writer has little to do then); helper processes list the local disk only
        helpers = 0 if not overlap or plan.backend is not LOCAL else 2 if early else 1
        walk = ListedWalk(walker, self.config.rules, self.config.all_entries, early, helpers)
        listing = walk.batch

        pending: asyncio.Future | None = None
        if not walk.done:
            pending = asyncio.ensure_future(ctx.run_blocking(listing, size))
        try:
            while pending is not None:
                batch: WalkBatch = await pending
                pending = None
                await ctx.check_interrupt()
                if overlap and not walk.done:  # list the next folders while this batch is written
                    pending = asyncio.ensure_future(ctx.run_blocking(listing, size))
                self._record_walk_errors(ctx, plan, batch)
                # no walker thread runs once ``pending`` is None, so ``walk.done`` is stable then
                last = pending is None and walk.done

                def tx(conn: sqlite3.Connection, batch: WalkBatch = batch, last: bool = last) -> None:
                    entries.bulk_checkpoints(conn, True)
                    if batch.vanished:
                        writer.mark_vanished(conn, batch.vanished)
                    res = writer.write(conn, batch)
                    for rel in res.orphaned or ():
                        ctx.add_non_critical_error(join(plan.root, rel), "its folder entry is missing; skipped")
                        st.errors += 1
                    st.new += res.new
                    st.modified += res.modified
                    st.moved += res.moved
                    st.entries_written += res.written
                    st.hashed += len(batch.identified)
                    st.hashed_bytes += batch.hashed_bytes
                    self._count(batch)
                    st.frontier = batch.frontier
                    if not batch.frontier and last:
                        st.phase = "finalize"

                await self._commit(ctx, tx)
                if not overlap and not walk.done:
                    pending = asyncio.ensure_future(ctx.run_blocking(listing, size))
                found = st.files + st.dirs + st.symlinks + st.others
                identified = f", {st.hashed} identified" if early else ""
                ctx.progress(
                    phase="discovery",
                    done=found,
                    bytes_done=st.bytes,
                    message=f"{st.files} files{identified}, {st.dirs} folders ({len(st.frontier)} folders to list)",
                )
                if TEST_DELAY:
                    await asyncio.sleep(TEST_DELAY)
        finally:
            walk.close()  # a helper process still listing is killed: its batches are not wanted
            if pending is not None:  # unwinding (pause/cancel): let the thread finish, drop its batch
                try:
                    await pending
                except Exception:
                    pass
            try:  # the writer's connection serves other jobs after this walk
                await ctx.library.write(lambda conn: entries.bulk_checkpoints(conn, False))
            except Exception:  # a library that failed under the walk: that error is the one to report
                pass
        if st.phase == "discovery":  # nothing was left to list (e.g. resumed right at the end)

            def done(conn: sqlite3.Connection) -> None:
                st.phase = "finalize"

            await self._commit(ctx, done)

    def _overlaps_listing(self, writer: EntryWriter) -> bool:
        """Whether the next batch is listed while one is written (see ``_discover``): when the
        writer reads no stored children, a first index."""
        return writer.fresh

    def _identifies_while_listing(self, fresh: bool) -> bool:
        """Whether the files are identified as they are listed: in content mode, when every file
        listed is new (a first index); else the content phase identifies what changed."""
        return fresh and self.config.mode is IndexMode.CONTENT

    def _count(self, batch: WalkBatch) -> None:
        st = self.state
        st.files += batch.files
        st.dirs += batch.dir_count
        st.symlinks += batch.symlinks
        st.others += batch.others
        st.bytes += batch.bytes
        st.skipped += batch.skipped

    def _record_walk_errors(self, ctx: JobContext, plan: Plan, batch: WalkBatch) -> None:
        for rel, reason in batch.errors:
            ctx.add_non_critical_error(join(plan.root, rel), reason)
        self.state.errors += len(batch.errors)

    async def _finalize(self, ctx: JobContext, plan: Plan, writer: EntryWriter) -> None:
        st = self.state
        ctx.progress(phase="aggregation", done=0, message="updating folder totals")
        mode = self.config.mode

        def tx(conn: sqlite3.Connection) -> None:
            entries.restore_indexes(conn)  # set aside by a first index (``_start``): built before they are used
            st.deleted += writer.finish_deletions(conn)
            counted = writer.folder_totals() if st.fresh and not st.deleted else None
            if counted is not None:  # a first index this process ran whole: its counts, no read-back
                st.aggregated = store_totals(conn, counted)
                writer.forget_dirty(conn)
            elif st.fresh or not st.track_dirty:  # a first index (or a state saved by an older build): all
                if st.fresh or st.entries_written or st.deleted or writer.load_dirty(conn):
                    st.aggregated = aggregate_all(conn, plan.location_id)[0]
                    writer.forget_dirty(conn)
            elif writer.load_dirty(conn):  # the folders whose children changed, and their ancestors
                st.aggregated = aggregate_changed(conn, plan.location_id)[0]
                writer.forget_dirty(conn)  # covered now, whichever run recorded them
            st.phase = "done" if mode is IndexMode.SHALLOW else "content"
            st.hash_cursor = 0
            st.hash_total = -1

        await self._commit(ctx, tx)

    async def _identify(self, ctx: JobContext, plan: Plan) -> None:
        st = self.state
        deep = self.config.mode is IndexMode.DEEP
        loc, below = plan.location_id, plan.target
        if st.hash_total < 0:
            st.hash_total = await ctx.library.read(
                lambda c: contents.count_unidentified(c, loc, deep=deep, below=below)
            )
        if st.hash_total == 0:  # e.g. a first content index identified every file while listing
            return

        def fetch(conn: sqlite3.Connection, after: int) -> list[identify.Candidate]:
            rows = contents.unidentified(conn, loc, deep=deep, below=below, after=after, limit=HASH_BATCH_FILES)
            if not deep:
                return rows
            total = 0
            for n, r in enumerate(rows, 1):
                total += r[2]
                if total >= HASH_BATCH_BYTES:
                    return rows[:n]
            return rows

        # one small-cache reader for the whole phase: worker threads' own connections would each
        # grow the library's 64 MB page cache, and memory must stay flat on a million entries
        reader = await ctx.run_blocking(ctx.library.connect_reader, READER_CACHE_KB)

        # a producer thread reads batch after batch on its own and hands each outcome over through a
        # small queue: the hashing never waits for the event loop or for the previous batch's commit
        # (GIL hand-offs between batches cost deep mode a third of its throughput). Only this coroutine
        # commits, so a checkpoint still covers exactly the rows it stores; outcomes still queued when
        # the job unwinds are dropped, like an uncommitted batch.
        handoff: queue.Queue = queue.Queue(maxsize=2)
        halt = threading.Event()
        stop = (lambda: ctx.interrupt_requested or halt.is_set()) if deep else None

        def produce(after: int) -> None:
            try:
                while not halt.is_set():
                    rows = fetch(reader, after)
                    outcome = identify.identify_batch(plan.root, rows, deep, stop, plan.backend) if rows else None
                    handoff.put((rows, outcome))
                    if not rows or outcome.interrupted or not outcome.processed:
                        return
                    after = rows[outcome.processed - 1][0]
            except BaseException as exc:  # surfaced by the consumer, never lost in the thread
                handoff.put(exc)

        ctx.progress(phase="content", done=st.hashed, total=st.hash_total or None, message="identifying contents")
        producer = asyncio.ensure_future(ctx.run_blocking(produce, st.hash_cursor))
        try:
            while True:
                item = await ctx.run_blocking(handoff.get)
                if isinstance(item, BaseException):
                    raise item
                rows, outcome = item
                if not rows:
                    break
                handled = rows[: outcome.processed]
                for rel, reason in outcome.errors:
                    ctx.add_non_critical_error(join(plan.root, rel), reason)
                now = time.time()

                def tx(conn: sqlite3.Connection, outcome=outcome, handled=handled, now=now) -> None:
                    identify.store(conn, outcome.done, now)
                    if handled:
                        st.hash_cursor = handled[-1][0]
                    st.hashed += len(outcome.done)
                    st.hashed_bytes += outcome.bytes_read
                    st.changed_while_hashing += outcome.changed
                    st.errors += len(outcome.errors)

                await self._commit(ctx, tx)
                ctx.progress(
                    phase="content",
                    done=st.hashed,
                    total=st.hash_total or None,
                    bytes_done=st.hashed_bytes,
                    message=f"{st.hashed} of {st.hash_total} files identified",
                )
                if outcome.interrupted:
                    await ctx.check_interrupt()
                await ctx.check_interrupt()
                if outcome.interrupted or not outcome.processed:
                    break
                if TEST_DELAY:
                    await asyncio.sleep(TEST_DELAY)
        finally:
            halt.set()
            while not producer.done():  # unblock a producer waiting on a full queue, then let it end
                try:
                    handoff.get_nowait()
                except queue.Empty:
                    await asyncio.sleep(0.005)
            try:
                await producer
            except Exception:
                pass
            reader.close()

    async def _finish(self, ctx: JobContext, plan: Plan) -> None:
        st = self.state
        now = time.time()

        # orphaned content identities: after this run's own deletions and edits, and on every run over
        # a whole location (a full walk already costs O(entries); a small follow-up run does not pay it)
        collect = bool(st.deleted or st.modified) or (not plan.target and plan.max_depth is None)

        def tx(conn: sqlite3.Connection) -> None:
            locations.set_last_indexed(conn, plan.location_id, now)
            if collect:
                st.orphans_removed += contents.collect_orphans(conn)
            st.phase = "done"

        # queued before the final commit: after a crash in between, the rerun's enqueue dedupes
        if self.config.mode is IndexMode.DEEP and "thumbnails" in registered():
            await ctx.enqueue_followup("thumbnails", {"location_id": plan.location_id})
        await self._commit(ctx, tx)

    # -- ephemeral -------------------------------------------------------------------------
    async def _run_ephemeral(self, ctx: JobContext, plan: Plan) -> None:
        """Walk (and hash) without writing entries: memory is bounded by the frontier and one batch."""
        st = self.state
        if st.phase == "start":
            st.frontier = [(b"", 0)]
            st.phase = "discovery"
        walker = Walker(plan.root, st.frontier, plan.max_depth, plan.rules, plan.backend)
        hashing = self.config.mode is not IndexMode.SHALLOW
        deep = self.config.mode is IndexMode.DEEP
        while not walker.done:
            await ctx.check_interrupt()
            batch = await ctx.run_blocking(walker.batch, WALK_BATCH_ENTRIES)
            self._record_walk_errors(ctx, plan, batch)
            if hashing:
                k_file = EntryKind.FILE.value
                files = [
                    (0, r[0], r[3], r[6], r[4], None, None)
                    for d in batch.dirs
                    for r in d.rows
                    if r[2] == k_file and r[3] > 0
                ]
                stop = (lambda: ctx.interrupt_requested) if deep else None
                for i in range(0, len(files), HASH_BATCH_FILES):
                    outcome = await ctx.run_blocking(
                        identify.identify_batch, plan.root, files[i : i + HASH_BATCH_FILES], deep, stop, plan.backend
                    )
                    if outcome.interrupted:  # this batch is dropped: the last checkpoint is the state
                        await ctx.check_interrupt()
                    for rel, reason in outcome.errors:
                        ctx.add_non_critical_error(join(plan.root, rel), reason)
                    st.hashed += len(outcome.done)
                    st.hashed_bytes += outcome.bytes_read
                    st.changed_while_hashing += outcome.changed
                    st.errors += len(outcome.errors)
            self._count(batch)
            st.frontier = batch.frontier
            await ctx.checkpoint()
            ctx.progress(
                phase="discovery",
                done=st.files + st.dirs + st.symlinks + st.others,
                bytes_done=st.bytes,
                message=f"{st.files} files, {st.dirs} folders",
            )
        st.phase = "done"

    def _output(self, plan: Plan) -> IndexerOutput:
        st = self.state
        c = self.config
        return IndexerOutput(
            location_id=plan.location_id,
            path=paths.display(join(plan.root, plan.target)),
            mode=c.mode.value,
            persistence=c.persistence.value,
            files=st.files,
            dirs=st.dirs,
            symlinks=st.symlinks,
            others=st.others,
            bytes=st.bytes,
            entries_written=st.entries_written,
            new=st.new,
            modified=st.modified,
            moved=st.moved,
            deleted=st.deleted,
            hashed=st.hashed,
            hashed_bytes=st.hashed_bytes,
            skipped=st.skipped,
            errors=st.errors,
            changed_while_hashing=st.changed_while_hashing,
            folders_aggregated=st.aggregated,
            orphans_removed=st.orphans_removed,
            seconds=round(time.time() - st.started_at, 3),
        )


def _disk_full_cause(exc: BaseException | None) -> BaseException | None:
    seen = 0
    while exc is not None and seen < 10:
        if "disk is full" in str(exc) or "disk full" in str(exc):
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


_BUSY_LOCATIONS: set[int] = set()


class _location_lock:  # noqa: N801 - used as a context manager
    """Two indexer runs on one location (say its root and a sub-folder) take turns: each one's
    folder-id cache and pending deletions assume it is the only writer of that location's rows.
    The waiting job still obeys pause and cancel."""

    def __init__(self, ctx: JobContext, location_id: int):
        self.ctx = ctx
        self.location_id = location_id

    async def __aenter__(self) -> None:
        while self.location_id in _BUSY_LOCATIONS:
            await self.ctx.check_interrupt()
            await asyncio.sleep(0.25)
        _BUSY_LOCATIONS.add(self.location_id)

    async def __aexit__(self, *exc: object) -> None:
        _BUSY_LOCATIONS.discard(self.location_id)


def _chain_rows(fs: VolumeBackend, root: bytes, target: bytes) -> list[tuple]:
    """Rows of the root and of each folder down to ``target`` (so a sub-path has its parents)."""
    rels = [b""]
    if target:
        parts = target.split(b"/")
        rels += [b"/".join(parts[: i + 1]) for i in range(len(parts))]
    rows = []
    for rel in rels:
        full = join(root, rel)
        try:
            st = fs.lstat(full)
        except OSError as exc:
            raise JobError(f"cannot read {paths.display(full)}: {exc.strerror or exc}") from None
        if not stat.S_ISDIR(st.st_mode):  # not a folder, or a symlink to one
            raise JobError(f"{paths.display(full)} is not a folder")
        name = os.path.basename(full) if rel else (os.path.basename(root) or root)
        rows.append(stat_row(rel, name, st, None))
    return rows

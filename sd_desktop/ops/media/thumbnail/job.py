"""ThumbnailJob: thumbnails for library entries with content, batched, resumable, and hostile-input safe.

Work comes from two places, drained in this order:

1. on-demand requests (``requests.request_thumbnails``): ``work_item`` rows of this job whose
   ``seq`` is the entry id — persistent, so they survive a pause or a crash;
2. the configured scope (entries, a location, a path, or the whole library), walked by entry id.
   The state's ``cursor`` is the highest entry id of the scope that is done, so a resumed job
   starts at the entry it reached, not at batch 0.

Each batch: look up what already exists (sidecar rows, failure markers), hand the rest to the
worker pool (``workers``), then record sidecar rows, failure markers, the request rows and the
cursor in one checkpoint. A job over a location or the library ends with a cleanup of sidecars
whose content is no longer in the library; the window's unrecorded thumbnails of pictures on a
volume the library does not hold go only once unused for a month (``sidecars.UNRECORDED_GRACE``).
"""

from __future__ import annotations

import asyncio
import bisect
import errno
import os
import sqlite3
import time
from dataclasses import dataclass, field
from enum import IntEnum
from functools import partial

from sd_desktop import paths
from sd_desktop.enums import WorkStatus
from sd_desktop.jobs import Job, JobContext, JobError, register
from sd_desktop.jobs.errors import JobPaused
from sd_desktop.library import content_files, picture_hashes, volumes, worklist
from sd_desktop.library import sidecars as sidecar_rows
from sd_desktop.library.content_files import ContentFile, Scope
from sd_desktop.library.locations import LocationError
from sd_desktop.ops.media.thumbnail import remote_sources, sidecars
from sd_desktop.ops.media.thumbnail.config import ThumbnailConfig, ThumbnailOutput, ThumbnailState
from sd_desktop.ops.media.thumbnail.generate import (
    FAILED,
    FORMATS,
    NOT_WRITTEN,
    OK,
    SKIPPED,
    Output,
    Result,
    Task,
    decoder_version,
    is_picture,
)
from sd_desktop.ops.media.thumbnail.outside import generate_outside
from sd_desktop.ops.media.thumbnail.workers import WorkerStartError, make_workers

SCAN_ROWS = 1000  # entry rows read per query while collecting a batch of images
# the library's disk cannot take thumbnails: stop instead of failing every remaining picture
FATAL_WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}

# Jobs (ids) that take on-demand requests right now. A job leaves it only inside a writer-thread
# transaction, so a request and a job's decision to finish never cross (see requests.py).
accepting: set[int] = set()


class WorkKind(IntEnum):
    """``work_item.kind`` of this job's work list."""

    REQUEST = 1  # an on-demand request: ``seq`` is the entry id


@dataclass
class _Writes:
    """What a batch records in its checkpoint."""

    sidecars: list[sidecar_rows.SidecarRow] = field(default_factory=list)
    made: list[str] = field(default_factory=list)  # cas_ids that have thumbnails now
    failures: list[tuple[str, str]] = field(default_factory=list)  # (cas_id, reason)
    hashes: list[picture_hashes.PictureHash] = field(default_factory=list)  # made by the same decode


def _scope(conn: sqlite3.Connection, cfg: ThumbnailConfig) -> Scope:
    try:
        return content_files.scope(conn, cfg.location_id, cfg.path)
    except LocationError as exc:
        raise JobError(str(exc)) from None


class _LiveProgress:
    """Progress picture by picture while a batch runs (the state moves only at the checkpoint).

    ``arrived`` is called on the worker pool's thread; it hands the count to the event loop."""

    def __init__(self, job: ThumbnailJob, ctx: JobContext, sizes: dict[int, int]):
        self.job, self.ctx, self.sizes = job, ctx, sizes
        self.loop = asyncio.get_running_loop()
        self.done = self.bytes = self.made = 0
        self.closed = False

    def arrived(self, result: Result) -> None:
        self.loop.call_soon_threadsafe(self._count, result)

    def _count(self, result: Result) -> None:
        if self.closed:
            return
        self.done += 1
        self.bytes += self.sizes.get(result.key, 0)
        self.made += result.outcome == OK
        self.job._report(self.ctx, self.done, self.bytes, self.made)

    def close(self) -> None:
        self.closed = True


@register
class ThumbnailJob(Job):
    NAME = "thumbnails"
    VERSION = 1
    RESUMABLE = True
    DESCRIPTION = "Make thumbnails (sidecars) for pictures in the library"
    Config = ThumbnailConfig
    State = ThumbnailState
    Output = ThumbnailOutput

    def target(self) -> str:
        cfg = self.config
        if cfg.entry_ids:
            return f"{len(cfg.entry_ids)} entries"
        if cfg.path is not None:
            return paths.display(cfg.path)
        if cfg.location_id is not None:
            return f"location {cfg.location_id}"
        return "the whole library"

    def _check_config(self) -> None:
        cfg = self.config
        if not cfg.variants:
            raise JobError("no thumbnail variants configured")
        names = set()
        for v in cfg.variants:
            if not sidecars.VARIANT_NAME.match(v.name) or v.name in names:
                raise JobError(f"bad or repeated variant name {v.name!r} (letters, digits, '-' and '_')")
            if v.format not in FORMATS:
                raise JobError(f"unknown thumbnail format {v.format!r} (one of {', '.join(FORMATS)})")
            if not 1 <= v.size <= 4096:
                raise JobError(f"variant {v.name}: size {v.size} is out of range 1..4096")
            names.add(v.name)
        if cfg.batch_size < 1 or cfg.max_concurrency < 1 or cfg.time_limit <= 0:
            raise JobError("batch_size, max_concurrency and time_limit must be positive")

    def output(self) -> ThumbnailOutput:
        s = self.state
        return ThumbnailOutput(
            generated=s.generated,
            already_present=s.already_present,
            skipped=s.skipped,
            failed=s.failed,
            previously_failed=s.previously_failed,
            requested=s.requested,
            removed_orphans=s.removed_orphans,
            bytes=s.bytes,
            sidecar_bytes=s.sidecar_bytes,
            variants=[v.name for v in self.config.variants],
        )

    # -- running ---------------------------------------------------------------------------
    async def run(self, ctx: JobContext) -> ThumbnailOutput:
        cfg, st = self.config, self.state
        generating = st.phase == "generating"
        if generating:
            accepting.add(ctx.job_id)  # before the first await: a starting job already takes requests
        workers = None
        try:
            self._check_config()
            if not st.started_at:
                st.started_at = time.time()
            lib = ctx.library
            try:
                scope = await lib.read(lambda c: _scope(c, cfg))
                outside = False
            except JobError:
                if cfg.path is None or cfg.location_id is not None:
                    raise
                # a path no location holds: its pictures go to the freedesktop cache (``outside``);
                # requests that reach this job meanwhile are still served below, from an empty scope
                scope, outside = Scope(empty=True), True
            self._ids = sorted(set(cfg.entry_ids)) if cfg.entry_ids else None
            self._roots = await lib.read(content_files.location_roots)
            await ctx.run_blocking(is_picture, None, "")  # imports every Pillow plug-in once
            self._base = str(lib.sidecar_dir)
            self._backend = ctx.backend  # the sources are read through it (in the worker processes)
            self._version = decoder_version()
            self._variants = {v.name: v for v in cfg.variants}
            self._total, self._total_bytes = await lib.read(lambda c: self._totals(c, scope))
            if generating:
                self._report(ctx)
                workers = await ctx.run_blocking(make_workers, cfg.max_concurrency, cfg.time_limit)
                if outside:
                    await generate_outside(self, ctx, workers)
                on_volumes = await lib.read(lambda c: _volumes_of(c, self._roots))
                workers = remote_sources.wrap(workers, lib.folder, on_volumes, asyncio.get_running_loop())
                try:
                    await self._generate(ctx, scope, workers)
                except remote_sources.Unreachable as exc:
                    # a volume went away: the batches done are kept, the rest waits for a resume
                    st.pause_reason = str(exc)
                    ctx.add_non_critical_error(exc.where, st.pause_reason)
                    await ctx.checkpoint()  # the batch in flight is not counted yet: it is made again
                    raise JobPaused() from None
                st.phase = "cleanup"
                await ctx.checkpoint()
        finally:
            accepting.discard(ctx.job_id)
            if workers is not None:
                await ctx.run_blocking(workers.close)
        if cfg.entry_ids or outside:
            return self.output()  # on-demand jobs leave the library-wide cleanup to the others
        await self._cleanup(ctx)
        return self.output()

    def _totals(self, conn: sqlite3.Connection, scope: Scope) -> tuple[int, int]:
        if self._ids is not None:
            return len(self._ids), 0
        return content_files.totals(conn, scope)

    def _done(self) -> int:
        s = self.state
        return s.generated + s.already_present + s.skipped + s.failed + s.previously_failed

    def _report(self, ctx: JobContext, extra_done: int = 0, extra_bytes: int = 0, extra_made: int = 0) -> None:
        """Progress; the ``extra_*`` counts are pictures of the running batch, not yet checkpointed."""
        s = self.state
        done, seen = self._done() + extra_done, s.bytes_seen + extra_bytes
        ctx.progress(
            phase="generating",
            done=done,
            total=max(self._total, done),
            bytes_done=seen,
            bytes_total=max(self._total_bytes, seen) or None,
            message=f"{s.generated + extra_made} made, {s.already_present} present, {s.failed} failed",
        )

    async def _generate(self, ctx: JobContext, scope: Scope, workers) -> None:
        lib, st = ctx.library, self.state
        while True:
            await ctx.check_interrupt()
            requested = await lib.read(lambda c: self._requested_batch(c, ctx.job_id))
            if requested is not None:
                rows, missing = requested
                from_scope = False
            else:
                rows, last_scanned = await lib.read(lambda c: self._scope_batch(c, scope))
                from_scope = True
                missing = []
                if not rows and last_scanned is None:
                    if await lib.write(lambda c: self._close_if_idle(c, ctx.job_id)):
                        return
                    continue
            outcomes, tasks = await lib.read(partial(self._plan, rows=rows))
            live = _LiveProgress(self, ctx, {r.id: r.size for r in rows})
            try:
                results = await ctx.run_blocking(workers.run, tasks, lambda: ctx.interrupt_requested, live.arrived)
            except WorkerStartError as exc:
                raise JobError(f"{exc}; no thumbnails can be made now; run the job again later") from exc
            outcomes.update(results)
            # the cursor moves over the longest prefix of the batch that is done
            if from_scope:
                done_ids = [r.id for r in rows]
                cursor = st.cursor
                for entry_id in done_ids:
                    if entry_id not in outcomes:
                        break
                    cursor = entry_id
                else:
                    cursor = max(cursor, last_scanned)
            live.close()
            writes = self._account(ctx, rows, outcomes)
            if from_scope:
                st.cursor = cursor
            else:
                st.requested += sum(1 for r in rows if r.id in outcomes) + len(missing)
            handled = [(r.id, outcomes[r.id].outcome) for r in rows if r.id in outcomes] + [
                (i, "missing") for i in missing
            ]
            await ctx.checkpoint(
                partial(self._record, job_id=ctx.job_id, writes=writes, handled=None if from_scope else handled)
            )
            self._report(ctx)
            fatal = [r for r in outcomes.values() if r.outcome == NOT_WRITTEN and r.errno in FATAL_WRITE_ERRORS]
            if fatal:
                raise JobError(f"{fatal[0].reason}; free some space (or make the library writable) and run it again")

    def _requested_batch(self, conn: sqlite3.Connection, job_id: int) -> tuple[list[ContentFile], list[int]] | None:
        ids = [r[0] for r in worklist.pending(conn, job_id, ("seq",), self.config.batch_size)]
        if not ids:
            return None
        rows = content_files.by_id(conn, ids)
        have = {r.id for r in rows}
        return rows, [i for i in ids if i not in have]

    def _scope_batch(self, conn: sqlite3.Connection, scope: Scope) -> tuple[list[ContentFile], int | None]:
        """Up to ``batch_size`` image rows after the cursor, plus the non-images read on the way
        (they are counted as skipped). Returns (rows, id of the last row read or None at the end)."""
        st, limit = self.state, self.config.batch_size
        out: list[ContentFile] = []
        images, after, last = 0, st.cursor, None
        while images < limit:
            if self._ids is not None:
                start = bisect.bisect_right(self._ids, after)
                chunk = self._ids[start : start + SCAN_ROWS]
                if not chunk:
                    break
                rows = content_files.among(conn, scope, chunk)
                scanned_to = chunk[-1]
            else:
                rows = content_files.after(conn, scope, after, SCAN_ROWS)
                if not rows:
                    break
                scanned_to = rows[-1].id
            for row in rows:
                out.append(row)
                last = row.id
                if self._is_image(row):
                    images += 1
                    if images >= limit:
                        break
            else:
                last = scanned_to
            after = last
        return out, last

    def _is_image(self, row: ContentFile) -> bool:
        """A picture this build can decode, by MIME type (when indexed with one) or extension."""
        return is_picture(row.mime, row.path)

    def _plan(self, conn: sqlite3.Connection, rows: list[ContentFile]) -> tuple[dict[int, Result], list[Task]]:
        """Decide per row: done already (outcome now) or a task for the workers."""
        cfg = self.config
        outcomes: dict[int, Result] = {}
        candidates = [r for r in rows if r.content_id is not None and r.cas_id and self._is_image(r)]
        have = sidecar_rows.existing(conn, (r.content_id for r in candidates))
        failed_before = (
            set()
            if cfg.regenerate
            else sidecar_rows.known_failures(conn, (r.cas_id for r in candidates), self._version)
        )
        base = self._base
        picture_ids = {r.id for r in candidates}
        tasks: list[Task] = []
        seen: set[int] = set()
        for row in rows:
            if row.id not in picture_ids:
                outcomes[row.id] = Result(row.id, SKIPPED, "not a picture")
                continue
            if row.content_id in seen:
                outcomes[row.id] = Result(row.id, _PRESENT)
                continue
            seen.add(row.content_id)
            rows_of = have.get(row.content_id, {})
            if self._complete(rows_of, base):
                outcomes[row.id] = Result(row.id, _PRESENT)
                continue
            if row.cas_id in failed_before:
                outcomes[row.id] = Result(row.id, _FAILED_BEFORE)
                continue
            root = self._roots.get(row.location_id)
            if root is None:
                outcomes[row.id] = Result(row.id, SKIPPED, "its location is gone")
                continue
            outputs = []
            for v in cfg.variants:
                final = os.path.join(base, sidecars.relative_path(row.cas_id, v))
                outputs.append(Output(v, final, sidecars.temporary_path(final, f"{os.getpid()}-{row.id}")))
            tasks.append(
                Task(
                    row.id,
                    os.path.join(root, row.path),
                    row.cas_id,
                    outputs,
                    max_pixels=cfg.max_pixels,
                    backend=self._backend,
                )
            )
        return outcomes, tasks

    def _complete(self, rows_of: dict[str, sidecar_rows.Stored], base: str) -> bool:
        for name in self._variants:
            row = rows_of.get(name)
            if row is None:
                return False
            if self.config.regenerate and row.created_at < self.state.started_at:
                return False
            if not os.path.exists(os.path.join(base, row.path)):
                return False
        return True

    def _account(self, ctx: JobContext, rows: list[ContentFile], outcomes: dict[int, Result]) -> _Writes:
        """Update the counters and errors; returns the rows to write in the checkpoint."""
        st = self.state
        writes = _Writes()
        by_id = {r.id: r for r in rows}
        for entry_id, res in outcomes.items():
            row = by_id[entry_id]
            st.bytes_seen += row.size
            where = os.path.join(self._roots.get(row.location_id, b""), row.path)
            if res.outcome == OK:
                st.generated += 1
                st.bytes += res.source_bytes
                st.sidecar_bytes += sum(m.size for m in res.made)
                writes.sidecars += sidecars.rows_of(row.content_id, row.cas_id, res.made, self._variants)
                writes.made.append(row.cas_id)
                if res.phash is not None:
                    writes.hashes.append(picture_hashes.PictureHash(row.content_id, res.phash, res.width, res.height))
            elif res.outcome == _PRESENT:
                st.already_present += 1
            elif res.outcome == _FAILED_BEFORE:
                st.previously_failed += 1
            elif res.outcome == SKIPPED:
                st.skipped += 1
            elif res.outcome == FAILED:
                st.failed += 1
                st.bytes += res.source_bytes
                ctx.add_non_critical_error(where, f"no thumbnail: {res.reason}")
                writes.failures.append((row.cas_id, res.reason))
            else:  # vanished, unreadable or not written: not the content's fault, so no marker
                st.failed += 1
                ctx.add_non_critical_error(where, f"no thumbnail: {res.reason}")
        return writes

    def _record(
        self, conn: sqlite3.Connection, job_id: int, writes: _Writes, handled: list[tuple[int, str]] | None
    ) -> None:
        if writes.sidecars:
            sidecar_rows.store(conn, writes.sidecars)
        if writes.made:
            sidecar_rows.clear_failures(conn, writes.made)
        if writes.hashes:
            picture_hashes.store(conn, writes.hashes)
        if writes.failures:
            sidecar_rows.mark_failed(conn, writes.failures, self._version)
        if handled:
            worklist.update(
                conn,
                job_id,
                [
                    (WorkStatus.FAILED if outcome == FAILED else WorkStatus.DONE, outcome, entry_id)
                    for entry_id, outcome in handled
                ],
                ("status", "outcome"),
            )

    def _close_if_idle(self, conn: sqlite3.Connection, job_id: int) -> bool:
        """On the writer thread: stop taking requests unless one arrived meanwhile."""
        if worklist.has_pending(conn, job_id):
            return False
        accepting.discard(job_id)
        return True

    async def _cleanup(self, ctx: JobContext) -> None:
        lib, st = ctx.library, self.state
        ctx.progress(phase="cleanup", message="removing thumbnails of content no longer in the library")
        base = str(lib.sidecar_dir)
        dropped = await lib.write(sidecar_rows.drop_orphans)
        removed = await ctx.run_blocking(sidecars.remove_files, base, dropped)
        removed += await ctx.run_blocking(
            lambda: lib.read_sync(
                lambda c: sidecars.sweep_unreferenced(c, base, st.started_at, lambda: ctx.interrupt_requested)
            )
        )
        st.removed_orphans += removed
        await ctx.check_interrupt()

    async def on_resume(self, ctx: JobContext) -> None:
        """The reason of the last pause (a volume gone) was news then, not a problem of this run."""
        reason = self.state.pause_reason
        if reason:
            ctx.forget_errors(reason)
            self.state.pause_reason = ""

    async def on_cancel(self, ctx: JobContext) -> None:
        # Workers remove their temporary files when stopped; a crash's leftovers go in a cleanup.
        accepting.discard(ctx.job_id)


def _volumes_of(conn: sqlite3.Connection, roots: dict[int, bytes]) -> dict[str, volumes.VolumeRow]:
    """The volumes that hold some of the locations (``NAME:/path`` roots), by name."""
    names = set()
    for root in roots.values():
        address = volumes.split_address(root.decode("utf-8", "replace"))
        if address is not None:
            names.add(address[0])
    return {row.name: row for row in volumes.list_volumes(conn) if row.name in names}


_PRESENT = "already_present"
_FAILED_BEFORE = "previously_failed"

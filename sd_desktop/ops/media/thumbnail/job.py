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
whose content is no longer in the library.
"""

from __future__ import annotations

import asyncio
import bisect
import errno
import os
import sqlite3
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from sd_desktop import paths
from sd_desktop.jobs import Job, JobContext, JobError, register
from sd_desktop.jobs.codec import limits
from sd_desktop.library.locations import normalize
from sd_desktop.library.models import WorkStatus
from sd_desktop.ops.media.thumbnail import sidecars
from sd_desktop.ops.media.thumbnail.generate import (
    DEFAULT_MAX_PIXELS,
    FAILED,
    FORMATS,
    NOT_WRITTEN,
    OK,
    SKIPPED,
    Output,
    Result,
    Task,
    Variant,
    decoder_version,
    default_variants,
    image_extensions,
    image_mimes,
)
from sd_desktop.ops.media.thumbnail.workers import WorkerStartError, make_workers

SCAN_ROWS = 1000  # entry rows read per query while collecting a batch of images
# the library's disk cannot take thumbnails: stop instead of failing every remaining picture
FATAL_WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}

# Jobs (ids) that take on-demand requests right now. A job leaves it only inside a writer-thread
# transaction, so a request and a job's decision to finish never cross (see requests.py).
accepting: set[int] = set()


@dataclass
class ThumbnailConfig:
    location_id: int | None = field(default=None, metadata=limits(1))
    path: Path | None = None
    entry_ids: list[int] = field(default_factory=list, metadata=limits(1))
    variants: list[Variant] = field(default_factory=default_variants)
    regenerate: bool = False
    batch_size: int = field(default=50, metadata=limits(1))
    max_concurrency: int = field(default=2, metadata=limits(1, 256))  # worker processes
    time_limit: float = field(default=30.0, metadata=limits(0.001))  # seconds per file
    # pixels decoded into memory per file (after JPEG draft)
    max_pixels: int = field(default=DEFAULT_MAX_PIXELS, metadata=limits(1))


@dataclass
class ThumbnailState:
    phase: str = "generating"  # generating -> cleanup
    cursor: int = 0  # every entry of the scope with id <= cursor is done
    started_at: float = 0.0
    generated: int = 0
    already_present: int = 0
    skipped: int = 0
    failed: int = 0
    previously_failed: int = 0
    requested: int = 0
    removed_orphans: int = 0
    bytes: int = 0
    sidecar_bytes: int = 0
    bytes_seen: int = 0  # sizes of every entry handled, whatever the outcome (progress)


@dataclass
class ThumbnailOutput:
    generated: int = 0  # sources decoded and written (all variants)
    already_present: int = 0  # every variant existed (or was made earlier in this run for the same content)
    skipped: int = 0  # not an image, or changed since indexing
    failed: int = 0  # failed in this run (recorded; see the job's errors)
    previously_failed: int = 0  # failed before with the same decoder version: not retried
    requested: int = 0  # on-demand requests handled
    removed_orphans: int = 0  # sidecar files removed by the cleanup
    bytes: int = 0  # source bytes decoded
    sidecar_bytes: int = 0  # bytes of thumbnails written
    variants: list[str] = field(default_factory=list)


@dataclass
class _Row:
    id: int
    location_id: int
    path: bytes
    size: int
    content_id: int | None
    cas_id: str | None
    mime: str | None


@dataclass
class _Scope:
    where: str
    args: list
    entry_ids: list[int] | None  # sorted, when the config names entries


ROW_SQL = (
    "SELECT e.id, e.location_id, e.path, e.size, e.content_id, ci.cas_id, e.mime "
    "FROM entry e LEFT JOIN content_identity ci ON ci.id = e.content_id"
)


def _scope(conn: sqlite3.Connection, cfg: ThumbnailConfig) -> _Scope:
    where, args = ["e.kind = 0", "e.content_id IS NOT NULL"], []
    if cfg.location_id is not None:
        if conn.execute("SELECT 1 FROM location WHERE id = ?", (cfg.location_id,)).fetchone() is None:
            raise JobError(f"no location with id {cfg.location_id}")
        where.append("e.location_id = ?")
        args.append(cfg.location_id)
    if cfg.path is not None:
        raw = normalize(cfg.path)
        found = None
        for loc_id, loc_path in conn.execute("SELECT id, path FROM location"):
            loc_path = bytes(loc_path)
            if paths.is_within(raw, loc_path) and (found is None or len(loc_path) > len(found[1])):
                found = (loc_id, loc_path)
        if found is None:
            raise JobError(f"{paths.display(raw)} is not in any location of this library; index it first")
        rel = b"" if raw == found[1] else os.path.relpath(raw, found[1])
        where.append("e.location_id = ?")
        args.append(found[0])
        if rel:
            # the entry itself or anything below it; a range on the (location_id, path) index
            where.append("(e.path = ? OR (e.path >= ? AND e.path < ?))")
            args += [rel, rel + b"/", rel + b"0"]  # '0' is the byte after '/'
    ids = sorted(set(cfg.entry_ids)) if cfg.entry_ids else None
    return _Scope(" AND ".join(where), args, ids)


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
            scope = await lib.read(lambda c: _scope(c, cfg))
            self._roots = await lib.read(
                lambda c: {r[0]: bytes(r[1]) for r in c.execute("SELECT id, path FROM location")}
            )
            self._exts = await ctx.run_blocking(image_extensions)  # imports every Pillow plug-in once
            self._mimes = image_mimes()
            self._base = str(lib.sidecar_dir)
            self._version = decoder_version()
            self._variants = {v.name: v for v in cfg.variants}
            self._total, self._total_bytes = await lib.read(lambda c: self._totals(c, scope))
            if generating:
                self._report(ctx)
                workers = await ctx.run_blocking(make_workers, cfg.max_concurrency, cfg.time_limit)
                await self._generate(ctx, scope, workers)
                st.phase = "cleanup"
                await ctx.checkpoint()
        finally:
            accepting.discard(ctx.job_id)
            if workers is not None:
                await ctx.run_blocking(workers.close)
        if cfg.entry_ids:
            return self.output()  # on-demand jobs leave the library-wide cleanup to the others
        await self._cleanup(ctx)
        return self.output()

    def _totals(self, conn: sqlite3.Connection, scope: _Scope) -> tuple[int, int]:
        if scope.entry_ids is not None:
            return len(scope.entry_ids), 0
        sql = f"SELECT COUNT(*), COALESCE(SUM(e.size), 0) FROM entry e WHERE {scope.where}"
        n, b = conn.execute(sql, scope.args).fetchone()
        return n, b

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

    async def _generate(self, ctx: JobContext, scope: _Scope, workers) -> None:
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

    def _requested_batch(self, conn: sqlite3.Connection, job_id: int) -> tuple[list[_Row], list[int]] | None:
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT seq FROM work_item WHERE job_id = ? AND status = 0 ORDER BY seq LIMIT ?",
                (job_id, self.config.batch_size),
            )
        ]
        if not ids:
            return None
        rows = self._rows(conn, f"e.id IN ({','.join('?' * len(ids))})", ids)
        have = {r.id for r in rows}
        return rows, [i for i in ids if i not in have]

    def _rows(self, conn: sqlite3.Connection, where: str, args: list, tail: str = "") -> list[_Row]:
        return [
            _Row(r[0], r[1], bytes(r[2]), r[3], r[4], r[5], r[6])
            for r in conn.execute(f"{ROW_SQL} WHERE {where} {tail}", args)
        ]

    def _scope_batch(self, conn: sqlite3.Connection, scope: _Scope) -> tuple[list[_Row], int | None]:
        """Up to ``batch_size`` image rows after the cursor, plus the non-images read on the way
        (they are counted as skipped). Returns (rows, id of the last row read or None at the end)."""
        st, limit = self.state, self.config.batch_size
        out: list[_Row] = []
        images, after, last = 0, st.cursor, None
        while images < limit:
            if scope.entry_ids is not None:
                start = bisect.bisect_right(scope.entry_ids, after)
                chunk = scope.entry_ids[start : start + SCAN_ROWS]
                if not chunk:
                    break
                rows = self._rows(conn, f"{scope.where} AND e.id IN ({','.join('?' * len(chunk))})", chunk)
                rows.sort(key=lambda r: r.id)
                scanned_to = chunk[-1]
            else:
                rows = self._rows(
                    conn, f"{scope.where} AND e.id > ?", [*scope.args, after], f"ORDER BY e.id LIMIT {SCAN_ROWS}"
                )
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

    def _is_image(self, row: _Row) -> bool:
        """A picture this build can decode, by MIME type (when indexed with one) or extension."""
        if row.mime and row.mime.split(";")[0].strip().lower() in self._mimes:
            return True
        ext = os.path.splitext(row.path)[1].lower()
        return os.fsdecode(ext) in self._exts

    def _plan(self, conn: sqlite3.Connection, rows: list[_Row]) -> tuple[dict[int, Result], list[Task]]:
        """Decide per row: done already (outcome now) or a task for the workers."""
        cfg = self.config
        outcomes: dict[int, Result] = {}
        candidates = [r for r in rows if r.content_id is not None and r.cas_id and self._is_image(r)]
        have = sidecars.existing(conn, (r.content_id for r in candidates))
        failed_before = (
            set() if cfg.regenerate else sidecars.known_failures(conn, (r.cas_id for r in candidates), self._version)
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
            tasks.append(Task(row.id, os.path.join(root, row.path), row.cas_id, outputs, max_pixels=cfg.max_pixels))
        return outcomes, tasks

    def _complete(self, rows_of: dict[str, sidecars.Existing], base: str) -> bool:
        for name in self._variants:
            row = rows_of.get(name)
            if row is None:
                return False
            if self.config.regenerate and row.created_at < self.state.started_at:
                return False
            if not os.path.exists(os.path.join(base, row.path)):
                return False
        return True

    def _account(self, ctx: JobContext, rows: list[_Row], outcomes: dict[int, Result]) -> list:
        """Update the counters and errors; returns the rows to write in the checkpoint."""
        st = self.state
        writes = []
        by_id = {r.id: r for r in rows}
        for entry_id, res in outcomes.items():
            row = by_id[entry_id]
            st.bytes_seen += row.size
            where = os.path.join(self._roots.get(row.location_id, b""), row.path)
            if res.outcome == OK:
                st.generated += 1
                st.bytes += res.source_bytes
                st.sidecar_bytes += sum(m.size for m in res.made)
                writes.append(("ok", row.content_id, row.cas_id, res.made))
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
                writes.append(("failed", row.content_id, row.cas_id, res.reason))
            else:  # vanished, unreadable or not written: not the content's fault, so no marker
                st.failed += 1
                ctx.add_non_critical_error(where, f"no thumbnail: {res.reason}")
        return writes

    def _record(self, conn: sqlite3.Connection, job_id: int, writes: list, handled: list | None) -> None:
        for kind, content_id, cas_id, payload in writes:
            if kind == "ok":
                sidecars.store(conn, content_id, cas_id, payload, self._variants)
            else:
                sidecars.mark_failed(conn, cas_id, self._version, payload)
        if handled:
            conn.executemany(
                "UPDATE work_item SET status = ?, outcome = ? WHERE job_id = ? AND seq = ?",
                [
                    (WorkStatus.FAILED if outcome == FAILED else WorkStatus.DONE, outcome, job_id, entry_id)
                    for entry_id, outcome in handled
                ],
            )

    def _close_if_idle(self, conn: sqlite3.Connection, job_id: int) -> bool:
        """On the writer thread: stop taking requests unless one arrived meanwhile."""
        if conn.execute("SELECT 1 FROM work_item WHERE job_id = ? AND status = 0 LIMIT 1", (job_id,)).fetchone():
            return False
        accepting.discard(job_id)
        return True

    async def _cleanup(self, ctx: JobContext) -> None:
        lib, st = ctx.library, self.state
        ctx.progress(phase="cleanup", message="removing thumbnails of content no longer in the library")
        base = str(lib.sidecar_dir)
        dropped = await lib.write(sidecars.drop_orphan_rows)
        removed = await ctx.run_blocking(sidecars.remove_files, base, dropped)
        removed += await ctx.run_blocking(
            lambda: lib.read_sync(
                lambda c: sidecars.sweep_unreferenced(c, base, st.started_at, lambda: ctx.interrupt_requested)
            )
        )
        st.removed_orphans += removed
        await ctx.check_interrupt()

    async def on_cancel(self, ctx: JobContext) -> None:
        # Workers remove their temporary files when stopped; a crash's leftovers go in a cleanup.
        accepting.discard(ctx.job_id)


_PRESENT = "already_present"
_FAILED_BEFORE = "previously_failed"

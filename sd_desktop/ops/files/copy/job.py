"""FileCopyJob: copy or move files and folders so that no byte is ever lost.

Phases (the state's cursor): ``plan`` checks the request and expands the sources into a per-file
work list in the ``work_item`` table; ``ask`` (policy ``ask`` only) pauses the job until every
conflict has an answer (see ``conflicts.py``); ``copy`` runs the work list in batches, each
batch's results committed with the state in one checkpoint; ``finish`` gives created folders
their mode and mtime and, for moves, removes the emptied source folders.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections import Counter
from itertools import islice

from sd_desktop import paths
from sd_desktop.enums import EntryKind, WorkStatus
from sd_desktop.jobs import Job, JobContext, JobError, JobPaused, register, registered
from sd_desktop.library import entry_updates, locations, worklist
from sd_desktop.library.entry_updates import Placed, Removed
from sd_desktop.library.protect import first_library_danger
from sd_desktop.ops.files.copy.config import (
    JOB_NAME,
    ConflictPolicy,
    CopyConfig,
    CopyOutcome,
    CopyOutput,
    CopyState,
)
from sd_desktop.ops.files.copy.conflicts import WAITING_PHASE, pending_conflicts
from sd_desktop.ops.files.copy.execute import BatchRunner, Item, Result, source_kept
from sd_desktop.ops.files.copy.items import CONFLICT, TO_COPY, pack_data, unpack_data
from sd_desktop.ops.files.copy.plan import PlanRefused, asked_skip, check_sources, expand
from sd_desktop.ops.files.fsops import new_token
from sd_desktop.volumes import VolumeBackend

BATCH_ITEMS = 500
BATCH_BYTES = 64 * 1024 * 1024
PLAN_CHUNK = 5000
SPACE_SLACK_PER_FILE = 4096
# the columns the plan writes for each item (see items.py)
PLANNED = ("seq", "kind", "src", "dst", "size", "data", "status", "outcome", "reason")


@register
class FileCopyJob(Job):
    NAME = JOB_NAME
    VERSION = 1
    RESUMABLE = True
    DESCRIPTION = "Copy or move files and folders (temp file, fsync, verify, rename into place)"
    Config = CopyConfig
    State = CopyState
    Output = CopyOutput

    def target(self) -> str:
        verb = "move" if self.config.move else "copy"
        n = len(self.config.sources)
        what = paths.display(self.config.sources[0].name) if n == 1 else f"{n} items"
        return f"{verb} {what} to {paths.display(self.config.destination)}"

    def destructive(self) -> bool:
        # a move removes its sources; an overwriting copy replaces what the destination held
        overwrites = self.config.on_conflict in (ConflictPolicy.OVERWRITE, ConflictPolicy.OVERWRITE_IF_OLDER)
        return self.config.move or overwrites

    @property
    def policy(self) -> str:
        return ConflictPolicy(self.config.on_conflict).value

    async def run(self, ctx: JobContext) -> CopyOutput:
        if self.config.move:
            # at every start, whoever queued the move (CLI, app, ``jobs run``): before anything moves
            danger = await ctx.run_blocking(first_library_danger, self.config.sources, ctx.library.folder)
            if danger:
                more = "" if self.state.phase == "plan" else " more"
                raise JobError(f"refused to move: {danger}; nothing{more} was moved")
        if self.state.phase == "plan":
            await self._plan(ctx)
        if self.state.phase == "ask":
            await self._ask(ctx)
        if self.state.phase == "copy":
            await self._copy(ctx)
        if self.state.phase == "finish":
            await self._finish(ctx)
        return await self._output(ctx)

    # -- plan -------------------------------------------------------------------------------
    async def _plan(self, ctx: JobContext) -> None:
        st, job_id = self.state, ctx.job_id
        st.temp_token = st.temp_token or new_token()  # committed with the plan, before any temp file
        ctx.progress(phase="planning", message="checking sources")
        # a plan cut short by a crash starts over: its rows were never part of a checkpoint
        await ctx.library.write(lambda c: worklist.clear(c, job_id))
        try:
            dest, sources = await ctx.run_blocking(
                check_sources, self.config.sources, self.config.destination, self.policy, self.config.move, ctx.backend
            )
        except PlanRefused as exc:
            raise JobError(str(exc)) from None
        it = expand(sources, dest, self.config.move, self.policy, lambda: ctx.interrupt_requested, ctx.backend)
        seq, top_seen, to_write, conflicts = 0, -1, 0, []
        linked: dict[tuple[int, int], list[bytes]] = {}  # hard-linked files among the sources
        st.source_starts, st.items, st.files_total, st.bytes_total = [], 0, 0, 0
        while True:
            try:
                chunk = await ctx.run_blocking(lambda: list(islice(it, PLAN_CHUNK)))
            except InterruptedError:
                await ctx.check_interrupt()
                raise
            except PlanRefused as exc:
                raise JobError(str(exc)) from None
            if not chunk:
                break
            rows = []
            for p in chunk:
                if p.top != top_seen:
                    st.source_starts.append(seq)
                    top_seen = p.top
                if p.status != WorkStatus.PENDING:
                    ctx.add_non_critical_error(p.src, p.reason or "not copied")
                if p.kind == EntryKind.FILE:
                    st.files_total += 1
                    st.bytes_total += p.size
                    if p.status == WorkStatus.PENDING and not p.rename:
                        to_write += p.size + SPACE_SLACK_PER_FILE
                if p.conflict and p.status == WorkStatus.PENDING:
                    conflicts.append(p.dst)
                if p.inode is not None and p.status == WorkStatus.PENDING:
                    linked.setdefault(p.inode, []).append(p.src)
                rows.append(
                    (
                        seq,
                        p.kind,
                        p.src,
                        p.dst,
                        p.size,
                        pack_data(m=p.mtime_ns, mo=p.mode, r=p.rename or None, x=p.existed or None),
                        p.status,
                        _plan_outcome(p),
                        p.reason,
                    )
                )
                seq += 1
            st.items = seq
            await ctx.library.write(lambda c, rows=rows: worklist.add(c, job_id, rows, PLANNED))
            ctx.progress(phase="planning", done=st.files_total, message=f"{st.files_total} files found")
            await ctx.check_interrupt()
        if conflicts and self.policy == "abort":
            raise JobError(f"{paths.display(conflicts[0])} already exists (conflict policy: abort); nothing was copied")
        _note_split_hard_links(ctx, linked)
        free = await ctx.run_blocking(ctx.volumes.free_space, dest)
        if to_write > free:
            raise JobError(
                f"not enough free space in {paths.display(dest)}: the copy needs {_size(to_write)}, "
                f"{_size(free)} is available; nothing was copied"
            )
        try:
            await ctx.run_blocking(ctx.backend.makedirs, dest)
        except OSError as exc:
            raise JobError(f"cannot create the destination folder {paths.display(dest)}: {exc.strerror}") from None
        st.phase = "ask" if conflicts and self.policy == "ask" else "copy"
        await ctx.checkpoint()

    # -- ask --------------------------------------------------------------------------------
    async def _ask(self, ctx: JobContext) -> None:
        waiting = [c for c in await pending_conflicts(ctx.library, ctx.job_id, ctx.backend) if c.answer is None]
        if waiting:
            names = ", ".join(paths.display(c.target.name) for c in waiting[:5])
            more = f" and {len(waiting) - 5} more" if len(waiting) > 5 else ""
            ctx.progress(
                phase=WAITING_PHASE,
                done=0,
                total=len(waiting),
                message=f"{len(waiting)} conflict(s) need an answer: {names}{more}",
            )
            await ctx.checkpoint()
            raise JobPaused()
        self.state.phase = "copy"
        await ctx.checkpoint()

    # -- copy -------------------------------------------------------------------------------
    async def _copy(self, ctx: JobContext) -> None:
        st, job_id = self.state, ctx.job_id
        tracked = await ctx.library.read(entry_updates.tracking)
        dest_root = os.path.abspath(os.fsencode(self.config.destination))
        runner = BatchRunner(
            job_id,
            move=self.config.move,
            verify=self.config.verify,
            policy=self.policy,
            dest_root=dest_root,
            should_stop=lambda: ctx.interrupt_requested,
            add_error=ctx.add_non_critical_error,
            bwlimit=self.config.bwlimit,
            want_stats=tracked,
            temp_token=st.temp_token,
            vol=ctx.backend,
            journal=lambda seq, placed: ctx.library.write_sync(lambda c: _journal(c, job_id, seq, placed)),
        )
        phase = "moving" if self.config.move else "copying"
        while True:
            await ctx.check_interrupt()
            rows = await ctx.library.read(lambda c: worklist.pending(c, job_id, TO_COPY, BATCH_ITEMS))
            if not rows:
                break
            batch, total = [], 0
            for seq, kind, src, dst, size, data in rows:
                if batch and total + size > BATCH_BYTES:
                    break
                d = unpack_data(data)
                batch.append(
                    Item(
                        seq,
                        kind,
                        bytes(src),
                        bytes(dst),
                        size,
                        d.get("m", 0),
                        False,
                        bool(d.get("r")),
                        0,
                        d.get("a"),
                        st.inflight_from <= seq <= st.inflight_to,
                        bool(d.get("x")),
                        d.get("p"),
                    )
                )
                total += size
            conflict_seqs = await ctx.library.read(
                lambda c, lo=batch[0].seq, hi=batch[-1].seq: {
                    r[0] for r in worklist.items(c, job_id, ("seq",), outcome=CONFLICT, seq_from=lo, seq_to=hi)
                }
            )
            for item in batch:
                item.conflict = item.seq in conflict_seqs
            st.inflight_from, st.inflight_to = batch[0].seq, batch[-1].seq
            await ctx.checkpoint()
            base = runner.bytes_done
            sizes = {i.seq: (i.kind, i.size) for i in batch}

            async def tick(base: int = base) -> None:
                while True:
                    ctx.progress(
                        phase=phase,
                        done=st.files_done,
                        total=st.files_total,
                        bytes_done=st.bytes_done + runner.bytes_done - base,
                        bytes_total=st.bytes_total,
                        message=paths.display(os.path.basename(runner.current)),
                    )
                    await asyncio.sleep(0.1)

            ticker = asyncio.create_task(tick())
            try:
                results, abort = await ctx.run_blocking(runner.run, batch)
            finally:
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker
            for r in results:
                kind, size = sizes[r.seq]
                if kind == EntryKind.FILE:
                    st.files_done += 1
                    st.bytes_done += size
            st.inflight_from = st.inflight_to = -1
            touched: set[int] = set(st.touched_locations)
            await ctx.checkpoint(lambda c, rs=results, t=touched: self._store(c, job_id, rs, tracked, t))
            st.touched_locations = sorted(touched)
            ctx.progress(
                phase=phase,
                done=st.files_done,
                total=st.files_total,
                bytes_done=st.bytes_done,
                bytes_total=st.bytes_total,
            )
            if abort:
                raise JobError(f"stopped: {abort}; files already copied stay in place")
        st.phase = "finish"
        await ctx.checkpoint()

    @staticmethod
    def _store(conn: sqlite3.Connection, job_id: int, results: list[Result], tracked: bool, touched: set[int]) -> None:
        worklist.update(
            conn,
            job_id,
            [(r.status, r.outcome, r.reason, r.dst, r.seq) for r in results],
            ("status", "outcome", "reason", "dst"),
            keep_when_none=("dst",),
        )
        if not tracked:
            return
        changes: list[Placed | Removed] = []
        for r in results:
            if r.status != WorkStatus.DONE:
                continue
            if r.src_removed:
                changes.append(Removed(r.src))
            if r.target_stat is not None and r.dst is not None:
                changes.append(Placed(r.dst, r.target_stat))
        touched.update(loc for loc in entry_updates.record(conn, changes) if loc is not None)

    # -- finish -----------------------------------------------------------------------------
    async def _finish(self, ctx: JobContext) -> None:
        job_id, move = ctx.job_id, self.config.move
        ctx.progress(phase="finishing", message="setting folder times")
        rows = await ctx.library.read(
            lambda c: worklist.items(
                c,
                job_id,
                ("seq", "src", "dst", "data", "outcome"),
                kind=EntryKind.DIR,
                status=WorkStatus.DONE,
                descending=True,
            )
        )

        def work() -> list[tuple[int, bytes, bytes, bool, os.stat_result | None]]:
            done = []
            for seq, src, dst, data, outcome in rows:
                src, dst, d = bytes(src), bytes(dst), unpack_data(data)
                if outcome not in ("created", "merged"):
                    continue  # renamed whole by a same-volume move
                try:
                    if outcome == "created":
                        if d.get("mo") is not None:
                            ctx.backend.set_mode(dst, d["mo"] & 0o7777)
                        ctx.backend.set_times(dst, d.get("m", 0), d.get("m", 0))
                except OSError as exc:
                    ctx.add_non_critical_error(dst, f"folder mode or time not kept: {exc.strerror}")
                removed = False
                if move:
                    try:
                        ctx.backend.rmdir(src)
                        removed = True
                    except FileNotFoundError:
                        pass
                    except OSError:
                        ctx.add_non_critical_error(src, "source folder kept: it still holds files that were not moved")
                try:
                    tst = ctx.backend.lstat(dst)
                except OSError:
                    tst = None
                done.append((seq, src, dst, removed, tst))
            return done

        done = await ctx.run_blocking(work)
        tracked = await ctx.library.read(entry_updates.tracking)
        touched: set[int] = set(self.state.touched_locations)

        def tx(conn: sqlite3.Connection) -> None:
            if not tracked:
                return
            changes: list[Placed | Removed] = []
            for _seq, src, dst, removed, tst in done:
                if removed:
                    changes.append(Removed(src))
                if tst is not None:
                    changes.append(Placed(dst, tst))
            # only what was placed calls for a re-index: a source folder removed here was empty,
            # its entry goes and the totals are recomputed now
            for change, loc in zip(changes, entry_updates.record(conn, changes), strict=True):
                if loc is not None and isinstance(change, Placed):
                    touched.add(loc)

        self.state.phase = "done"
        await ctx.checkpoint(tx)
        st = self.state
        ctx.progress(
            phase="done",
            done=st.files_done,
            total=st.files_total,
            bytes_done=st.bytes_done,
            bytes_total=st.bytes_total,
            message="",
        )
        self.state.touched_locations = sorted(touched)
        await self._reindex(ctx)

    async def _reindex(self, ctx: JobContext) -> None:
        """Queue a re-index of the touched folders (totals, content ids) when the indexer exists."""
        if not self.state.touched_locations or "indexer" not in registered():
            return
        candidates = [os.fsencode(self.config.destination)]
        candidates += [os.path.dirname(os.fsencode(s)) for s in self.config.sources]
        folders = await ctx.library.read(
            lambda c: _reindex_folders(c, self.state.touched_locations, candidates, ctx.backend)
        )
        for loc_id, folder in folders:
            try:
                await ctx.enqueue_followup(
                    "indexer", {"location_id": loc_id, "path": os.fsdecode(folder), "scope": "current"}
                )
            except Exception as exc:  # another part's config shape: never fail a finished copy over it
                ctx.log_error(f"could not queue the re-index of location {loc_id}: {exc}")

    # -- output -----------------------------------------------------------------------------
    async def _output(self, ctx: JobContext) -> CopyOutput:
        rows = await ctx.library.read(
            lambda c: worklist.items(
                c, ctx.job_id, ("seq", "kind", "status", "outcome", "reason", "src", "dst", "size")
            )
        )
        out = CopyOutput(moved=self.config.move, verified=self.config.verify or self.config.move)
        starts = list(self.state.source_starts) + [len(rows)]
        for i in range(len(starts) - 1):
            group = rows[starts[i] : starts[i + 1]]
            if group:
                out.outcomes.append(self._source_outcome(group))
        for _seq, kind, status, outcome, reason, src, _dst, size in rows:
            if status == WorkStatus.DONE:
                if kind == EntryKind.FILE:
                    out.files += 1
                    out.bytes += size
                elif kind == EntryKind.DIR and outcome in ("created", "moved", "renamed"):
                    out.dirs += 1  # moved/renamed: a whole folder renamed in one step (its files not counted)
                elif kind == EntryKind.SYMLINK:
                    out.symlinks += 1
                if outcome == "renamed":
                    out.renamed += 1
            elif status == WorkStatus.SKIPPED:
                out.skipped += 1
            elif status == WorkStatus.FAILED:
                out.failed += 1
            self._count(out, kind, status, outcome, reason)
            if status in (WorkStatus.SKIPPED, WorkStatus.FAILED) and len(out.problems) < 200:
                out.problems.append({"path": paths.display(bytes(src)), "outcome": outcome, "reason": reason})
        return out

    def _count(self, out: CopyOutput, kind: int, status: int, outcome: str | None, reason: str | None) -> None:
        if status == WorkStatus.DONE:
            if kind == EntryKind.DIR and outcome in ("created", "merged"):
                return  # a folder made to hold files: its files say whether the copy did its job
            if self.config.move and source_kept(reason):
                out.items_failed += 1
            else:
                out.items_done += 1
        elif status == WorkStatus.SKIPPED and asked_skip(reason, self.policy):
            out.items_done += 1
        else:
            out.items_failed += 1

    def _source_outcome(self, group: list[tuple]) -> CopyOutcome:
        _seq, _kind, status, outcome, reason, src, dst, _size = group[0]
        path, target = paths.to_path(bytes(src)), paths.to_path(bytes(dst))
        if status in (WorkStatus.SKIPPED, WorkStatus.FAILED):
            return CopyOutcome(path, "skipped" if status == WorkStatus.SKIPPED else "failed", reason, target)
        failed = [r for r in group if r[2] == WorkStatus.FAILED]
        skipped = [r for r in group if r[2] == WorkStatus.SKIPPED]
        kept = [r for r in group if r[3] == "copied"] if self.config.move else []
        if failed:
            return CopyOutcome(
                path,
                "failed",
                f"{len(failed)} of {len(group)} items did not make it "
                f"(first: {paths.display(bytes(failed[0][5]))}: {failed[0][4]})",
                target,
            )
        notes = []
        if skipped:
            counts = Counter(r[4] for r in skipped)
            notes.append("skipped: " + ", ".join(f"{n} ({why})" for why, n in counts.most_common(3)))
        if kept:
            notes.append(f"{len(kept)} source(s) kept: {kept[0][4] or 'they changed during the move'}")
        if outcome == "renamed" or os.path.basename(bytes(dst)) != os.path.basename(bytes(src)):
            verdict = "renamed"
        elif self.config.move and not kept:
            verdict = "moved"
        else:
            verdict = "copied"
        if status == WorkStatus.PENDING:
            verdict, notes = "failed", ["not finished"]
        return CopyOutcome(path, verdict, "; ".join(notes) or None, target)

    # -- interruptions ----------------------------------------------------------------------
    async def on_resume(self, ctx: JobContext) -> None:
        await self._remove_temps(ctx)

    async def on_cancel(self, ctx: JobContext) -> None:
        await self._remove_temps(ctx)

    async def _remove_temps(self, ctx: JobContext) -> None:
        lo, hi = self.state.inflight_from, self.state.inflight_to
        if lo < 0:
            return
        rows = await ctx.library.read(lambda c: worklist.items(c, ctx.job_id, ("seq", "dst"), seq_from=lo, seq_to=hi))

        def work() -> None:
            for seq, dst in rows:
                ctx.backend.unlink(
                    ctx.backend.temp_name(bytes(dst), ctx.job_id, seq, self.state.temp_token), missing_ok=True
                )

        await ctx.run_blocking(work)


def _journal(conn: sqlite3.Connection, job_id: int, seq: int, placed: list) -> None:
    """Keep in an item's data the name of its own it is about to be renamed to, and the identity
    of the file given it (committed before that rename: runs on the batch's thread)."""
    ((data,),) = worklist.items(conn, job_id, ("data",), seq_from=seq, seq_to=seq)
    worklist.update(conn, job_id, [(pack_data(**{**unpack_data(data), "p": placed}), seq)], ("data",))


def _plan_outcome(p) -> str | None:
    if p.status == WorkStatus.SKIPPED:
        return "skipped"
    if p.status == WorkStatus.FAILED:
        return "failed"
    return CONFLICT if p.conflict else None


def _reindex_folders(
    conn: sqlite3.Connection, location_ids: list[int], candidates: list[bytes], backend: VolumeBackend
) -> list[tuple[int, bytes]]:
    """(location, folder to re-index) for each location still there: the first candidate folder
    (the destination, then each source's folder) that location holds once symlinks are resolved
    (given as written), else the location's root."""
    held = [locations.locate(conn, backend.realpath(c)) for c in candidates]
    folders = []
    for loc_id in location_ids:
        root = locations.root_of(conn, loc_id)
        if root is None:
            continue
        found = next(
            (c for c, h in zip(candidates, held, strict=True) if h is not None and h.location_id == loc_id), root
        )
        folders.append((loc_id, found))
    return folders


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def _note_split_hard_links(ctx: JobContext, linked: dict[tuple[int, int], list[bytes]]) -> None:
    """Names of one file (hard links) are copied as separate files, as GNOME Files, Dolphin and
    Finder do; the copy then takes more space than the source, so say it once per job."""
    groups = [names for names in linked.values() if len(names) > 1]
    if not groups:
        return
    names = sum(len(g) for g in groups)
    ctx.add_non_critical_error(
        groups[0][0],
        f"{names} copied names are hard links to {len(groups)} file{'s' if len(groups) > 1 else ''} (for example "
        f"{paths.display(groups[0][0])} and {paths.display(groups[0][1])}); they were copied as separate "
        "files, so the copy takes more space than the source",
    )

"""TrashRestoreJob: put trashed items back where they came from, one work item per item.

Each restored item is committed with the job's state (and its library entry, when it lands in a
location) in one checkpoint, so a resumed job continues with the next item. Emptying the trash and
deleting items from it permanently are the delete job's (``mode: permanent``), which removes
their ``.trashinfo`` records with them.
"""

from __future__ import annotations

import os
import sqlite3

from sd_desktop import paths
from sd_desktop.enums import WorkStatus
from sd_desktop.jobs import Job, JobContext, JobError, register, registered
from sd_desktop.library import entry_updates, worklist
from sd_desktop.library.entry_updates import Placed
from sd_desktop.library.locations import locate_many
from sd_desktop.ops.files.trash.config import (
    OnConflict,
    RestoreOutcome,
    TrashRestoreConfig,
    TrashRestoreOutput,
    TrashRestoreState,
)
from sd_desktop.ops.files.trash.restore import RestoreConflict, RestoreError, restore
from sd_desktop.volumes.backend import ReadWriteVolume

STATUS_OF = {
    "restored": WorkStatus.DONE,
    "renamed": WorkStatus.DONE,
    "failed": WorkStatus.FAILED,
    "skipped": WorkStatus.SKIPPED,
}


@register
class TrashRestoreJob(Job):
    NAME = "trash_restore"
    VERSION = 1
    RESUMABLE = True
    DESCRIPTION = "Restore trashed items to where they came from (never over an existing file)"
    Config = TrashRestoreConfig
    State = TrashRestoreState
    Output = TrashRestoreOutput

    def target(self) -> str:
        items = self.config.items
        return paths.display(items[0].name) if len(items) == 1 else f"{len(items)} items"

    async def run(self, ctx: JobContext) -> TrashRestoreOutput:
        if self.state.phase == "plan":
            await self._plan(ctx)
        tracked = await ctx.library.read(entry_updates.tracking)
        rows = await ctx.library.read(
            lambda c: worklist.items(c, ctx.job_id, ("seq", "src"), status=WorkStatus.PENDING)
        )
        policy = OnConflict(self.config.on_conflict).value
        for seq, src in rows:
            await ctx.check_interrupt()
            item = bytes(src)
            ctx.progress(
                phase="restoring",
                done=self.state.done,
                total=self.state.total,
                message=paths.display(os.path.basename(item)),
            )
            outcome, reason, where, st = await ctx.run_blocking(_restore_one, item, policy, ctx.backend)
            await self._commit(ctx, seq, item, outcome, reason, where, st, tracked)
        self.state.phase = "done"
        out = await self._output(ctx)
        await self._reindex(ctx, out)
        return out

    async def _plan(self, ctx: JobContext) -> None:
        items = list(dict.fromkeys(os.path.abspath(os.fsencode(p)) for p in self.config.items))
        if not items:
            raise JobError("nothing to restore: no trashed items given")
        rows = list(enumerate(items))
        self.state.total = len(rows)
        self.state.phase = "restore"
        await ctx.checkpoint(lambda c: worklist.add(c, ctx.job_id, rows, ("seq", "src")))

    async def _commit(self, ctx, seq, item, outcome, reason, where, st, tracked: bool) -> None:
        self.state.done += 1
        if outcome == "failed" and reason:
            ctx.add_non_critical_error(item, reason)

        def tx(conn: sqlite3.Connection) -> None:
            worklist.update(
                conn,
                ctx.job_id,
                [(STATUS_OF[outcome], outcome, reason, where, seq)],
                ("status", "outcome", "reason", "dst"),
            )
            if tracked and st is not None:
                entry_updates.record(conn, [Placed(where, st)])

        await ctx.checkpoint(tx)
        ctx.progress(done=self.state.done, total=self.state.total)

    async def _output(self, ctx: JobContext) -> TrashRestoreOutput:
        rows = await ctx.library.read(lambda c: worklist.items(c, ctx.job_id, ("src", "outcome", "reason", "dst")))
        out = TrashRestoreOutput()
        for src, outcome, reason, dst in rows:
            outcome = outcome or "failed"
            to = paths.to_path(bytes(dst)) if dst is not None else None
            out.outcomes.append(RestoreOutcome(paths.to_path(bytes(src)), outcome, reason, to))
            setattr(out, outcome, getattr(out, outcome) + 1)
            if outcome == "failed":
                out.items_failed += 1
            else:
                out.items_done += 1
        return out

    async def _reindex(self, ctx: JobContext, out: TrashRestoreOutput) -> None:
        """Restored folders inside a location get their contents indexed (their top entry already is)."""
        if "indexer" not in registered():
            return
        restored = [
            os.fsencode(o.restored_to)
            for o in out.outcomes
            if o.restored_to is not None and o.outcome in ("restored", "renamed")
        ]
        folders = await ctx.run_blocking(lambda: [f for f in restored if ctx.backend.isdir(f)])
        places = await ctx.library.read(lambda c: locate_many(c, folders))
        for folder, found in zip(folders, places, strict=True):
            if found is None:
                continue
            try:
                await ctx.enqueue_followup(
                    "indexer", {"location_id": found.location_id, "path": os.fsdecode(folder), "scope": "recursive"}
                )
            except Exception as exc:  # another part's config shape: never fail a finished restore over it
                ctx.log_error(f"could not queue the re-index of {paths.display(folder)}: {exc}")


def _restore_one(
    item: bytes, policy: str, vol: ReadWriteVolume
) -> tuple[str, str | None, bytes | None, os.stat_result | None]:
    """(outcome, reason, where it is now, its lstat) of one item."""
    try:
        done = restore(item, policy, vol)
    except RestoreConflict as exc:
        return "skipped", str(exc), None, None
    except RestoreError as exc:
        return "failed", str(exc), None, None
    notes = []
    if done.beside:
        notes.append(f"{paths.display(os.path.basename(done.original))} exists: restored beside it")
    if done.created_folders:
        notes.append("recreated " + ", ".join(paths.display(f) for f in done.created_folders))
    try:
        st = vol.lstat(done.restored_to)
    except OSError:
        st = None
    return ("renamed" if done.beside else "restored"), "; ".join(notes) or None, done.restored_to, st

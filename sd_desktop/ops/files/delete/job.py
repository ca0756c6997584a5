"""DeleteJob: trash (default), permanent or secure deletion, one work item per path.

Each finished path is committed with the job's state (and the removal of its library entries) in
one checkpoint, so a resumed job continues with the next path; a folder interrupted part-way is
finished on resume (what was deleted is gone, the rest is walked again). Guarded deletions (from
duplicate results) are re-verified per content group right before they run (``guard.py``), duplicate
folders one by one against a kept copy (``folder_guard.py``); lint
findings (trash mode only) are re-checked one by one right before each is trashed
(``lint_rules.recheck``): one that changed is skipped with the reason. Similar pictures are
re-checked the same way, one by one (``guard.check_picture``: unchanged, and a kept look-alike of
it still there and unchanged).

Where each trashed item went (``<trash>/files/<name>``) is kept in its work item's ``dst`` and
reported (``trash_path``, ``trashinfo``), so an undo restores exactly those items. Deleting an item
of a trash's ``files/`` permanently removes its ``.trashinfo`` too; trashing it again is refused
(``freedesktop_trash.AlreadyInTrash``): its new record would name the trash, not where it came from.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import Callable

import msgpack

from sd_desktop import paths
from sd_desktop.cas import HashInterrupted
from sd_desktop.enums import WorkStatus
from sd_desktop.jobs import Job, JobContext, JobError, register
from sd_desktop.library import entry_updates, worklist
from sd_desktop.library.entry_updates import Removed
from sd_desktop.library.protect import first_library_danger
from sd_desktop.ops.files import lint_rules
from sd_desktop.ops.files.delete import folder_guard, guard
from sd_desktop.ops.files.delete.config import (
    DeleteConfig,
    DeleteMode,
    DeleteOutcome,
    DeleteOutput,
    DeleteState,
    GuardedTarget,
)
from sd_desktop.ops.files.delete.freedesktop_trash import trashinfo_of
from sd_desktop.ops.files.delete.strategies import (
    DeleteInterrupted,
    Refused,
    Remover,
    Tally,
    forget_trash_record,
    remove_scrambled,
    secure_delete_caveat,
    trash,
)
from sd_desktop.ops.files.fsops import new_token
from sd_desktop.volumes.local_writes import Capability

ALREADY_GONE = guard.ALREADY_GONE  # the one skip that counts as done: the path is gone, as asked
STATUS_OF = {
    "trashed": WorkStatus.DONE,
    "deleted": WorkStatus.DONE,
    "failed": WorkStatus.FAILED,
    "skipped": WorkStatus.SKIPPED,
}


@register
class DeleteJob(Job):
    NAME = "delete"
    VERSION = 1
    RESUMABLE = True
    DESCRIPTION = "Delete files and folders: to the trash, permanently, or securely (overwrite first)"
    Config = DeleteConfig
    State = DeleteState
    Output = DeleteOutput

    def _paths(self) -> list:
        """The paths this job deletes, whichever kind of list holds them."""
        cfg = self.config
        return (
            [g.path for g in cfg.guarded]
            or [t.path for t in cfg.lint]
            or [t.path for t in cfg.pictures]
            or [f.path for f in cfg.folders]
            or cfg.targets
        )

    def target(self) -> str:
        items = self._paths()
        what = paths.display(items[0].name) if len(items) == 1 else f"{len(items)} items"
        return f"{self.mode.value}: {what}"

    def destructive(self) -> bool:
        return True

    @property
    def mode(self) -> DeleteMode:
        return DeleteMode(self.config.mode)

    async def run(self, ctx: JobContext) -> DeleteOutput:
        cfg = self.config
        if self.mode is not DeleteMode.TRASH and not cfg.confirm:
            raise JobError(
                f"{self.mode.value} deletion cannot be undone and needs an explicit confirmation "
                "(confirm=true in the job config, --yes on the command line); nothing was deleted"
            )
        if cfg.lint and self.mode is not DeleteMode.TRASH:
            raise JobError("lint findings go to the trash only; nothing was deleted")
        if self.mode is DeleteMode.SECURE and not 1 <= cfg.passes <= 35:
            raise JobError(f"secure deletion needs 1 to 35 passes, not {cfg.passes}")
        needs = {DeleteMode.TRASH: Capability.TRASH, DeleteMode.SECURE: Capability.SECURE_OVERWRITE}.get(self.mode)
        if needs is not None and not ctx.backend.supports(needs):
            raise JobError(f"this volume does not support {needs.value}; nothing was deleted")
        # at every start, whoever queued the job (CLI, app, ``jobs run``): before anything is deleted
        danger = await ctx.run_blocking(
            first_library_danger,
            self._paths(),
            ctx.library.folder,
        )
        if danger:
            more = "" if self.state.phase == "plan" else " more"
            raise JobError(f"refused: {danger}; nothing{more} was deleted")
        if self.state.phase == "plan":
            await self._plan(ctx)
        tracked = await ctx.library.read(entry_updates.tracking)
        tally = Tally()
        remover = Remover(
            passes=cfg.passes if self.mode is DeleteMode.SECURE else 0,
            force_hardlinks=cfg.force_hardlinks,
            should_stop=lambda: ctx.interrupt_requested,
            tally=tally,
            vol=ctx.backend,
        )
        rows = await ctx.library.read(
            lambda c: worklist.items(c, ctx.job_id, ("seq", "src", "data"), status=WorkStatus.PENDING)
        )
        pending = [(seq, bytes(src), msgpack.unpackb(bytes(data)) if data else {}) for seq, src, data in rows]
        if cfg.guarded:
            await self._run_guarded(ctx, pending, remover, tally, tracked)
        elif cfg.lint:
            await self._run_lint(ctx, pending, remover, tally, tracked)
        elif cfg.pictures:
            await self._run_pictures(ctx, pending, remover, tally, tracked)
        elif cfg.folders:
            await self._run_folders(ctx, pending, remover, tally, tracked)
        else:
            for seq, path, _data in pending:
                await ctx.check_interrupt()
                outcome, reason, where = await self._delete_one(ctx, path, remover, tally, seq)
                await self._commit(ctx, seq, path, outcome, reason, tally, tracked, where)
        self.state.phase = "done"
        return await self._output(ctx)

    async def _plan(self, ctx: JobContext) -> None:
        cfg = self.config
        guarded = [os.path.abspath(os.fsencode(g.path)) for g in cfg.guarded]
        targets = [os.path.abspath(os.fsencode(t)) for t in cfg.targets]
        if guarded and set(targets) - set(guarded):
            raise JobError("a guarded deletion deletes exactly its guarded paths; other targets were given too")
        if cfg.lint:
            if guarded or targets:
                raise JobError("a deletion of lint findings deletes exactly those; other targets were given too")
            odd = next((t.type for t in cfg.lint if t.type not in lint_rules.TRASHABLE), None)
            if odd is not None:
                raise JobError(f"{odd} findings are never trashed (only {', '.join(lint_rules.TRASHABLE)})")
            guarded = [os.path.abspath(os.fsencode(t.path)) for t in cfg.lint]
        if cfg.pictures:
            if guarded or targets:
                raise JobError("a deletion of similar pictures deletes exactly those; other targets were given too")
            guarded = [os.path.abspath(os.fsencode(t.path)) for t in cfg.pictures]
        if cfg.folders:
            if guarded or targets:
                raise JobError("a deletion of duplicate folders deletes exactly those; other targets were given too")
            guarded = [os.path.abspath(os.fsencode(f.path)) for f in cfg.folders]
        chosen = guarded or targets
        if not chosen:
            raise JobError("nothing to delete: no paths given")
        for raw in chosen:
            if not os.path.basename(raw):
                raise JobError(f"refusing to delete {paths.display(raw)}")
        rows, seen = [], set()
        for i, raw in enumerate(chosen):
            if raw in seen:
                continue
            seen.add(raw)
            data = msgpack.packb({"g": i}) if guarded else None
            rows.append((len(rows), raw, data))
        self.state.total = len(rows)
        self.state.phase = "delete"
        self.state.temp_token = self.state.temp_token or new_token()
        await ctx.checkpoint(lambda c: worklist.add(c, ctx.job_id, rows, ("seq", "src", "data")))

    async def _delete_one(
        self,
        ctx: JobContext,
        path: bytes,
        remover: Remover,
        tally: Tally,
        seq: int = -1,
        precheck: Callable[[], str | None] | None = None,
    ) -> tuple[str, str | None, bytes | None]:
        """(outcome, reason, where a trashed item is now) of one path. ``precheck``, run in the same
        blocking step right before the removal, may veto it with a reason (the path is skipped)."""
        token = self.state.temp_token
        # the token keeps a job that reuses a lost job's id away from that job's leftovers
        prefix = f".sd-desktop-shred-{ctx.job_id}-{token}-{seq}-" if token else f".sd-desktop-shred-{ctx.job_id}-{seq}-"
        remover.scramble_prefix = prefix

        def work() -> tuple[str, str | None, bytes | None]:
            if precheck is not None:
                veto = precheck()
                if veto is not None:
                    return "skipped", veto, None
            leftover = self.mode is DeleteMode.SECURE and remove_scrambled(os.path.dirname(path), prefix, ctx.backend)
            tally.overwritten += leftover  # a killed run overwrote these before scrambling their names
            if not ctx.backend.lexists(path):
                if self.mode is not DeleteMode.TRASH:
                    forget_trash_record(path, ctx.backend)  # an orphan record of a trash item goes with it
                if leftover:
                    return "deleted", "finished after an interruption", None
                return "skipped", ALREADY_GONE, None
            if self.mode is DeleteMode.TRASH:
                try:
                    where = trash(path, ctx.backend)
                except Exception as exc:  # send2trash (Windows, macOS) raises several types; each is a failure
                    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                    return "failed", f"could not move to the trash: {text}; nothing was deleted", None
                return "trashed", None, where
            try:
                remover.delete(path)
            except Refused as exc:
                return "skipped", str(exc), None
            except OSError as exc:
                if exc.errno == 39:  # ENOTEMPTY
                    return "failed", "some of its contents could not be deleted (see the errors)", None
                return "failed", exc.strerror or str(exc), None
            forget_trash_record(path, ctx.backend)  # deleted from a trash: its .trashinfo goes too
            return "deleted", None, None

        ticker = asyncio.create_task(self._tick(ctx, tally))
        try:
            return await ctx.run_blocking(work)
        except DeleteInterrupted:
            self.state.files_deleted += tally.files
            self.state.bytes_deleted += tally.bytes
            overwritten, tally.files, tally.bytes, tally.overwritten = tally.overwritten, 0, 0, 0
            await ctx.checkpoint(lambda c: _add_overwritten(c, ctx.job_id, seq, overwritten))
            await ctx.check_interrupt()
            raise
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            for shown, why in tally.problems:
                ctx.add_non_critical_error(shown, why)
            tally.problems.clear()

    async def _tick(self, ctx: JobContext, tally: Tally) -> None:
        while True:
            ctx.progress(
                phase="deleting" if self.mode is not DeleteMode.TRASH else "trashing",
                done=self.state.done,
                total=self.state.total,
                bytes_done=self.state.bytes_deleted + tally.bytes,
                message=paths.display(os.path.basename(tally.current)) if tally.current else None,
            )
            await asyncio.sleep(0.1)

    async def _commit(
        self,
        ctx: JobContext,
        seq: int,
        path: bytes,
        outcome: str,
        reason: str | None,
        tally: Tally,
        tracked: bool,
        where: bytes | None = None,
    ) -> None:
        st = self.state
        st.done += 1
        st.files_deleted += tally.files
        st.bytes_deleted += tally.bytes
        overwritten, tally.files, tally.bytes, tally.overwritten = tally.overwritten, 0, 0, 0
        if outcome == "failed" and reason:
            ctx.add_non_critical_error(path, reason)

        def tx(conn: sqlite3.Connection) -> None:
            worklist.update(
                conn,
                ctx.job_id,
                [(STATUS_OF[outcome], outcome, reason, where, seq)],
                ("status", "outcome", "reason", "dst"),
            )
            _add_overwritten(conn, ctx.job_id, seq, overwritten)
            if tracked and outcome in ("trashed", "deleted"):
                entry_updates.record(conn, [Removed(path)])

        await ctx.checkpoint(tx)
        ctx.progress(done=st.done, total=st.total, bytes_done=st.bytes_deleted)

    async def _run_guarded(self, ctx: JobContext, pending: list, remover: Remover, tally: Tally, tracked: bool) -> None:
        by_index = {d["g"]: (seq, path) for seq, path, d in pending}
        targets: list[GuardedTarget] = [g for i, g in enumerate(self.config.guarded) if i in by_index]
        index_of = {id(g): i for i, g in enumerate(self.config.guarded)}
        for group in guard.groups(targets):
            await ctx.check_interrupt()
            ctx.progress(phase="verifying", message=f"re-checking {len(group)} copies before deleting")
            try:
                verdicts = await ctx.run_blocking(
                    guard.check_group, group, lambda: ctx.interrupt_requested, ctx.backend
                )
            except HashInterrupted:
                await ctx.check_interrupt()
                raise
            for v in verdicts:
                seq, path = by_index[index_of[id(v.target)]]
                where = None
                if v.allowed:
                    outcome, reason, where = await self._delete_one(ctx, path, remover, tally, seq)
                    reason = reason or v.reason
                else:
                    outcome, reason = "skipped", v.reason
                await self._commit(ctx, seq, path, outcome, reason, tally, tracked, where)

    async def _run_lint(self, ctx: JobContext, pending: list, remover: Remover, tally: Tally, tracked: bool) -> None:
        for seq, path, data in pending:
            await ctx.check_interrupt()
            t = self.config.lint[data["g"]]
            outcome, reason, where = await self._delete_one(
                ctx,
                path,
                remover,
                tally,
                seq,
                lambda t=t, path=path: lint_rules.recheck(t.type, path, t.size, t.mtime_ns),
            )
            await self._commit(ctx, seq, path, outcome, reason, tally, tracked, where)

    async def _run_pictures(
        self, ctx: JobContext, pending: list, remover: Remover, tally: Tally, tracked: bool
    ) -> None:
        for seq, path, data in pending:
            await ctx.check_interrupt()
            t = self.config.pictures[data["g"]]
            outcome, reason, where = await self._delete_one(
                ctx, path, remover, tally, seq, lambda t=t, path=path: guard.check_picture(t, path, ctx.backend)
            )
            await self._commit(ctx, seq, path, outcome, reason, tally, tracked, where)

    async def _run_folders(self, ctx: JobContext, pending: list, remover: Remover, tally: Tally, tracked: bool) -> None:
        doomed = {os.path.abspath(os.fsencode(f.path)) for f in self.config.folders}
        for seq, path, data in pending:
            await ctx.check_interrupt()
            f = self.config.folders[data["g"]]
            ctx.progress(
                phase="verifying", message=f"comparing {paths.display(os.path.basename(path))} with a kept copy"
            )
            try:
                outcome, reason, where = await self._delete_one(
                    ctx,
                    path,
                    remover,
                    tally,
                    seq,
                    lambda f=f, path=path: folder_guard.recheck(
                        path, f.keepers, doomed, lambda: ctx.interrupt_requested, ctx.backend
                    ),
                )
            except HashInterrupted:
                await ctx.check_interrupt()  # verified again when it resumes
                raise
            await self._commit(ctx, seq, path, outcome, reason, tally, tracked, where)

    async def _output(self, ctx: JobContext) -> DeleteOutput:
        rows = await ctx.library.read(
            lambda c: worklist.items(c, ctx.job_id, ("src", "outcome", "reason", "size", "dst"))
        )
        out = DeleteOutput(
            mode=self.mode.value, files_deleted=self.state.files_deleted, bytes_deleted=self.state.bytes_deleted
        )
        for src, outcome, reason, _overwritten, dst in rows:
            row = DeleteOutcome(paths.to_path(bytes(src)), outcome or "failed", reason)
            if outcome == "trashed" and dst is not None:
                row.trash_path = paths.to_path(bytes(dst))
                row.trashinfo = paths.to_path(trashinfo_of(bytes(dst)))
            out.outcomes.append(row)
            if outcome == "trashed":
                out.trashed += 1
            elif outcome == "deleted":
                out.deleted += 1
            elif outcome == "skipped":
                out.skipped += 1
            else:
                out.failed += 1
            if outcome in ("trashed", "deleted") or reason == ALREADY_GONE:
                out.items_done += 1
            else:
                out.items_failed += 1
        overwritten = [bytes(src) for src, _outcome, _reason, files, _dst in rows if files]
        if self.mode is DeleteMode.SECURE and overwritten:  # the caveat says "overwrote": only when it did
            out.warnings = await ctx.run_blocking(self._caveats, ctx, overwritten)
        return out

    @staticmethod
    def _caveats(ctx: JobContext, targets: list[bytes]) -> list[str]:
        found: list[str] = []
        for path in targets:
            vol = ctx.volumes.volume_for(os.path.dirname(path) or b"/")
            text = secure_delete_caveat(
                vol.fstype if vol else None,
                copy_on_write=bool(vol and vol.is_copy_on_write),
                network=bool(vol and vol.is_network),
            )
            if text not in found:
                found.append(text)
        return found


def _add_overwritten(conn: sqlite3.Connection, job_id: int, seq: int, files: int) -> None:
    """Count, in the item's ``size`` column, the files secure mode overwrote for it (a resumed
    item adds to what its earlier runs did)."""
    if files:
        worklist.add_to_size(conn, job_id, seq, files)

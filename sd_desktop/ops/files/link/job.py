"""LinkJob: extra copies of verified duplicates replaced by hard links or reflinks to the kept file
(or, as an undo, given independent bytes again), one work item per path.

The job follows a duplicate search (its parent) like the guarded delete does, and trusts nothing of
it: each path is re-verified just before its swap (``swap.py``: same size, mtime and full hash as
the search saw, the kept file's full hash too), linked or cloned to a temporary name beside it,
checked, then renamed over it, so no path is ever missing. Each finished path is committed with the
job's state in one checkpoint, and its temporary name is derived from (job, token, item), so a
resumed job removes a killed run's leftover and continues with the next path.
"""

from __future__ import annotations

import os
import sqlite3

import msgpack

from sd_desktop import paths
from sd_desktop.cas import HashInterrupted
from sd_desktop.enums import WorkStatus
from sd_desktop.jobs import Job, JobContext, JobError, register
from sd_desktop.library import worklist
from sd_desktop.library.protect import first_library_danger
from sd_desktop.ops.files.fsops import new_token
from sd_desktop.ops.files.link.config import (
    LinkConfig,
    LinkMethod,
    LinkOutcome,
    LinkOutput,
    LinkState,
)
from sd_desktop.ops.files.link.swap import Result, Swapper
from sd_desktop.volumes.local_writes import Capability

DONE = ("linked", "already", "restored")
STATUS_OF = {
    "linked": WorkStatus.DONE,
    "already": WorkStatus.DONE,
    "restored": WorkStatus.DONE,
    "skipped": WorkStatus.SKIPPED,
    "failed": WorkStatus.FAILED,
}


@register
class LinkJob(Job):
    NAME = "link_duplicates"
    VERSION = 1
    RESUMABLE = True
    DESCRIPTION = "Replace extra copies of duplicates by hard links or reflinks to the kept file (or undo that)"
    Config = LinkConfig
    State = LinkState
    Output = LinkOutput

    def target(self) -> str:
        items = self.config.targets
        what = paths.display(items[0].path.name) if len(items) == 1 else f"{len(items)} copies"
        return f"{self.method.value}: {what}"

    def destructive(self) -> bool:
        return True  # it replaces files (never loses bytes, but a crash must not resume it unasked)

    @property
    def method(self) -> LinkMethod:
        return LinkMethod(self.config.method)

    async def run(self, ctx: JobContext) -> LinkOutput:
        cfg = self.config
        if not cfg.confirm:
            raise JobError(
                "replacing copies by links needs an explicit confirmation "
                "(confirm=true in the job config, --yes on the command line); nothing was changed"
            )
        danger = await ctx.run_blocking(
            first_library_danger, [t.path for t in cfg.targets] + [t.keeper for t in cfg.targets], ctx.library.folder
        )
        if danger:
            raise JobError(f"refused: {danger}; nothing was changed")
        needs = {LinkMethod.HARDLINK: Capability.HARDLINK, LinkMethod.REFLINK: Capability.REFLINK}.get(self.method)
        if needs is not None and not ctx.backend.supports(needs):
            raise JobError(f"this volume does not support {needs.value}; nothing was changed")
        if self.state.phase == "plan":
            await self._plan(ctx)
        swapper = Swapper(self.method, cfg.ignore_metadata, lambda: ctx.interrupt_requested, ctx.backend)
        rows = await ctx.library.read(
            lambda c: worklist.items(c, ctx.job_id, ("seq", "src"), status=WorkStatus.PENDING)
        )
        for seq, src in rows:
            await ctx.check_interrupt()
            t = cfg.targets[seq]
            temp = self._temp(ctx, bytes(src), seq)
            ctx.progress(
                phase="restoring copies" if self.method is LinkMethod.COPY else "linking",
                done=self.state.done,
                total=self.state.total,
                bytes_done=self.state.bytes_saved,
                message=paths.display(os.path.basename(bytes(src))),
            )
            try:
                result = await ctx.run_blocking(swapper.swap, t, temp)
            except (HashInterrupted, InterruptedError):
                await ctx.run_blocking(lambda temp=temp: ctx.backend.unlink(temp, missing_ok=True))
                await ctx.check_interrupt()
                raise
            await self._commit(ctx, seq, bytes(src), result)
        self.state.phase = "done"
        return await self._output(ctx)

    def _temp(self, ctx: JobContext, path: bytes, seq: int) -> bytes:
        return ctx.backend.temp_name(path, ctx.job_id, seq, self.state.temp_token)

    async def _plan(self, ctx: JobContext) -> None:
        targets = self.config.targets
        if not targets:
            raise JobError("nothing to link: no copies given")
        seen: set[bytes] = set()
        for t in targets:
            raw, keeper = os.path.abspath(os.fsencode(t.path)), os.path.abspath(os.fsencode(t.keeper))
            if raw == keeper:
                raise JobError(f"{paths.display(raw)} is its own kept copy")
            if raw in seen:
                raise JobError(f"{paths.display(raw)} is listed twice")
            seen.add(raw)
        rows = [(i, os.path.abspath(os.fsencode(t.path))) for i, t in enumerate(targets)]
        self.state.total = len(rows)
        self.state.phase = "link"
        self.state.temp_token = self.state.temp_token or new_token()
        await ctx.checkpoint(lambda c: worklist.add(c, ctx.job_id, rows, ("seq", "src")))

    async def _commit(self, ctx: JobContext, seq: int, path: bytes, result: Result) -> None:
        st = self.state
        st.done += 1
        st.bytes_saved += result.saved
        if result.outcome == "failed":
            ctx.add_non_critical_error(path, result.reason or "failed")
        data = msgpack.packb(result.before) if result.before else None

        def tx(conn: sqlite3.Connection) -> None:
            worklist.update(
                conn,
                ctx.job_id,
                [(STATUS_OF[result.outcome], result.outcome, result.reason, result.saved, data, seq)],
                ("status", "outcome", "reason", "size", "data"),
            )

        await ctx.checkpoint(tx)
        ctx.progress(done=st.done, total=st.total, bytes_done=st.bytes_saved)

    async def on_cancel(self, ctx: JobContext) -> None:
        rows = await ctx.library.read(
            lambda c: worklist.items(c, ctx.job_id, ("seq", "src"), status=WorkStatus.PENDING)
        )
        temps = [self._temp(ctx, bytes(src), seq) for seq, src in rows]
        await ctx.run_blocking(lambda: [ctx.backend.unlink(t, missing_ok=True) for t in temps])

    async def _output(self, ctx: JobContext) -> LinkOutput:
        rows = await ctx.library.read(
            lambda c: worklist.items(c, ctx.job_id, ("seq", "outcome", "reason", "size", "data"))
        )
        out = LinkOutput(method=self.method.value, bytes_saved=self.state.bytes_saved)
        for seq, outcome, reason, _saved, data in rows:
            t = self.config.targets[seq]
            before = msgpack.unpackb(bytes(data)) if data else {}
            outcome = outcome or "failed"
            out.outcomes.append(
                LinkOutcome(
                    path=t.path,
                    keeper=t.keeper,
                    outcome=outcome,
                    reason=reason,
                    size=t.size,
                    hash=t.hash,
                    mode=before.get("mode"),
                    uid=before.get("uid"),
                    gid=before.get("gid"),
                    atime_ns=before.get("atime_ns"),
                    mtime_ns=before.get("mtime_ns"),
                )
            )
            if outcome in ("linked", "restored"):
                out.linked += 1
            elif outcome == "already":
                out.already += 1
            elif outcome == "skipped":
                out.skipped += 1
            else:
                out.failed += 1
            if outcome in DONE:
                out.items_done += 1
            else:
                out.items_failed += 1
        return out

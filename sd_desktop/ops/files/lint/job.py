"""LintJob: empty folders, empty files, broken symlinks, mislabelled files and temporary files.

The roots are planned into units of work (a root's own entries, then each folder directly in it
with everything below it); each unit is walked in one blocking call and its findings are committed
with its done mark in one checkpoint, so a resumed job walks only the units not committed yet (a
unit interrupted half-way is walked again, its findings were not kept). Folders that cannot be
listed are non-critical errors. The job finds only: removal is the delete job's, in trash mode,
with each finding re-checked just before (``DeleteConfig.lint``).
"""

from __future__ import annotations

import os
import stat

import msgpack

from sd_desktop import paths
from sd_desktop.enums import WorkStatus
from sd_desktop.jobs import Job, JobContext, JobError, register
from sd_desktop.library import worklist
from sd_desktop.ops.files import lint_rules
from sd_desktop.ops.files.file_listing import resolve_roots
from sd_desktop.ops.files.lint.config import LintConfig, LintFinding, LintOutput, LintState, WorkKind
from sd_desktop.ops.files.lint.scan import ScanInterrupted, scan_entry, scan_folder
from sd_desktop.volumes.backend import VolumeBackend


@register
class LintJob(Job):
    NAME = "lint"
    VERSION = 1
    RESUMABLE = True
    DESCRIPTION = "Find empty folders and files, broken links, mislabelled and temporary files"
    Config = LintConfig
    State = LintState
    Output = LintOutput

    def target(self) -> str:
        roots = self.config.paths
        return paths.display(roots[0]) if len(roots) == 1 else f"{len(roots)} folders"

    async def run(self, ctx: JobContext) -> LintOutput:
        if self.state.phase == "plan":
            await self._plan(ctx)
        units = await ctx.library.read(
            lambda c: worklist.items(c, ctx.job_id, ("seq", "kind", "src"), status=WorkStatus.PENDING)
        )
        for seq, kind, src in units:
            if kind == WorkKind.FINDING:
                continue
            await ctx.check_interrupt()
            path = bytes(src)
            ctx.progress(phase="looking", done=self.state.done, total=self.state.total, message=paths.display(path))
            problems: list[tuple[bytes, str]] = []
            try:
                found = await ctx.run_blocking(
                    _scan, path, kind, problems, lambda: ctx.interrupt_requested, ctx.backend
                )
            except ScanInterrupted:
                await ctx.check_interrupt()
                raise
            for where, message in problems:
                ctx.add_non_critical_error(where, message)
            await self._commit(ctx, seq, found)
        self.state.phase = "done"
        return await self._output(ctx)

    async def _plan(self, ctx: JobContext) -> None:
        if not self.config.paths:
            raise JobError("nothing to look at: no paths given")
        roots = resolve_roots([os.fsencode(p) for p in self.config.paths], ctx.backend)
        plan, problems = await ctx.run_blocking(_plan_units, roots, ctx.backend)
        for where, message in problems:
            ctx.add_non_critical_error(where, message)
        rows = [(i, int(kind), path) for i, (kind, path) in enumerate(plan)]
        self.state.total = len(rows)
        self.state.phase = "scan"
        await ctx.checkpoint(lambda c: worklist.replace(c, ctx.job_id, rows, ("seq", "kind", "src")))

    async def _commit(self, ctx: JobContext, seq: int, found: list) -> None:
        st = self.state
        first = st.findings
        rows = [
            (-(first + i + 1), int(WorkKind.FINDING), path, size, msgpack.packb([kind, message, mtime]))
            for i, (path, kind, message, size, mtime) in enumerate(found)
        ]
        st.findings += len(rows)
        st.done += 1

        def tx(conn) -> None:
            worklist.add(conn, ctx.job_id, rows, ("seq", "kind", "src", "size", "data"))
            worklist.update(conn, ctx.job_id, [(int(WorkStatus.DONE), seq)], ("status",))

        await ctx.checkpoint(tx)
        ctx.progress(done=st.done, total=st.total)

    async def _output(self, ctx: JobContext) -> LintOutput:
        rows = await ctx.library.read(
            lambda c: worklist.items(c, ctx.job_id, ("src", "size", "data"), kind=WorkKind.FINDING)
        )
        out = LintOutput(counts=dict.fromkeys(lint_rules.TYPES, 0), paths=[paths.display(p) for p in self.config.paths])
        for src, size, data in rows:
            kind, message, mtime = msgpack.unpackb(bytes(data))
            out.findings.append(LintFinding(paths.to_path(bytes(src)), kind, message, size or 0, mtime))
            out.counts[kind] += 1
        out.findings.sort(key=lambda f: os.fsencode(f.path))
        return out


def _plan_units(roots: list[bytes], fs: VolumeBackend) -> tuple[list[tuple[WorkKind, bytes]], list[tuple[bytes, str]]]:
    """The units of work of ``roots`` (resolved, de-nested), and the roots that cannot be read."""
    plan: list[tuple[WorkKind, bytes]] = []
    problems: list[tuple[bytes, str]] = []
    for root in roots:
        try:
            st = fs.lstat(root)
        except OSError as exc:
            problems.append((root, f"cannot read: {exc.strerror or exc}"))
            continue
        if not stat.S_ISDIR(st.st_mode):
            plan.append((WorkKind.ENTRY, root))
            continue
        plan.append((WorkKind.ROOT, root))
        try:
            with fs.scandir(root) as it:
                subdirs = sorted(e.path for e in it if e.is_dir(follow_symlinks=False))
        except OSError:
            continue  # the ROOT unit reports it
        plan += [(WorkKind.FOLDER, d) for d in subdirs]
    return plan, problems


def _scan(path: bytes, kind: int, problems: list, should_stop, fs: VolumeBackend) -> list:
    def on_error(where: bytes, message: str) -> None:
        problems.append((where, message))

    if kind == WorkKind.ENTRY:
        return scan_entry(path, on_error, fs)
    if kind == WorkKind.ROOT:
        return scan_folder(path, on_error, should_stop, recursive=False, report_self=False, fs=fs)
    return scan_folder(path, on_error, should_stop, fs=fs)

"""DuplicateFoldersJob: folders whose whole content is identical, confirmed byte for byte.

Phases: ``scan`` walks the search paths once (``shape``) and groups their folders by shape; the
candidate groups are committed as ``work_item`` rows in one checkpoint (a scan is not committed
half-way: after a crash it runs again). ``confirm`` then takes the groups in order, shallowest first,
walking each folder afresh and hashing every file in it (``content``); after about a second of work
the confirmed groups, the hash-cache rows of what was read and the cursor are committed together, so
after a pause or kill -9 the job continues at the first group not committed. A group whose folders
all sit in the folders of one confirmed group is implied by it and is not read at all (it is kept
with the confirmed groups, so those below it are known to be implied too, and never reported).
"""

from __future__ import annotations

import asyncio
import sqlite3
import stat
import time

from sd_desktop import paths
from sd_desktop.cas import HashInterrupted
from sd_desktop.gc_policy import fewer_collections
from sd_desktop.jobs import Job, JobContext, JobError, register
from sd_desktop.library import hash_cache, worklist
from sd_desktop.ops.files.duplicate_detection.hashing import BytesReporter
from sd_desktop.ops.files.duplicate_folders import report, shape
from sd_desktop.ops.files.duplicate_folders.config import FolderConfig, FolderOutput, FolderState
from sd_desktop.ops.files.duplicate_folders.content import Confirmer
from sd_desktop.ops.files.file_listing import resolve_roots

COMMIT_EVERY = 1.0  # seconds of confirming between two checkpoints, at most
COMMIT_GROUPS = 64  # candidate groups between two checkpoints, at most
REPORT_EVERY = 0.2


@register
class DuplicateFoldersJob(Job):
    NAME = "duplicate_folders"
    VERSION = 1
    RESUMABLE = True
    DESCRIPTION = "Find folders whose whole content (names and bytes, recursively) is identical"
    Config = FolderConfig
    State = FolderState
    Output = FolderOutput

    def target(self) -> str:
        roots = self.config.search_paths
        if not roots:
            return ""
        first = paths.display(roots[0])
        return first if len(roots) == 1 else f"{first} and {len(roots) - 1} more"

    async def run(self, ctx: JobContext) -> FolderOutput:
        if not self.config.search_paths:
            raise JobError("no search paths given")
        with fewer_collections():  # a record per file: see gc_policy
            if self.state.phase == "scan":
                await self._scan(ctx)
            job_id, cursor = ctx.job_id, self.state.cursor
            groups = await ctx.library.read(lambda c: report.load_candidates(c, job_id, cursor))
            confirmed = await ctx.library.read(lambda c: report.load_confirmed(c, job_id))
            await self._confirm(ctx, groups, confirmed)
            return report.output_of(self.state, self.config, confirmed)

    # -- scan ------------------------------------------------------------------------------
    async def _scan(self, ctx: JobContext) -> None:
        ctx.progress(phase="scanning", message="listing folders")
        roots = []
        fs = ctx.backend
        for root in resolve_roots(self.config.search_paths, fs):
            try:
                is_dir = stat.S_ISDIR(fs.lstat(root).st_mode)
            except OSError as exc:
                ctx.add_non_critical_error(root, f"cannot read: {exc.strerror or exc}")
                continue
            if is_dir:
                roots.append(root)
            else:
                ctx.add_non_critical_error(root, "not a folder: only folders are compared")
        loop = asyncio.get_running_loop()
        last = [0.0]

        def listed(folders: int, files: int) -> None:
            if time.monotonic() - last[0] > REPORT_EVERY:
                last[0] = time.monotonic()
                loop.call_soon_threadsafe(lambda: ctx.progress(phase="scanning", done=files, message="listing folders"))

        found = await ctx.run_blocking(
            shape.scan, roots, ctx.add_non_critical_error, lambda: ctx.interrupt_requested, listed, fs
        )
        await ctx.check_interrupt()  # a walk stopped by a pause is incomplete: never commit it
        st = self.state
        st.phase, st.cursor, st.candidates = "confirm", 0, len(found.groups)
        st.folders_scanned, st.files_scanned = found.folders, found.files
        rows = report.candidate_rows(found.groups)
        job_id = ctx.job_id
        await ctx.checkpoint(lambda c: worklist.replace(c, job_id, rows, report.ROW_COLUMNS))
        ctx.progress(phase="scanning", done=st.files_scanned, message=f"{st.candidates} groups of folders of one shape")

    # -- confirm ---------------------------------------------------------------------------
    async def _confirm(self, ctx: JobContext, groups: list, confirmed: report.Confirmed) -> None:
        st = self.state
        job_id = ctx.job_id
        reporter = BytesReporter(asyncio.get_running_loop(), ctx, st)  # reads ``bytes_hashed``
        confirmer = Confirmer(ctx.library, lambda: ctx.interrupt_requested, reporter.add, ctx.backend)
        total = st.cursor + len(groups)
        ctx.progress(phase="confirming", done=st.cursor, total=total, message="reading candidate folders")
        index = 0
        while index < len(groups):
            await ctx.check_interrupt()
            started, found, taken = time.monotonic(), [], 0
            try:
                while (
                    index + taken < len(groups) and taken < COMMIT_GROUPS and time.monotonic() - started < COMMIT_EVERY
                ):
                    paths_, size, files = groups[index + taken]
                    taken += 1
                    if confirmed.implied(paths_):
                        # identical because their parents are: nothing to read; kept (not reported) so
                        # the groups below them are known to be implied too
                        same_groups = [paths_]
                    else:
                        same_groups = await ctx.run_blocking(confirmer.confirm, paths_)
                    for same in same_groups:
                        group = report.group_record(same, size, files)
                        confirmed.add(group)
                        found.append(group)
                    if ctx.interrupt_requested:
                        break
            except HashInterrupted:
                # what was read whole before the pause goes to the hash cache (facts about files, not
                # part of the checkpoint): the group is confirmed again on resume without reading them
                read = confirmer.take_cache_rows()
                await ctx.library.write(lambda c, read=read: hash_cache.store(c, read))
                await ctx.check_interrupt()
                raise
            finally:
                reporter.reset()
            index += taken
            rows = []
            for group in found:
                st.results += 1
                rows.append(report.result_row(st.results, group))
            st.cursor += taken
            st.files_hashed = confirmer.files_hashed + st.files_hashed
            confirmer.files_hashed = 0
            st.bytes_hashed += confirmer.pipeline.bytes_read
            confirmer.pipeline.bytes_read = 0
            for path, message in confirmer.take_errors():
                ctx.add_non_critical_error(path, message)
            cache_rows = confirmer.take_cache_rows()

            def write(conn: sqlite3.Connection, rows=rows, cache_rows=cache_rows) -> None:
                worklist.add(conn, job_id, rows, report.ROW_COLUMNS)
                hash_cache.store(conn, cache_rows)

            await ctx.checkpoint(write)
            ctx.progress(
                phase="confirming",
                done=st.cursor,
                total=total,
                bytes_done=st.bytes_hashed,
                message=f"{st.cursor:,} of {total:,} candidate groups checked",
            )

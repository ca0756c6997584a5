"""DuplicateDetectionJob: groups of files with identical content, safe to act on.

Phases: ``scan`` walks the search paths once (``scanning``: a fresh ``lstat`` of every file, listed
by walker processes while this job's thread groups what they list and, in content mode, reads the
candidates the hash cache does not answer), then settles the size groups the cache answers whole.
If groups are left, their candidates (files sharing a size, or a name and size) and the results so
far are stored as ``work_item`` rows in one checkpoint; ``hash`` then runs the staged comparison
(``hashing``, ``stages``) over batches of size groups, each batch committing its result rows, new
hash-cache rows and the cursor together. After a crash or pause the job continues at the first size
group not committed. When the scan settled everything (an unchanged tree, a tree of small files) no
work list is committed: the output is built from memory, and a crash only means scanning again.

A tree where nothing changed since the last search with the same settings is not grouped at all:
the walk's folders are compared with that search's (``snapshot``) as they come, and when every one
is as it was, that search's result is this one's (``unchanged_since`` says when it was made).

Identity is (device, inode): a file reached twice is listed once, and the names of one inode are
hard links (reported under ``hardlinks``), never duplicates of each other.
"""

from __future__ import annotations

import asyncio
import sqlite3

from sd_desktop import paths
from sd_desktop.cas import HashInterrupted
from sd_desktop.gc_policy import fewer_collections
from sd_desktop.jobs import Job, JobContext, JobError, codec, register
from sd_desktop.library import hash_cache, worklist
from sd_desktop.ops.files.duplicate_detection import results, snapshot, unchanged
from sd_desktop.ops.files.duplicate_detection.config import (
    DuplicateConfig,
    DuplicateMode,
    DuplicateOutput,
    DuplicateState,
    WorkKind,
)
from sd_desktop.ops.files.duplicate_detection.hashing import BytesReporter, batches, resolve_batch
from sd_desktop.ops.files.duplicate_detection.scanning import Scan, Scanned
from sd_desktop.ops.files.duplicate_detection.stages import Pipeline, StageCounters
from sd_desktop.ops.files.file_listing import FileInfo


@register
class DuplicateDetectionJob(Job):
    NAME = "duplicate_detection"
    VERSION = 1
    RESUMABLE = True
    DESCRIPTION = "Find files with identical content (size, name+size, full blake3, or byte-by-byte)"
    Config = DuplicateConfig
    State = DuplicateState
    Output = DuplicateOutput
    # every result so far when this run began with the scan (groups, hard-link sets; output form): the
    # output is made from them instead of reading the committed rows back (after a resume: from the rows)
    _results: tuple[list[dict], list[dict]] | None = None
    _fresh: frozenset[tuple[int, int]] | set[tuple[int, int]] = frozenset()  # identities read by the scan
    _cache_write: asyncio.Future | None = None  # the scan's hash-cache rows, written while hashing
    # this run's walk, remembered with the result once the job completes without error (``snapshot``)
    _listing: tuple[bytes, dict[bytes, bytes], float] | None = None  # key, folders, when the walk began
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
                    cursor = self.state.cursor
                    groups = await ctx.library.read(lambda c: results.load_candidates(c, ctx.job_id, cursor))
                await self._hash(ctx, mode, groups, known)
            finally:
                if self._cache_write is not None:
                    await self._cache_write  # also on a pause: its failure is the job's
            if self._unchanged is not None:
                return self._unchanged
            if self._results is not None:
                found, hardlinks = self._results
            else:
                found, hardlinks = await ctx.library.read(lambda c: results.load_results(c, ctx.job_id))
            output = await ctx.run_blocking(results.output_of, self.state, self.config, mode, found, hardlinks)
            # the job and its context refer to each other: what the job still holds is freed only by a
            # pass of the cycle collector (in a one-shot command, the slow one at interpreter exit)
            self._results, self._fresh = None, frozenset()
            # the groups (a megabyte for 20,000 files) are encoded once, for the snapshot and the job's row
            packed = await ctx.run_blocking(_pack_groups, output)
            await self._remember(ctx, output, packed)
            return codec.pack_with(output, packed)

    async def _remember(self, ctx: JobContext, output: DuplicateOutput, packed: dict[str, bytes]) -> None:
        """Keep the result with this run's listing for the next search with these settings, when the
        whole run saw every file without an error (a file it could not read is not in the groups, and
        must be reported again next time, not left out silently)."""
        if self._listing is None or ctx.error_count or ctx.interrupt_requested:
            return
        key, folders, walk_started = self._listing
        st = self.state
        job_id = ctx.job_id

        def save(conn: sqlite3.Connection) -> None:
            # the groups kept as the job's output holds them: taken again, they are not decoded at all
            result = {
                "groups": packed["groups"],
                "hardlinks": packed["hardlinks"],
                "group_count": output.group_count,
                "duplicate_files": output.duplicate_files,
                "wasted_bytes": output.wasted_bytes,
                "files_scanned": st.files_scanned,
                "candidates": st.candidates,
                "candidate_bytes": st.candidate_bytes,
                "size_candidates": st.stages.get("size_candidates", 0),
                # a watcher that saw nothing change since then vouches for the next search (``scanning``)
                "walk_started": walk_started,
            }
            snapshot.save(conn, key, folders, result, job_id)

        await ctx.library.write(save)

    # -- scan ------------------------------------------------------------------------------
    async def _scan(
        self, ctx: JobContext, mode: DuplicateMode
    ) -> tuple[list[list[FileInfo]], dict[tuple[int, int], str] | None]:
        """The scan (``scanning``); the size groups left to hash and what the cache knows of them."""
        ctx.progress(phase="scanning", message="listing files")
        scan = Scan(ctx, self.config, mode)
        scanned = await ctx.run_blocking(scan.run)
        await ctx.check_interrupt()  # a walk stopped by a pause is incomplete: never commit it
        if not scan.walk_errors:
            self._listing = (scan.snapshot_key, scan.comparison.folders, scan.started)
        if scanned.unchanged is not None:
            self._take_unchanged(ctx, mode, scanned.unchanged, watched=scanned.watched)
            return [], None
        st = self.state
        st.phase, st.cursor, st.files_scanned = "hash", 0, scanned.scanned
        st.candidates, st.candidate_bytes = scanned.candidates, scanned.candidate_bytes
        st.results = len(scanned.hardlinks) + len(scanned.found)
        st.groups_found = len(scanned.found)
        st.files_done = scanned.counters.size_candidates
        st.stages = scanned.counters.as_dict()
        st.bytes_hashed = scanned.bytes_read
        await self._commit_scan(ctx, scanned)
        self._results = (scanned.found, scanned.hardlinks)
        ctx.progress(
            phase="scanning", done=st.files_scanned, message=f"{st.candidates} files share a size with another"
        )
        if not scanned.groups:
            return [], None
        self._fresh = scanned.fresh
        return scanned.groups, scanned.known

    async def _commit_scan(self, ctx: JobContext, scanned: Scanned) -> None:
        """Prunes the stale cache rows and stores what the scan read; with groups left to hash, commits
        the work list and the results so far with the state."""
        stale, unseen, cache_rows = scanned.stale, scanned.unseen, scanned.cache_rows
        job_id = ctx.job_id

        def prune(conn: sqlite3.Connection) -> None:
            hash_cache.prune(conn, stale)
            for dev, inodes in unseen.items():
                hash_cache.prune_unseen(conn, dev, inodes)

        def store(conn: sqlite3.Connection) -> None:
            hash_cache.store(conn, cache_rows)  # after the pruning: a file read now may have had a stale row

        if not scanned.groups:
            # nothing left to read: the job ends here, so there is no work list to commit (after a crash
            # the scan runs again); only the stale cache rows are removed
            if stale or unseen or cache_rows:
                await ctx.library.write(lambda c: (prune(c), store(c)))
            return

        rows = scanned.rows + scanned.results

        def write(conn: sqlite3.Connection) -> None:
            worklist.replace(conn, job_id, rows, results.ROW_COLUMNS)  # leftovers of an unfinished scan go
            prune(conn)

        await ctx.checkpoint(write)
        if cache_rows:
            # not part of the checkpoint: facts about files, right whenever they land (the writer keeps
            # order, so after the pruning); written while the hashing reads
            self._cache_write = asyncio.ensure_future(ctx.library.write(store))

    def _take_unchanged(
        self, ctx: JobContext, mode: DuplicateMode, previous: snapshot.Snapshot, *, watched: bool = False
    ) -> None:
        """The result of the last search with these settings, nothing having changed since: the output
        is made with its groups as they were stored (``_unchanged``), never decoded here (on the loop:
        what is decoded is a few numbers). ``watched``: the engine's disk watcher said so, the tree
        was not walked."""
        st = self.state
        self._listing = None  # remembered already
        self._unchanged = unchanged.fill_unchanged(st, self.config, mode, previous, watched=watched)
        how = " (the live index saw no change)" if watched else ""
        ctx.progress(phase="scanning", done=st.files_scanned, message=unchanged.UNCHANGED_MESSAGE + how)

    # -- hash ------------------------------------------------------------------------------
    async def _hash(
        self,
        ctx: JobContext,
        mode: DuplicateMode,
        groups: list[list[FileInfo]],
        known: dict[tuple[int, int], str] | None,
    ) -> None:
        """Resolves the size groups batch by batch, each batch's groups, hash-cache rows and cursor
        committed together."""
        st = self.state
        reporter = BytesReporter(asyncio.get_running_loop(), ctx, st)
        phase = "hashing" if mode.verified else "grouping"
        ctx.progress(phase=phase, done=st.files_done, total=st.candidates, bytes_total=st.candidate_bytes)
        job_id = ctx.job_id
        for batch in batches(groups):
            await ctx.check_interrupt()
            pipeline = Pipeline(
                deep=mode is DuplicateMode.DEEP,
                should_stop=lambda: ctx.interrupt_requested,
                on_bytes=reporter.add,
                backend=ctx.backend,
            )
            try:
                found, cache_rows = await ctx.run_blocking(
                    resolve_batch, ctx.library, pipeline, mode, batch, known, self._fresh
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
                result_rows.append(results.result_row(st.results, WorkKind.GROUP, size, packed))
            st.cursor += len(batch)
            st.files_done += sum(len(g) for g in batch)
            st.bytes_hashed += pipeline.bytes_read
            counters = StageCounters(**{k: v for k, v in st.stages.items() if k in StageCounters.__dataclass_fields__})
            counters.add(pipeline.counters)
            st.stages = counters.as_dict()
            for path, message in pipeline.errors:
                ctx.add_non_critical_error(path, message)

            def write(conn: sqlite3.Connection, result_rows=result_rows, cache_rows=cache_rows) -> None:
                worklist.add(conn, job_id, result_rows, results.ROW_COLUMNS)
                hash_cache.store(conn, cache_rows)

            await ctx.checkpoint(write)
            ctx.progress(
                phase=phase,
                done=st.files_done,
                total=st.candidates,
                bytes_done=st.bytes_hashed,
                bytes_total=st.candidate_bytes,
                message=f"{st.groups_found} groups found",
            )


def _pack_groups(output: DuplicateOutput) -> dict[str, bytes]:
    """The output's big fields encoded (``codec.pack_with`` takes them as they are)."""
    return {"groups": codec.pack(output.groups), "hardlinks": codec.pack(output.hardlinks)}

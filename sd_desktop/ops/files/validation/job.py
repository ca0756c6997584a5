"""ValidationJob: are the files still there, unchanged, and readable as what their names say?

Phases: ``list`` pairs the files on disk with their library entries and stores them as
``work_item`` rows (one checkpoint); ``check`` works through them in batches, each batch committing
its findings and the cursor together, so a pause or crash resumes at the first unchecked file.
At the end, missing files whose stored hash turns up in a new file are reported as moved.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import msgpack

from sd_desktop import paths
from sd_desktop.cas import HashInterrupted
from sd_desktop.jobs import Job, JobContext, JobError, register
from sd_desktop.library import worklist
from sd_desktop.ops.files.readahead import opened_ahead
from sd_desktop.ops.files.validation.checks import ItemResult, Modes, check_item, issue, open_item
from sd_desktop.ops.files.validation.config import (
    ValidationConfig,
    ValidationMode,
    ValidationOutput,
    ValidationState,
    WorkKind,
)
from sd_desktop.ops.files.validation.listing import Item, list_items
from sd_desktop.volumes.backend import LOCAL, VolumeBackend

# a batch is a hop to a thread and back, a barrier of the streams and a commit: few big batches
# cost less than many small ones, while a pause still stops within one
BATCH_FILES = int(os.environ.get("SD_DESKTOP_VALIDATE_BATCH", "2000"))
# tests only: hold each commit's transaction open this long, so a kill -9 lands while one is in flight
TEST_COMMIT_DELAY = float(os.environ.get("SD_DESKTOP_VALIDATE_COMMIT_DELAY_MS", "0")) / 1000.0
BATCH_BYTES = 128 * 1024 * 1024
CHECK_THREADS = 2  # streams of files, each read ahead (``readahead``): blake3 and reads release the GIL
ITEMS_PER_ROW = 256
ITEM_COLUMNS = ("seq", "kind", "data")  # of the work items of files to check
FINDING_COLUMNS = ("seq", "kind", "src", "size", "data")  # of those of findings
SEVERITY_ORDER = {"critical": 0, "error": 1, "warning": 2, "info": 3}


@register
class ValidationJob(Job):
    NAME = "file_validation"
    VERSION = 1
    RESUMABLE = True
    DESCRIPTION = "Check files for existence, integrity and corruption"
    Config = ValidationConfig
    State = ValidationState
    Output = ValidationOutput

    def target(self) -> str:
        t = self.config.targets
        if not t:
            return ""
        first = paths.display(t[0])
        return first if len(t) == 1 else f"{first} and {len(t) - 1} more"

    async def run(self, ctx: JobContext) -> ValidationOutput:
        if not self.config.targets:
            raise JobError("nothing to validate: no targets given")
        mode = ValidationMode(self.config.mode)
        modes = mode.modes(self.config.check_permissions)
        pool = ThreadPoolExecutor(CHECK_THREADS, thread_name_prefix="sd-validate")
        try:
            work_list = None
            if self.state.phase == "list":
                items, work_list = await self._list(ctx, modes)
            else:
                items = await ctx.library.read(lambda c: _load_items(c, ctx.job_id, self.state.cursor))
            await self._check(ctx, modes, items, pool, work_list)
        finally:
            await asyncio.to_thread(pool.shutdown)  # work in flight stops at its next file
        return await ctx.library.read(lambda c: self._output(c, ctx.job_id, mode))

    async def _list(self, ctx: JobContext, modes: Modes) -> tuple[list[Item], Callable[[sqlite3.Connection], None]]:
        """The items, and the checkpoint that commits them as the work list (``_check`` makes it while
        the first batch is checked)."""
        ctx.progress(phase="listing", message="listing files")
        listing = await ctx.run_blocking(
            list_items,
            ctx.library,
            list(self.config.targets),
            modes.basic or modes.integrity,
            modes.integrity,
            ctx.add_non_critical_error,
            lambda: ctx.interrupt_requested,
            ctx.backend,
        )
        await ctx.check_interrupt()  # an interrupted listing is incomplete: never commit it
        st = self.state
        st.phase, st.cursor, st.total = "check", 0, len(listing.items)
        st.total_bytes = sum(i.disk[0] for i in listing.items if i.disk)
        st.unindexed = [os.fsdecode(p) for p in listing.unindexed_targets]
        job_id = ctx.job_id
        # the work list in rows of ITEMS_PER_ROW items: 20,000 files are 79 rows, not 20,000
        rows = [
            (n, WorkKind.ITEMS, msgpack.packb([i.pack() for i in listing.items[start : start + ITEMS_PER_ROW]]))
            for n, start in enumerate(range(0, len(listing.items), ITEMS_PER_ROW))
        ]

        def write(conn: sqlite3.Connection) -> None:
            worklist.replace(conn, job_id, rows, ITEM_COLUMNS)  # leftovers of an unfinished listing go

        return listing.items, write

    async def _check(
        self,
        ctx: JobContext,
        modes: Modes,
        items: list[Item],
        pool: ThreadPoolExecutor,
        work_list: Callable[[sqlite3.Connection], None] | None = None,
    ) -> None:
        """Check the items batch by batch, each batch's findings committed with the cursor past it. The
        commits are pipelined: the next batch is being checked while a batch's findings are written
        (and the first one while the work list is), so the disk and the hashing never wait for SQLite.
        A pause stops the batch in flight, whose findings were not committed: it is checked again."""
        st = self.state
        job_id = ctx.job_id
        ctx.progress(phase="checking", done=st.cursor, total=st.total, bytes_total=st.total_bytes)
        stop = lambda: ctx.interrupt_requested  # noqa: E731
        batches = _batches(items)
        commit = work_list  # committed while the next batch is checked
        batch = next(batches, None)
        while True:
            checking = None
            if batch is not None and not ctx.interrupt_requested:
                checking = asyncio.ensure_future(ctx.run_blocking(_check_batch, pool, batch, modes, stop, ctx.backend))
            try:
                if commit is not None:
                    await ctx.checkpoint(_held_open(commit) if TEST_COMMIT_DELAY else commit)
                    commit = None
                if checking is None:
                    await ctx.check_interrupt()
                    return
                results = await checking
            except HashInterrupted:
                await ctx.check_interrupt()
                raise
            finally:
                if checking is not None and not checking.done():  # the commit failed: let the check end
                    await asyncio.wait([checking])  # its outcome is dropped; a cancel of this task is not
                    if not checking.cancelled():
                        checking.exception()  # retrieved: no "never retrieved" warning
            rows = []
            for r in results:
                for found in r.issues:
                    st.results += 1
                    rows.append((-st.results, WorkKind.ISSUE, found["path"], 0, msgpack.packb(found)))
                for kind, record in ((WorkKind.MISSING, r.missing), (WorkKind.NEW, r.new)):
                    if record is not None:
                        st.results += 1
                        rows.append((-st.results, kind, record["path"], record["size"], msgpack.packb(record)))
                st.files_checked += int(r.checked)
                st.not_hashed += int(r.not_hashed)
                st.bytes_read += r.bytes_read
            st.cursor += len(batch)

            def write(conn: sqlite3.Connection, rows=rows) -> None:
                worklist.add(conn, job_id, rows, FINDING_COLUMNS)

            commit = write
            batch = next(batches, None)
            ctx.progress(
                phase="checking",
                done=st.cursor,
                total=st.total,
                bytes_done=st.bytes_read,
                message=f"{st.results} findings",
            )

    def _output(self, conn: sqlite3.Connection, job_id: int, mode: ValidationMode) -> ValidationOutput:
        issues, missing, new = [], [], []
        by_kind = {WorkKind.ISSUE: issues, WorkKind.MISSING: missing, WorkKind.NEW: new}
        for kind, data in worklist.items(conn, job_id, ("kind", "data"), kinds=tuple(by_kind), descending=True):
            by_kind[kind].append(msgpack.unpackb(data, raw=False))
        by_hash: dict[str, list[dict]] = {}
        for n in new:
            if n.get("hash"):
                by_hash.setdefault(n["hash"], []).append(n)
        moved_to: set[bytes] = set()
        for m in missing:
            candidates = by_hash.get(m["hash"]) if m.get("hash") else None
            target = next((c for c in candidates or [] if c["path"] not in moved_to), None)
            if target is not None:
                moved_to.add(target["path"])
                issues.append(
                    issue(
                        m["path"],
                        "moved",
                        "info",
                        f"moved or renamed to {paths.display(target['path'])} (same content)",
                        "re-index the location to record the new place",
                    )
                    | {"new_path": target["path"]}
                )
            else:
                issues.append(
                    issue(
                        m["path"],
                        "missing",
                        "error",
                        "in the library but no longer on disk",
                        "restore it from a backup or the trash; re-index if it was removed on purpose",
                    )
                )
        for n in new:
            if n["path"] not in moved_to:
                issues.append(issue(n["path"], "new", "info", "on disk but not in the library", "index the location"))
        st = self.state
        for target in st.unindexed:
            issues.append(
                issue(
                    os.fsencode(target),
                    "not_indexed",
                    "info",
                    "not inside any location: nothing to compare with",
                    "add it as a location and index it to track its files",
                )
            )
        if st.not_hashed:
            issues.append(
                issue(
                    os.fsencode(self.config.targets[0]),
                    "not_hashed",
                    "info",
                    f"{st.not_hashed} indexed files have no stored checksum, so their content was not verified",
                    "index the location in content mode to record checksums",
                )
            )
        for i in issues:
            i["path"] = os.fsdecode(i["path"])
            if "new_path" in i:
                i["new_path"] = os.fsdecode(i["new_path"])
        issues.sort(key=lambda i: (SEVERITY_ORDER.get(i["severity"], 9), i["path"], i["type"]))
        counts = Counter(i["severity"] for i in issues)
        return ValidationOutput(
            mode=mode.value,
            files_checked=st.files_checked,
            bytes_read=st.bytes_read,
            issues=issues,
            counts={s: counts.get(s, 0) for s in SEVERITY_ORDER},
            targets=[os.fsdecode(t) for t in self.config.targets],
        )


def _held_open(write: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
    """``write``, then a wait inside the same transaction (tests only: ``TEST_COMMIT_DELAY``)."""

    def held(conn: sqlite3.Connection) -> None:
        write(conn)
        time.sleep(TEST_COMMIT_DELAY)

    return held


def _check_batch(
    pool: ThreadPoolExecutor,
    batch: list[Item],
    modes: Modes,
    should_stop: Callable[[], bool],
    fs: VolumeBackend = LOCAL,
) -> list[ItemResult]:
    """Check a batch on the pool: one stream of files per thread, each opened ahead of its check and
    its bytes asked for (``readahead``), so a cold disk has many reads in flight and a warm one is not
    slowed by threads taking turns with the GIL."""
    streams = _streams(batch, CHECK_THREADS)

    def run(part: list[tuple[int, Item]]) -> list[tuple[int, ItemResult]]:
        out = []
        opened = opened_ahead(part, lambda entry: open_item(entry[1], fs), _indexed_span, (OSError,), backend=fs)
        with contextlib.closing(opened):
            for (index, item), fd in opened:
                if should_stop():
                    raise HashInterrupted()
                out.append((index, check_item(item, modes, should_stop, fd, fs)))
        return out

    results: list[ItemResult | None] = [None] * len(batch)
    for part in pool.map(run, streams):
        for index, result in part:
            results[index] = result
    return results  # type: ignore[return-value]


def _batches(items: list[Item]) -> Iterator[list[Item]]:
    """The items in batches of BATCH_FILES files or BATCH_BYTES bytes (at least one file each)."""
    batch: list[Item] = []
    size = 0
    for item in items:
        batch.append(item)
        size += item.disk[0] if item.disk else 0
        if len(batch) >= BATCH_FILES or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _streams(batch: list[Item], count: int) -> list[list[tuple[int, Item]]]:
    """The batch in ``count`` runs of consecutive files of about equal bytes (consecutive: close on disk)."""
    weights = [(item.disk[0] if item.disk else 0) + 16384 for item in batch]
    share = sum(weights) / count
    streams: list[list[tuple[int, Item]]] = [[]]
    acc = 0
    for index, (item, weight) in enumerate(zip(batch, weights, strict=True)):
        if acc + weight / 2 > share * len(streams) and len(streams) < count and streams[-1]:
            streams.append([])  # this file lies mostly past the current stream's share
        streams[-1].append((index, item))
        acc += weight
    return [s for s in streams if s]


def _indexed_span(entry: tuple[int, Item]) -> tuple[int, int]:
    item = entry[1]
    return 0, item.disk[0] if item.disk else 0


def _load_items(conn: sqlite3.Connection, job_id: int, cursor: int) -> list[Item]:
    """The items from index ``cursor`` on (rows hold ITEMS_PER_ROW items each)."""
    first_row, skip = divmod(cursor, ITEMS_PER_ROW)
    rows = worklist.items(conn, job_id, ("data",), kind=WorkKind.ITEMS, seq_from=first_row)
    items = [Item.unpack(packed) for (data,) in rows for packed in msgpack.unpackb(data, raw=False)]
    return items[skip:]

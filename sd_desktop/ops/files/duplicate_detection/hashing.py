"""The duplicate search's hash phase, one batch at a time: the size groups the scan left are resolved
by the staged comparison (``stages``) on a worker thread, and what is found comes back ready to
commit: the groups' work items and the hash-cache rows of what was learned.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import msgpack

from sd_desktop.jobs import JobContext
from sd_desktop.library import Library, hash_cache
from sd_desktop.ops.files.duplicate_detection import cache, results
from sd_desktop.ops.files.duplicate_detection.config import DuplicateMode, DuplicateState
from sd_desktop.ops.files.duplicate_detection.stages import Pipeline
from sd_desktop.ops.files.file_listing import FileInfo

BATCH_FILES = 2000
BATCH_BYTES = 256 * 1024 * 1024


def batches(groups: list[list[FileInfo]]) -> Iterator[list[list[FileInfo]]]:
    """The size groups in batches of BATCH_FILES files or BATCH_BYTES bytes (at least one group each)."""
    index = 0
    while index < len(groups):
        batch, files, size = [], 0, 0
        while index < len(groups) and (not batch or (files < BATCH_FILES and size < BATCH_BYTES)):
            batch.append(groups[index])
            files += len(groups[index])
            size += sum(i.size for i in groups[index])
            index += 1
        yield batch


def resolve_batch(
    library: Library,
    pipeline: Pipeline,
    mode: DuplicateMode,
    batch: list[list[FileInfo]],
    known: dict[tuple[int, int], str] | None = None,
    fresh: set[tuple[int, int]] | frozenset[tuple[int, int]] = frozenset(),
) -> tuple[list[tuple[int, dict, bytes]], list[hash_cache.Row]]:
    """Groups found in one batch of size groups, as (size, group in the output's form, packed stored
    form), and the hash-cache rows of what was learned (runs on a worker thread). ``known``: what the
    cache knows of the batch's files (None: looked up here)."""
    groups = [results.members(infos) for infos in batch]
    if not mode.verified:
        pipeline.counters.size_candidates += sum(len(g) for g in groups)
        found = [g for g in groups if len(g) > 1]
    else:
        if known is None:
            known = library.read_sync(lambda c: cache.lookup(c, [i for g in batch for i in g])).known
        for members in groups:
            cache.apply_known(members, known, fresh)
        found = pipeline.resolve_many(groups)
    out = []
    for members in found:
        group = results.group_record(members, mode)
        packed = msgpack.packb(group)
        out.append((group["size"], results.decode_paths(group), packed))  # packed: now the output's form
    return out, [cache.member_row(m) for m in pipeline.learned.values()]


class BytesReporter:
    """Progress for long hashes: the worker thread counts bytes; the event loop reports them (throttled)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, ctx: JobContext, state: DuplicateState):
        self.loop, self.ctx, self.state = loop, ctx, state
        self.pending = 0
        self.last = 0.0
        self.lock = threading.Lock()

    def add(self, n: int) -> None:
        with self.lock:
            self.pending += n
            now = time.monotonic()
            if now - self.last < 0.2:
                return
            self.last = now
            done = self.state.bytes_hashed + self.pending
        self.loop.call_soon_threadsafe(lambda: self.ctx.progress(bytes_done=done))

    def reset(self) -> None:
        with self.lock:
            self.pending = 0

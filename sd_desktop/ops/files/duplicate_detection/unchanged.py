"""A search of a tree where nothing changed since the last search with the same settings, answered
without the job engine.

The job takes the last result when its walk finds every folder as that search saw it (``snapshot``,
``DuplicateDetectionJob._take_unchanged``). Run as a command, most of such a search is the start of
the engine (asyncio, peewee, the job modules, the walker's fork server: tests/perf/README.md, "Where
the cold unchanged-tree search goes"). ``check`` makes the same comparison in the calling thread
with the same walk (``file_listing.Walk``, each folder's digest as a walker makes it; made by
``walk_ahead`` in a process of its own when the command started one) and, when the whole walk
matches, gives what the job would store and say: its state, output, progress. The first folder that
differs, an error of the walk, or anything else ends the check with None, and the caller runs the
job as always, which decides with its own rules (none of them is weakened here: the comparison is
the job's, and ``Comparison.unchanged`` the same test).

``fill_unchanged`` is the job's own way from a snapshot to its output, so the two cannot drift.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

import msgpack

from sd_desktop.jobs import codec
from sd_desktop.ops.files.duplicate_detection import results, snapshot
from sd_desktop.ops.files.duplicate_detection.config import DuplicateConfig, DuplicateMode, DuplicateState
from sd_desktop.ops.files.duplicate_detection.stages import StageCounters
from sd_desktop.ops.files.duplicate_detection.walk_ahead import WalkAhead
from sd_desktop.ops.files.file_listing import (
    ScanFilter,
    digest_of,
    filter_fields,
    normalize_extensions,
    resolve_roots,
    walk_threaded,
)
from sd_desktop.volumes.backend import LOCAL, VolumeBackend

UNCHANGED_MESSAGE = "nothing changed since the last search"
THREADS = 2  # listing at once (cold, quiet: 2 beat 1, 4 and 8: tests/perf/README.md, "ninth session")
# ``walk_ahead.THREADS`` is the same (tested)


@dataclass
class WalkSettings:
    """What a search walks, and the key of its snapshot (``snapshot.key_of``)."""

    flt: ScanFilter
    roots: list[bytes]  # search and reference paths, resolved
    references: list[bytes]
    key: bytes


def walk_settings(config: DuplicateConfig, mode: DuplicateMode, backend: VolumeBackend = LOCAL) -> WalkSettings:
    flt = ScanFilter(
        min_size=max(0, config.min_size or 0),
        max_size=config.max_size,
        extensions=normalize_extensions(config.extensions),
        include_hidden=config.include_hidden,
        include_empty=config.include_empty,
    )
    references = resolve_roots(config.reference_paths, backend)
    roots = resolve_roots(list(config.search_paths) + list(config.reference_paths), backend)
    return WalkSettings(flt, roots, references, snapshot.key_of(mode.value, filter_fields(flt), roots, references))


def fill_unchanged(
    st: DuplicateState,
    config: DuplicateConfig,
    mode: DuplicateMode,
    previous: snapshot.Snapshot,
    *,
    watched: bool = False,
) -> codec.Packed:
    """The job's state and output when ``previous`` is taken as this search's result: the output with
    its groups as they were stored, never decoded here (what is decoded is a few numbers).
    ``watched``: the engine's disk watcher vouched for the tree, which was not walked."""
    result = previous.result
    st.phase, st.cursor = "hash", 0
    st.files_scanned, st.candidates = result["files_scanned"], result["candidates"]
    st.candidate_bytes = result["candidate_bytes"]
    st.groups_found = result["group_count"]
    st.bytes_hashed = st.files_done = st.results = 0
    # nothing read: every candidate answered, as if by the hash cache (which this stands for)
    counters = StageCounters(size_candidates=result["size_candidates"], cache_hits=result["size_candidates"])
    st.stages = counters.as_dict()
    output = results.output_of(st, config, mode, [], [], previous.created_at)
    output.group_count = result["group_count"]
    output.duplicate_files, output.wasted_bytes = result["duplicate_files"], result["wasted_bytes"]
    output.unchanged_watched = watched
    return codec.pack_with(output, {"groups": result["groups"], "hardlinks": result["hardlinks"]})


@dataclass
class Unchanged:
    """What the job would store and report for this search (``check``)."""

    output: bytes  # the output blob, as the job stores it
    reports: list[dict]  # the progress the job reports, in order (as ``Progress.to_dict``)

    @property
    def progress(self) -> dict:
        """The last: stored with the job's row, and in its ``completed`` event."""
        return self.reports[-1]


def check(
    conn: sqlite3.Connection,
    config: DuplicateConfig,
    ahead: WalkAhead | None = None,
    meanwhile: Callable[[Unchanged], None] | None = None,
    backend: VolumeBackend = LOCAL,
) -> Unchanged | None:
    """This search's answer when nothing changed since the last one with its settings (the walk made
    here, read-only, or taken from ``ahead`` when it walks what these settings ask for); None when
    something did, or the job must decide (no snapshot, an error). ``meanwhile`` is given the
    answer before the walk is compared: what does not depend on the walk is done while it runs."""
    if not config.search_paths or not config.reuse_unchanged:
        return None
    mode = DuplicateMode(config.mode)
    settings = walk_settings(config, mode, backend)
    previous = snapshot.load(conn, settings.key)
    if previous is None:
        return None
    # the answer depends on the snapshot alone: an unchanged walk lists exactly its folders
    st = DuplicateState()
    packed = fill_unchanged(st, config, mode, previous)
    found = Unchanged(codec.pack(packed), reports(st, mode, len(previous.folders)))
    if meanwhile is not None:
        meanwhile(found)
    comparison = snapshot.Comparison(previous)
    # the walk ahead is a forked process listing the local disk: another backend walks here
    if (
        ahead is not None
        and backend is LOCAL
        and ahead.read_settings()
        == (
            filter_fields(settings.flt),
            settings.roots,
            settings.references,
        )
    ):
        for folder, digest in ahead.folders():
            if not comparison.matches(folder, digest):
                return None  # the caller stops the walk
        if ahead.broken:
            return None
        failed = ahead.failed
    else:
        failed = []

        def on_error(path: bytes, message: str) -> None:
            failed.append(path)  # reported by the job, which runs the walk again

        walk = walk_threaded(
            settings.roots, settings.flt, settings.references, on_error, lambda: bool(failed), THREADS, backend
        )
        packb = msgpack.packb
        with contextlib.closing(walk):  # left at the first difference: the threads stop at once
            for folder, rows in walk:
                # a walker packs a folder's rows so, and digests what it packed (``listing_processes._stream``)
                if not comparison.matches(folder, digest_of(packb(rows))):
                    return None
    if failed or not comparison.unchanged():
        return None
    return found


def reports(st: DuplicateState, mode: DuplicateMode, folders: int) -> list[dict]:
    """The progress the job reports on an unchanged tree of ``folders`` folders, each the first of its
    phase (which has no rate yet): the walk's start, the comparison (the job reports its first batch
    of folders at once, then every 0.2 s while the walk lasts), the result taken, and the hashing
    phase it enters with nothing to hash, its last (``DuplicateDetectionJob._scan``, ``_hash``). A
    command's walk starts in the job's thread (no walker is idle yet), one folder a batch: the first
    comparison report is of one folder."""
    compared = f"nothing changed so far since the last search (1 of {folders:,} folders)"
    return [
        _progress("scanning", 0, None, 0, None, "listing files"),
        _progress("comparing", 1, folders, 0, None, compared),
        _progress("scanning", st.files_scanned, None, 0, None, UNCHANGED_MESSAGE),
        _progress("hashing" if mode.verified else "grouping", st.files_done, st.candidates, 0, st.candidate_bytes, ""),
    ]


def _progress(phase: str, done: int, total: int | None, bytes_done: int, bytes_total: int | None, message: str) -> dict:
    return {
        "phase": phase,
        "done": done,
        "total": total,
        "bytes_done": bytes_done,
        "bytes_total": bytes_total,
        "message": message,
        "rate": None,
        "rate_unit": "bytes" if bytes_total else "items",
        "eta_seconds": None,
    }


def progress_json(progress: dict) -> str:
    """As the engine stores a job's progress (``json.dumps`` of ``Progress.to_dict``)."""
    return json.dumps(progress)

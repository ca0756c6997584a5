"""The ``ask`` conflict policy's API: what a paused copy job waits for, and how to answer it.

A copy job with ``on_conflict=ask`` that finds existing targets pauses itself after planning.
The UI (or a script) reads ``pending_conflicts``, stores answers with ``answer_conflicts`` (one
policy per path, or one for all), then calls ``manager.resume(job_id)``. Answers live in the
job's work list, so they survive a restart; unanswered conflicts make the job pause again.

A job paused for answers (rather than by the user) has ``progress["phase"] == WAITING_PHASE`` in
its stored progress and its ``paused`` event, and ``pending_conflicts`` lists conflicts whose
``answer`` is None.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sd_desktop import paths
from sd_desktop.enums import EntryKind, JobStatus, WorkStatus
from sd_desktop.library import Library, job_rows, worklist
from sd_desktop.ops.files.copy.config import ANSWERABLE, JOB_NAME, ConflictPolicy
from sd_desktop.ops.files.copy.items import CONFLICT, TO_COPY, pack_data, unpack_data
from sd_desktop.volumes import LOCAL, VolumeBackend

_KINDS = {EntryKind.FILE: "file", EntryKind.DIR: "folder", EntryKind.SYMLINK: "link", EntryKind.OTHER: "other"}
WAITING_PHASE = "waiting for answers"


@dataclass
class Conflict:
    """One source whose target already exists."""

    seq: int
    source: Path
    target: Path
    kind: str  # of the source: file | folder | link
    source_size: int
    source_mtime_ns: int
    target_size: int | None  # None when the target vanished since
    target_mtime_ns: int | None
    answer: ConflictPolicy | None


async def pending_conflicts(lib: Library, job_id: int, backend: VolumeBackend = LOCAL) -> list[Conflict]:
    """The conflicts of a copy job not yet carried out, with the answers stored so far (each target
    as ``backend``, the destination's volume, finds it now)."""
    rows = await lib.read(lambda c: _rows(c, job_id))
    return await _with_targets(rows, backend)


def _rows(conn: sqlite3.Connection, job_id: int) -> list[tuple]:
    return worklist.items(conn, job_id, TO_COPY, status=WorkStatus.PENDING, outcome=CONFLICT)


async def _with_targets(rows: list[tuple], backend: VolumeBackend) -> list[Conflict]:
    def build() -> list[Conflict]:
        found = []
        for seq, kind, src, dst, size, data in rows:
            d = unpack_data(data)
            try:
                tst = backend.lstat(bytes(dst))
                tsize, tmtime = tst.st_size, tst.st_mtime_ns
            except OSError:
                tsize = tmtime = None
            answer = ConflictPolicy(d["a"]) if d.get("a") else None
            found.append(
                Conflict(
                    seq,
                    paths.to_path(bytes(src)),
                    paths.to_path(bytes(dst)),
                    _KINDS.get(kind, "other"),
                    size,
                    d.get("m", 0),
                    tsize,
                    tmtime,
                    answer,
                )
            )
        return found

    return await asyncio.to_thread(build)


def _policy(value: ConflictPolicy | str) -> ConflictPolicy:
    policy = ConflictPolicy(value)
    if policy not in ANSWERABLE:
        raise ValueError(
            f"{policy.value!r} is not an answer to a conflict (use skip, overwrite, rename or overwrite_if_older; "
            "cancel the job to abort it)"
        )
    return policy


async def answer_conflicts(
    lib: Library,
    job_id: int,
    answers: dict[paths.PathLike, ConflictPolicy | str] | None = None,
    apply_to_all: ConflictPolicy | str | None = None,
) -> int:
    """Store answers for a paused copy job's conflicts; returns how many conflicts got an answer.

    ``answers`` maps a conflict's source (or target) path to a policy; ``apply_to_all`` answers
    every conflict not named in ``answers`` (answers given earlier are kept unless named again).
    Resume the job afterwards with ``manager.resume(job_id)``.
    """
    named = {os.path.abspath(os.fsencode(k)): _policy(v) for k, v in (answers or {}).items()}
    default = _policy(apply_to_all) if apply_to_all is not None else None

    def tx(conn: sqlite3.Connection) -> int:
        row = job_rows.status_of(conn, job_id)
        if row is None:
            raise ValueError(f"no job with id {job_id}")
        if row.name != JOB_NAME:
            raise ValueError(f"job {job_id} is a {row.name} job, not a copy")
        if row.status not in (JobStatus.PAUSED, JobStatus.QUEUED):
            raise ValueError(f"job {job_id} is {row.status.value}: conflicts can be answered while it is paused")
        unknown = set(named)
        updates = []
        for seq, _kind, src, dst, _size, data in _rows(conn, job_id):
            src, dst = bytes(src), bytes(dst)
            policy = named.get(src) or named.get(dst)
            unknown.discard(src)
            unknown.discard(dst)
            d = unpack_data(data)
            if policy is None and default is not None and not d.get("a"):
                policy = default
            if policy is not None:
                d["a"] = policy.value
                updates.append((pack_data(**d), seq))
        if unknown:
            raise ValueError(f"not a pending conflict of job {job_id}: {paths.display(sorted(unknown)[0])}")
        worklist.update(conn, job_id, updates, ("data",))
        return len(updates)

    return await lib.write(tx)

"""The duplicate search's results: groups and hard-link sets in their stored form (raw path bytes, in
the job's work list) and in the output's (``str`` paths), the candidates' work items, and the output.

A group is a dict (``group_record``): its size, hash, the paths of its members (one per inode, the
first name by path order; other names of that inode are its ``links``) and what each file was
when listed. The work list holds groups and hard-link sets msgpack-packed with raw paths, so a
name that is not valid UTF-8 survives; ``decode_paths`` turns one into the output's form.
"""

from __future__ import annotations

import operator
import os
import sqlite3
from collections import defaultdict
from collections.abc import Callable

import msgpack

from sd_desktop.library import worklist
from sd_desktop.ops.files.duplicate_detection.config import (
    DuplicateConfig,
    DuplicateMode,
    DuplicateOutput,
    DuplicateState,
    WorkKind,
)
from sd_desktop.ops.files.duplicate_detection.stages import Member
from sd_desktop.ops.files.file_listing import FileInfo

UNVERIFIED_NOTE = "candidates, not verified: files that share a size (or a name and size) may still differ"
ROW_COLUMNS = ("seq", "kind", "size", "data")  # of the work items written here
_MEMBER_PATH = operator.attrgetter("info.path")


def members(infos: list[FileInfo]) -> list[Member]:
    """One member per inode (its first name by path order); the other names become its links."""
    by_id: dict[tuple[int, int], Member] = {}
    for info in infos:
        key = (info.device, info.inode)
        m = by_id.get(key)
        if m is None:
            by_id[key] = Member(info)
        else:
            m.links.append(info.path)
    return list(by_id.values())


def _as_is(value: bytes) -> bytes:
    return value


def group_record(members: list[Member], mode: DuplicateMode, path: Callable[[bytes], object] = _as_is) -> dict:
    """A group's stored form (raw path bytes), or with ``path=os.fsdecode`` its output form."""
    members = sorted(members, key=_MEMBER_PATH)
    names = [path(m.info.path) for m in members]
    size = members[0].info.size
    group = {
        "size": size,
        "hash": members[0].hash if mode.verified else None,
        "paths": names,
        "files": [
            {
                "path": name,
                "mtime_ns": m.info.mtime_ns,
                "ctime_ns": m.info.ctime_ns,
                "device": m.info.device,
                "inode": m.info.inode,
                "reference": m.info.reference,
                "links": [path(p) for p in sorted(m.links)] if m.links else [],
            }
            for m, name in zip(members, names, strict=True)
        ],
        "wasted_bytes": size * (len(members) - 1),
    }
    if mode is DuplicateMode.NAME_SIZE:
        group["name"] = path(os.path.basename(members[0].info.path))
    return group


def decode_paths(obj: dict) -> dict:
    """A stored group or hard-link set in the output's form, in place: ``str`` paths (``os.fsdecode``:
    undecodable bytes become surrogates, which the state codec and ``os.fsencode`` turn back into the
    same bytes)."""
    fsdecode = os.fsdecode
    obj["paths"] = [fsdecode(p) for p in obj["paths"]]
    if "name" in obj:
        obj["name"] = fsdecode(obj["name"])
    for f in obj.get("files", []):
        f["path"] = fsdecode(f["path"])
        f["links"] = [fsdecode(p) for p in f["links"]]
    return obj


def hardlink_sets(groups: list[list[FileInfo]]) -> list[dict]:
    """The names that are one inode, in each group of files (stored form)."""
    out = []
    for g in groups:
        by_id: dict[tuple[int, int], list[FileInfo]] = defaultdict(list)
        for info in g:
            by_id[info.identity].append(info)
        for (dev, ino), infos in by_id.items():
            if len(infos) > 1:
                out.append({"device": dev, "inode": ino, "size": infos[0].size, "paths": [i.path for i in infos]})
    return out


def output_of(
    state: DuplicateState,
    config: DuplicateConfig,
    mode: DuplicateMode,
    groups: list[dict],
    hardlinks: list[dict],
    unchanged_since: float | None = None,
) -> DuplicateOutput:
    """The output from the results in the output's form (``decode_paths``), sorted: most wasted first."""
    groups.sort(key=lambda g: (-g["wasted_bytes"], -g["size"], g["paths"][0]))
    hardlinks.sort(key=lambda h: (-h["size"], h["paths"][0]))
    return DuplicateOutput(
        mode=mode.value,
        verified=mode.verified,
        note="" if mode.verified else UNVERIFIED_NOTE,
        groups=groups,
        group_count=len(groups),
        duplicate_files=sum(len(g["paths"]) - 1 for g in groups),
        wasted_bytes=sum(g["wasted_bytes"] for g in groups),
        hardlinks=hardlinks,
        files_scanned=state.files_scanned,
        bytes_hashed=state.bytes_hashed,
        stages=dict(state.stages),
        search_paths=[os.fsdecode(p) for p in config.search_paths],
        reference_paths=[os.fsdecode(p) for p in config.reference_paths],
        unchanged_since=unchanged_since,
    )


# -- the work list --------------------------------------------------------------------------
def candidate_rows(groups: list[list[FileInfo]]) -> list[tuple]:
    """The work items of the size groups left to resolve (``ROW_COLUMNS``), numbered from 0."""
    return [(n, WorkKind.CANDIDATE, g[0].size, _pack_group(g)) for n, g in enumerate(groups)]


def _pack_group(infos: list[FileInfo]) -> bytes:
    return msgpack.packb([[i.path, i.device, i.inode, i.mtime_ns, i.ctime_ns, i.nlink, i.reference] for i in infos])


def load_candidates(conn: sqlite3.Connection, job_id: int, cursor: int) -> list[list[FileInfo]]:
    """The size groups still to resolve, from index ``cursor`` on."""
    rows = worklist.items(conn, job_id, ("size", "data"), kind=WorkKind.CANDIDATE, seq_from=cursor)
    return [[FileInfo(path, size, *rest) for path, *rest in msgpack.unpackb(data)] for size, data in rows]


def result_row(number: int, kind: WorkKind, size: int, packed: bytes) -> tuple:
    """The work item of the ``number``-th result (from 1): a group or a hard-link set, packed."""
    return (-number, kind, size, packed)


def load_results(conn: sqlite3.Connection, job_id: int) -> tuple[list[dict], list[dict]]:
    """Every result stored so far, in the output's form: (groups, hard-link sets)."""
    groups, hardlinks = [], []
    rows = worklist.items(conn, job_id, ("kind", "data"), kinds=(WorkKind.GROUP, WorkKind.HARDLINKS), descending=True)
    for kind, data in rows:
        (groups if kind == WorkKind.GROUP else hardlinks).append(decode_paths(msgpack.unpackb(data, raw=False)))
    return groups, hardlinks

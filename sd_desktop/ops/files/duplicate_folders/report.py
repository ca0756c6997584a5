"""The confirmed groups as the output reports them: only at their highest duplicated level.

A group is implied when every one of its folders sits in a folder of one and the same confirmed group
(``a/x`` and ``b/x`` are duplicates because ``a`` and ``b`` are): it is left out, as is everything
below it. A group that holds a folder outside such a parent group (``a/x``, ``b/x`` and ``d/x``, with
only ``a`` and ``b`` duplicates) is a finding of its own and is reported whole.
"""

from __future__ import annotations

import os
import sqlite3

import msgpack

from sd_desktop.library import worklist
from sd_desktop.ops.files.duplicate_folders.config import FolderConfig, FolderOutput, FolderState, WorkKind

ROW_COLUMNS = ("seq", "kind", "size", "data")


class Confirmed:
    """The groups confirmed so far, and which group each of their folders belongs to."""

    def __init__(self) -> None:
        self.groups: list[dict] = []  # stored form: {"paths": [bytes], "size", "files"}
        self.group_of: dict[bytes, int] = {}

    def implied(self, paths: list[bytes]) -> bool:
        """Every folder's parent is a folder of one confirmed group."""
        owners = {self.group_of.get(os.path.dirname(p)) for p in paths}
        return len(owners) == 1 and None not in owners

    def add(self, group: dict) -> None:
        n = len(self.groups)
        self.groups.append(group)
        for p in group["paths"]:
            self.group_of[p] = n

    def reported(self) -> list[dict]:
        """The groups that are not implied, in the output's form (``str`` paths)."""
        out = []
        for g in self.groups:
            if not self.implied(g["paths"]):
                out.append({"paths": [os.fsdecode(p) for p in g["paths"]], "size": g["size"], "files": g["files"]})
        out.sort(key=lambda g: (-g["size"] * (len(g["paths"]) - 1), -g["size"], g["paths"][0]))
        return out


def group_record(paths: list[bytes], size: int, files: int) -> dict:
    return {"paths": paths, "size": size, "files": files}


def candidate_rows(groups: list[tuple[list[bytes], int, int]]) -> list[tuple]:
    return [
        (n, WorkKind.CANDIDATE, size, msgpack.packb([paths, files])) for n, (paths, size, files) in enumerate(groups)
    ]


def load_candidates(conn: sqlite3.Connection, job_id: int, cursor: int) -> list[tuple[list[bytes], int, int]]:
    rows = worklist.items(conn, job_id, ("size", "data"), kind=WorkKind.CANDIDATE, seq_from=cursor)
    out = []
    for size, data in rows:
        paths, files = msgpack.unpackb(data)
        out.append((list(paths), size, files))
    return out


def result_row(number: int, group: dict) -> tuple:
    """The work item of the ``number``-th confirmed group (from 1)."""
    return (-number, WorkKind.GROUP, group["size"], msgpack.packb(group))


def load_confirmed(conn: sqlite3.Connection, job_id: int) -> Confirmed:
    confirmed = Confirmed()
    for (data,) in worklist.items(conn, job_id, ("data",), kind=WorkKind.GROUP, descending=True):
        confirmed.add(msgpack.unpackb(data))
    return confirmed


def output_of(state: FolderState, config: FolderConfig, confirmed: Confirmed) -> FolderOutput:
    groups = confirmed.reported()
    return FolderOutput(
        folder_groups=groups,
        group_count=len(groups),
        duplicate_folders=sum(len(g["paths"]) - 1 for g in groups),
        wasted_bytes=sum(g["size"] * (len(g["paths"]) - 1) for g in groups),
        folders_scanned=state.folders_scanned,
        files_scanned=state.files_scanned,
        candidates=state.candidates,
        files_hashed=state.files_hashed,
        bytes_hashed=state.bytes_hashed,
        search_paths=[os.fsdecode(p) for p in config.search_paths],
    )

"""The duplicate-folder search's config, state and output dataclasses, and the kinds of its work items."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path


class WorkKind(IntEnum):
    """What a ``work_item`` row of the search holds (its ``kind``)."""

    CANDIDATE = 0  # folders of one shape, still to confirm (seq: its index, from 0)
    GROUP = 1  # a confirmed group (seq: negative, in the order found)


@dataclass
class FolderConfig:
    search_paths: list[Path] = field(default_factory=list)


@dataclass
class FolderState:
    phase: str = "scan"  # scan -> confirm
    cursor: int = 0  # index (work_item seq) of the next candidate group
    candidates: int = 0  # candidate groups written by the scan
    folders_scanned: int = 0
    files_scanned: int = 0
    files_hashed: int = 0  # files read whole (the others were answered by the hash cache)
    bytes_hashed: int = 0
    results: int = 0  # confirmed groups written


@dataclass
class FolderOutput:
    # [{"paths": [...], "size": bytes of one copy, "files": files of one copy}], most bytes wasted first
    folder_groups: list[dict] = field(default_factory=list)
    group_count: int = 0
    duplicate_folders: int = 0  # copies beyond the first of each group
    wasted_bytes: int = 0
    folders_scanned: int = 0
    files_scanned: int = 0
    candidates: int = 0  # groups of folders of one shape the scan proposed
    files_hashed: int = 0
    bytes_hashed: int = 0
    search_paths: list[str] = field(default_factory=list)

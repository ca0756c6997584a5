"""The duplicate search's config, state and output dataclasses, and the kinds of its work items."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from pathlib import Path

from sd_desktop.jobs.codec import limits


class DuplicateMode(StrEnum):
    SIZE = "size"
    NAME_SIZE = "name_size"
    CONTENT = "content"
    DEEP = "deep"

    @property
    def verified(self) -> bool:
        return self in (DuplicateMode.CONTENT, DuplicateMode.DEEP)


class WorkKind(IntEnum):
    """What a ``work_item`` row of the search holds (its ``kind``)."""

    CANDIDATE = 0  # a size group still to resolve (seq: its index, from 0)
    GROUP = 1  # a group found (seq: negative, in the order found)
    HARDLINKS = 2  # a set of hard links reported (seq: negative, like groups)


@dataclass
class DuplicateConfig:
    search_paths: list[Path] = field(default_factory=list)
    mode: DuplicateMode = DuplicateMode.CONTENT
    min_size: int = field(default=0, metadata=limits(0))
    max_size: int | None = field(default=None, metadata=limits(0))
    extensions: list[str] = field(default_factory=list)
    include_hidden: bool = True
    include_empty: bool = False
    reference_paths: list[Path] = field(default_factory=list)
    # the last result with these settings is taken when nothing under the paths changed (see ``snapshot``)
    reuse_unchanged: bool = True


@dataclass
class DuplicateState:
    phase: str = "scan"  # scan -> hash
    cursor: int = 0  # index (work_item seq) of the next size group
    candidates: int = 0  # files in the size groups written by the scan
    candidate_bytes: int = 0
    files_scanned: int = 0
    files_done: int = 0
    bytes_hashed: int = 0
    results: int = 0  # result rows written (groups + hard-link sets)
    groups_found: int = 0
    stages: dict[str, int] = field(default_factory=dict)


@dataclass
class DuplicateOutput:
    mode: str = "content"
    verified: bool = True
    note: str = ""
    groups: list[dict] = field(default_factory=list)
    group_count: int = 0
    duplicate_files: int = 0
    wasted_bytes: int = 0
    hardlinks: list[dict] = field(default_factory=list)
    files_scanned: int = 0
    bytes_hashed: int = 0
    stages: dict[str, int] = field(default_factory=dict)
    search_paths: list[str] = field(default_factory=list)
    reference_paths: list[str] = field(default_factory=list)
    # set when nothing had changed since an earlier search with the same settings, whose result this is:
    # when that search ended (seconds since the epoch); nothing was read or looked up again
    unchanged_since: float | None = None
    # with ``unchanged_since``: the engine's disk watcher (the live index) saw nothing change under the
    # search paths since that search, so the tree was not even walked
    unchanged_watched: bool = False

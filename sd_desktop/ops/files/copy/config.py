"""The copy job's config, state and output dataclasses (what is stored and what the CLI prints)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from sd_desktop.jobs.codec import limits

JOB_NAME = "file_copy"  # FileCopyJob.NAME: how the library's job rows name a copy


class ConflictPolicy(Enum):
    SKIP = "skip"
    OVERWRITE = "overwrite"
    RENAME = "rename"
    OVERWRITE_IF_OLDER = "overwrite_if_older"
    ABORT = "abort"
    ASK = "ask"


ANSWERABLE = {ConflictPolicy.SKIP, ConflictPolicy.OVERWRITE, ConflictPolicy.RENAME, ConflictPolicy.OVERWRITE_IF_OLDER}


@dataclass
class CopyConfig:
    sources: list[Path]
    destination: Path
    move: bool = False
    verify: bool = False
    on_conflict: ConflictPolicy = ConflictPolicy.SKIP
    bwlimit: int = field(default=0, metadata=limits(0))  # bytes per second, 0 = unlimited


@dataclass
class CopyState:
    phase: str = "plan"  # plan -> ask -> copy -> finish -> done
    source_starts: list[int] = field(default_factory=list)  # first work_item seq of each source
    items: int = 0
    files_total: int = 0
    bytes_total: int = 0
    files_done: int = 0
    bytes_done: int = 0
    inflight_from: int = -1  # the batch running when a checkpoint was taken (for crash recovery)
    inflight_to: int = -1
    touched_locations: list[int] = field(default_factory=list)
    temp_token: str = ""  # in this job's temporary names (fsops.temp_name); set when planning


@dataclass
class CopyOutcome:
    path: Path
    outcome: str
    reason: str | None = None
    target: Path | None = None


@dataclass
class CopyOutput:
    outcomes: list[CopyOutcome] = field(default_factory=list)
    files: int = 0  # regular files copied or moved
    bytes: int = 0
    dirs: int = 0
    symlinks: int = 0
    skipped: int = 0
    failed: int = 0
    renamed: int = 0
    moved: bool = False
    verified: bool = False
    problems: list[dict] = field(default_factory=list)  # first failed/skipped items: path, outcome, reason
    # what decides the job's status: files, links and folders moved whole that were done (or skipped
    # as the conflict policy asked), and items not done (failed, kept by a move, skipped by the engine)
    items_done: int = 0
    items_failed: int = 0

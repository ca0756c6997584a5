"""The trash restore job's config, state and output."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path


class OnConflict(Enum):
    BESIDE = "beside"  # restore as "name (restored).ext" beside what is in the way
    SKIP = "skip"  # leave the item in the trash


@dataclass
class TrashRestoreConfig:
    items: list[Path] = field(default_factory=list)  # trashed items: <trash>/files/<name>
    on_conflict: OnConflict = OnConflict.BESIDE


@dataclass
class TrashRestoreState:
    phase: str = "plan"  # plan -> restore -> done
    done: int = 0
    total: int = 0


@dataclass
class RestoreOutcome:
    path: Path  # the item in the trash
    outcome: str  # restored | renamed (restored beside, under another name) | skipped | failed
    reason: str | None = None
    restored_to: Path | None = None


@dataclass
class TrashRestoreOutput:
    outcomes: list[RestoreOutcome] = field(default_factory=list)
    restored: int = 0  # back at their original paths
    renamed: int = 0  # restored beside something in the way
    skipped: int = 0
    failed: int = 0
    items_done: int = 0  # restored, or left in the trash as asked (the job's verdict: jobs.outcome)
    items_failed: int = 0

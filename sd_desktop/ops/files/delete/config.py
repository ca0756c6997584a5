"""The delete job's config, state and output dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from sd_desktop.jobs.codec import limits


class DeleteMode(Enum):
    TRASH = "trash"
    PERMANENT = "permanent"
    SECURE = "secure"


@dataclass
class GuardedTarget:
    """A duplicate to delete only if, at run time, a verified copy of its content is kept."""

    path: Path
    size: int = field(metadata=limits(0))
    mtime_ns: int
    hash: str  # full blake3 hex (sd_desktop.cas.full_hash) seen by the scan
    keepers: list[Path] = field(default_factory=list)


@dataclass
class GuardedFolder:
    """A duplicate folder to delete only if, right before, a kept folder has the very same content
    (every name, every byte, recursively: ``ops.files.delete.folder_guard``)."""

    path: Path
    keepers: list[Path] = field(default_factory=list)


@dataclass
class KeptPicture:
    """A picture of a similar-pictures group that stays, as the search saw it."""

    path: Path
    size: int = field(metadata=limits(0))
    mtime_ns: int = 0  # 0: not known (a result stored before it was recorded): the size alone is compared


@dataclass
class PictureTarget:
    """A similar picture to trash only if, at run time, it still is the file the search saw (size,
    mtime) and a kept picture of its group is still there, unchanged too (``guard.check_picture``).
    Its look-alikes are other files, so there is no content hash to compare with a duplicate's."""

    path: Path
    size: int = field(metadata=limits(0))
    mtime_ns: int = 0
    keepers: list[KeptPicture] = field(default_factory=list)


@dataclass
class LintTarget:
    """A lint finding to trash only if, at run time, it still is what was found
    (``ops.files.lint_rules.recheck``): an empty file still empty, a broken link still broken, an
    empty folder still empty, a temporary file unchanged (``size``, ``mtime_ns``)."""

    path: Path
    type: str  # lint_rules.TRASHABLE
    size: int = field(default=0, metadata=limits(0))
    mtime_ns: int = 0


@dataclass
class DeleteConfig:
    targets: list[Path] = field(default_factory=list)
    mode: DeleteMode = DeleteMode.TRASH
    confirm: bool = False  # permanent and secure deletion refuse to run without it
    passes: int = field(default=1, metadata=limits(1, 35))  # secure: overwrite passes
    force_hardlinks: bool = False  # secure: overwrite files that have other names too
    guarded: list[GuardedTarget] = field(default_factory=list)
    lint: list[LintTarget] = field(default_factory=list)  # trash mode only: each re-checked just before
    pictures: list[PictureTarget] = field(default_factory=list)  # similar pictures: each re-checked just before
    folders: list[GuardedFolder] = field(default_factory=list)  # each compared with a kept copy just before


@dataclass
class DeleteState:
    phase: str = "plan"  # plan -> delete -> done
    done: int = 0
    total: int = 0
    files_deleted: int = 0
    bytes_deleted: int = 0
    temp_token: str = ""  # in this job's scrambled names (see ops.files.fsops.temp_name); set when planning


@dataclass
class DeleteOutcome:
    path: Path
    outcome: str  # trashed | deleted | failed | skipped
    reason: str | None = None
    trash_path: Path | None = None  # trashed: where it is now (<trash>/files/<name>), so it can be restored
    trashinfo: Path | None = None  # trashed: its record (<trash>/info/<name>.trashinfo)


@dataclass
class DeleteOutput:
    outcomes: list[DeleteOutcome] = field(default_factory=list)
    mode: str = "trash"
    trashed: int = 0
    deleted: int = 0
    failed: int = 0
    skipped: int = 0
    files_deleted: int = 0  # regular files removed, counting those inside deleted folders
    bytes_deleted: int = 0
    warnings: list[str] = field(default_factory=list)
    # what decides the job's status: a path is done when it is gone (trashed, deleted, or already
    # gone), failed when it stays, whether by an error or a safety rule (hard links, guard verdicts)
    items_done: int = 0
    items_failed: int = 0

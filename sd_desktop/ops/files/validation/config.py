"""The validation job's config, state and output dataclasses, and the kinds of its work items."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from pathlib import Path

from sd_desktop.ops.files.validation.checks import Modes


class ValidationMode(StrEnum):
    BASIC = "basic"
    INTEGRITY = "integrity"
    CORRUPTION = "corruption"
    COMPLETE = "complete"

    def modes(self, permissions: bool) -> Modes:
        full = self is ValidationMode.COMPLETE
        return Modes(
            basic=full or self is ValidationMode.BASIC,
            integrity=full or self is ValidationMode.INTEGRITY,
            corruption=full or self is ValidationMode.CORRUPTION,
            permissions=permissions,
        )


class WorkKind(IntEnum):
    """What a ``work_item`` row of the validation holds (its ``kind``)."""

    ITEMS = 0  # up to ITEMS_PER_ROW files to check (seq: the row's index, from 0)
    ISSUE = 1  # a finding (seq: negative, in the order found; so are the two below)
    MISSING = 2  # an indexed file not on disk (its stored hash may show where it went)
    NEW = 3  # a file on disk not in the library


@dataclass
class ValidationConfig:
    targets: list[Path] = field(default_factory=list)
    mode: ValidationMode = ValidationMode.BASIC
    check_permissions: bool = False


@dataclass
class ValidationState:
    phase: str = "list"  # list -> check
    cursor: int = 0  # index of the next item to check
    total: int = 0
    total_bytes: int = 0
    files_checked: int = 0
    bytes_read: int = 0
    not_hashed: int = 0
    results: int = 0  # finding rows written
    unindexed: list[str] = field(default_factory=list)


@dataclass
class ValidationOutput:
    mode: str = "basic"
    files_checked: int = 0
    bytes_read: int = 0
    issues: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    targets: list[str] = field(default_factory=list)

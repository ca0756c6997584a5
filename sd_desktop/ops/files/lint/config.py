"""The lint job's config, state and output dataclasses, and the kinds of its work items."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path


class WorkKind(IntEnum):
    """What a ``work_item`` row of the lint holds (its ``kind``)."""

    ENTRY = 0  # a root that is not a folder: that entry alone
    ROOT = 1  # a root folder's own entries (not its sub-folders, nor the root itself)
    FOLDER = 2  # a folder directly in a root, with everything below it
    FINDING = 3  # a finding (seq: negative, in the order found)


@dataclass
class LintConfig:
    paths: list[Path] = field(default_factory=list)


@dataclass
class LintState:
    phase: str = "plan"  # plan -> scan -> done
    done: int = 0  # units walked
    total: int = 0
    findings: int = 0  # finding rows written


@dataclass
class LintFinding:
    path: Path
    type: str  # lint_rules.TYPES
    message: str
    size: int = 0  # as seen (a temporary file is trashed only while unchanged)
    mtime_ns: int = 0


@dataclass
class LintOutput:
    findings: list[LintFinding] = field(default_factory=list)  # in path order
    counts: dict[str, int] = field(default_factory=dict)  # per type, every type listed
    paths: list[str] = field(default_factory=list)  # the roots walked

"""The link job's config, state and output dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from sd_desktop.jobs.codec import limits


class LinkMethod(Enum):
    HARDLINK = "hardlink"  # the copy's name becomes another name of the kept file's inode
    REFLINK = "reflink"  # the copy becomes a clone sharing the kept file's blocks (FICLONE), own metadata
    COPY = "copy"  # undo: a linked path gets independent bytes again (a plain copy of the kept file)


@dataclass
class LinkTarget:
    """One extra copy to replace by a link to ``keeper`` only if, at run time, both still hold the
    content ``hash`` (and the copy the ``size`` and ``mtime_ns`` the search saw).

    For an undo (``LinkMethod.COPY``) the ``mode``, ``uid``, ``gid`` and times are what the path had
    before it was linked: the restored copy gets them back."""

    path: Path
    keeper: Path
    size: int = field(metadata=limits(0))
    mtime_ns: int
    hash: str  # full blake3 hex (sd_desktop.cas.full_hash) seen by the search
    mode: int | None = field(default=None, metadata=limits(0))
    uid: int | None = field(default=None, metadata=limits(0))
    gid: int | None = field(default=None, metadata=limits(0))
    atime_ns: int | None = None


@dataclass
class LinkConfig:
    targets: list[LinkTarget] = field(default_factory=list)
    method: LinkMethod = LinkMethod.HARDLINK
    confirm: bool = False  # the job refuses to run without it (--yes on the command line)
    # hard links: link a copy whose owner or mode differs from the kept file's (it takes the kept one's)
    ignore_metadata: bool = False


@dataclass
class LinkState:
    phase: str = "plan"  # plan -> link -> done
    done: int = 0
    total: int = 0
    bytes_saved: int = 0
    temp_token: str = ""  # in this job's temporary names (see ops.files.fsops.temp_name); set when planning


@dataclass
class LinkOutcome:
    path: Path
    keeper: Path
    outcome: str  # linked | already | restored | skipped | failed
    reason: str | None = None
    size: int = 0
    hash: str = ""
    # what the path was before it was linked (its own metadata), so an undo can give it back
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    atime_ns: int | None = None
    mtime_ns: int | None = None


@dataclass
class LinkOutput:
    outcomes: list[LinkOutcome] = field(default_factory=list)
    method: str = "hardlink"
    linked: int = 0  # paths replaced by a link (or, for an undo, given their own copy again)
    already: int = 0  # paths that already were the kept file (same inode) or shared all its blocks
    skipped: int = 0
    failed: int = 0
    bytes_saved: int = 0  # what came back (an undo: what the copies take again)
    # a path is done when it ends linked (or restored, or already was); failed when it stays a copy
    # of its own, whether by an error or a safety rule
    items_done: int = 0
    items_failed: int = 0

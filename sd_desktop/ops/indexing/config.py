"""The IndexerJob's config, state (a small cursor) and output dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from sd_desktop.jobs.codec import limits

REFRESH_MARK = "(refresh)"  # ends the target of a refresh (a normal run's ends with its mode)


class IndexMode(Enum):
    SHALLOW = "shallow"  # metadata only
    CONTENT = "content"  # + cas_id and MIME for every non-empty file
    DEEP = "deep"  # + full-content blake3 integrity hash, then thumbnails


class IndexScope(Enum):
    CURRENT = "current"  # the folder's direct children only
    RECURSIVE = "recursive"


class Persistence(Enum):
    PERSISTENT = "persistent"  # writes the library
    EPHEMERAL = "ephemeral"  # in memory only: counts, nothing stored


@dataclass
class IndexerRules:
    """Rule toggles. The defaults are narrow: only OS junk and the library's own folder are skipped."""

    ignore_os_junk: bool = True  # .DS_Store, Thumbs.db, desktop.ini, .Trash-*, lost+found, ...
    ignore_hidden: bool = False  # names starting with "."
    ignore_git: bool = False  # .git folders
    ignore_dev_folders: bool = False  # node_modules, __pycache__, .venv, .tox, ...
    respect_gitignore: bool = False  # .gitignore files (parsed once per folder, cached)
    ignore_globs: list[str] = field(default_factory=list)  # gitignore-style patterns, relative to the location


@dataclass
class IndexerConfig:
    location_id: int | None = field(default=None, metadata=limits(1))
    path: Path | None = None  # None = the location root; relative paths are relative to it
    mode: IndexMode = IndexMode.CONTENT
    scope: IndexScope = IndexScope.RECURSIVE
    persistence: Persistence = Persistence.PERSISTENT
    max_depth: int | None = field(default=None, metadata=limits(1))  # levels below ``path`` (1 = its children only)
    rules: IndexerRules = field(default_factory=IndexerRules)
    all_entries: bool = False  # --all: no ignore rules at all (the library folder is still skipped)
    # the window bringing the folder it shows up to date (``refresh``): not a job of the history
    refresh: bool = False


@dataclass
class IndexerState:
    """A cursor, never the list of entries: the directory frontier and counters."""

    phase: str = "start"  # start, discovery, finalize, content, done
    frontier: list[tuple[bytes, int]] = field(default_factory=list)  # (relative dir path, depth) to scan
    fresh: bool = False  # the location had no entries: inserts need no matching
    # changed folders are recorded as they are written (work_item kind 2): aggregation then
    # recomputes only those and their ancestors. False in a state saved by an older build: all folders.
    track_dirty: bool = False
    hash_cursor: int = 0  # content phase: entries with id <= this are done
    hash_total: int = 0
    files: int = 0
    dirs: int = 0
    symlinks: int = 0
    others: int = 0
    bytes: int = 0
    skipped: int = 0
    new: int = 0
    modified: int = 0
    moved: int = 0
    deleted: int = 0
    entries_written: int = 0
    hashed: int = 0
    hashed_bytes: int = 0
    changed_while_hashing: int = 0
    errors: int = 0
    started_at: float = 0.0
    aggregated: int = 0  # folders whose totals were recomputed
    orphans_removed: int = 0  # content identities no entry referred to any more


@dataclass
class IndexerOutput:
    location_id: int | None = None
    path: str = ""
    mode: str = "content"
    persistence: str = "persistent"
    files: int = 0
    dirs: int = 0
    symlinks: int = 0
    others: int = 0  # FIFOs, sockets, devices (recorded, never opened)
    bytes: int = 0
    entries_written: int = 0
    new: int = 0
    modified: int = 0
    moved: int = 0
    deleted: int = 0
    hashed: int = 0
    hashed_bytes: int = 0
    skipped: int = 0  # entries left out by the rules
    errors: int = 0
    changed_while_hashing: int = 0
    folders_aggregated: int = 0  # folders whose totals were recomputed (a re-index: changed ones and ancestors)
    orphans_removed: int = 0  # content identities no entry referred to any more, removed at the end
    seconds: float = 0.0

"""The project's shared vocabularies: entry kinds, work-item states, job statuses and event kinds.

One module, importing nothing of the project, so the engine, the walker processes, the CLI and the
window spell these values one way. The integer enums are stored in SQLite as their values; the string
enums travel in JSON and in job events as theirs.
"""

from __future__ import annotations

import stat
from enum import IntEnum, StrEnum


class EntryKind(IntEnum):
    """What an ``entry`` row (and a listed directory entry) is: the ``entry.kind`` column."""

    FILE = 0
    DIR = 1
    SYMLINK = 2
    OTHER = 3  # FIFOs, sockets, device files: recorded, never opened

    @classmethod
    def of_mode(cls, mode: int) -> int:
        """The kind (as a plain int, ready for SQLite) of an ``st_mode`` from lstat."""
        if stat.S_ISREG(mode):
            return cls.FILE.value
        if stat.S_ISDIR(mode):
            return cls.DIR.value
        if stat.S_ISLNK(mode):
            return cls.SYMLINK.value
        return cls.OTHER.value


class WorkStatus(IntEnum):
    """The state of one ``work_item`` row of a job's work list: the ``work_item.status`` column."""

    PENDING = 0
    DONE = 1
    FAILED = 2
    SKIPPED = 3


class JobStatus(StrEnum):
    """A job's status: the ``job.status`` column and the ``status`` of the CLI's result."""

    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in FINISHED

    @property
    def succeeded(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_ERRORS)


FINISHED = frozenset({JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_ERRORS, JobStatus.FAILED, JobStatus.CANCELLED})
ACTIVE = frozenset({JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.PAUSED})


class EventKind(StrEnum):
    """What a job event says happened (``JobEvent.kind``; the ``event`` key of ``--json`` progress)."""

    QUEUED = "queued"
    STARTED = "started"
    PROGRESS = "progress"
    PAUSED = "paused"
    RESUMED = "resumed"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    # not a job's: the live index changed these folders (``extra``: location_id, folders, reason)
    LIBRARY_CHANGED = "library_changed"
    # not a job's: a watched location went offline or came back (``extra``: location_id, online, reason)
    LOCATION_STATUS = "location_status"

    @property
    def ends_run(self) -> bool:
        """The job's run is over (for now): it finished, or it was paused."""
        return self in (EventKind.COMPLETED, EventKind.FAILED, EventKind.CANCELLED, EventKind.PAUSED)

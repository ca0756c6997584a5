"""The job engine: resumable background jobs with checkpoints, a persistent queue and events.

Never imports Qt: the GUI reaches it through ``sd_desktop.ui.bridge``.
"""

from sd_desktop.jobs.base import (
    ACTIVE,
    FINISHED,
    EmptyState,
    Job,
    JobStatus,
    hidden_names,
    is_hidden,
    job_class,
    job_class_for,
    register,
    registered,
)
from sd_desktop.jobs.context import Control, JobContext
from sd_desktop.jobs.errors import Interrupted, JobCancelled, JobError, JobPaused, JobStateError
from sd_desktop.jobs.events import FINISHING_KINDS, EventKind, JobEvent
from sd_desktop.jobs.manager import JobInfo, JobManager
from sd_desktop.jobs.progress import Progress

__all__ = [
    "ACTIVE",
    "FINISHED",
    "Control",
    "EmptyState",
    "EventKind",
    "FINISHING_KINDS",
    "Interrupted",
    "Job",
    "JobCancelled",
    "JobContext",
    "JobError",
    "JobEvent",
    "JobInfo",
    "JobManager",
    "JobPaused",
    "JobStateError",
    "JobStatus",
    "Progress",
    "hidden_names",
    "is_hidden",
    "job_class",
    "job_class_for",
    "register",
    "registered",
]

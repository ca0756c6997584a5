"""The job engine: resumable background jobs with checkpoints, a persistent queue and events.

Never imports Qt: the GUI reaches it through ``sd_desktop.ui.bridge``.

Every name here is imported on first use: a command that only needs the state codec (``codec``)
to answer from the library, such as a duplicate search of an unchanged tree, must not pay for the
manager, asyncio and the rest of the engine.
"""

import sys

TYPE_CHECKING = False  # not ``typing``'s: see above
if TYPE_CHECKING:
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

_WHERE = {
    **dict.fromkeys(
        (
            "ACTIVE",
            "FINISHED",
            "EmptyState",
            "Job",
            "JobStatus",
            "hidden_names",
            "is_hidden",
            "job_class",
            "job_class_for",
            "register",
            "registered",
        ),
        "base",
    ),
    **dict.fromkeys(("Control", "JobContext"), "context"),
    **dict.fromkeys(("Interrupted", "JobCancelled", "JobError", "JobPaused", "JobStateError"), "errors"),
    **dict.fromkeys(("FINISHING_KINDS", "EventKind", "JobEvent"), "events"),
    **dict.fromkeys(("JobInfo", "JobManager"), "manager"),
    "Progress": "progress",
}

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


def __getattr__(name: str) -> object:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = f"{__name__}.{where}"
    __import__(module)
    value = getattr(sys.modules[module], name)
    globals()[name] = value  # looked up once
    return value

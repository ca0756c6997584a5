"""Exceptions that steer a job's run: fatal errors and interrupts."""

from __future__ import annotations


class JobError(Exception):
    """A fatal, user-facing failure: the message is what people read, so make it say what to do."""


class Interrupted(Exception):  # noqa: N818 - control flow, not an error
    """Raised by ``check_interrupt`` to unwind a job's ``run``."""


class JobPaused(Interrupted):
    pass


class JobCancelled(Interrupted):
    pass


class JobStateError(JobError):
    """A stored job that cannot be rebuilt: unknown name, unknown version or corrupt state."""

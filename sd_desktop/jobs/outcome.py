"""How a job that ran to its end is judged: completed, completed with errors, or failed (FAULTS 20).

A job whose output counts its items (``items_done`` and ``items_failed`` attributes, for jobs that
act on a list of paths such as copy and delete) failed when it failed every item it acted on, even
though it ran to its end; its outcomes are kept in the output all the same. It completed with
errors when some items failed or non-critical errors were recorded, and completed otherwise. Jobs
without counts are judged by their non-critical errors alone.
"""

from __future__ import annotations

from typing import Any

from sd_desktop.jobs.base import JobStatus


def item_counts(output: Any) -> tuple[int, int] | None:
    """(items done, items failed) when the output reports them, else None."""
    done = getattr(output, "items_done", None)
    failed = getattr(output, "items_failed", None)
    if isinstance(done, int) and isinstance(failed, int):
        return done, failed
    return None


def final_status(output: Any, error_count: int) -> tuple[JobStatus, str | None]:
    """The status of a job whose ``run`` returned ``output``, and the error to store with it."""
    counts = item_counts(output)
    if counts is not None:
        done, failed = counts
        if failed and not done:
            items = "the item" if failed == 1 else f"all {failed} items"
            return JobStatus.FAILED, f"nothing was done: {items} failed (the outcomes say why)"
        if failed:
            return JobStatus.COMPLETED_WITH_ERRORS, None
    return (JobStatus.COMPLETED_WITH_ERRORS if error_count else JobStatus.COMPLETED), None

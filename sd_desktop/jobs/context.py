"""JobContext: everything a running job may touch, and the pause/cancel control it obeys."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from sd_desktop import paths
from sd_desktop.jobs import codec
from sd_desktop.jobs.errors import JobCancelled, JobPaused
from sd_desktop.jobs.progress import Progress, ProgressTracker
from sd_desktop.library import jobstore
from sd_desktop.volumes import LOCAL, VolumeBackend

if TYPE_CHECKING:
    from sd_desktop.jobs.base import Job
    from sd_desktop.jobs.manager import JobManager

T = TypeVar("T")

MAX_STORED_ERRORS = 1000


class Control(StrEnum):
    """What the user asked of a running job. Read by every ``check_interrupt``; never consumed."""

    RUNNING = "running"
    PAUSING = "pausing"
    CANCELLING = "cancelling"


class JobContext:
    def __init__(
        self,
        manager: JobManager,
        job_id: int,
        job: Job,
        *,
        resumed: bool,
        errors: list[dict] | None = None,
        error_count: int = 0,
    ):
        self.manager = manager
        self.job_id = job_id
        self.job = job
        self.resumed = resumed
        self.library = manager.library
        self.db = manager.library.db
        self.volumes = manager.volumes
        # every file the job reads goes through this (a remote volume's backend can stand in)
        self.backend: VolumeBackend = LOCAL
        self.control = Control.RUNNING
        self.errors: list[dict] = list(errors or [])
        self.error_count = error_count
        self._errors_lock = threading.Lock()
        self.tracker = ProgressTracker(self._emit_progress)
        self.logger = logging.getLogger(f"sd_desktop.jobs.{job.NAME}")

    # -- interrupts ------------------------------------------------------------------------
    @property
    def interrupt_requested(self) -> bool:
        """Thread-safe: blocking work in ``run_blocking`` polls this to stop early."""
        return self.control is not Control.RUNNING

    async def check_interrupt(self) -> None:
        """Yield to the event loop, then unwind the job if a pause or cancel was asked."""
        await asyncio.sleep(0)
        if self.control is Control.PAUSING:
            raise JobPaused()
        if self.control is Control.CANCELLING:
            raise JobCancelled()

    # -- reporting -------------------------------------------------------------------------
    def progress(
        self,
        *,
        phase: str | None = None,
        done: int | None = None,
        total: int | None = None,
        bytes_done: int | None = None,
        bytes_total: int | None = None,
        message: str | None = None,
    ) -> None:
        """Report progress; cheap to call often (events are throttled to ~10 per second)."""
        self.tracker.update(
            phase=phase, done=done, total=total, bytes_done=bytes_done, bytes_total=bytes_total, message=message
        )

    def _emit_progress(self, progress: Progress) -> None:
        self.manager._publish_progress(self, progress)

    def log(self, message: str) -> None:
        self.logger.info("job %s: %s", self.job_id, message)

    def log_error(self, message: str) -> None:
        self.logger.error("job %s: %s", self.job_id, message)

    def add_non_critical_error(self, path: paths.PathLike | None, message: str) -> None:
        """Record a problem that does not stop the job (thread-safe). Stored at the next checkpoint."""
        with self._errors_lock:
            self.error_count += 1
            if len(self.errors) < MAX_STORED_ERRORS:
                self.errors.append({"path": paths.display(path) if path is not None else "", "message": message})

    def forget_errors(self, message: str) -> None:
        """Drop the recorded problems whose message is ``message``: the reason a job paused with (a
        volume gone) was news then, and is no problem of the run that resumes it."""
        with self._errors_lock:
            kept = [e for e in self.errors if e.get("message") != message]
            self.error_count -= len(self.errors) - len(kept)
            self.errors[:] = kept

    # -- persistence -----------------------------------------------------------------------
    def _snapshot(self) -> tuple[bytes, bytes, int, str]:
        with self._errors_lock:
            errors = codec.pack(self.errors)
            count = self.error_count
        return codec.pack(self.job.state), errors, count, json.dumps(self.tracker.current.to_dict())

    async def checkpoint(
        self, fn: Callable[[sqlite3.Connection], T] | None = None, *, state_after: bool = False
    ) -> T | None:
        """Commit the job's state together with ``fn(conn)``'s writes in one transaction.

        By default the state is encoded now, so later changes to it are not part of this checkpoint.
        With ``state_after=True`` it is encoded after ``fn`` ran, inside the same transaction, so
        state that ``fn`` itself updates (counters of what it wrote, a phase it closes) commits with
        its rows; ``fn`` runs on the library's writer thread, and nothing else may change the state
        meanwhile. After a crash the job resumes from exactly this state and these rows: nothing
        repeated, nothing skipped.
        """
        snapshot = None if state_after else self._snapshot()
        job_id = self.job_id

        def tx(conn: sqlite3.Connection) -> T | None:
            result = fn(conn) if fn is not None else None
            state, errors, count, progress = snapshot or self._snapshot()
            jobstore.checkpoint(conn, job_id, state, errors, count, progress, time.time())
            return result

        return await self.library.write(tx)

    async def run_blocking(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking work (file I/O, hashing, decoding) on a worker thread."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def enqueue_followup(self, name: str, config: Any, priority: int = 0) -> int:
        """Queue a job that starts once this one completes (cancelled if this one fails)."""
        return await self.manager.enqueue(name, config, priority=priority, parent_id=self.job_id)

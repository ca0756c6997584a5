"""JobManager: the persistent job queue, its scheduler, and crash recovery.

Every status change is written to the ``job`` table (through the library's writer thread) before
its event is published, so what listeners see is what a restart will find.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from sd_desktop.enums import EventKind, WorkStatus
from sd_desktop.jobs import codec
from sd_desktop.jobs.base import FINISHED, Job, JobStatus, hidden_names, job_class, job_class_for
from sd_desktop.jobs.context import Control, JobContext
from sd_desktop.jobs.errors import JobCancelled, JobError, JobPaused, JobStateError
from sd_desktop.jobs.events import EventBus, JobEvent
from sd_desktop.jobs.identity import config_key
from sd_desktop.jobs.outcome import final_status
from sd_desktop.jobs.progress import Progress
from sd_desktop.library import Library, LibraryError, fault_of, jobstore, worklist
from sd_desktop.library.jobstore import JobRecord
from sd_desktop.volumes import VolumeManager

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 30.0


@dataclass
class JobInfo:
    """A job as stored: what lists, the CLI and the UI show."""

    id: int
    name: str
    version: int
    status: JobStatus
    priority: int
    target: str
    config: Any
    progress: dict | None
    output: Any
    error: str | None
    errors: list[dict]
    error_count: int
    parent_id: int | None
    interrupted: int
    created_at: float
    started_at: float | None
    finished_at: float | None
    updated_at: float
    has_state: bool

    @classmethod
    def from_record(cls, r: JobRecord) -> JobInfo:
        """The stored row, its blobs decoded (one that does not decode reads as None)."""
        return cls(
            id=r.id,
            name=r.name,
            version=r.version,
            status=r.status,
            priority=r.priority,
            target=r.target,
            config=_safe_unpack(r.config),
            progress=json.loads(r.progress) if r.progress else None,
            output=_safe_unpack(r.output),
            error=r.error,
            errors=_safe_unpack(r.errors) or [],
            error_count=r.error_count,
            parent_id=r.parent_id,
            interrupted=r.interrupted,
            created_at=r.created_at,
            started_at=r.started_at,
            finished_at=r.finished_at,
            updated_at=r.updated_at,
            has_state=r.state is not None,
        )

    def to_json(self) -> dict:
        """What a listing shows (the keys of ``jobstore.summary``, which reads them from the row)."""
        out = {name: getattr(self, name) for name in jobstore.SUMMARY_FIELDS}
        out["status"] = self.status.value
        return out


def _info(conn: sqlite3.Connection, job_id: int, *, output: bool = True) -> JobInfo | None:
    record = jobstore.get(conn, job_id, output=output)
    return JobInfo.from_record(record) if record is not None else None


def _safe_unpack(blob: bytes | None) -> Any:
    if blob is None:
        return None
    try:
        return codec.unpack(bytes(blob))
    except codec.CodecError:
        return None


def _stored(job_id: int, name: str, version: int, what: str, blob: bytes, into: type) -> Any:
    """A job's stored config or state, decoded into its type; a row that does not decode (damaged, or
    written by a build whose fields differ) fails that job alone, with a message naming the field."""
    try:
        return codec.unpack(bytes(blob), into)
    except codec.CodecError as exc:
        raise JobStateError(
            f"job {job_id} ({name}, version {version}) cannot continue: its stored {what} is corrupt or "
            f"from another build ({exc}); run it again"
        ) from exc


def _typed(name: str | type[Job], config: Any) -> tuple[type[Job], Any]:
    """The job class and its config, checked: every front end's config (a dict from JSON, a dataclass
    from the window or the typed commands) is checked before a row exists; CodecError names the field."""
    cls = job_class(name) if isinstance(name, str) else name
    return cls, codec.from_plain(cls.Config, config)


@dataclass
class _Running:
    ctx: JobContext
    task: asyncio.Task


class JobManager:
    """Runs jobs from the persistent queue, at most ``concurrency`` at a time.

    ``run_queued=False`` (the CLI) only runs jobs enqueued or resumed by this process, plus their
    follow-ups, and leaves the rest of the queue for the app.
    """

    def __init__(
        self, library: Library, *, volumes: VolumeManager | None = None, concurrency: int = 2, run_queued: bool = True
    ):
        self.library = library
        self.volumes = volumes or VolumeManager()
        self.concurrency = max(1, concurrency)
        self.run_queued = run_queued
        self.events = EventBus()
        self._running: dict[int, _Running] = {}
        self._allowed: set[int] = set()
        self._waiters: dict[int, list[asyncio.Future]] = {}
        self._wake = asyncio.Event()
        self._scheduler_task: asyncio.Task | None = None
        self._closing = False
        self._idle = asyncio.Event()
        self._claiming = 0  # claims in flight: a job already 'running' in the table, not yet in _running
        # pause/cancel requests that arrived while their job was being claimed: applied at launch
        self._early_control: dict[int, Control] = {}
        # jobs stopped because the library failed under them (full, read-only, damaged): why. Their
        # rows stay as last committed, so they resume like after a crash (FAULTS 18).
        self._faults: dict[int, LibraryError] = {}
        self._stalled: LibraryError | None = None  # the library failed while claiming the next job

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> list[int]:
        """Recover from a crash, then start scheduling. Returns the ids found interrupted: queued to
        resume, or, when this manager runs the queue by itself and the job is ``destructive``,
        paused until someone resumes or cancels it."""
        recovered = await self._recover()
        self._scheduler_task = asyncio.create_task(self._scheduler(), name="sd-job-scheduler")
        return recovered

    async def _recover(self) -> list[int]:
        rows = await self.library.read(jobstore.found_interrupted)
        updates: list[tuple[int, JobStatus, str | None, int]] = []  # id, status, error, crashed now
        for job_id, name, version, config_blob, status in rows:
            crashed = int(status is JobStatus.RUNNING)
            try:
                cls = job_class(name)
            except JobStateError as exc:
                if crashed:
                    updates.append((job_id, JobStatus.FAILED, str(exc), crashed))
                continue
            if not cls.RESUMABLE:
                if crashed:
                    updates.append((job_id, JobStatus.FAILED, _NOT_RESUMABLE, crashed))
            elif self.run_queued and self._destructive(job_id, cls, version, config_blob):
                # nobody resumes a delete or a move behind the user's back: it waits, paused, to be
                # resumed or cancelled (also one an earlier run found interrupted and left queued)
                updates.append((job_id, JobStatus.PAUSED, None, crashed))
            elif crashed:
                updates.append((job_id, JobStatus.QUEUED, None, crashed))
        if updates:
            now = time.time()
            await self.library.write(lambda c: jobstore.mark_interrupted(c, updates, now))
        # interrupted jobs wait for an explicit resume (or the app) in CLI mode
        return [job_id for job_id, _, _, crashed in updates if crashed]

    @staticmethod
    def _destructive(job_id: int, cls: type[Job], version: int, config_blob: bytes) -> bool:
        try:
            return cls(_stored(job_id, cls.NAME, version, "config", config_blob, cls.Config)).destructive()
        except JobStateError:
            return False  # it fails with its own clear message when the scheduler rebuilds it

    async def shutdown(self, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
        """Pause running jobs (persisting them), stop scheduling. Jobs resume at the next start."""
        self._closing = True
        self._wake.set()
        for run in list(self._running.values()):
            run.ctx.control = Control.PAUSING
        tasks = [r.task for r in self._running.values()]
        if tasks:
            done, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:  # stuck in blocking work: left 'running', so the next start resumes it
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)
        if self._scheduler_task:
            self._scheduler_task.cancel()
            try:
                await self._scheduler_task
            except asyncio.CancelledError:
                pass

    # -- queries ---------------------------------------------------------------------------
    def get(self, job_id: int) -> JobInfo | None:
        """Synchronous read on the caller's thread connection (cheap: one row)."""
        return self.library.read_sync(lambda c: _info(c, job_id))

    async def info(self, job_id: int) -> JobInfo | None:
        # decoded on the reading thread too: a job's output can be megabytes, and this is the GUI's loop
        return await self.library.read(lambda c: _info(c, job_id))

    async def list(self, limit: int = 500, statuses: set[JobStatus] | None = None) -> list[JobInfo]:
        """The History: the newest jobs, internal ones (``Job.HIDDEN``) left out."""
        hidden = hidden_names()
        # decoded off the loop, as in ``info``
        return await self.library.read(
            lambda c: [JobInfo.from_record(r) for r in jobstore.history(c, limit, statuses, hidden)]
        )

    async def forget(self, job_ids: list[int]) -> int:
        """Delete the rows of these finished jobs (internal ones, once their work is in the library)."""
        return await self.library.write(lambda c: jobstore.delete_finished_ids(c, job_ids))

    def running_ids(self) -> list[int]:
        return list(self._running)

    def live_progress(self, job_id: int) -> Progress | None:
        run = self._running.get(job_id)
        return run.ctx.tracker.current if run else None

    # -- commands --------------------------------------------------------------------------
    async def enqueue(
        self, name: str | type[Job], config: Any, *, priority: int = 0, parent_id: int | None = None
    ) -> int:
        """Queue a job; an identical active job (same name and config) is returned instead."""
        cls, config = _typed(name, config)
        job = cls(config)
        blob = codec.pack(config)
        key = config_key(cls.NAME, blob)
        now = time.time()
        target = job.target()

        def tx(conn: sqlite3.Connection) -> tuple[int, bool]:
            existing = jobstore.active_id(conn, cls.NAME, key)
            if existing is not None:
                return existing, False
            new_id = jobstore.insert(
                conn,
                name=cls.NAME,
                version=cls.VERSION,
                config=blob,
                config_key=key,
                target=target,
                priority=priority,
                parent_id=parent_id,
                now=now,
            )
            return new_id, True

        job_id, created = await self.library.write(tx)
        if parent_id is None or parent_id in self._allowed or self.run_queued:
            self._allowed.add(job_id)
        if created:
            self.events.publish(JobEvent(EventKind.QUEUED, job_id, cls.NAME, JobStatus.QUEUED.value, target=target))
        self._wake.set()
        return job_id

    async def submit(self, config: Any, *, priority: int = 0, parent_id: int | None = None) -> int:
        """``enqueue`` of a typed config: the job is the one whose ``Config`` it is (``job_class_for``)."""
        return await self.enqueue(job_class_for(config), config, priority=priority, parent_id=parent_id)

    async def active_id(self, name: str | type[Job], config: Any) -> int | None:
        """The id of the active (queued, running, paused or interrupted) job that ``enqueue`` of the
        same name and config would continue, or None."""
        cls, config = _typed(name, config)
        key = config_key(cls.NAME, codec.pack(config))
        return await self.library.read(lambda c: jobstore.active_id(c, cls.NAME, key))

    async def pause(self, job_id: int) -> None:
        if self._control_running(job_id, Control.PAUSING):
            return
        changed = await self._set_status_if(job_id, {JobStatus.QUEUED}, JobStatus.PAUSED)
        if changed:
            await self._announce(job_id, EventKind.PAUSED)
        elif not self._control_running(job_id, Control.PAUSING) and self._claiming:
            self._early_control.setdefault(job_id, Control.PAUSING)  # claimed meanwhile, not launched yet

    def _control_running(self, job_id: int, control: Control) -> bool:
        """Ask a running job to pause or cancel; False when it is not running in this manager."""
        run = self._running.get(job_id)
        if run is None:
            return False
        if control is Control.CANCELLING or run.ctx.control is Control.RUNNING:
            run.ctx.control = control
        return True

    async def resume(self, job_id: int) -> None:
        self._allowed.add(job_id)
        allowed = {JobStatus.PAUSED}
        if job_id in self._faults and job_id not in self._running:
            allowed.add(JobStatus.RUNNING)  # stopped by a library fault: its row still says running
        changed = await self._set_status_if(job_id, allowed, JobStatus.QUEUED)
        if changed:
            self._faults.pop(job_id, None)
            await self._announce(job_id, EventKind.RESUMED)
        self._wake.set()

    async def cancel(self, job_id: int) -> None:
        if self._control_running(job_id, Control.CANCELLING):
            return
        # park a waiting job first (one conditional update), so the scheduler cannot start it while
        # its artefacts are removed; a job claimed meanwhile is cancelled as it launches
        if not await self._set_status_if(job_id, {JobStatus.QUEUED, JobStatus.PAUSED}, JobStatus.PAUSED):
            if not self._control_running(job_id, Control.CANCELLING) and self._claiming:
                self._early_control[job_id] = Control.CANCELLING
            return
        info = await self.info(job_id)
        if info is None:
            return
        try:
            job, ctx = await self._rebuild(job_id)
            if info.has_state:
                await job.on_cancel(ctx)
        except JobStateError:
            pass  # nothing we can rebuild has artefacts we know how to remove
        except Exception:
            log.exception("on_cancel of job %s failed", job_id)
        await self._store_finish(job_id, JobStatus.CANCELLED, error=None, output=None, ctx=None)

    async def clear_history(self, keep_last_of: tuple[str, ...] = ()) -> int:
        """Forget finished jobs (their rows and work lists); returns how many. For the job names in
        ``keep_last_of`` (searches whose results are costly to make again), the newest successful
        job of each config is kept."""
        return await self.library.write(lambda c: jobstore.delete_finished(c, keep_last_of))

    async def _forget(self, job_id: int) -> None:
        """Remove a finished job's row (and, by cascade, its work list)."""
        await self.library.write(lambda c: jobstore.delete_job(c, job_id))

    def set_concurrency(self, n: int) -> None:
        self.concurrency = max(1, n)
        self._wake.set()

    async def wait(self, job_id: int) -> JobInfo:
        """Wait until the job is finished or paused; returns its stored record."""
        # registered before the status is read: a job finishing while that read is in flight
        # (the read sees it still running) must still wake this waiter
        fut = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(job_id, []).append(fut)
        try:
            info = await self.info(job_id)
            if info is None:
                raise KeyError(job_id)
            if (info.status in FINISHED or info.status is JobStatus.PAUSED) and job_id not in self._running:
                return info
            if job_id not in self._running:
                fault = self._faults.get(job_id) or self._stalled
                if fault is not None:  # nothing will ever answer this waiter
                    raise fault
            # the record read right after the finish (or pause) was stored: reading (and decoding
            # its output) again would cost as much once more
            announced = await fut
            return announced if announced is not None else await self.info(job_id)
        finally:
            if fut.done() and not fut.cancelled():
                fut.exception()  # a fault set on it while this raised the same fault another way
            waiters = self._waiters.get(job_id)
            if waiters is not None and fut in waiters:
                waiters.remove(fut)
                if not waiters:
                    del self._waiters[job_id]

    async def wait_tree(self, job_id: int) -> JobInfo:
        """Wait for a job and then its follow-ups (recursively); returns the first job's record."""
        info = await self.wait(job_id)
        children = await self.library.read(lambda c: jobstore.children(c, job_id))
        for child in children:
            if child in self._allowed or self.run_queued:
                await self.wait_tree(child)
        return info

    async def wait_idle(self) -> None:
        """Wait until nothing runs and nothing runnable is queued."""
        while True:
            if not self._running and not self._claiming and (self._stalled or not await self._next_runnable_exists()):
                return
            self._idle.clear()
            await self._idle.wait()

    # -- scheduling ------------------------------------------------------------------------
    async def _scheduler(self) -> None:
        while not self._closing:
            self._wake.clear()
            try:
                await self._fill()
                self._stalled = None
            except Exception as exc:
                fault = fault_of(exc, self.library.folder)
                if fault is None:
                    log.exception("job scheduler failed to start a job")
                else:
                    self._stall(fault)
            if not self._running:
                self._idle.set()
            await self._wake.wait()

    def _runnable_ids(self) -> list[int] | None:
        """The ids this manager may start (a copy, read on another thread), or None for any queued job."""
        return None if self.run_queued else list(self._allowed)

    async def _next_runnable_exists(self) -> bool:
        only = self._runnable_ids()
        return await self.library.read(lambda c: jobstore.next_runnable(c, only) is not None)

    async def _fill(self) -> None:
        while len(self._running) < self.concurrency and not self._closing:
            only = self._runnable_ids()
            now = time.time()

            def claim(conn: sqlite3.Connection, only: list[int] | None = only, now: float = now) -> JobRecord | None:
                job_id = jobstore.next_runnable(conn, only)
                return jobstore.claim(conn, job_id, now) if job_id is not None else None

            self._claiming += 1
            try:
                record = await self.library.write(claim)
                if record is None:
                    return
                await self._launch(record)
            finally:
                self._claiming -= 1
                if not self._claiming:
                    self._early_control.clear()

    def _build(self, r: JobRecord) -> tuple[Job, JobContext]:
        cls = job_class(r.name)
        if r.state is not None and r.version != cls.VERSION:
            raise JobStateError(
                f"this {r.name} job was saved by job version {r.version}, but this build runs version "
                f"{cls.VERSION}; it cannot continue — run it again"
            )
        config = _stored(r.id, r.name, r.version, "config", r.config, cls.Config)
        state = _stored(r.id, r.name, r.version, "state", r.state, cls.State) if r.state is not None else None
        errors = _safe_unpack(r.errors) or []
        job = cls(config, state)
        ctx = JobContext(self, r.id, job, resumed=r.state is not None, errors=errors, error_count=r.error_count)
        return job, ctx

    async def _rebuild(self, job_id: int) -> tuple[Job, JobContext]:
        record = await self.library.read(lambda c: jobstore.get(c, job_id))
        if record is None:
            raise JobStateError(f"job {job_id} is gone")
        return self._build(record)

    async def _launch(self, record: JobRecord) -> None:
        job_id = record.id
        try:
            job, ctx = self._build(record)
        except JobStateError as exc:
            # a stored job this build cannot rebuild fails on its own; the engine goes on
            await self._store_finish(job_id, JobStatus.FAILED, error=str(exc), output=None, ctx=None)
            return
        early = self._early_control.pop(job_id, None)
        if early is not None:
            ctx.control = early
        task = asyncio.create_task(self._run(job, ctx), name=f"sd-job-{job_id}-{job.NAME}")
        self._running[job_id] = _Running(ctx, task)

    async def _run(self, job: Job, ctx: JobContext) -> None:
        job_id = ctx.job_id
        self.events.publish(
            JobEvent(
                EventKind.STARTED,
                job_id,
                job.NAME,
                JobStatus.RUNNING.value,
                target=job.target(),
                extra={"resumed": ctx.resumed},
            )
        )
        status, error, output = JobStatus.FAILED, None, None
        fault: LibraryError | None = None
        try:
            if ctx.resumed:
                await job.on_resume(ctx)
            output = await job.run(ctx)
            status, error = final_status(output, ctx.error_count)
        except JobPaused:
            status = JobStatus.PAUSED
            try:
                await job.on_pause(ctx)
            except Exception:
                log.exception("on_pause of job %s failed", job_id)
        except JobCancelled:
            status = JobStatus.CANCELLED
            try:
                await job.on_cancel(ctx)
            except Exception:
                log.exception("on_cancel of job %s failed", job_id)
        except JobError as exc:
            error = str(exc)
        except asyncio.CancelledError:
            # forced stop at shutdown: the row stays 'running', so the next start resumes it
            ctx.tracker.close()
            self._running.pop(job_id, None)
            raise
        except Exception as exc:
            fault = fault_of(exc, self.library.folder)
            if fault is None:
                log.exception("job %s (%s) crashed", job_id, job.NAME)
                error = f"internal error: {type(exc).__name__}: {exc}"
        ctx.tracker.flush()
        ctx.tracker.close()
        try:
            if fault is None:
                try:
                    await self._store_finish(job_id, status, error=error, output=output, ctx=ctx)
                    if status.succeeded and not job.recorded():
                        await self._forget(job_id)
                except Exception as exc:
                    # the end of the job could not be recorded: still end it, and say so to its waiters
                    fault = fault_of(exc, self.library.folder) or LibraryError(
                        f"could not record the end of job {job_id} in the library: {type(exc).__name__}: {exc}"
                    )
            if fault is not None:
                self._abandon(job_id, job, fault)
        finally:
            self._running.pop(job_id, None)
            self._wake.set()

    def _abandon(self, job_id: int, job: Job, fault: LibraryError) -> None:
        """The library failed under a job. Nothing more is written (it would fail too): its row stays
        as last committed, so the next start resumes it from its last checkpoint, as after a crash."""
        log.info("job %s (%s) stopped: %s", job_id, job.NAME, fault)  # info: the CLI prints the one line
        self._faults[job_id] = fault
        self.events.publish(
            JobEvent(EventKind.PAUSED, job_id, job.NAME, JobStatus.PAUSED.value, target=job.target(), error=str(fault))
        )
        for fut in self._waiters.pop(job_id, []):
            if not fut.done():
                fut.set_exception(fault)

    def _stall(self, fault: LibraryError) -> None:
        """The library failed while claiming a job: every waiter of a job not running ends with it."""
        log.info("job scheduler stopped: %s", fault)
        self._stalled = fault
        for job_id in [j for j in self._waiters if j not in self._running]:
            for fut in self._waiters.pop(job_id):
                if not fut.done():
                    fut.set_exception(fault)

    # -- persistence -----------------------------------------------------------------------
    async def _set_status_if(self, job_id: int, allowed: set[JobStatus], new: JobStatus) -> bool:
        now = time.time()
        return await self.library.write(lambda c: jobstore.set_status_if(c, job_id, allowed, new, now))

    async def _store_finish(
        self, job_id: int, status: JobStatus, *, error: str | None, output: Any, ctx: JobContext | None
    ) -> None:
        now = time.time()
        # off the loop: a duplicate search's output is a megabyte for 20,000 files
        out_blob = await asyncio.to_thread(codec.pack, output) if output is not None else None
        # the stored form for the waiters, decoded while the row is written (not read back after)
        plain = asyncio.ensure_future(asyncio.to_thread(_safe_unpack, out_blob)) if out_blob is not None else None
        finished = status in FINISHED

        def tx(conn: sqlite3.Connection) -> None:
            report = None
            if ctx is not None:
                _state, errors, count, progress = ctx._snapshot()
                report = (errors, count, progress)
            jobstore.store_end(conn, job_id, status, error=error, now=now, output=out_blob, report=report)
            if finished:
                worklist.clear(conn, job_id, status=WorkStatus.PENDING)
            if finished and not status.succeeded:
                jobstore.cancel_followups(conn, job_id, f"not started: job {job_id} it follows did not complete", now)

        try:
            await self.library.write(tx)
        finally:
            stored = await plain if plain is not None else None
        await self._announce(job_id, _EVENT_FOR_STATUS[status], output=output, stored_output=stored)
        if finished and not status.succeeded:
            self._idle.set()

    async def _announce(self, job_id: int, kind: EventKind, output: Any = None, stored_output: Any = None) -> None:
        """Publish the job's event and answer its waiters; ``stored_output``: the output as a read of the
        row would decode it, when the caller has it (the row is then read without it)."""
        if stored_output is None:
            info = await self.info(job_id)
        else:
            info = await self.library.read(lambda c: _info(c, job_id, output=False))
            if info is not None:
                info.output = stored_output
        if info is None:
            return
        self.events.publish(
            JobEvent(
                kind,
                job_id,
                info.name,
                info.status.value,
                target=info.target,
                progress=info.progress,
                # an output handed over encoded (``codec.Packed``) is published as it was stored
                output=output if output is not None and not isinstance(output, codec.Packed) else info.output,
                error=info.error,
                error_count=info.error_count,
            )
        )
        if info.status in FINISHED or info.status is JobStatus.PAUSED:
            for fut in self._waiters.pop(job_id, []):
                if not fut.done():
                    fut.set_result(info)

    def _publish_progress(self, ctx: JobContext, progress: Progress) -> None:
        self.events.publish(
            JobEvent(
                EventKind.PROGRESS,
                ctx.job_id,
                ctx.job.NAME,
                JobStatus.RUNNING.value,
                target=ctx.job.target(),
                progress=progress.to_dict(),
                error_count=ctx.error_count,
            )
        )


_NOT_RESUMABLE = "interrupted: the app stopped while this job ran, and this kind of job cannot resume; run it again"
_EVENT_FOR_STATUS = {
    JobStatus.PAUSED: EventKind.PAUSED,
    JobStatus.COMPLETED: EventKind.COMPLETED,
    JobStatus.COMPLETED_WITH_ERRORS: EventKind.COMPLETED,
    JobStatus.FAILED: EventKind.FAILED,
    JobStatus.CANCELLED: EventKind.CANCELLED,
    JobStatus.QUEUED: EventKind.QUEUED,
    JobStatus.RUNNING: EventKind.STARTED,
}

__all__ = ["JobInfo", "JobManager"]

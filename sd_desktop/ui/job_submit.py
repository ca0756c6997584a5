"""Queueing the window's jobs: a typed job config in (``DeleteConfig``, ``CopyConfig``...), the
engine's ``JobManager.submit`` out, and a follow-up once the job finished (refresh the folder,
open the results, push an undo command).

The submitter also owns the undo stack and is the undo commands' ``JobSink``: undo and redo of a
copy, move or trash are jobs queued here like any other (and the rename that ends the undo of a
move that kept both names).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from sd_desktop import paths
from sd_desktop.jobs import JobEvent, JobInfo, JobStatus
from sd_desktop.ops.files.rename import rename_item
from sd_desktop.ui.services import AppServices

UNDO_LIMIT = 50


@dataclass
class _Watch:
    on_done: Callable[[JobInfo], None] | None


class JobSubmitter(QObject):
    jobHandled = Signal(object)  # JobInfo of a job queued here, after its follow-up ran

    def __init__(self, services: AppServices, refresh: Callable[[], None], parent: QObject | None = None):
        super().__init__(parent)
        self.services = services
        self.manager = services.manager
        self.refresh = refresh  # shows the folder again after a job changed files in it
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(UNDO_LIMIT)
        self._watch: dict[int, _Watch] = {}
        services.bridge.jobFinished.connect(self._finished_event)

    def submit(self, config: Any, what: str, on_done: Callable[[JobInfo], None] | None = None) -> None:
        """Queue the job of ``config`` (a job's Config dataclass); ``on_done`` gets its stored record
        once it finished, whatever the outcome (a failure is also shown in the status bar)."""

        async def go() -> int:
            job_id = await self.manager.submit(config)
            self._watch[job_id] = _Watch(on_done)  # before the loop can run the job
            self.services.status.emit(f"{what} queued (job {job_id})")
            return job_id

        self.services.tasks.spawn(go(), what=what)

    def submit_job(self, config: Any, what: str, on_done: Callable[[JobInfo], None] | None = None) -> None:
        """undo.JobSink: queue an undo's or redo's job; the folder is shown again once it finished."""

        def done(info: JobInfo) -> None:
            self.refresh_after()
            if on_done is not None:
                on_done(info)

        self.submit(config, what, on_done=done)

    def rename_path(self, src: bytes, dst: bytes) -> None:
        """undo.JobSink: rename ``src`` to ``dst`` off the event loop, never over a file."""

        async def go() -> None:
            try:
                await asyncio.to_thread(rename_item, self.services.local_volume, src, dst)
            except OSError as exc:
                name = paths.display(os.path.basename(dst))
                self.services.status.emit(f"{paths.display(src)} was not renamed back to {name}: {exc.strerror}")
            self.refresh_after()

        self.services.tasks.spawn(go(), what=f"rename {paths.display(os.path.basename(src))}")

    def refresh_after(self, _info: JobInfo | None = None) -> None:
        self.refresh()

    def _finished_event(self, event: JobEvent) -> None:  # the bridge's jobFinished: completed, failed, cancelled
        watch = self._watch.pop(event.job_id, None)
        if watch is not None:
            self.services.tasks.spawn(self._finished(event.job_id, watch), what="job result")

    async def _finished(self, job_id: int, watch: _Watch) -> None:
        info = await self.manager.info(job_id)
        if info is None or not shiboken6.isValid(self):  # the window closed while the job ran
            return
        if info.status is JobStatus.FAILED:
            self.services.status.emit(f"{info.target}: {info.error}")
        if watch.on_done is not None:
            watch.on_done(info)
        self.jobHandled.emit(info)

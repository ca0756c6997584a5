"""The bridge: the one place where engine job events become Qt signals.

Engine listeners run on the asyncio loop thread, which under qasync is the GUI thread, so the
signals are emitted directly (no cross-thread hop). Widgets connect to these signals and never
add engine listeners of their own; progress reaches them as ``Progress`` snapshots, not dicts.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from sd_desktop.jobs import FINISHING_KINDS, EventKind, JobEvent, JobManager, Progress, is_hidden


class EngineBridge(QObject):
    jobEvent = Signal(object)  # every JobEvent
    jobProgress = Signal(int, object, int)  # job id, Progress, non-critical errors so far
    jobStateChanged = Signal(object)  # JobEvent of kind queued/started/paused/resumed
    jobFinished = Signal(object)  # JobEvent of kind completed/failed/cancelled
    # the live index: folders brought up to date (library_changed), a location offline or back
    # (location_status); ``extra`` says which. Not a job's: the job signals never carry them.
    libraryChanged = Signal(object)

    def __init__(self, manager: JobManager, parent: QObject | None = None):
        super().__init__(parent)
        self.manager = manager
        self._remove: Callable[[], None] | None = manager.events.add_listener(self._on_event)

    def _on_event(self, event: JobEvent) -> None:
        try:
            if event.kind in (EventKind.LIBRARY_CHANGED, EventKind.LOCATION_STATUS):
                self.libraryChanged.emit(event)
                return
            if is_hidden(event.name):  # the live index's internal updates: no row in the job panel
                return
            self.jobEvent.emit(event)
            if event.kind == EventKind.PROGRESS:
                self.jobProgress.emit(event.job_id, Progress.from_dict(event.progress) or Progress(), event.error_count)
            elif event.kind in FINISHING_KINDS:
                self.jobFinished.emit(event)
            else:
                self.jobStateChanged.emit(event)
        except RuntimeError:  # the Qt side is gone (shutdown): stop listening
            self.detach()

    def detach(self) -> None:
        if self._remove is not None:
            self._remove()
            self._remove = None

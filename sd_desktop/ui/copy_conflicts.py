"""Copy conflicts: a copy or move paused for answers gets the conflict dialog, one at a time.

Any such copy does, also one this window did not start (queued before a restart, or by the
command line). Accepting stores the answers and resumes the job; cancelling cancels it.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from sd_desktop.jobs import EventKind, JobEvent
from sd_desktop.ops.files.copy.conflicts import answer_conflicts, pending_conflicts
from sd_desktop.ops.files.copy.job import FileCopyJob
from sd_desktop.ui.dialogs.conflicts import ConflictDialog
from sd_desktop.ui.services import AppServices


class ConflictPrompter(QObject):
    def __init__(self, services: AppServices, window: QWidget):
        super().__init__(window)
        self.services = services
        self.window = window
        self.dialog: ConflictDialog | None = None
        services.bridge.jobStateChanged.connect(self._state_changed)

    def _open(self) -> bool:
        return self.dialog is not None and shiboken6.isValid(self.dialog) and self.dialog.isVisible()

    def _state_changed(self, event: JobEvent) -> None:
        if event.kind == EventKind.PAUSED and event.name == FileCopyJob.NAME:
            open_for = self.dialog.job_id if self._open() else None  # type: ignore[union-attr]
            if open_for != event.job_id:
                self.services.tasks.spawn(self._offer(event.job_id), what="copy conflicts")

    async def _offer(self, job_id: int) -> None:
        waiting = [c for c in await pending_conflicts(self.services.library, job_id) if c.answer is None]
        if not waiting or self._open():
            return  # paused by the user (not waiting for answers), or one dialog at a time
        info = await self.services.manager.info(job_id)
        move = info is not None and isinstance(info.config, dict) and bool(info.config.get("move"))
        if self._open():
            return
        dialog = ConflictDialog(job_id, waiting, self.window, move=move)
        dialog.finished.connect(lambda result: self._answered(dialog, result))
        self.dialog = dialog
        dialog.open()

    def _answered(self, dialog: ConflictDialog, result: int) -> None:
        job_id = dialog.job_id
        if result != ConflictDialog.DialogCode.Accepted:
            self.services.cancel(job_id)
            return

        async def go() -> None:
            await answer_conflicts(self.services.library, job_id, dialog.answers())
            await self.services.manager.resume(job_id)

        self.services.tasks.spawn(go(), what="answer conflicts")

"""New Folder (Ctrl+Shift+N): create "New Folder" (or "New Folder 2"…) in the folder shown, off the
GUI thread (``ops.files.new_folder``), re-index it when a location holds it, and push an undo that
moves it to the Trash. The window then selects the new folder with its name in edit."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from sd_desktop import paths
from sd_desktop.ops.files.new_folder import make_new_folder
from sd_desktop.ops.indexing.config import IndexScope
from sd_desktop.ui.file_ops import FileOperations
from sd_desktop.ui.job_submit import JobSubmitter
from sd_desktop.ui.os_errors import plain_os_error
from sd_desktop.ui.services import AppServices
from sd_desktop.ui.undo import NewFolderCommand


class NewFolders(QObject):
    created = Signal(bytes)  # the new folder's path

    def __init__(
        self,
        services: AppServices,
        jobs: JobSubmitter,
        ops: FileOperations,
        current_folder: Callable[[], bytes | None],
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.services = services
        self.jobs = jobs
        self.ops = ops
        self.current_folder = current_folder

    def create(self, parent_folder: bytes | None = None) -> None:
        """Create a new folder in ``parent_folder`` (else the folder shown)."""
        folder = parent_folder if parent_folder is not None else self.current_folder()
        if folder is None:
            return

        async def go() -> None:
            try:
                path = await asyncio.to_thread(make_new_folder, folder, vol=self.services.local_volume)
            except OSError as exc:
                self.services.status.emit(f"Cannot create a folder here: {plain_os_error(exc, folder)}")
                return
            self.jobs.undo_stack.push(NewFolderCommand(self.jobs, self, path))
            self.created.emit(path)
            self.jobs.refresh_after()
            await self.ops.reindex_folder(folder, IndexScope.CURRENT)

        self.services.tasks.spawn(go(), what="new folder")

    def make_folder(self, path: bytes) -> None:  # undo.FolderSink: the redo
        async def go() -> None:
            try:
                await asyncio.to_thread(self.services.local_volume.mkdir, path)
            except OSError as exc:
                name = paths.display(os.path.basename(path))
                self.services.status.emit(f"Cannot create “{name}” again: {plain_os_error(exc, path)}")
                return
            self.jobs.refresh_after()
            await self.ops.reindex_folder(os.path.dirname(path), IndexScope.CURRENT)

        self.services.tasks.spawn(go(), what="new folder")

"""Rename: ask for the new name, refuse names that are not one file name, rename on disk without
replacing anything (``rename_noreplace``), re-index the folder, and let the undo stack undo it."""

from __future__ import annotations

import asyncio
import os

from PySide6.QtCore import QObject

from sd_desktop import paths
from sd_desktop.ops.files.fsops import rename_noreplace
from sd_desktop.ops.indexing.config import IndexScope
from sd_desktop.ui.action_targets import ActionTargets
from sd_desktop.ui.file_ops import FileOperations
from sd_desktop.ui.job_submit import JobSubmitter
from sd_desktop.ui.prompts import Prompts
from sd_desktop.ui.services import AppServices
from sd_desktop.ui.undo import RenameCommand


class Renamer(QObject):
    def __init__(
        self,
        services: AppServices,
        jobs: JobSubmitter,
        targets: ActionTargets,
        prompts: Prompts,
        ops: FileOperations,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.services = services
        self.jobs = jobs
        self.targets = targets
        self.prompts = prompts
        self.ops = ops

    def rename(self, path: bytes | None = None, new_name: str | None = None) -> None:
        """Rename ``path`` (else the one selected item) to ``new_name`` (else asked)."""
        if path is None:
            sel = self.targets.selected_paths()
            if len(sel) != 1:
                return
            path = sel[0]
        if new_name is None:
            new_name = self.prompts.text("Rename", "New name:", paths.display(os.path.basename(path)))
            if not new_name:
                return
        name = os.fsencode(new_name)
        if b"/" in name or name in (b"", b".", b".."):
            self.services.status.emit(f"“{new_name}” is not a valid file name")
            return
        new = os.path.join(os.path.dirname(path), name)
        if new == path:
            return
        self.jobs.undo_stack.push(_DoneRename(self, path, new))

    def rename_path(self, src: bytes, dst: bytes) -> None:  # undo.RenameSink
        async def go() -> None:
            await asyncio.to_thread(rename_noreplace, src, dst)
            self.jobs.refresh_after()
            await self.ops.reindex_folder(os.path.dirname(dst), IndexScope.CURRENT)

        self.services.tasks.spawn(go(), what=f"rename {paths.display(os.path.basename(src))}")


class _DoneRename(RenameCommand):
    """A rename the user just asked for: pushing it performs it (redo runs at once)."""

    def __init__(self, sink: Renamer, old: bytes, new: bytes):
        super().__init__(sink, old, new)
        self._pushed = True

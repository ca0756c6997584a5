"""Rename: check the new name (one file name, see ``os_errors.name_problem``), rename on disk off the
GUI thread without replacing anything (``ops.files.rename``, through the local volume's backend),
re-index the folder, and let the undo stack undo it. A refusal comes back as one plain sentence ("A
file named “a.txt” is already here"), never as an errno, so the inline editor (``inline_rename``)
can show it and stay open."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from sd_desktop import paths
from sd_desktop.ops.files.rename import RenamingVolume, rename_item
from sd_desktop.ops.indexing.config import IndexScope
from sd_desktop.ui.action_targets import ActionTargets
from sd_desktop.ui.file_ops import FileOperations
from sd_desktop.ui.job_submit import JobSubmitter
from sd_desktop.ui.os_errors import name_problem, plain_os_error
from sd_desktop.ui.prompts import Prompts
from sd_desktop.ui.services import AppServices
from sd_desktop.ui.undo import RenameCommand

Done = Callable[[str | None], None]  # gets None once renamed, else why it was not


def rename_on_disk(vol: RenamingVolume, src: bytes, dst: bytes) -> str | None:
    """Rename ``src`` to ``dst`` (blocking: run it in a worker); None, or why not in plain words."""
    try:
        rename_item(vol, src, dst)
    except FileExistsError:
        kind = "folder" if os.path.isdir(dst) else "file"
        return f"A {kind} named “{paths.display(os.path.basename(dst))}” is already here"
    except OSError as exc:
        return plain_os_error(exc, src)
    return None


class Renamer(QObject):
    renamed = Signal(bytes, bytes)  # old path, new path: once renamed on disk

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
        # starts editing the name in place when the item is shown (the window sets it); False if not shown
        self.edit_in_place: Callable[[bytes], bool] | None = None

    def rename(self, path: bytes | None = None, new_name: str | None = None) -> None:
        """Rename ``path`` (else the one selected item) to ``new_name`` (else edited in place, or asked)."""
        if path is None:
            sel = self.targets.selected_paths()
            if len(sel) != 1:
                return
            path = sel[0]
        if new_name is None:
            if self.edit_in_place is not None and self.edit_in_place(path):
                return
            new_name = self.prompts.text("Rename", "New name:", paths.display(os.path.basename(path)))
            if not new_name:
                return
        self.submit(path, new_name, lambda error: error and self.services.status.emit(error))

    def submit(self, path: bytes, new_name: str, done: Done) -> None:
        """Rename ``path`` to ``new_name`` in its folder; ``done`` gets None or the reason it was not."""
        problem = name_problem(new_name)
        if problem is not None:
            done(problem)
            return
        new = os.path.join(os.path.dirname(path), os.fsencode(new_name))
        if new == path:
            done(None)
            return

        async def go() -> None:
            error = await asyncio.to_thread(rename_on_disk, self.services.local_volume, path, new)
            if error is None:
                self.jobs.undo_stack.push(RenameCommand(self, path, new))
                self.renamed.emit(path, new)
                self.jobs.refresh_after()
            done(error)
            if error is None:
                await self.ops.reindex_folder(os.path.dirname(new), IndexScope.CURRENT)

        self.services.tasks.spawn(go(), what=f"rename {paths.display(os.path.basename(path))}")

    def rename_path(self, src: bytes, dst: bytes) -> None:  # undo.RenameSink: undo and redo
        async def go() -> None:
            error = await asyncio.to_thread(rename_on_disk, self.services.local_volume, src, dst)
            if error is not None:
                self.services.status.emit(f"Cannot rename “{paths.display(os.path.basename(src))}”: {error}")
                return
            self.jobs.refresh_after()
            await self.ops.reindex_folder(os.path.dirname(dst), IndexScope.CURRENT)

        self.services.tasks.spawn(go(), what=f"rename {paths.display(os.path.basename(src))}")

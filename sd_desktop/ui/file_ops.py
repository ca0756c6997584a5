"""The file operations of the window's actions: open, reveal, properties, copy/move (with undo),
trash, delete permanently, generate thumbnails and re-index, each on the action targets.

Every operation that changes files is an engine job built from its typed config (``CopyConfig``,
``DeleteConfig``, ``ThumbnailConfig``, ``IndexerConfig``): the jobs carry the safety guards, the
UI adds no second implementation.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QWidget

from sd_desktop import paths
from sd_desktop.jobs import JobInfo
from sd_desktop.library.browse import KIND_DIR, R_ID, R_KIND, R_PATH
from sd_desktop.library.describe import describe
from sd_desktop.library.locations import Located, locate
from sd_desktop.ops.files import remote_listing
from sd_desktop.ops.files.copy.config import ConflictPolicy
from sd_desktop.ops.files.delete.config import DeleteConfig, DeleteMode
from sd_desktop.ops.files.delete.freedesktop_trash import trash_holding
from sd_desktop.ops.indexing.config import IndexerConfig, IndexMode, IndexScope
from sd_desktop.ops.media.thumbnail.job import ThumbnailConfig
from sd_desktop.ui import dnd
from sd_desktop.ui.action_targets import EMPTY, ActionTargets
from sd_desktop.ui.dialogs.confirm_delete import ConfirmDeleteDialog
from sd_desktop.ui.dialogs.properties import PropertiesDialog
from sd_desktop.ui.job_submit import JobSubmitter
from sd_desktop.ui.prompts import Prompts
from sd_desktop.ui.reveal import reveal_paths
from sd_desktop.ui.services import AppServices
from sd_desktop.ui.undo import command_for_copy, command_for_trash

OPEN_AT_MOST = 20  # files handed to their applications by one Open


def what(items: list[bytes]) -> str:
    """“name” of one item, else "N items" (for status texts)."""
    return f"“{paths.display(os.path.basename(items[0]))}”" if len(items) == 1 else f"{len(items)} items"


class FileOperations(QObject):
    def __init__(
        self,
        services: AppServices,
        jobs: JobSubmitter,
        targets: ActionTargets,
        prompts: Prompts,
        open_folder: Callable[[bytes], None],
        window: QWidget,
    ):
        super().__init__(window)
        self.services = services
        self.library = services.library
        self.jobs = jobs
        self.targets = targets
        self.prompts = prompts
        self.open_folder = open_folder  # shows a folder in the window
        self.window = window
        # hands a file to the desktop's default application; False when none is found (tests
        # replace it to see the URL: a launched application cannot be observed)
        self.opener: Callable[[QUrl], bool] = QDesktopServices.openUrl
        self.remote = None  # RemoteFiles: what acts on a network volume's items

    # -- open / reveal / properties --------------------------------------------------------
    def open_items(self) -> None:
        """Open: a folder opens in the window, files open in their default application."""
        items = self.targets.targets()
        if self.remote is not None and items and remote_listing.is_remote(items[0]):
            self.remote.open_items(items)
            return
        folders = [p for p in items if os.path.isdir(p)]
        if folders:
            self.open_folder(folders[0])
        else:
            self.open_default(items)

    def open_default(self, items: list[bytes] | None = None) -> None:
        failed = [
            p
            for p in (items if items is not None else self.targets.targets())[:OPEN_AT_MOST]
            if not self.opener(QUrl.fromLocalFile(os.fsdecode(p)))
        ]
        if failed:
            self.services.status.emit(
                f"No application is set to open {what(failed)}: choose a default application for this "
                "kind of file in your desktop's settings"
            )

    def reveal(self, items: list[bytes] | None = None) -> None:
        reveal_paths(items if items is not None else self.targets.targets())

    def properties(self, path: bytes | None = None) -> None:
        target = path if path is not None else (self.targets.targets() or [None])[0]
        if target is None:
            return

        async def go() -> None:
            info = await asyncio.to_thread(describe, self.library, os.fsdecode(target))
            self.prompts.show(PropertiesDialog(info, self.window))

        self.services.tasks.spawn(go(), what="properties")

    # -- copy / move (drops, Copy to…, Move to…) -------------------------------------------
    def start_copy(self, sources: list[bytes], destination: bytes, move: bool, *, side_by_side: bool = False) -> None:
        """Copy or move ``sources`` into ``destination``; once done, the undo stack gets its undo.
        ``side_by_side``: copies of files pasted into their own folder, each under the first free
        "name (N).ext" (as Dolphin does), never asked about as a conflict with itself."""
        if not sources:
            return
        dest = os.path.abspath(destination)
        preexisting = {
            os.path.join(dest, os.path.basename(s))
            for s in sources
            if os.path.lexists(os.path.join(dest, os.path.basename(s)))
        }
        config = dnd.copy_config(sources, dest, move)
        if side_by_side:
            config = replace(config, on_conflict=ConflictPolicy.RENAME)
        verb = "Duplicate in" if side_by_side else "Move" if move else "Copy"

        def done(info: JobInfo) -> None:
            self.jobs.refresh_after()
            if info.status.succeeded and info.output:
                command = command_for_copy(self.jobs, config, info.output, preexisting)
                if command is not None:
                    self.jobs.undo_stack.push(command)

        self.jobs.submit(config, f"{verb} to {paths.display(dest)}", on_done=done)

    def copy_to(self, move: bool = False) -> None:
        sources = self.targets.selected_paths()
        if not sources:
            return
        folder = self.prompts.folder("Move to Folder" if move else "Copy to Folder")
        if folder:
            self.start_copy(sources, os.fsencode(folder), move)

    # -- trash / delete --------------------------------------------------------------------
    def trash(self, items: list[bytes] | None = None) -> ConfirmDeleteDialog | None:
        """Move to the trash (one undo step). Items already in a trash are never trashed again: they
        can only be deleted permanently, after asking (the dialog is returned then)."""
        items = items if items is not None else self.targets.selected_paths(page=True)
        if not items:
            return None
        if any(trash_holding(t) is not None for t in items):
            return self.delete_permanently(items)
        config = DeleteConfig(targets=[paths.to_path(t) for t in items], mode=DeleteMode.TRASH)

        def done(info: JobInfo) -> None:
            self.jobs.refresh_after()
            command = command_for_trash(self.jobs, info.output)
            if command is not None:
                self.jobs.undo_stack.push(command)

        self.jobs.submit(config, f"Move {what(items)} to the Trash", on_done=done)
        return None

    def delete_permanently(self, items: list[bytes] | None = None) -> ConfirmDeleteDialog | None:
        """Ask, then delete permanently (the dialog is returned; it is modal but not blocking)."""
        items = items if items is not None else self.targets.selected_paths(page=True)
        if not items:
            return None
        if self.remote is not None and remote_listing.is_remote(items[0]):  # a volume has no trash
            self.remote.delete_permanently(items)
            return None
        dialog = ConfirmDeleteDialog(items, None, self.window)
        config = DeleteConfig(targets=[paths.to_path(t) for t in items], mode=DeleteMode.PERMANENT, confirm=True)
        dialog.accepted.connect(
            lambda: self.jobs.submit(config, f"Delete {what(items)}", on_done=self.jobs.refresh_after)
        )
        return self.prompts.show(dialog)

    # -- thumbnails / re-index -------------------------------------------------------------
    def generate_thumbnails(self) -> None:
        title = "Generate thumbnails"
        ctx = self.targets.context
        if ctx is not None and ctx.location_id is not None:
            self.jobs.submit(ThumbnailConfig(location_id=ctx.location_id), title)
            return
        rows = self.targets.selected_entries()
        ids = [r[R_ID] for r in rows if r[R_ID] is not None and r[R_KIND] != KIND_DIR]
        folders = [r[R_PATH] for r in rows if r[R_KIND] == KIND_DIR]
        if ctx is None or ctx.kind != EMPTY:
            if ids:
                self.jobs.submit(ThumbnailConfig(entry_ids=ids), title)
            for f in folders:
                self.jobs.submit(ThumbnailConfig(path=paths.to_path(f)), title)
            if ids or folders:
                return
        for target in self.targets.targets():
            self.jobs.submit(ThumbnailConfig(path=paths.to_path(target)), title)

    def reindex(self) -> None:
        ctx = self.targets.context
        if ctx is not None and ctx.location_id is not None:
            self.services.spawn_index_location(ctx.location_id)
            return
        folders = [t if os.path.isdir(t) else os.path.dirname(t) for t in self.targets.targets()]

        async def go() -> None:
            for folder in folders:
                if await self.reindex_folder(folder, IndexScope.RECURSIVE) is None:
                    self.services.status.emit(f"{paths.display(folder)} is not in a location: add it first")

        self.services.tasks.spawn(go(), what="re-index")

    async def reindex_folder(self, folder: bytes, scope: IndexScope) -> int | None:
        """Queue the indexing of ``folder`` (``scope``: its children only, or all below); returns the
        job id, or None when no location holds the folder."""
        found = await asyncio.to_thread(self._locate, folder)
        if found is None:
            return None
        config = IndexerConfig(found.location_id, paths.to_path(folder), mode=IndexMode.CONTENT, scope=scope)
        return await self.services.manager.submit(config)

    def _locate(self, path: bytes) -> Located | None:
        conn = self.library.connect_reader()  # a reader of its own, off the event loop
        try:
            return locate(conn, path)
        finally:
            conn.close()

"""The Trash as a page of the window: lists every trash off the GUI thread, and turns the view's
requests into engine jobs: Restore (``TrashRestoreJob``; a taken place is asked about first),
Delete Permanently… and Empty Trash… (the delete job, permanently, after asking; it removes the
items' records too and shows progress in the job panel, where it can be cancelled)."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from sd_desktop import paths
from sd_desktop.jobs import JobEvent, JobInfo
from sd_desktop.ops.files.delete import DeleteJob
from sd_desktop.ops.files.delete.config import DeleteConfig, DeleteMode
from sd_desktop.ops.files.trash import (
    OnConflict,
    TrashItem,
    TrashListing,
    TrashRestoreConfig,
    TrashRestoreJob,
    list_trash,
)
from sd_desktop.ui.dialogs.confirm_delete import ConfirmDeleteDialog
from sd_desktop.ui.dialogs.trash import EmptyTrashDialog, RestoreConflictDialog
from sd_desktop.ui.formatting import plural
from sd_desktop.ui.icons import TypeIcons
from sd_desktop.ui.job_submit import JobSubmitter
from sd_desktop.ui.prompts import Prompts
from sd_desktop.ui.services import AppServices
from sd_desktop.ui.trash_view import TrashView
from sd_desktop.ui.workers import BackgroundRunner

CHANGES_TRASH = (DeleteJob.NAME, TrashRestoreJob.NAME)


def _what(items: list[TrashItem]) -> str:
    return f"“{items[0].name}”" if len(items) == 1 else f"{len(items)} items"


class TrashPage(QObject):
    loaded = Signal(object)  # the TrashListing shown

    def __init__(self, services: AppServices, jobs: JobSubmitter, prompts: Prompts, icons: TypeIcons, window: QWidget):
        super().__init__(window)
        self.services = services
        self.jobs = jobs
        self.prompts = prompts
        self.window = window
        self.view = TrashView(icons)
        self.view.restoreRequested.connect(self.restore)
        self.view.deleteRequested.connect(self.delete_permanently)
        self.view.emptyRequested.connect(self.empty)
        self.listing = TrashListing()
        self.active = False  # shown in the window (in place of a folder)
        self._runner = BackgroundRunner("trash", parent=self)
        self._generation = 0
        services.bridge.jobFinished.connect(self._job_finished)

    # -- showing ---------------------------------------------------------------------------
    def set_active(self, active: bool) -> None:
        self.active = active
        if active:
            self.reload()

    def reload(self) -> None:
        """List every trash again (on a worker thread: it reads folders on every volume)."""
        self._generation += 1
        generation = self._generation
        self._runner.submit(list_trash, lambda result, error: self._loaded(generation, result, error))

    def _loaded(self, generation: int, listing: TrashListing | None, error: BaseException | None) -> None:
        if generation != self._generation:
            return  # a newer listing is on its way
        if error is not None:
            if not isinstance(error, OSError):
                raise error
            self.services.status.emit(f"Cannot list the trash: {error}")
            return
        assert listing is not None
        self.listing = listing
        self.view.set_items(listing.items, listing.problems)
        self.loaded.emit(listing)

    def _job_finished(self, event: JobEvent) -> None:
        if self.active and event.name in CHANGES_TRASH:
            self.reload()

    def selection(self) -> list[bytes] | None:
        """The selected items' trash paths while the page is shown (the window's Delete acts on
        them: delete permanently, after asking); None while a folder is shown."""
        return [i.trash_path for i in self.view.selected_items()] if self.active else None

    def summary(self) -> str:
        return plural(len(self.listing.items), "item")

    # -- restore ---------------------------------------------------------------------------
    def restore(self, items: list[TrashItem]) -> None:
        """Restore ``items``; when some original places are taken, ask first (never replaced)."""
        if not items:
            return

        def taken() -> list[TrashItem]:
            return [i for i in items if i.original_path is not None and os.path.lexists(i.original_path)]

        self._runner.submit(taken, lambda found, _error: self._ask_restore(items, found or []))

    def _ask_restore(self, items: list[TrashItem], taken: list[TrashItem]) -> None:
        if not taken:
            self.submit_restore(items, OnConflict.BESIDE)
            return
        dialog = RestoreConflictDialog(taken, len(items), self.window)

        def chosen(choice: str) -> None:
            if choice == RestoreConflictDialog.BESIDE:
                self.submit_restore(items, OnConflict.BESIDE)
            else:
                left = [i for i in items if i not in taken]
                if left:
                    self.submit_restore(left, OnConflict.SKIP)

        dialog.chosen.connect(chosen)
        self.prompts.show(dialog)

    def submit_restore(self, items: list[TrashItem], policy: OnConflict) -> None:
        config = TrashRestoreConfig(items=[paths.to_path(i.trash_path) for i in items], on_conflict=policy)

        def done(info: JobInfo) -> None:
            self.jobs.refresh_after()
            self.reload()
            out: dict[str, Any] = info.output or {}
            back = out.get("restored", 0) + out.get("renamed", 0)
            if back:
                beside = f" ({out['renamed']} beside an existing file)" if out.get("renamed") else ""
                self.services.status.emit(f"Restored {plural(back, 'item')}{beside}")

        self.jobs.submit(config, f"Restore {_what(items)}", on_done=done)

    # -- delete permanently / empty --------------------------------------------------------
    def delete_permanently(self, items: list[TrashItem]) -> ConfirmDeleteDialog | None:
        if not items:
            return None
        targets = [i.trash_path for i in items]
        dialog = ConfirmDeleteDialog(targets, sum(i.size for i in items), self.window)
        config = DeleteConfig(targets=[paths.to_path(t) for t in targets], mode=DeleteMode.PERMANENT, confirm=True)
        dialog.accepted.connect(
            lambda: self.jobs.submit(config, f"Delete {_what(items)} permanently", on_done=lambda _i: self.reload())
        )
        return self.prompts.show(dialog)

    def empty(self) -> None:
        """Ask, then delete every item of every trash (and orphan records) permanently, as a job."""

        def found(listing: TrashListing | None, error: BaseException | None) -> None:
            if listing is None:
                self.services.status.emit(f"Cannot list the trash: {error}")
                return
            doomed = [i.trash_path for i in listing.items] + listing.orphans
            if not doomed:
                self.services.status.emit("The Trash is already empty")
                return
            folders = len({i.trash_dir for i in listing.items})
            dialog = EmptyTrashDialog(len(listing.items), listing.total_size, folders, self.window)
            config = DeleteConfig(targets=[paths.to_path(t) for t in doomed], mode=DeleteMode.PERMANENT, confirm=True)
            dialog.accepted.connect(lambda: self.jobs.submit(config, "Empty Trash", on_done=lambda _i: self.reload()))
            self.prompts.show(dialog)

        self._runner.submit(list_trash, found)

    def close(self) -> None:
        self._runner.close()

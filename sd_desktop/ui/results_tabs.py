"""Find duplicates, Find similar pictures and Validate, and their results as tabs of the window's
main area, beside the "Files" tab (the tab bar shows only while results are open): the duplicates
view (guarded trash / delete / move of the marked copies, export, a preview of the selected
picture), the similar-pictures view (re-checked trash of the marked pictures) and the validation
view (re-validate, export); stored results reopen from the job history's menu or the Tools menu
(they survive a restart). The size the user gives the duplicates view's preview is remembered.
Find Duplicates and Validate on a network volume's folder (``cross_duplicates``,
``remote_validation``) open the same tabs, their rows named ``NAME:/path``; what cannot work on a
volume is off there with the reason as tooltip (``results.remote_results``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from PySide6.QtCore import QByteArray, QObject, QPoint
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QTabBar, QTabWidget, QTreeView, QWidget

from sd_desktop import paths
from sd_desktop.jobs import JobInfo, JobStatus
from sd_desktop.library.browse import content_ids
from sd_desktop.library.locations import LocationInfo
from sd_desktop.ops.files.copy.config import ConflictPolicy, CopyConfig
from sd_desktop.ops.files.delete.config import DeleteConfig, DeleteMode, GuardedFolder, GuardedTarget, PictureTarget
from sd_desktop.ops.files.duplicate_detection import DuplicateConfig, DuplicateDetectionJob
from sd_desktop.ops.files.duplicate_folders import DuplicateFoldersJob, FolderConfig
from sd_desktop.ops.files.extents import can_clone
from sd_desktop.ops.files.link.config import LinkConfig, LinkTarget
from sd_desktop.ops.files.validation import ValidationConfig, ValidationJob, ValidationMode
from sd_desktop.ops.media.similar.config import SimilarConfig
from sd_desktop.ops.media.similar.job import SimilarPicturesJob
from sd_desktop.ui import dnd
from sd_desktop.ui.action_targets import ActionTargets
from sd_desktop.ui.dialogs.confirm_delete import ConfirmDeleteDialog
from sd_desktop.ui.dialogs.confirm_link import ConfirmLinkDialog
from sd_desktop.ui.dialogs.find_duplicates import FindDuplicatesDialog
from sd_desktop.ui.dialogs.find_similar import FindSimilarDialog
from sd_desktop.ui.dialogs.validate import ValidateDialog
from sd_desktop.ui.file_ops import FileOperations
from sd_desktop.ui.formatting import plural
from sd_desktop.ui.icons import TypeIcons
from sd_desktop.ui.job_panel import JobHistoryModel
from sd_desktop.ui.job_submit import JobSubmitter
from sd_desktop.ui.prompts import Prompts
from sd_desktop.ui.results import remote_results
from sd_desktop.ui.results.duplicates_model import DuplicatesModel
from sd_desktop.ui.results.duplicates_view import DuplicatesView
from sd_desktop.ui.results.folder_duplicates_view import FolderDuplicatesView
from sd_desktop.ui.results.similar_model import SimilarModel
from sd_desktop.ui.results.similar_view import SimilarView
from sd_desktop.ui.results.validation_model import ValidationModel
from sd_desktop.ui.results.validation_view import ValidationView
from sd_desktop.ui.services import AppServices
from sd_desktop.ui.settings import open_settings
from sd_desktop.ui.undo import MoveCommand, command_for_copy, command_for_links, command_for_trash

THUMBNAIL_LOOKUP_LIMIT = 5000  # duplicate files whose thumbnails are looked up (a big result shows its top)
CROSS_DUPLICATES, REMOTE_VALIDATION = "cross_duplicates", "remote_validation"  # a volume's folder
RESULT_JOBS = (
    DuplicateDetectionJob.NAME,
    DuplicateFoldersJob.NAME,
    ValidationJob.NAME,
    SimilarPicturesJob.NAME,
    CROSS_DUPLICATES,
    REMOTE_VALIDATION,
)
STORED_RESULTS_SEARCHED = 200  # latest jobs searched for the last results of a kind
PREVIEW_SPLIT_KEY = "layout/duplicates_preview"


class ResultTabs(QObject):
    def __init__(
        self,
        services: AppServices,
        jobs: JobSubmitter,
        targets: ActionTargets,
        prompts: Prompts,
        ops: FileOperations,
        icons: TypeIcons,
        window: QMainWindow,
        locations: Callable[[], list[LocationInfo]] = list,
    ):
        """``locations``: the library's locations as last loaded (the sidebar's, read on a worker):
        a results view names each file's location without reading the library on the GUI thread."""
        super().__init__(window)
        self.known_locations = locations
        self.services = services
        self.library = services.library
        self.jobs = jobs
        self.targets = targets
        self.prompts = prompts
        self.ops = ops
        self.icons = icons
        self.window = window
        self.views: list[QWidget] = []
        self.history_menu: QMenu | None = None
        self.link_dialog: ConfirmLinkDialog | None = None  # the last "Replace with Links" question
        self.remote = None  # RemoteFiles (set by the window): opens a volume's file (a copy, then opened)

        self.files_page: QWidget | None = None
        self.settings = open_settings()
        self.tabs = QTabWidget()  # the window's main area
        self.tabs.setObjectName("results_tabs")
        self.tabs.setTabsClosable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.setTabBarAutoHide(True)  # one tab (the files): no tab bar
        self.tabs.tabCloseRequested.connect(self._close_tab)
        self.results_action = QAction("Results", self)  # Tools › Results: back to the latest results
        self.results_action.setEnabled(False)
        self.results_action.triggered.connect(self.show_results)

    def set_files_page(self, page: QWidget, title: str = "Files") -> None:
        """The first tab, which never closes: the folder's contents (or the Trash)."""
        self.files_page = page
        self.tabs.insertTab(0, page, title)
        self.tabs.tabBar().setTabButton(0, QTabBar.ButtonPosition.RightSide, None)
        self.tabs.tabBar().setTabButton(0, QTabBar.ButtonPosition.LeftSide, None)
        self.tabs.setCurrentIndex(0)

    def show_files(self) -> None:
        if self.files_page is not None:
            self.tabs.setCurrentWidget(self.files_page)

    def show_results(self) -> None:
        if self.views:
            self.tabs.setCurrentWidget(self.views[-1])

    # -- find duplicates / validate --------------------------------------------------------
    def find_duplicates(self) -> FindDuplicatesDialog:
        items = self.targets.targets()
        folders = [p for p in items if os.path.isdir(p)] or [os.path.dirname(p) for p in items[:1]]
        dialog = FindDuplicatesDialog(folders, self.window)
        dialog.accepted.connect(lambda: self.run_find_duplicates(dialog.config()))
        return self.prompts.show(dialog)

    def run_find_duplicates(self, config: DuplicateConfig | FolderConfig) -> None:
        folders = isinstance(config, FolderConfig)

        def done(info: JobInfo) -> None:
            if info.output is not None and info.status is not JobStatus.FAILED:
                (self.open_duplicate_folders if folders else self.open_duplicates)(info.id, info.output)

        self.jobs.submit(config, "Find duplicate folders" if folders else "Find duplicates", on_done=done)

    def find_similar(self) -> FindSimilarDialog:
        items = self.targets.targets()
        folders = [p for p in items if os.path.isdir(p)] or [os.path.dirname(p) for p in items[:1]]
        dialog = FindSimilarDialog(folders, self.window)
        dialog.accepted.connect(lambda: self.run_find_similar(dialog.config()))
        return self.prompts.show(dialog)

    def run_find_similar(self, config: SimilarConfig) -> None:
        def done(info: JobInfo) -> None:
            if info.output is not None and info.status is not JobStatus.FAILED:
                self.open_similar(info.id, info.output)

        self.jobs.submit(config, "Find similar pictures", on_done=done)

    def validate(self) -> ValidateDialog:
        dialog = ValidateDialog(self.targets.targets(), self.window)
        dialog.accepted.connect(lambda: self.run_validation(dialog.config()))
        return self.prompts.show(dialog)

    def run_validation(self, config: ValidationConfig) -> None:
        def done(info: JobInfo) -> None:
            if info.output is not None and info.status is not JobStatus.FAILED:
                self.open_validation(info.id, info.output)

        self.jobs.submit(config, "Validate", on_done=done)

    def run_remote_duplicates(self, root: str) -> None:
        """Duplicates inside the volume folder ``root`` (indexed) from the stored index, into a tab."""
        from sd_desktop.ops.files.cross_duplicates import CrossDuplicatesConfig

        def done(info: JobInfo) -> None:
            if info.output is not None and info.status is not JobStatus.FAILED:
                self.open_duplicates(info.id, info.output)

        self.jobs.submit(CrossDuplicatesConfig(roots=[root]), f"Find duplicates in {root}", on_done=done)

    def run_remote_validation(self, target: str) -> None:
        """Compare the volume folder or file ``target`` with its stored index, into a tab."""
        from sd_desktop.ops.files.validation.remote_job import RemoteValidationConfig

        def done(info: JobInfo) -> None:
            if info.output is not None and info.status is not JobStatus.FAILED:
                self.open_validation(info.id, info.output)

        self.jobs.submit(RemoteValidationConfig(targets=[target]), f"Validate {target}", on_done=done)

    def _open_file(self, path: bytes) -> None:
        """Open a result's file: a volume's one is copied to a temporary folder first."""
        if self.remote is not None and remote_results.has_remote([path]):
            self.remote.open_files([path])
        else:
            self.ops.open_default([path])

    # -- tabs ------------------------------------------------------------------------------
    def _add_tab(self, view: QWidget, title: str) -> None:
        self.views.append(view)
        i = self.tabs.addTab(view, title)
        self.tabs.setCurrentIndex(i)
        self.results_action.setEnabled(True)

    def _close_tab(self, index: int) -> None:
        view = self.tabs.widget(index)
        if view is None or view is self.files_page:
            return
        self.tabs.removeTab(index)
        if view in self.views:
            self.views.remove(view)
        if isinstance(view, DuplicatesView):
            self.settings.setValue(PREVIEW_SPLIT_KEY, view.split.saveState())
            view.dispose()
        elif isinstance(view, SimilarView):
            view.dispose()
        view.deleteLater()
        self.results_action.setEnabled(bool(self.views))

    def close_all(self) -> None:
        """The window closes: stop the views' loaders (the preview's size was kept as it moved)."""
        for view in self.views:
            if isinstance(view, (DuplicatesView, SimilarView)):
                view.dispose()

    # -- duplicates ------------------------------------------------------------------------
    def open_duplicates(self, job_id: int | None, output: dict) -> DuplicatesView:
        model = DuplicatesModel(output, self.icons, self._locations(), self.services.thumbnails)
        view = DuplicatesView(model, job_id, library=self.library)
        model.setParent(view)
        split = self.settings.value(PREVIEW_SPLIT_KEY)
        if isinstance(split, QByteArray) and not split.isEmpty():
            view.split.restoreState(split)
        view.split.splitterMoved.connect(lambda *_: self.settings.setValue(PREVIEW_SPLIT_KEY, view.split.saveState()))
        view.trashRequested.connect(lambda items: self._delete_guarded(view, items, permanent=False))
        view.deleteRequested.connect(lambda items: self._delete_guarded(view, items, permanent=True))
        view.moveRequested.connect(lambda items: self._move_marked(view, items))
        view.linkRequested.connect(lambda items: self._link_marked(view, items))
        view.exportRequested.connect(lambda: self._export(output, "Export Duplicates", "duplicates.csv"))
        view.revealRequested.connect(lambda p: self.ops.reveal([p]))
        view.openRequested.connect(self._open_file)
        if remote_results.has_remote([f.path for g in model.groups for f in g.files]):
            remote_results.limit_duplicates(view)
        self._add_tab(view, f"Duplicates{f' (job {job_id})' if job_id else ''}")
        files = [os.fsencode(f.path) for g in model.groups for f in g.files][:THUMBNAIL_LOOKUP_LIMIT]
        self.services.tasks.spawn(self._content_ids(model, files), what="duplicate thumbnails")
        return view

    def open_duplicate_folders(self, job_id: int | None, output: dict) -> FolderDuplicatesView:
        view = FolderDuplicatesView(output, job_id)
        view.trashRequested.connect(lambda items: self._trash_folders(view, items))
        view.revealRequested.connect(lambda p: self.ops.reveal([p]))
        view.openRequested.connect(lambda p: self.ops.open_default([p]))
        self._add_tab(view, f"Duplicate Folders{f' (job {job_id})' if job_id else ''}")
        return view

    def _trash_folders(self, view: FolderDuplicatesView, items: list[GuardedFolder]) -> None:
        """The extra copies to the Trash through the guarded DeleteJob (one undo step)."""

        def done(info: JobInfo) -> None:
            self.jobs.refresh_after()
            if info.output is not None:
                view.show_outcomes(info.output.get("outcomes") or [])
                command = command_for_trash(self.jobs, info.output)
                if command is not None:
                    self.jobs.undo_stack.push(command)
            elif info.status is JobStatus.FAILED:
                view.show_message(f"Nothing was moved to the Trash: {info.error}")

        if items:
            self.jobs.submit(DeleteConfig(folders=items), f"Remove {plural(len(items), 'duplicate folder')}", done)

    def _locations(self) -> list[tuple[bytes, str]]:
        return [(os.fsencode(loc.path), loc.name) for loc in self.known_locations()]

    async def _content_ids(self, model: DuplicatesModel | SimilarModel, files: list[bytes]) -> None:
        def lookup() -> dict[bytes, int]:
            conn = self.library.connect_reader()
            try:
                return content_ids(conn, files)
            finally:
                conn.close()

        ids = await asyncio.to_thread(lookup)
        if ids:
            model.set_content_ids(ids)

    def _delete_guarded(self, view: DuplicatesView, items: list[GuardedTarget], permanent: bool) -> None:
        local, remote = remote_results.split_targets(items)
        if remote and permanent:
            self._delete_remote(view, items, local, remote)
            return
        mode = DeleteMode.PERMANENT if permanent else DeleteMode.TRASH
        config = DeleteConfig(guarded=local, mode=mode, confirm=permanent)
        self._remove(view, config, local, "duplicate", "Nothing was deleted")

    def _delete_remote(self, view: DuplicatesView, items: list[GuardedTarget], local, remote: list) -> None:
        """Marked copies on volumes (and any local ones beside them), after the one confirmation:
        ``remote_delete`` per volume (it keeps a file changed since it was indexed), the guarded
        DeleteJob for the local ones; each job's outcomes go back to the view."""

        def done(config, info: JobInfo) -> None:
            self.jobs.refresh_after()
            if info.status is JobStatus.FAILED and info.output is None:
                view.show_message(f"Nothing was deleted from {config.volume}: {info.error}")
                return
            view.show_outcomes(remote_results.delete_outcomes(config, info.output), "deleted")

        def go() -> None:
            for config in remote:
                what = f"Delete {plural(len(config.paths), 'duplicate')} from {config.volume}"
                self.jobs.submit(config, what, on_done=partial(done, config))
            if local:
                self._remove_confirmed(view, DeleteConfig(guarded=local, mode=DeleteMode.PERMANENT, confirm=True))

        dialog = ConfirmDeleteDialog([os.fsencode(t.path) for t in items], sum(t.size for t in items), self.window)
        dialog.accepted.connect(go)
        self.prompts.show(dialog)

    def _remove_confirmed(self, view, config: DeleteConfig) -> None:
        def done(info: JobInfo) -> None:
            self.jobs.refresh_after()
            if info.output is not None:
                view.show_outcomes(info.output.get("outcomes") or [], "deleted")
            elif info.status is JobStatus.FAILED:
                view.show_message(f"Nothing was deleted: {info.error}")

        self.jobs.submit(config, f"Remove {plural(len(config.guarded), 'duplicate')}", on_done=done)

    def _remove(self, view, config: DeleteConfig, items: list, noun: str, nothing: str) -> None:
        """Run a guarded DeleteJob on a results view's marked files (after the confirmation a
        permanent delete asks for): its outcomes go back to the view (why a file was kept, too), and a
        trash gets its undo step. ``items`` have ``path`` and ``size``."""
        permanent = config.mode is DeleteMode.PERMANENT
        verb = "deleted" if permanent else "moved to the Trash"

        def done(info: JobInfo) -> None:
            self.jobs.refresh_after()
            # a job that failed every file still has its outcomes (why each one was kept): show them
            if info.output is not None:
                view.show_outcomes(info.output.get("outcomes") or [], verb)
                command = None if permanent else command_for_trash(self.jobs, info.output)
                if command is not None:
                    self.jobs.undo_stack.push(command)
            elif info.status is JobStatus.FAILED:
                view.show_message(f"{nothing}: {info.error}")

        def go() -> None:
            self.jobs.submit(config, f"Remove {plural(len(items), noun)}", on_done=done)

        if not permanent:
            go()
            return
        dialog = ConfirmDeleteDialog([os.fsencode(t.path) for t in items], sum(t.size for t in items), self.window)
        dialog.accepted.connect(go)
        self.prompts.show(dialog)

    def _link_marked(self, view: DuplicatesView, items: list[LinkTarget]) -> None:
        """Ask (how much comes back; hard links, or reflinks where the file system can), then run the
        LinkJob; its undo step restores independent copies."""
        freed = sum(t.size for t in items)

        def done(info: JobInfo) -> None:
            self.jobs.refresh_after()
            if info.output is not None:
                view.show_outcomes(info.output.get("outcomes") or [], "replaced by a link")
                command = command_for_links(self.jobs, info.output, on_done=undone)
                if command is not None:
                    self.jobs.undo_stack.push(command)
            elif info.status is JobStatus.FAILED:
                view.show_message(f"Nothing was linked: {info.error}")

        def undone(info: JobInfo) -> None:
            if info.output is not None:
                verb = "given its own copy again" if info.output.get("method") == "copy" else "replaced by a link"
                view.show_outcomes(info.output.get("outcomes") or [], verb)

        async def ask() -> None:
            first = items[0]
            # learnt by trying on the first copy's folder, off the event loop
            reflink_ok = await asyncio.to_thread(
                can_clone, os.fsencode(first.keeper), os.path.dirname(os.fsencode(first.path))
            )
            dialog = ConfirmLinkDialog(len(items), freed, reflink_ok, self.window)
            self.link_dialog = dialog

            def go() -> None:
                config = LinkConfig(targets=items, method=dialog.method, confirm=True)
                self.jobs.submit(config, f"Replace {plural(len(items), 'duplicate')} with links", on_done=done)

            dialog.accepted.connect(go)
            self.prompts.show(dialog)

        self.services.tasks.spawn(ask(), what="replace with links")

    def _move_marked(self, view: DuplicatesView, items: list[bytes], folder: str | None = None) -> None:
        folder = folder or self.prompts.folder("Move Marked Files to Folder")
        if not folder or not items:
            return
        # copies usually share a name: one job per batch of distinct names, renamed on arrival if needed
        batches: list[list[bytes]] = []
        for raw in items:
            name = os.path.basename(raw)
            for batch in batches:
                if all(os.path.basename(b) != name for b in batch):
                    batch.append(raw)
                    break
            else:
                batches.append([raw])

        configs = [
            replace(dnd.copy_config(batch, os.fsencode(folder), True), on_conflict=ConflictPolicy.RENAME)
            for batch in batches
        ]
        finished: list[tuple[CopyConfig, dict]] = []

        def done(config: CopyConfig, info: JobInfo) -> None:
            self.jobs.refresh_after()
            if info.output is not None:
                view.show_outcomes(info.output.get("outcomes") or [], "moved")
            finished.append((config, info.output or {}))
            if len(finished) == len(configs):  # the batches are one move: one undo step
                pairs: list[tuple[bytes, bytes]] = []
                for batch_config, output in finished:
                    command = command_for_copy(self.jobs, batch_config, output)
                    pairs += command.pairs if command is not None else []
                if pairs:
                    self.jobs.undo_stack.push(MoveCommand(self.jobs, pairs))

        for config in configs:
            self.jobs.submit(config, f"Move {plural(len(config.sources), 'duplicate')}", on_done=partial(done, config))

    # -- similar pictures ------------------------------------------------------------------
    def open_similar(self, job_id: int | None, output: dict) -> SimilarView:
        model = SimilarModel(output, self.services.thumbnails)
        view = SimilarView(model, job_id)
        model.setParent(view)
        view.trashRequested.connect(lambda items: self._remove_pictures(view, items, permanent=False))
        view.deleteRequested.connect(lambda items: self._remove_pictures(view, items, permanent=True))
        view.revealRequested.connect(lambda p: self.ops.reveal([p]))
        view.openRequested.connect(lambda p: self.ops.open_default([p]))
        self._add_tab(view, f"Similar Pictures{f' (job {job_id})' if job_id else ''}")
        files = [os.fsencode(p.path) for g in model.groups for p in g][:THUMBNAIL_LOOKUP_LIMIT]
        self.services.tasks.spawn(self._content_ids(model, files), what="similar thumbnails")
        return view

    def _remove_pictures(self, view: SimilarView, items: list[PictureTarget], permanent: bool) -> None:
        """Trash (or, once confirmed, delete) the marked pictures: the DeleteJob re-checks each one
        and a kept picture of its group right before (``guard.check_picture``); the outcomes go back
        to the view."""
        mode = DeleteMode.PERMANENT if permanent else DeleteMode.TRASH
        config = DeleteConfig(pictures=items, mode=mode, confirm=permanent)
        self._remove(view, config, items, "similar picture", "Nothing was removed")

    # -- validation ------------------------------------------------------------------------
    def open_validation(self, job_id: int | None, output: dict) -> ValidationView:
        view = ValidationView(ValidationModel(output), job_id)
        view.model.setParent(view)
        mode = ValidationMode(output.get("mode", ValidationMode.BASIC))
        view.revealRequested.connect(lambda p: self.ops.reveal([p]))
        view.openRequested.connect(self._open_file)
        view.revalidateRequested.connect(lambda items: self._revalidate(items, mode))
        if remote_results.has_remote([i["path"] for i in view.model.issues]):
            remote_results.limit_validation(view)
        view.exportRequested.connect(lambda: self._export(output, "Export Validation Results", "validation.csv", True))
        self._add_tab(view, f"Validation{f' (job {job_id})' if job_id else ''}")
        return view

    def _revalidate(self, items: list[bytes], mode: ValidationMode) -> None:
        remote = [p for p in items if remote_results.has_remote([p])]
        for p in remote:  # a remote validation takes one NAME:/path
            self.run_remote_validation(paths.display(p))
        local = [paths.to_path(p) for p in items if p not in remote]
        if local:
            self.run_validation(ValidationConfig(targets=local, mode=mode))

    def _export(self, output: dict, title: str, suggested: str, validation: bool = False) -> None:
        dest = self.prompts.save_path(title, suggested)
        if not dest:
            return
        if validation:
            from sd_desktop.ops.files.validation.export import export
        else:
            from sd_desktop.ops.files.duplicate_detection.export import export

        async def go() -> None:
            written = await asyncio.to_thread(export, output, dest)
            self.services.status.emit(f"Saved {written}")

        self.services.tasks.spawn(go(), what="export")

    # -- stored results --------------------------------------------------------------------
    def _open_stored(self, info: JobInfo) -> None:
        openers = {
            DuplicateDetectionJob.NAME: self.open_duplicates,
            CROSS_DUPLICATES: self.open_duplicates,
            DuplicateFoldersJob.NAME: self.open_duplicate_folders,
            SimilarPicturesJob.NAME: self.open_similar,
        }
        openers.get(info.name, self.open_validation)(info.id, info.output)

    def open_results_of(self, job_id: int) -> None:
        """Open the stored results of one finished duplicate, similar-pictures or validation job (from
        the job history)."""

        async def go() -> None:
            info = await self.services.manager.info(job_id)
            if info is None or info.output is None or info.name not in RESULT_JOBS:
                self.services.status.emit(f"Job {job_id} has no results to show")
                return
            self._open_stored(info)

        self.services.tasks.spawn(go(), what="open results")

    def show_history_menu(self, history: QTreeView, model: JobHistoryModel, pos: QPoint) -> None:
        """The job history's context menu: "Show Results" of a finished results job (RESULT_JOBS)."""
        index = history.indexAt(pos)
        if not index.isValid():
            return
        job = model.job(index.row())
        if job.name not in RESULT_JOBS or not job.status.succeeded:
            return
        menu = QMenu(history)
        menu.setObjectName("history_menu")
        menu.addAction("Show Results", lambda: self.open_results_of(job.id))
        self.history_menu = menu
        menu.popup(history.viewport().mapToGlobal(pos))

    def show_last_results(self, name: str) -> None:
        """Open the stored output of the latest finished job ``name`` (a job's NAME, one of
        RESULT_JOBS): results survive a restart."""

        async def go() -> None:
            for info in await self.services.manager.list(limit=STORED_RESULTS_SEARCHED):
                if info.name == name and info.status.succeeded:
                    full = await self.services.manager.info(info.id)
                    if full is not None and full.output is not None:
                        self._open_stored(full)
                        return
            self.services.status.emit("No stored results yet")

        self.services.tasks.spawn(go(), what="open results")

"""File actions for the main window: copy/move/rename/trash/delete, drag and drop, context menus,
undo, Find duplicates / Validate and their result views.

``install(window)`` wires a ``FileActionsController`` into an existing MainWindow: it registers
the actions (with shortcuts) in the window's ActionRegistry and menu bar, gives the content view
and sidebar their context menus and drop handling (event filters), and opens result views as
tabs of a "Results" dock. Every action becomes an engine call, ``manager.enqueue(name, config)``
(delete, file_copy, duplicate_detection, file_validation, thumbnails, indexer): the jobs carry the
safety guards, the UI adds no second implementation.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QDrag, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QMenu,
    QStyle,
    QTabWidget,
    QWidget,
)

from sd_desktop import paths
from sd_desktop.jobs import JobInfo, JobStatus
from sd_desktop.library.locations import list_locations
from sd_desktop.ui import context_menus as cm
from sd_desktop.ui import dnd
from sd_desktop.ui.content_model import R_ID, R_KIND, R_PATH
from sd_desktop.ui.dialogs.confirm_delete import ConfirmDeleteDialog
from sd_desktop.ui.dialogs.conflicts import ConflictDialog
from sd_desktop.ui.dialogs.find_duplicates import FindDuplicatesDialog
from sd_desktop.ui.dialogs.properties import PropertiesDialog
from sd_desktop.ui.dialogs.validate import ValidateDialog
from sd_desktop.ui.results.duplicates_model import DuplicatesModel
from sd_desktop.ui.results.duplicates_view import DuplicatesView
from sd_desktop.ui.results.validation_model import ValidationModel
from sd_desktop.ui.results.validation_view import ValidationView
from sd_desktop.ui.reveal import reveal_paths
from sd_desktop.ui.services import trash_folder
from sd_desktop.ui.sidebar import LocationRole
from sd_desktop.ui.sidebar import PathRole as SidebarPathRole
from sd_desktop.ui.undo import RenameCommand, command_for_copy

KIND_DIR = 1
FINISHED = ("completed", "failed", "cancelled")
THUMBNAIL_LOOKUP_LIMIT = 5000
RESULT_JOBS = ("duplicate_detection", "file_validation")


@dataclass
class Context:
    """What a context menu (or a shortcut) acts on."""

    kind: str  # context_menus.FILE / FOLDER / LOCATION / PLACE / TRASH / EMPTY
    paths: list[bytes]
    location_id: int | None = None


@dataclass
class _Watch:
    on_done: Callable[[JobInfo], None] | None


class FileActionsController(QObject):
    jobHandled = Signal(object)  # JobInfo of a job this controller queued, after its follow-up ran

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.services = window.services
        self.manager = self.services.manager
        self.library = self.services.library
        self.undo_stack = QUndoStack(self)
        self._watch: dict[int, _Watch] = {}
        self._context: Context | None = None
        self.conflict_dialog: ConflictDialog | None = None
        self.drop_menu: QMenu | None = None
        self.history_menu: QMenu | None = None
        self.last_dialog: QWidget | None = None
        self.result_views: list[QWidget] = []
        # pluggable askers: tests answer them without modal loops
        self.ask_folder: Callable[[str], str | None] = self._ask_folder
        self.ask_text: Callable[[str, str, str], str | None] = self._ask_text
        self.ask_save_path: Callable[[str, str], str | None] = self._ask_save_path
        self.services.bridge.jobEvent.connect(self._job_event)

        self.results = QTabWidget()
        self.results.setObjectName("results_tabs")
        self.results.setTabsClosable(True)
        self.results.setDocumentMode(True)
        self.results.tabCloseRequested.connect(self._close_tab)
        self.results_dock = QDockWidget("Results", window)
        self.results_dock.setObjectName("results_dock")
        self.results_dock.setWidget(self.results)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.results_dock)
        window.tabifyDockWidget(window.job_dock, self.results_dock)
        self.results_dock.hide()

    # -- what the actions act on -----------------------------------------------------------
    def selected_paths(self) -> list[bytes]:
        if self._context is not None:
            return list(self._context.paths) if self._context.kind != cm.EMPTY else []
        model = self.window.model
        return [model.entry(r)[R_PATH] for r in sorted(self.window.content.selected_rows()) if r < model.loaded_rows()]

    def targets(self) -> list[bytes]:
        """The selection, else the folder shown."""
        sel = self.selected_paths()
        if sel:
            return sel
        if self._context is not None and self._context.paths:
            return list(self._context.paths)
        current = self.window.current_path
        return [current] if current is not None else []

    def set_context(self, context: Context | None) -> None:
        self._context = context

    # -- jobs ------------------------------------------------------------------------------
    def submit(
        self,
        name: str,
        config: dict,
        what: str = "",
        on_done: Callable[[JobInfo], None] | None = None,
    ) -> None:
        """Queue a job; ``on_done`` gets its stored record once it finished."""

        async def go() -> int:
            job_id = await self.manager.enqueue(name, config)
            self._watch[job_id] = _Watch(on_done)  # before the loop can run the job
            self.services.status.emit(f"{what or name} queued (job {job_id})")
            return job_id

        self.services.tasks.spawn(go(), what=what or name)

    def submit_job(self, name: str, config: dict, what: str) -> None:  # undo.JobSink
        self.submit(name, config, what, on_done=self._refresh_after)

    def _job_event(self, event) -> None:
        if event.kind == "paused" and event.name == "file_copy":
            # any copy waiting for answers, also one queued before a restart or by the command line
            open_for = self.conflict_dialog.job_id if self._dialog_open(self.conflict_dialog) else None
            if open_for != event.job_id:
                self.services.tasks.spawn(self._offer_conflicts(event.job_id), what="copy conflicts")
            return
        watch = self._watch.get(event.job_id)
        if watch is None:
            return
        if event.kind in FINISHED:
            self._watch.pop(event.job_id, None)
            self.services.tasks.spawn(self._finished(event.job_id, watch), what="job result")

    async def _finished(self, job_id: int, watch: _Watch) -> None:
        info = await self.manager.info(job_id)
        if info is None:
            return
        if info.status is JobStatus.FAILED:
            self.services.status.emit(f"{info.target}: {info.error}")
        if watch.on_done is not None:
            watch.on_done(info)
        self.jobHandled.emit(info)

    def _refresh_after(self, _info: JobInfo | None = None) -> None:
        if self.window.current_path is not None:
            self.window.model.refresh()

    # -- copy / move (drops, Copy to…, Move to…) -------------------------------------------
    def start_copy(self, sources: list[bytes], destination: bytes, move: bool) -> None:
        if not sources:
            return
        dest = os.path.abspath(destination)
        preexisting = {
            os.path.join(dest, os.path.basename(s))
            for s in sources
            if os.path.lexists(os.path.join(dest, os.path.basename(s)))
        }
        config = dnd.copy_config(sources, dest, move)
        verb = "Move" if move else "Copy"

        def done(info: JobInfo) -> None:
            self._refresh_after()
            if info.status in (JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_ERRORS) and info.output:
                command = command_for_copy(self, config, info.output, preexisting)
                if command is not None:
                    self.undo_stack.push(command)

        self.submit("file_copy", config, f"{verb} to {paths.display(dest)}", on_done=done)

    def copy_to(self, move: bool = False) -> None:
        sources = self.selected_paths()
        if not sources:
            return
        folder = self.ask_folder("Move to Folder" if move else "Copy to Folder")
        if folder:
            self.start_copy(sources, os.fsencode(folder), move)

    @staticmethod
    def _dialog_open(dialog: QWidget | None) -> bool:
        return dialog is not None and shiboken6.isValid(dialog) and dialog.isVisible()

    async def _offer_conflicts(self, job_id: int) -> None:
        from sd_desktop.ops.files.copy.conflicts import pending_conflicts

        waiting = [c for c in await pending_conflicts(self.library, job_id) if c.answer is None]
        if not waiting or self._dialog_open(self.conflict_dialog):
            return  # paused by the user (not waiting for answers), or one dialog at a time
        dialog = ConflictDialog(job_id, waiting, self.window)
        dialog.finished.connect(lambda result: self._conflicts_answered(dialog, result))
        self.conflict_dialog = dialog
        dialog.open()

    def _conflicts_answered(self, dialog: ConflictDialog, result: int) -> None:
        from sd_desktop.ops.files.copy.conflicts import answer_conflicts

        job_id = dialog.job_id
        if result != ConflictDialog.DialogCode.Accepted:
            self.services.cancel(job_id)
            return

        async def go() -> None:
            await answer_conflicts(self.library, job_id, dialog.answers())
            await self.manager.resume(job_id)

        self.services.tasks.spawn(go(), what="answer conflicts")

    # -- drops -----------------------------------------------------------------------------
    def handle_drop(
        self, sources: list[bytes], destination: bytes | None, modifiers, global_pos: QPoint | None = None
    ) -> dnd.DropIntent:
        """Act on a drop: trash target, copy, move, or the Copy/Move/Cancel menu when ambiguous."""
        if not sources or destination is None:
            return dnd.DropIntent.NONE
        trash = trash_folder()
        if trash is not None and os.path.abspath(destination) == os.path.abspath(trash):
            self.trash(sources)
            return dnd.DropIntent.MOVE
        intent = dnd.decide(sources, destination, modifiers)
        if intent is dnd.DropIntent.COPY:
            self.start_copy(sources, destination, move=False)
        elif intent is dnd.DropIntent.MOVE:
            self.start_copy(sources, destination, move=True)
        elif intent is dnd.DropIntent.ASK:
            menu = QMenu(self.window)
            menu.setObjectName("drop_menu")
            menu.addAction("Copy Here", lambda: self.start_copy(sources, destination, move=False))
            menu.addAction("Move Here", lambda: self.start_copy(sources, destination, move=True))
            menu.addSeparator()
            menu.addAction("Cancel")
            self.drop_menu = menu
            menu.popup(global_pos or self.window.mapToGlobal(self.window.rect().center()))
        return intent

    def drag_mime(self):
        return dnd.paths_to_mime(self.selected_paths())

    # -- trash / delete / rename -----------------------------------------------------------
    def trash(self, targets: list[bytes] | None = None) -> None:
        targets = targets if targets is not None else self.selected_paths()
        if not targets:
            return
        config = {"targets": [os.fsdecode(t) for t in targets], "mode": "trash"}
        self.submit("delete", config, f"Move {_what(targets)} to the Trash", on_done=self._refresh_after)

    def delete_permanently(self, targets: list[bytes] | None = None) -> ConfirmDeleteDialog | None:
        """Ask, then delete permanently (the dialog is returned; it is modal but not blocking)."""
        targets = targets if targets is not None else self.selected_paths()
        if not targets:
            return None
        dialog = ConfirmDeleteDialog(targets, None, self.window)
        config = {"targets": [os.fsdecode(t) for t in targets], "mode": "permanent", "confirm": True}
        dialog.accepted.connect(
            lambda: self.submit("delete", config, f"Delete {_what(targets)}", on_done=self._refresh_after)
        )
        self.last_dialog = dialog
        dialog.open()
        return dialog

    def rename(self, path: bytes | None = None, new_name: str | None = None) -> None:
        if path is None:
            sel = self.selected_paths()
            if len(sel) != 1:
                return
            path = sel[0]
        if new_name is None:
            new_name = self.ask_text("Rename", "New name:", paths.display(os.path.basename(path)))
            if not new_name:
                return
        name = os.fsencode(new_name)
        if b"/" in name or name in (b"", b".", b".."):
            self.services.status.emit(f"“{new_name}” is not a valid file name")
            return
        new = os.path.join(os.path.dirname(path), name)
        if new == path:
            return
        self.undo_stack.push(_DoneRename(self, path, new))

    def rename_path(self, src: bytes, dst: bytes) -> None:  # undo.JobSink
        from sd_desktop.ops.files.copy.fsops import rename_noreplace

        async def go() -> None:
            await asyncio.to_thread(rename_noreplace, src, dst)
            self._refresh_after()
            await self._reindex_folder(os.path.dirname(dst))

        self.services.tasks.spawn(go(), what=f"rename {paths.display(os.path.basename(src))}")

    async def _reindex_folder(self, folder: bytes) -> None:
        loc = await asyncio.to_thread(self._location_of, folder)
        if loc is not None:
            await self.manager.enqueue(
                "indexer", {"location_id": loc, "path": os.fsdecode(folder), "scope": "current", "mode": "content"}
            )

    def _location_of(self, path: bytes) -> int | None:
        conn = self.library.connect_reader()
        try:
            best = None
            for loc_id, root in conn.execute("SELECT id, path FROM location"):
                root = bytes(root)
                if paths.is_within(path, root) and (best is None or len(root) > len(best[1])):
                    best = (loc_id, root)
            return best[0] if best else None
        finally:
            conn.close()

    # -- open / reveal / properties --------------------------------------------------------
    def open_items(self) -> None:
        """Open: a folder opens in the window, files open in their default application."""
        items = self.targets()
        folders = [p for p in items if os.path.isdir(p)]
        if folders:
            self.window.open_path(folders[0])
        else:
            self.open_default(items)

    def open_default(self, items: list[bytes] | None = None) -> None:
        for p in (items if items is not None else self.targets())[:20]:
            QDesktopServices.openUrl(QUrl.fromLocalFile(os.fsdecode(p)))

    def reveal(self, items: list[bytes] | None = None) -> None:
        reveal_paths(items if items is not None else self.targets())

    def properties(self, path: bytes | None = None) -> None:
        from sd_desktop.commands.info import describe

        target = path if path is not None else (self.targets() or [None])[0]
        if target is None:
            return

        async def go() -> None:
            info = await asyncio.to_thread(describe, self.library, os.fsdecode(target))
            dialog = PropertiesDialog(info, self.window)
            self.last_dialog = dialog
            dialog.open()

        self.services.tasks.spawn(go(), what="properties")

    # -- find duplicates / validate / thumbnails / re-index -------------------------------
    def find_duplicates(self) -> FindDuplicatesDialog:
        folders = [p for p in self.targets() if os.path.isdir(p)] or [os.path.dirname(p) for p in self.targets()[:1]]
        dialog = FindDuplicatesDialog(folders, self.window)
        dialog.accepted.connect(lambda: self.run_find_duplicates(dialog.config()))
        self.last_dialog = dialog
        dialog.open()
        return dialog

    def run_find_duplicates(self, config: dict) -> None:
        def done(info: JobInfo) -> None:
            if info.output is not None and info.status is not JobStatus.FAILED:
                self.open_duplicates(info.id, info.output)

        self.submit("duplicate_detection", config, "Find duplicates", on_done=done)

    def validate(self) -> ValidateDialog:
        dialog = ValidateDialog(self.targets(), self.window)
        dialog.accepted.connect(lambda: self.run_validation(dialog.config()))
        self.last_dialog = dialog
        dialog.open()
        return dialog

    def run_validation(self, config: dict) -> None:
        def done(info: JobInfo) -> None:
            if info.output is not None and info.status is not JobStatus.FAILED:
                self.open_validation(info.id, info.output)

        self.submit("file_validation", config, "Validate", on_done=done)

    def generate_thumbnails(self) -> None:
        ctx = self._context
        if ctx is not None and ctx.location_id is not None:
            self.submit("thumbnails", {"location_id": ctx.location_id}, "Generate thumbnails")
            return
        model = self.window.model
        rows = [model.entry(r) for r in self.window.content.selected_rows() if r < model.loaded_rows()]
        ids = [r[R_ID] for r in rows if r[R_ID] is not None and r[R_KIND] != KIND_DIR]
        folders = [r[R_PATH] for r in rows if r[R_KIND] == KIND_DIR]
        if ctx is None or ctx.kind != cm.EMPTY:
            if ids:
                self.submit("thumbnails", {"entry_ids": ids}, "Generate thumbnails")
            for f in folders:
                self.submit("thumbnails", {"path": os.fsdecode(f)}, "Generate thumbnails")
            if ids or folders:
                return
        for target in self.targets():
            self.submit("thumbnails", {"path": os.fsdecode(target)}, "Generate thumbnails")

    def reindex(self) -> None:
        ctx = self._context
        if ctx is not None and ctx.location_id is not None:
            self.services.spawn_index_location(ctx.location_id)
            return

        async def go() -> None:
            for target in self.targets():
                folder = target if os.path.isdir(target) else os.path.dirname(target)
                loc = await asyncio.to_thread(self._location_of, folder)
                if loc is None:
                    self.services.status.emit(f"{paths.display(folder)} is not in a location: add it first")
                    continue
                await self.manager.enqueue(
                    "indexer", {"location_id": loc, "path": os.fsdecode(folder), "mode": "content"}
                )

        self.services.tasks.spawn(go(), what="re-index")

    # -- result views ----------------------------------------------------------------------
    def _locations(self) -> list[tuple[bytes, str]]:
        conn = self.library.connect_reader()
        try:
            return [(os.fsencode(loc.path), loc.name) for loc in list_locations(conn=conn)]
        except sqlite3.Error:
            return []
        finally:
            conn.close()

    def _add_tab(self, view: QWidget, title: str) -> None:
        self.result_views.append(view)
        i = self.results.addTab(view, title)
        self.results.setCurrentIndex(i)
        self.results_dock.show()
        self.results_dock.raise_()
        self.window.resizeDocks([self.results_dock], [420], Qt.Orientation.Vertical)

    def _close_tab(self, index: int) -> None:
        view = self.results.widget(index)
        self.results.removeTab(index)
        if view in self.result_views:
            self.result_views.remove(view)
        if view is not None:
            view.deleteLater()
        if not self.results.count():
            self.results_dock.hide()

    def open_duplicates(self, job_id: int | None, output: dict) -> DuplicatesView:
        model = DuplicatesModel(output, self.window.icons, self._locations(), self.services.thumbnails)
        view = DuplicatesView(model, job_id)
        model.setParent(view)
        view.trashRequested.connect(lambda targets: self._delete_guarded(view, targets, permanent=False))
        view.deleteRequested.connect(lambda targets: self._delete_guarded(view, targets, permanent=True))
        view.moveRequested.connect(lambda items: self._move_marked(view, items))
        view.exportRequested.connect(lambda: self._export(output, "Export Duplicates", "duplicates.csv"))
        view.revealRequested.connect(lambda p: self.reveal([p]))
        view.openRequested.connect(lambda p: self.open_default([p]))
        self._add_tab(view, f"Duplicates{f' (job {job_id})' if job_id else ''}")
        files = [os.fsencode(f.path) for g in model.groups for f in g.files][:THUMBNAIL_LOOKUP_LIMIT]
        self.services.tasks.spawn(self._content_ids(model, files), what="duplicate thumbnails")
        return view

    async def _content_ids(self, model: DuplicatesModel, files: list[bytes]) -> None:
        def lookup() -> dict[bytes, int]:
            conn = self.library.connect_reader()
            try:
                roots = [(i, bytes(p)) for i, p in conn.execute("SELECT id, path FROM location")]
                found = {}
                for raw in files:
                    best = max(
                        ((i, r) for i, r in roots if paths.is_within(raw, r)), key=lambda x: len(x[1]), default=None
                    )
                    if best is None:
                        continue
                    row = conn.execute(
                        "SELECT content_id FROM entry WHERE location_id = ? AND path = ?",
                        (best[0], os.path.relpath(raw, best[1])),
                    ).fetchone()
                    if row and row[0] is not None:
                        found[raw] = row[0]
                return found
            finally:
                conn.close()

        ids = await asyncio.to_thread(lookup)
        if ids:
            model.set_content_ids(ids)

    def _delete_guarded(self, view: DuplicatesView, targets: list[dict], permanent: bool) -> None:
        config = {"guarded": targets, "mode": "permanent" if permanent else "trash", "confirm": permanent}
        verb = "deleted" if permanent else "moved to the Trash"

        def done(info: JobInfo) -> None:
            self._refresh_after()
            # a job that failed every file still has its outcomes (why each copy was kept): show them
            if info.output is not None:
                view.show_outcomes(info.output.get("outcomes") or [], verb)
            elif info.status is JobStatus.FAILED:
                view.show_message(f"Nothing was deleted: {info.error}")

        def go() -> None:
            self.submit("delete", config, f"Remove {len(targets)} duplicates", on_done=done)

        if not permanent:
            go()
            return
        dialog = ConfirmDeleteDialog(
            [os.fsencode(t["path"]) for t in targets], sum(t["size"] for t in targets), self.window
        )
        dialog.accepted.connect(go)
        self.last_dialog = dialog
        dialog.open()

    def _move_marked(self, view: DuplicatesView, items: list[bytes], folder: str | None = None) -> None:
        folder = folder or self.ask_folder("Move Marked Files to Folder")
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

        def done(info: JobInfo) -> None:
            self._refresh_after()
            if info.output is not None:
                view.show_outcomes(info.output.get("outcomes") or [], "moved")

        for batch in batches:
            config = dict(dnd.copy_config(batch, os.fsencode(folder), True), on_conflict="rename")
            self.submit("file_copy", config, f"Move {len(batch)} duplicates", on_done=done)

    def open_validation(self, job_id: int | None, output: dict) -> ValidationView:
        view = ValidationView(ValidationModel(output), job_id)
        view.model.setParent(view)
        mode = output.get("mode", "basic")
        view.revealRequested.connect(lambda p: self.reveal([p]))
        view.openRequested.connect(lambda p: self.open_default([p]))
        view.revalidateRequested.connect(
            lambda items: self.run_validation({"targets": [os.fsdecode(p) for p in items], "mode": mode})
        )
        view.exportRequested.connect(lambda: self._export(output, "Export Validation Results", "validation.csv", True))
        self._add_tab(view, f"Validation{f' (job {job_id})' if job_id else ''}")
        return view

    def _export(self, output: dict, title: str, suggested: str, validation: bool = False) -> None:
        dest = self.ask_save_path(title, suggested)
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

    def open_results_of(self, job_id: int) -> None:
        """Open the stored results of one finished duplicate or validation job (from the job history)."""

        async def go() -> None:
            info = await self.manager.info(job_id)
            if info is None or info.output is None or info.name not in RESULT_JOBS:
                self.services.status.emit(f"Job {job_id} has no results to show")
                return
            opener = self.open_duplicates if info.name == "duplicate_detection" else self.open_validation
            opener(info.id, info.output)

        self.services.tasks.spawn(go(), what="open results")

    def _history_menu(self, pos: QPoint) -> None:
        history = self.window.jobs.history
        index = history.indexAt(pos)
        if not index.isValid():
            return
        job = self.window.jobs.history_model.job(index.row())
        if job.name not in RESULT_JOBS or not job.status.succeeded:
            return
        menu = QMenu(history)
        menu.setObjectName("history_menu")
        menu.addAction("Show Results", lambda: self.open_results_of(job.id))
        self.history_menu = menu
        menu.popup(history.viewport().mapToGlobal(pos))

    def show_last_results(self, name: str) -> None:
        """Open the stored output of the latest finished job ``name`` (results survive a restart)."""

        async def go() -> None:
            for info in await self.manager.list(limit=200):
                if info.name == name and info.status in (JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_ERRORS):
                    full = await self.manager.info(info.id)
                    if full is not None and full.output is not None:
                        opener = self.open_duplicates if name == "duplicate_detection" else self.open_validation
                        opener(full.id, full.output)
                        return
            self.services.status.emit("No stored results yet")

        self.services.tasks.spawn(go(), what="open results")

    # -- askers (modal; replaced in tests) -------------------------------------------------
    def _ask_folder(self, title: str) -> str | None:
        start = paths.display(self.window.current_path or b"")
        return QFileDialog.getExistingDirectory(self.window, title, start) or None

    def _ask_text(self, title: str, label: str, text: str) -> str | None:
        value, ok = QInputDialog.getText(self.window, title, label, text=text)
        return value if ok else None

    def _ask_save_path(self, title: str, suggested: str) -> str | None:
        value, _ = QFileDialog.getSaveFileName(self.window, title, suggested, "CSV (*.csv);;JSON (*.json)")
        return value or None

    # -- context menus ---------------------------------------------------------------------
    def content_context(self, pos: QPoint, view: QAbstractItemView) -> Context:
        index = view.indexAt(pos)
        model = self.window.model
        if not index.isValid():
            current = self.window.current_path
            return Context(cm.EMPTY, [current] if current is not None else [])
        sel = self.window.content.selection_model()
        if not sel.isRowSelected(index.row(), index.parent()):
            view.setCurrentIndex(index)
        rows = sorted(self.window.content.selected_rows()) or [index.row()]
        entries = [model.entry(r) for r in rows if r < model.loaded_rows()]
        kind = cm.FOLDER if all(e[R_KIND] == KIND_DIR for e in entries) and len(entries) == 1 else cm.FILE
        return Context(kind, [e[R_PATH] for e in entries])

    def sidebar_context(self, pos: QPoint) -> Context | None:
        index = self.window.sidebar.view.indexAt(pos)
        raw = index.data(SidebarPathRole) if index.isValid() else None
        if raw is None:
            return None
        location = index.data(LocationRole)
        trash = trash_folder()
        if trash is not None and raw == trash:
            return Context(cm.TRASH, [raw])
        if location is not None:
            return Context(cm.LOCATION, [raw], location)
        return Context(cm.PLACE, [raw])  # Home, volumes: never renamed or trashed from here

    def menu_for(self, context: Context) -> QMenu:
        """Build the context menu for ``context``; actions triggered from it act on that context."""
        self._context = context
        menu = cm.build_menu(context.kind, self.window.actions, self.window)
        for key in ("fa_rename",):
            if key in self.window.actions:
                self.window.actions[key].setEnabled(len(context.paths) == 1 and context.kind in (cm.FILE, cm.FOLDER))
        # actions run right after the menu hides: drop the context once they did
        menu.aboutToHide.connect(lambda: QTimer.singleShot(0, lambda: self._end_menu(menu)))
        return menu

    def _end_menu(self, menu: QMenu) -> None:
        self._context = None
        if "fa_rename" in self.window.actions:
            self.window.actions["fa_rename"].setEnabled(True)
        menu.deleteLater()

    def _popup_content_menu(self, view: QAbstractItemView, pos: QPoint) -> None:
        menu = self.menu_for(self.content_context(pos, view))
        menu.popup(view.viewport().mapToGlobal(pos))

    def _popup_sidebar_menu(self, pos: QPoint) -> None:
        context = self.sidebar_context(pos)
        if context is not None:
            menu = self.menu_for(context)
            menu.popup(self.window.sidebar.view.viewport().mapToGlobal(pos))


class _DoneRename(RenameCommand):
    """A rename the user just asked for: pushing it performs it (redo runs at once)."""

    def __init__(self, sink, old: bytes, new: bytes):
        super().__init__(sink, old, new)
        self._pushed = True


def _what(items: list[bytes]) -> str:
    return f"“{paths.display(os.path.basename(items[0]))}”" if len(items) == 1 else f"{len(items)} items"


class DropFilter(QObject):
    """Drops (and drags out, for the content view) on an item view's viewport."""

    def __init__(self, controller: FileActionsController, view: QAbstractItemView, target_of, drag_out: bool):
        super().__init__(view)
        self.controller, self.view, self.target_of, self.drag_out = controller, view, target_of, drag_out
        self._press: QPoint | None = None
        view.viewport().setAcceptDrops(True)
        view.viewport().installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        t = event.type()
        if t in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            sources = dnd.urls_to_paths(event.mimeData())
            target = self.target_of(event.position().toPoint()) if sources else None
            if target is None:
                event.ignore()
                return True
            intent = dnd.decide(sources, target, event.modifiers())
            if intent is dnd.DropIntent.NONE and t == QEvent.Type.DragMove:
                event.ignore()
                return True
            event.setDropAction(Qt.DropAction.CopyAction if intent is dnd.DropIntent.COPY else Qt.DropAction.MoveAction)
            event.accept()
            return True
        if t == QEvent.Type.Drop:
            sources = dnd.urls_to_paths(event.mimeData())
            pos = event.position().toPoint()
            target = self.target_of(pos)
            intent = self.controller.handle_drop(
                sources, target, event.modifiers(), self.view.viewport().mapToGlobal(pos)
            )
            if intent is dnd.DropIntent.NONE:
                event.ignore()
            else:
                event.acceptProposedAction()
            return True
        if self.drag_out:
            return self._drag_out(event)
        return False

    def _drag_out(self, event: QEvent) -> bool:
        t = event.type()
        if t == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            pos = event.position().toPoint()
            self._press = pos if self.view.indexAt(pos).isValid() else None
        elif t == QEvent.Type.MouseButtonRelease:
            self._press = None
        elif t == QEvent.Type.MouseMove and self._press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            if (event.position().toPoint() - self._press).manhattanLength() >= QApplication.startDragDistance():
                self._press = None
                mime = self.controller.drag_mime()
                if mime.urls():
                    drag = QDrag(self.view)
                    drag.setMimeData(mime)
                    drag.exec(Qt.DropAction.CopyAction | Qt.DropAction.MoveAction, Qt.DropAction.CopyAction)
                    return True
        return False


def _register_actions(c: FileActionsController) -> None:
    w = c.window
    a, S, style, sp = w.actions, QKeySequence.StandardKey, w.style(), QStyle.StandardPixmap
    a.add("fa_open", "Open", c.open_items)
    a.add("fa_open_default", "Open with System Default", lambda: c.open_default())
    a.add("fa_reveal", "Reveal in File Manager", lambda: c.reveal())
    a.add("fa_copy_to", "Copy to…", lambda: c.copy_to(move=False), shortcut="Ctrl+Shift+C")
    a.add("fa_move_to", "Move to…", lambda: c.copy_to(move=True), shortcut="Ctrl+Shift+M")
    a.add("fa_rename", "Rename…", lambda: c.rename(), shortcut="F2")
    a.add("fa_trash", "Move to Trash", lambda: c.trash(), shortcut=S.Delete, icon=style.standardIcon(sp.SP_TrashIcon))
    a.add("fa_delete", "Delete Permanently…", lambda: c.delete_permanently(), shortcut="Shift+Del")
    a.add("fa_find_duplicates", "Find Duplicates…", lambda: c.find_duplicates(), shortcut="Ctrl+Shift+D")
    a.add("fa_validate", "Validate…", lambda: c.validate(), shortcut="Ctrl+Shift+V")
    a.add("fa_thumbnails", "Generate Thumbnails", c.generate_thumbnails)
    a.add("fa_reindex", "Re-index", c.reindex)
    a.add("fa_properties", "Properties", lambda: c.properties(), shortcut="Alt+Return")
    a.add("fa_undo", "Undo", c.undo_stack.undo, shortcut=S.Undo)
    a.add("fa_redo", "Redo", c.undo_stack.redo, shortcut=S.Redo)
    a.add("fa_last_duplicates", "Last Duplicate Results", lambda: c.show_last_results("duplicate_detection"))
    a.add("fa_last_validation", "Last Validation Results", lambda: c.show_last_results("file_validation"))
    undo, redo = a["fa_undo"], a["fa_redo"]
    undo.setEnabled(False)
    redo.setEnabled(False)
    c.undo_stack.canUndoChanged.connect(undo.setEnabled)
    c.undo_stack.canRedoChanged.connect(redo.setEnabled)
    c.undo_stack.undoTextChanged.connect(lambda t: undo.setText(f"Undo {t}" if t else "Undo"))
    c.undo_stack.redoTextChanged.connect(lambda t: redo.setText(f"Redo {t}" if t else "Redo"))
    c.undo_stack.setUndoLimit(50)


def _add_menus(c: FileActionsController) -> None:
    w, a = c.window, c.window.actions
    bar = w.menuBar()
    edit = next((act.menu() for act in bar.actions() if act.text().replace("&", "") == "Edit"), None)
    if edit is not None:
        first = edit.actions()[0] if edit.actions() else None
        edit.insertAction(first, a["fa_undo"])
        edit.insertAction(first, a["fa_redo"])
        edit.insertSeparator(first)
    before = next((act for act in bar.actions() if act.text().replace("&", "") == "View"), None)
    files = QMenu("F&iles", w)
    for key in cm.MENUS[cm.FOLDER]:
        files.addSeparator() if key is None else files.addAction(a[key])
    tools = QMenu("&Tools", w)
    for key in (
        "fa_find_duplicates",
        "fa_validate",
        "fa_thumbnails",
        "fa_reindex",
        None,
        "fa_last_duplicates",
        "fa_last_validation",
    ):
        tools.addSeparator() if key is None else tools.addAction(a[key])
    tools.addAction(c.results_dock.toggleViewAction())
    if before is not None:
        bar.insertMenu(before, files)
        bar.insertMenu(before, tools)
    else:
        bar.addMenu(files)
        bar.addMenu(tools)
    c.files_menu, c.tools_menu = files, tools


def _content_target(c: FileActionsController, view: QAbstractItemView) -> Callable[[QPoint], bytes | None]:
    def target(pos: QPoint) -> bytes | None:
        index = view.indexAt(pos)
        if index.isValid():
            entry = c.window.model.entry(index.row())
            if entry[R_KIND] == KIND_DIR:
                return entry[R_PATH]
        return c.window.current_path

    return target


def _sidebar_target(c: FileActionsController) -> Callable[[QPoint], bytes | None]:
    def target(pos: QPoint) -> bytes | None:
        index = c.window.sidebar.view.indexAt(pos)
        return index.data(SidebarPathRole) if index.isValid() else None

    return target


def install(window) -> FileActionsController:
    """Wire the file actions into ``window`` (a MainWindow); returns the controller."""
    c = FileActionsController(window)
    _register_actions(c)
    _add_menus(c)
    content = window.content
    c.drop_filters = []
    for view in (content.list, content.grid):
        view.customContextMenuRequested.connect(lambda pos, v=view: c._popup_content_menu(v, pos))
        c.drop_filters.append(DropFilter(c, view, _content_target(c, view), drag_out=True))
    side = window.sidebar.view
    side.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    side.customContextMenuRequested.connect(c._popup_sidebar_menu)
    c.drop_filters.append(DropFilter(c, side, _sidebar_target(c), drag_out=False))
    history = window.jobs.history  # finished duplicate/validation jobs: "Show Results" (stored output)
    history.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    history.customContextMenuRequested.connect(c._history_menu)
    window.file_actions = c
    return c

"""Drops onto the window's item views (and drags out of the content view): an event filter on a
view's viewport turns them into copy, move or trash operations (``dnd.decide`` says which; a
"Copy Here / Move Here / Cancel" menu asks when it cannot). When a network volume is on either side
(a ``NAME:/path`` folder shown, or its rows dragged), the drop is always a copy, run by the remote
jobs (``remote_files``)."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import QEvent, QMimeData, QObject, QPoint, Qt
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import QAbstractItemView, QApplication, QMenu, QWidget

from sd_desktop.ops.files import remote_listing
from sd_desktop.ui import dnd
from sd_desktop.ui.action_targets import ActionTargets
from sd_desktop.ui.file_ops import FileOperations
from sd_desktop.ui.services import trash_folder

DropTarget = Callable[[QPoint], bytes | None]  # the folder under a viewport position, if any


class DropHandler(QObject):
    """What a drop does, and what a drag out carries."""

    def __init__(self, ops: FileOperations, targets: ActionTargets, window: QWidget):
        super().__init__(window)
        self.ops = ops
        self.targets = targets
        self.window = window
        self.drop_menu: QMenu | None = None
        self.remote = None  # RemoteFiles: transfers to and from network volumes

    def handle_drop(
        self, sources: list[bytes], destination: bytes | None, modifiers, global_pos: QPoint | None = None
    ) -> dnd.DropIntent:
        """Act on a drop: trash target, copy, move, or the Copy/Move/Cancel menu when ambiguous."""
        if not sources or destination is None:
            return dnd.DropIntent.NONE
        if remote_listing.is_remote(destination):  # local files into a volume's folder: uploaded
            done = self.remote is not None and self.remote.upload(sources, destination)
            return dnd.DropIntent.COPY if done else dnd.DropIntent.NONE
        trash = trash_folder()
        if trash is not None and os.path.abspath(destination) == os.path.abspath(trash):
            self.ops.trash(sources)
            return dnd.DropIntent.MOVE
        intent = dnd.decide(sources, destination, modifiers)
        if intent is dnd.DropIntent.COPY:
            self.ops.start_copy(sources, destination, move=False)
        elif intent is dnd.DropIntent.MOVE:
            self.ops.start_copy(sources, destination, move=True)
        elif intent is dnd.DropIntent.ASK:
            menu = QMenu(self.window)
            menu.setObjectName("drop_menu")
            menu.addAction("Copy Here", lambda: self.ops.start_copy(sources, destination, move=False))
            menu.addAction("Move Here", lambda: self.ops.start_copy(sources, destination, move=True))
            menu.addSeparator()
            menu.addAction("Cancel")
            self.drop_menu = menu
            menu.popup(global_pos or self.window.mapToGlobal(self.window.rect().center()))
        return intent

    def handle_remote_drop(self, volume: str, items: list[str], destination: bytes | None) -> bool:
        """Items of a network volume dropped on a folder: a local one gets one ``remote_copy`` job
        each, a volume's one an upload (always a copy: nothing is removed from the volume)."""
        trash = trash_folder()
        if not items or destination is None or (trash is not None and destination == trash) or self.remote is None:
            return False
        if remote_listing.is_remote(destination):
            return self.remote.copy_between(volume, items, destination)
        return self.remote.download(volume, items, destination)

    def drag_mime(self) -> QMimeData:
        items = self.targets.selected_paths()
        if items and remote_listing.is_remote(items[0]):
            from sd_desktop.ui.remote_files import split_items

            found = split_items(items)
            return dnd.remote_to_mime(*found) if found is not None else QMimeData()
        return dnd.paths_to_mime(items)


class DropFilter(QObject):
    """Drops (and drags out, for the content view) on an item view's viewport."""

    def __init__(self, handler: DropHandler, view: QAbstractItemView, target_of: DropTarget, drag_out: bool):
        super().__init__(view)
        self.handler, self.view, self.target_of, self.drag_out = handler, view, target_of, drag_out
        self._press: QPoint | None = None
        view.viewport().setAcceptDrops(True)
        view.viewport().installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        t = event.type()
        if t in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            remote = dnd.mime_to_remote(event.mimeData())
            if remote is not None:
                return self._remote_drop(event, remote)
        if t in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            sources = dnd.urls_to_paths(event.mimeData())
            target = self.target_of(event.position().toPoint()) if sources else None
            if target is None:
                event.ignore()
                return True
            if remote_listing.is_remote(target):  # into a volume: always a copy
                event.setDropAction(Qt.DropAction.CopyAction)
                event.accept()
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
            intent = self.handler.handle_drop(sources, target, event.modifiers(), self.view.viewport().mapToGlobal(pos))
            if intent is dnd.DropIntent.NONE:
                event.ignore()
            else:
                event.acceptProposedAction()
            return True
        if self.drag_out:
            return self._drag_out(event)
        return False

    def _remote_drop(self, event: QEvent, remote: tuple[str, list[str]]) -> bool:
        target = self.target_of(event.position().toPoint())
        trash = trash_folder()
        if target is None or (trash is not None and target == trash):
            event.ignore()
            return True
        if event.type() == QEvent.Type.Drop:
            self.handler.handle_remote_drop(remote[0], remote[1], target)
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        return True

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
                mime = self.handler.drag_mime()
                if mime.urls() or mime.hasFormat(dnd.REMOTE_MIME):
                    drag = QDrag(self.view)
                    drag.setMimeData(mime)
                    drag.exec(Qt.DropAction.CopyAction | Qt.DropAction.MoveAction, Qt.DropAction.CopyAction)
                    return True
        return False

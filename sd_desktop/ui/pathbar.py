"""The location bar: a breadcrumb (one flat button per folder of the current path) that turns into
a text field with folder completion on Ctrl+L or a click on its empty part, as in Dolphin and
Nautilus. Enter hands the text to the window (``pathEntered``), which checks it off the GUI
thread and either goes there or calls ``show_error`` ("No folder at …", in red, in place);
Escape goes back to the breadcrumb."""

from __future__ import annotations

import os

from PySide6.QtCore import QDir, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QCompleter,
    QFileSystemModel,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QWidget,
)

from sd_desktop import paths
from sd_desktop.ops.files import remote_listing

ERROR_STYLE = "QLineEdit { color: #c0392b; border: 1px solid #c0392b; }"
TRASH_LABEL = "Trash"


def crumbs(path: bytes, trash: bytes | None = None) -> list[tuple[str, bytes]]:
    """(label, absolute path) for each folder from the root down to ``path``; a network volume's
    ``NAME:/a/b`` gives ``NAME:``, ``a``, ``b``; a folder in the trash folder ``trash`` gives
    ``Trash``, then its folders (as the sidebar names it, not ``~/.local/share/Trash/files``)."""
    if trash is not None and (path == trash or path.startswith(trash.rstrip(b"/") + b"/")):
        parts = [part for part in path[len(trash) :].split(b"/") if part]
        return [(TRASH_LABEL, trash)] + [
            (paths.display(part), os.path.join(trash, *parts[: i + 1])) for i, part in enumerate(parts)
        ]
    remote = remote_listing.split(path)
    if remote is not None:
        volume, rel = remote
        parts = rel.split("/") if rel else []
        return [(f"{volume}:", remote_listing.address(volume, ""))] + [
            (part, remote_listing.address(volume, "/".join(parts[: i + 1]))) for i, part in enumerate(parts)
        ]
    path = os.path.normpath(path)
    out: list[tuple[str, bytes]] = []
    while True:
        head, tail = os.path.split(path)
        if not tail:
            out.append(("/" if head == b"/" else paths.display(head or path), head or path))
            break
        out.append((paths.display(tail), path))
        if head == path:
            break
        path = head
    return list(reversed(out))


class _Crumbs(QWidget):
    """The breadcrumb buttons; a click beside them asks for the text field."""

    emptyClicked = Signal()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.emptyClicked.emit()
            event.accept()
            return
        super().mousePressEvent(event)


class LocationEdit(QLineEdit):
    """The text field: Escape (or leaving it) gives up, Enter is ``returnPressed``."""

    escaped = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            popup = self.completer().popup() if self.completer() is not None else None
            if popup is None or not popup.isVisible():
                self.escaped.emit()
                return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusOutEvent(event)
        if event.reason() not in (Qt.FocusReason.PopupFocusReason, Qt.FocusReason.ActiveWindowFocusReason):
            self.escaped.emit()


class PathBar(QStackedWidget):
    pathClicked = Signal(bytes)
    pathEntered = Signal(str)  # the text typed, for the window to check and open
    editingFinished = Signal()  # back to the breadcrumb without going anywhere

    MAX_VISIBLE = 8

    def __init__(self, parent: QWidget | None = None, trash: bytes | None = None):
        super().__init__(parent)
        self.trash = trash  # the trash's files folder: shown as "Trash"
        self.crumbs = _Crumbs()
        self.crumbs.setObjectName("breadcrumb")
        self.crumbs.emptyClicked.connect(self.start_editing)
        self._layout = QHBoxLayout(self.crumbs)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self.editor = LocationEdit()
        self.editor.setObjectName("location_edit")
        self.editor.setPlaceholderText("Type a folder path")
        self.editor.returnPressed.connect(lambda: self.pathEntered.emit(self.editor.text()))
        self.editor.escaped.connect(self.cancel_editing)
        self.editor.textEdited.connect(lambda _t: self.show_error(None))
        self.editor.textEdited.connect(self._list_folder_typed)
        self.error_label = QLabel()
        self.error_label.setObjectName("location_error")
        self.error_label.setStyleSheet("QLabel { color: #c0392b; padding-left: 6px; }")
        self.error_label.setMaximumWidth(300)
        self.error_label.hide()
        self.edit_page = QWidget()
        row = QHBoxLayout(self.edit_page)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.editor, 1)
        row.addWidget(self.error_label)
        self.addWidget(self.crumbs)
        self.addWidget(self.edit_page)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.path: bytes | None = None
        self.error: str | None = None
        self._dirs: QFileSystemModel | None = None

    @property
    def editing(self) -> bool:
        return self.currentWidget() is self.edit_page

    def set_path(self, path: bytes) -> None:
        self.path = path
        if self.editing:
            self.stop_editing()
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        parts = crumbs(path, self.trash)
        if len(parts) > self.MAX_VISIBLE:
            parts = parts[:1] + [("…", parts[-self.MAX_VISIBLE + 1][1])] + parts[-self.MAX_VISIBLE + 2 :]
        for i, (label, target) in enumerate(parts):
            if i:
                sep = QLabel("›")
                sep.setEnabled(False)
                self._layout.addWidget(sep)
            button = QToolButton()
            button.setText(label)
            button.setAutoRaise(True)
            button.setToolTip(TRASH_LABEL if target == self.trash else paths.display(target))
            if i == len(parts) - 1:
                f = button.font()
                f.setBold(True)
                button.setFont(f)
            button.clicked.connect(lambda _=False, t=target: self.pathClicked.emit(t))
            self._layout.addWidget(button)
        self._layout.addStretch(1)

    # -- the text field --------------------------------------------------------------------
    def start_editing(self) -> None:
        """Show the text field holding the current path, all of it selected."""
        if self.editor.completer() is None:
            self.editor.setCompleter(self._completer())
        if not self.editing:
            self.editor.setText(paths.display(self.path) if self.path is not None else "")
            self.show_error(None)
            self.setCurrentWidget(self.edit_page)
        self.editor.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.editor.selectAll()

    def stop_editing(self) -> None:
        """Back to the breadcrumb (after going somewhere)."""
        self.show_error(None)
        self.setCurrentWidget(self.crumbs)

    def cancel_editing(self) -> None:
        if self.editing:
            self.stop_editing()
            self.editingFinished.emit()

    def show_error(self, text: str | None) -> None:
        """Say in the field why its text cannot be opened (None: clear that)."""
        self.error = text
        self.editor.setStyleSheet(ERROR_STYLE if text else "")
        self.editor.setToolTip(text or "")
        metrics = self.error_label.fontMetrics()
        self.error_label.setText(metrics.elidedText(text or "", Qt.TextElideMode.ElideMiddle, 280))
        self.error_label.setToolTip(text or "")
        self.error_label.setVisible(bool(text))
        if text:
            self.editor.setFocus(Qt.FocusReason.OtherFocusReason)

    def _completer(self) -> QCompleter:
        # QFileSystemModel lists folders on its own thread: typing never waits for the disk
        self._dirs = QFileSystemModel(self)
        self._dirs.setFilter(QDir.Filter.AllDirs | QDir.Filter.NoDotAndDotDot | QDir.Filter.Drives)
        self._dirs.setRootPath("")
        self._dirs.directoryLoaded.connect(self._folder_listed)
        completer = QCompleter(self._dirs, self)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.popup().setObjectName("location_completions")
        return completer

    def _list_folder_typed(self, text: str) -> None:
        """Have the folder being typed listed (on the model's thread): QCompleter alone only looks
        at folders already listed, so the first completion of a folder would never show."""
        slash = text.rfind("/")
        if self._dirs is None or slash < 0:
            return
        index = self._dirs.index(text[: slash + 1])
        if index.isValid() and self._dirs.canFetchMore(index):
            self._dirs.fetchMore(index)

    def _folder_listed(self, folder: str) -> None:
        text = self.editor.text()
        prefix = folder.rstrip("/") + "/"
        completer = self.editor.completer()
        if self.editing and completer is not None and text.startswith(prefix) and "/" not in text[len(prefix) :]:
            completer.complete()

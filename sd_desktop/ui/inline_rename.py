"""Renaming in place (F2), as Dolphin and Nautilus do: a text field over the item's name with the
stem selected (not the extension; the whole name of a folder). Enter renames, Escape cancels. A
name that is taken or invalid is said in plain words just below the field, which stays open.

The field is a child of the view's viewport placed over the name (not a delegate editor: the model
answers no ``flags()`` of its own, which keeps painting in C++); it follows scrolling and finds its
item again by path when the folder is reloaded."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMimeDatabase, QObject, QRect, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QPalette
from PySide6.QtWidgets import QAbstractItemView, QLabel, QLineEdit, QListView

from sd_desktop import paths
from sd_desktop.library.browse import KIND_DIR, R_KIND, R_NAME, R_PATH
from sd_desktop.ui.content_model import COL_NAME, ContentModel
from sd_desktop.ui.content_view import ContentView
from sd_desktop.ui.rename import Renamer

ERROR_STYLE = "QLineEdit { border: 1px solid #c0392b; }"
_MIMES: list[QMimeDatabase] = []


def stem_length(name: str, is_dir: bool) -> int:
    """How much of ``name`` to select: all of a folder's, a file's name before its known suffix
    (``archive`` of ``archive.tar.gz``, by name only) or before its last dot; all of ``.bashrc``."""
    if is_dir:
        return len(name)
    if not _MIMES:
        _MIMES.append(QMimeDatabase())
    suffix = _MIMES[0].suffixForFileName(name)
    if suffix and name.lower().endswith("." + suffix.lower()) and len(name) > len(suffix) + 1:
        return len(name) - len(suffix) - 1
    dot = name.rfind(".")
    return dot if dot > 0 else len(name)


class NameEditor(QLineEdit):
    """The text field: Enter commits, Escape cancels, leaving it commits (as in Dolphin)."""

    committed = Signal(str)
    cancelled = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self.cancelled.emit()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.committed.emit(self.text())
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusOutEvent(event)
        # another window or the completion popup taking focus is not the user leaving the field
        if event.reason() not in (Qt.FocusReason.ActiveWindowFocusReason, Qt.FocusReason.PopupFocusReason):
            if self.isVisible() and not self.isReadOnly():
                self.committed.emit(self.text())


class InlineRename(QObject):
    """One in-place rename at a time, on the content view shown."""

    finished = Signal(bytes)  # the path shown afterwards (renamed or not)

    def __init__(self, renamer: Renamer, model: ContentModel, content: ContentView, parent: QObject | None = None):
        super().__init__(parent)
        self.renamer = renamer
        self.model = model
        self.content = content
        self.editor: NameEditor | None = None
        self.error: QLabel | None = None
        self.path: bytes | None = None
        self._row: int | None = None
        self._view: QAbstractItemView | None = None
        self._busy = False
        self._original = ""
        model.modelReset.connect(self._place)
        model.rowsInserted.connect(self._rows_inserted)
        model.loadingFinished.connect(self._load_finished)
        for view in (content.list, content.grid):
            view.verticalScrollBar().valueChanged.connect(self._place)
            view.horizontalScrollBar().valueChanged.connect(self._place)
            view.viewport().installEventFilter(self)

    @property
    def active(self) -> bool:
        return self.editor is not None

    def start(self, path: bytes) -> bool:
        """Edit the name of ``path`` in place; False when it is not listed in the view."""
        row = self.model.row_of_path(path)
        if row is None:
            return False
        self.cancel()
        view = self.content.current_view()
        index = self.model.index(row, COL_NAME)
        view.scrollTo(index)
        view.setCurrentIndex(index)
        entry = self.model.entry(row)
        name = paths.display(entry[R_NAME])
        self.path, self._row, self._view, self._busy, self._original = path, row, view, False, name
        editor = NameEditor(view.viewport())
        editor.setObjectName("rename_editor")
        editor.setText(name)
        editor.setSelection(0, stem_length(name, entry[R_KIND] == KIND_DIR))
        editor.committed.connect(self._commit)
        editor.cancelled.connect(self.cancel)
        editor.textEdited.connect(lambda _t: self._show_error(None))
        error = QLabel(view.viewport())
        error.setObjectName("rename_error")
        error.setAutoFillBackground(True)
        error.setForegroundRole(QPalette.ColorRole.ToolTipText)
        error.setBackgroundRole(QPalette.ColorRole.ToolTipBase)
        error.setStyleSheet("QLabel { border: 1px solid #c0392b; padding: 2px 6px; }")
        error.hide()
        self.editor, self.error = editor, error
        self._place()
        editor.show()
        editor.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def cancel(self) -> None:
        """Close the field without renaming."""
        if self.editor is None:
            return
        editor, error, view, path = self.editor, self.error, self._view, self.path
        self.editor = self.error = self._view = None
        self.path = self._row = None
        had_focus = editor.hasFocus()
        editor.hide()
        editor.deleteLater()
        if error is not None:
            error.deleteLater()
        if view is not None and had_focus:
            view.setFocus(Qt.FocusReason.OtherFocusReason)
        if path is not None:
            self.finished.emit(path)

    def _commit(self, text: str) -> None:
        if self.editor is None or self._busy or self.path is None:
            return
        path = self.path
        if text == self._original:
            self.cancel()  # unchanged
            return
        self._busy = True
        self.editor.setReadOnly(True)
        self.renamer.submit(path, text, lambda error: self._done(path, error))

    def _done(self, path: bytes, error: str | None) -> None:
        if self.editor is None or self.path != path:
            return  # cancelled meanwhile
        self._busy = False
        self.editor.setReadOnly(False)
        if error is None:
            self.cancel()
            return
        self._show_error(error)
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_error(self, text: str | None) -> None:
        if self.editor is None or self.error is None:
            return
        self.editor.setStyleSheet(ERROR_STYLE if text else "")
        self.editor.setToolTip(text or "")
        if text:
            self.error.setText(text)
            self.error.adjustSize()
            self._place()
            self.error.show()
            self.error.raise_()
        else:
            self.error.hide()

    # -- following the item ----------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize and self._view is not None and obj is self._view.viewport():
            self._place()
        return False

    def _rows_inserted(self, _parent, first: int, _last: int) -> None:
        if self.editor is not None and self._row is None and self.path is not None:
            self._row = self.model.row_of_path(self.path, first)
            self._place()

    def _load_finished(self, _total: int) -> None:
        if self.editor is not None and self._row is None and not self._busy:
            self.cancel()  # the item is gone (renamed or deleted elsewhere)

    def _place(self, *_args: object) -> None:
        editor, view = self.editor, self._view
        if editor is None or view is None or self.path is None:
            return
        row = self._row
        if row is None or row >= self.model.loaded_rows() or self.model.entry(row)[R_PATH] != self.path:
            row = self._row = None if self.model.loaded_rows() == 0 else self.model.row_of_path(self.path)
        if row is None:
            editor.hide()
            if self.error is not None:
                self.error.hide()
            return
        rect = self._text_rect(view, view.visualRect(self.model.index(row, COL_NAME)))
        editor.setGeometry(rect)
        editor.show()
        if self.error is not None and self.error.text():
            below = rect.bottom() + 2
            if below + self.error.height() > view.viewport().height():
                below = rect.top() - self.error.height() - 2  # no room below: above the field
            self.error.move(rect.left(), below)
            self.error.setVisible(bool(editor.styleSheet()))

    def _text_rect(self, view: QAbstractItemView, cell: QRect) -> QRect:
        """Where the name is drawn: right of the icon in the list, under it in the grid."""
        height = max(cell.height(), self.editor.sizeHint().height()) if self.editor else cell.height()
        if isinstance(view, QListView):
            top = cell.top() + view.iconSize().height() + 4
            return QRect(cell.left(), top, cell.width(), height)
        left = cell.left() + view.iconSize().width() + 6
        width = max(cell.width() - (left - cell.left()), 160)
        return QRect(left, cell.center().y() - height // 2, width, height)

"""The questions of the Trash view: empty it (cannot be undone), and what to do when an item's
original place is taken."""

from __future__ import annotations

import os

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QStyle, QVBoxLayout, QWidget

from sd_desktop import paths
from sd_desktop.ops.files.trash.listing import TrashItem
from sd_desktop.ops.files.trash.restore import beside_name
from sd_desktop.ui.formatting import human_size, plural


def _layout(dialog: QDialog, icon: QStyle.StandardPixmap, title: str, body: str, buttons: QDialogButtonBox) -> None:
    picture = QLabel()
    picture.setPixmap(dialog.style().standardIcon(icon).pixmap(40, 40))
    head = QLabel(f"<b>{title}</b>")
    text = QLabel(body)
    text.setWordWrap(True)
    column = QVBoxLayout()
    column.addWidget(head)
    column.addWidget(text)
    top = QHBoxLayout()
    top.addWidget(picture)
    top.addLayout(column, 1)
    layout = QVBoxLayout(dialog)
    layout.addLayout(top)
    layout.addWidget(buttons)
    dialog.setMinimumWidth(460)


class EmptyTrashDialog(QDialog):
    def __init__(self, items: int, size: int, trashes: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("empty_trash_dialog")
        self.setWindowTitle("Empty Trash")
        where = f" (in {trashes} trash folders)" if trashes > 1 else ""
        body = (
            f"{plural(items, 'item')}{where}, {human_size(size)}, will be deleted permanently. This cannot be undone."
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.empty_button = buttons.addButton("Empty Trash", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.empty_button.setObjectName("empty_trash")
        self.empty_button.clicked.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)  # Enter does not destroy
        _layout(self, QStyle.StandardPixmap.SP_MessageBoxWarning, "Empty the Trash?", body, buttons)


class RestoreConflictDialog(QDialog):
    """Items whose original path is taken: restore them beside it ("name (restored).ext"), skip
    them (the others are restored), or cancel. Nothing is ever replaced."""

    BESIDE, SKIP = "beside", "skip"
    chosen = Signal(str)

    def __init__(self, taken: list[TrashItem], total: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("restore_conflict_dialog")
        self.setWindowTitle("Restore")
        first = taken[0].original_path or b""
        if len(taken) == 1:
            title = f"“{taken[0].name}” already exists in {paths.display(os.path.dirname(first))}"
        else:
            title = f"{len(taken)} of the {total} items already exist where they were deleted from"
        body = (
            f"Restore beside the existing files (as “{paths.display(os.path.basename(beside_name(first)))}”), "
            "or leave these in the Trash? Nothing is replaced."
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.beside_button = buttons.addButton("Restore Beside", QDialogButtonBox.ButtonRole.AcceptRole)
        self.skip_button = buttons.addButton(
            "Skip These" if len(taken) < total else "Leave in Trash", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.beside_button.clicked.connect(lambda: self._choose(self.BESIDE))
        self.skip_button.clicked.connect(lambda: self._choose(self.SKIP))
        buttons.rejected.connect(self.reject)
        self.beside_button.setDefault(True)
        _layout(self, QStyle.StandardPixmap.SP_MessageBoxQuestion, title, body, buttons)

    def _choose(self, choice: str) -> None:
        self.chosen.emit(choice)
        self.accept()

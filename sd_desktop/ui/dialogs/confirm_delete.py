"""The confirmation asked before a permanent deletion (which bypasses the trash)."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QStyle, QVBoxLayout, QWidget

from sd_desktop import paths
from sd_desktop.ui.formatting import human_size


class ConfirmDeleteDialog(QDialog):
    def __init__(self, targets: list[bytes], total_bytes: int | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("confirm_delete_dialog")
        self.setWindowTitle("Delete Permanently")
        self.targets = targets
        what = f"“{paths.display(os.path.basename(targets[0]))}”" if len(targets) == 1 else f"{len(targets)} items"
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(40, 40))
        title = QLabel(f"<b>Permanently delete {what}?</b>")
        size = f" ({human_size(total_bytes)})" if total_bytes else ""
        body = QLabel(f"The files{size} do not go to the Trash and cannot be restored.")
        body.setWordWrap(True)
        text = QVBoxLayout()
        text.addWidget(title)
        text.addWidget(body)
        if len(targets) > 1:
            names = ", ".join(paths.display(os.path.basename(t)) for t in targets[:4])
            more = QLabel(names + (f" and {len(targets) - 4} more" if len(targets) > 4 else ""))
            more.setWordWrap(True)
            more.setStyleSheet("color: palette(mid);")
            text.addWidget(more)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addLayout(text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.delete_button = buttons.addButton("Delete Permanently", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.delete_button.setObjectName("delete_permanently")
        self.delete_button.clicked.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)  # Enter does not destroy
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(buttons)
        self.setMinimumWidth(440)

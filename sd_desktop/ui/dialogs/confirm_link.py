"""The confirmation asked before marked duplicates are replaced by links: how much space comes
back, and how (hard links by default; reflinks where the file system can share blocks)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from sd_desktop.ops.files.link.config import LinkMethod
from sd_desktop.ui.formatting import human_size, plural


class ConfirmLinkDialog(QDialog):
    def __init__(self, copies: int, freed: int, reflink_ok: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("confirm_link_dialog")
        self.setWindowTitle("Replace with Links")
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxQuestion).pixmap(40, 40))
        title = QLabel(f"<b>Replace {plural(copies, 'copy', 'copies')} with links? {human_size(freed)} comes back.</b>")
        title.setObjectName("confirm_link_title")
        title.setWordWrap(True)
        body = QLabel(
            "Every name stays where it is and reads the same bytes; each copy is checked again just "
            "before it is replaced. Undo gives the copies their own bytes back."
        )
        body.setWordWrap(True)
        self.hardlink = QRadioButton("Hard links: one file under several names")
        self.hardlink.setToolTip("Every name is the same file: a change through one name shows under all of them")
        self.hardlink.setObjectName("link_hardlink")
        self.reflink = QRadioButton("Reflinks: separate files that share their blocks")
        self.reflink.setToolTip("Each name stays a file of its own (owner, mode, dates); a change makes its own blocks")
        self.reflink.setObjectName("link_reflink")
        self.hardlink.setChecked(True)
        if not reflink_ok:
            self.reflink.setEnabled(False)
            self.reflink.setToolTip("This file system cannot share blocks between files")
            self.reflink.setText("Reflinks: not on this file system")
        group = QButtonGroup(self)
        group.addButton(self.hardlink)
        group.addButton(self.reflink)
        text = QVBoxLayout()
        text.addWidget(title)
        text.addWidget(body)
        text.addWidget(self.hardlink)
        text.addWidget(self.reflink)
        top = QHBoxLayout()
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.link_button = buttons.addButton("Replace with Links", QDialogButtonBox.ButtonRole.AcceptRole)
        self.link_button.setObjectName("replace_with_links")
        self.link_button.clicked.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)
        self.adjustSize()  # the wrapped text's height, before the dialog is first shown

    @property
    def method(self) -> LinkMethod:
        return LinkMethod.REFLINK if self.reflink.isChecked() else LinkMethod.HARDLINK

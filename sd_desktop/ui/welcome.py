"""The first-launch page: what to do when the library holds no folder yet.

It says it in a sentence, offers the Add Folder button and takes folders dropped on it; the
window adds them as locations (and opens the first one once it is added).
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

TITLE = "Add a folder to your library"
BODY = (
    "Folders you add are indexed in the background: you can then browse them here, find duplicate "
    "files and check them for damage. Nothing on disk is changed."
)
DROP_HINT = "or drop a folder here"
BOX_WIDTH = 480


def dropped_folders(event: QDropEvent | QDragEnterEvent) -> list[bytes]:
    """The local paths of a drag (remote places cannot be locations). Whether each is a folder is
    for adding the location to find out, off the GUI thread (it says so when one is not)."""
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [os.fsencode(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class WelcomePage(QWidget):
    addRequested = Signal()
    foldersDropped = Signal(list)  # raw paths of the dropped folders

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("welcome_page")
        self.setAcceptDrops(True)
        self.title = QLabel(TITLE)
        self.title.setObjectName("welcome_title")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.title.setFont(font)
        self.body = QLabel(BODY)
        self.body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.setWordWrap(True)
        self.add_button = QPushButton("Add Folder…")
        self.add_button.setObjectName("welcome_add")
        self.add_button.setDefault(True)
        self.add_button.clicked.connect(self.addRequested)
        self.drop_area = QLabel(DROP_HINT)
        self.drop_area.setObjectName("welcome_drop")
        self.drop_area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drop_area.setFixedHeight(110)
        self._style_drop(False)

        box = QFrame()
        box.setFixedWidth(BOX_WIDTH)  # a wrapped text needs a width to know its height
        column = QVBoxLayout(box)
        column.setSpacing(14)
        column.addWidget(self.title)
        column.addWidget(self.body)
        column.addSpacing(6)
        column.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addWidget(self.drop_area)
        row = QHBoxLayout()  # centred by stretches: an aligned item would get too little height
        row.addStretch(1)
        row.addWidget(box)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)

    def _style_drop(self, hovering: bool) -> None:
        colour = "palette(highlight)" if hovering else "palette(mid)"
        self.drop_area.setStyleSheet(
            f"border: 2px dashed {colour}; border-radius: 8px; color: {colour}; padding: 12px;"
        )

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if dropped_folders(event):
            event.acceptProposedAction()
            self._style_drop(True)
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:  # noqa: N802
        self._style_drop(False)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        self._style_drop(False)
        folders = dropped_folders(event)
        if folders:
            event.acceptProposedAction()
            self.foldersDropped.emit(folders)
        else:
            event.ignore()

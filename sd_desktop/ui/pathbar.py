"""The breadcrumb path bar: one flat button per folder of the current path."""

from __future__ import annotations

import os

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from sd_desktop import paths


def crumbs(path: bytes) -> list[tuple[str, bytes]]:
    """(label, absolute path) for each folder from the root down to ``path``."""
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


class PathBar(QWidget):
    pathClicked = Signal(bytes)

    MAX_VISIBLE = 8

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.path: bytes | None = None

    def set_path(self, path: bytes) -> None:
        self.path = path
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        parts = crumbs(path)
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
            button.setToolTip(paths.display(target))
            if i == len(parts) - 1:
                f = button.font()
                f.setBold(True)
                button.setFont(f)
            button.clicked.connect(lambda _=False, t=target: self.pathClicked.emit(t))
            self._layout.addWidget(button)
        self._layout.addStretch(1)

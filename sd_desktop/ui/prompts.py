"""Where the file actions ask the user something: a folder, a text, a save path, and the
non-blocking dialogs they open.

The three questions are attributes holding functions, so tests answer them without modal loops
(``window.prompts.folder = lambda title: "/tmp/x"``). ``show`` opens a window-modal dialog without
blocking and keeps the last one, so Python holds it while it is open and tests can reach it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QWidget

from sd_desktop import paths

D = TypeVar("D", bound=QDialog)


class Prompts:
    def __init__(self, parent: QWidget, start_folder: Callable[[], bytes | None]):
        self._parent = parent
        self._start_folder = start_folder
        self.last_dialog: QDialog | None = None
        self.folder: Callable[[str], str | None] = self._ask_folder  # (title) -> folder or None
        self.text: Callable[[str, str, str], str | None] = self._ask_text  # (title, label, text) -> text or None
        self.save_path: Callable[[str, str], str | None] = self._ask_save_path  # (title, suggested name)

    def show(self, dialog: D) -> D:
        """Open ``dialog`` (modal to the window, not blocking) and keep it as the last dialog."""
        self.last_dialog = dialog
        dialog.open()
        return dialog

    def _ask_folder(self, title: str) -> str | None:
        start = paths.display(self._start_folder() or b"")
        return QFileDialog.getExistingDirectory(self._parent, title, start) or None

    def _ask_text(self, title: str, label: str, text: str) -> str | None:
        value, ok = QInputDialog.getText(self._parent, title, label, text=text)
        return value if ok else None

    def _ask_save_path(self, title: str, suggested: str) -> str | None:
        value, _ = QFileDialog.getSaveFileName(self._parent, title, suggested, "CSV (*.csv);;JSON (*.json)")
        return value or None

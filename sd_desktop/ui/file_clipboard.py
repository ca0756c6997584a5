"""Cut, Copy and Paste of files (Ctrl+X, Ctrl+C, Ctrl+V) through the system clipboard
(``clipboard`` has the formats). Paste is the copy job (conflicts asked, progress, undo); pasting a
cut moves, and then empties the clipboard, as Dolphin and Nautilus do. Items of a network volume
are copied as ``NAME:/path`` items, and a paste with a volume on either side is a copy run by the
remote jobs (``remote_files``): a download, an upload, or a copy between volumes."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QClipboard, QGuiApplication

from sd_desktop.ops.files import remote_listing
from sd_desktop.ui.action_targets import ActionTargets
from sd_desktop.ui.clipboard import ClipboardFiles, files_from_mime, files_to_mime
from sd_desktop.ui.dnd import mime_to_remote
from sd_desktop.ui.file_ops import FileOperations, what
from sd_desktop.ui.services import AppServices


class FileClipboard(QObject):
    availableChanged = Signal(bool)  # whether the clipboard holds files to paste

    def __init__(
        self,
        services: AppServices,
        ops: FileOperations,
        targets: ActionTargets,
        current_folder: Callable[[], bytes | None],
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.services = services
        self.ops = ops
        self.targets = targets
        self.current_folder = current_folder
        self.clipboard: QClipboard = QGuiApplication.clipboard()
        self.remote = None  # RemoteFiles: copies to and from network volumes
        self._available = self._holds_files()
        self.clipboard.dataChanged.connect(self._changed)

    @property
    def available(self) -> bool:
        return self._available

    def files(self) -> ClipboardFiles | None:
        return files_from_mime(self.clipboard.mimeData())

    def cut(self) -> None:
        self._put(cut=True)

    def copy(self) -> None:
        self._put(cut=False)

    def _holds_files(self) -> bool:
        return self.files() is not None or mime_to_remote(self.clipboard.mimeData()) is not None

    def _put(self, cut: bool) -> None:
        items = self.targets.selected_paths()
        if not items:
            return
        if remote_listing.is_remote(items[0]):  # a volume's items are copied, never cut: it has no undo
            if self.remote is not None:
                self.remote.copy_to_clipboard(items)
            return
        self.clipboard.setMimeData(files_to_mime(items, cut))
        self.services.status.emit(f"{what(items)} {'cut' if cut else 'copied'}: paste with Ctrl+V")

    def paste(self, destination: bytes | None = None) -> None:
        """Copy (or, after a cut, move) the clipboard's files into ``destination`` (else the folder shown)."""
        found = self.files()
        dest = destination if destination is not None else self.current_folder()
        if dest is not None and self.remote is not None and self.remote.paste(self.clipboard.mimeData(), dest):
            return
        if found is None or dest is None or remote_listing.is_remote(dest):
            return
        # a file copied and pasted where it already is gets a copy beside it, "name (1).ext" (Dolphin,
        # Nautilus); one cut and pasted there stays where it is (and the status line says so)
        here = [p for p in found.paths if os.path.dirname(p) == os.path.abspath(dest)]
        sources = [p for p in found.paths if p not in here]
        if here and found.cut:
            self.services.status.emit(f"{what(here)} {'is' if len(here) == 1 else 'are'} already in this folder")
        elif here:
            self.ops.start_copy(here, dest, move=False, side_by_side=True)
        if sources:
            self.ops.start_copy(sources, dest, move=found.cut)
            if found.cut:
                self.clipboard.clear()  # a cut pastes once

    def _changed(self) -> None:
        available = self._holds_files()
        if available != self._available:
            self._available = available
            self.availableChanged.emit(available)

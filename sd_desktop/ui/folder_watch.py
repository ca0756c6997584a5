"""Keeps the folder shown in step with the disk: lists it again when it changes, and has the
library's rows of it brought up to date when they differ from the disk.

Two sources say it changed. The engine's live index announces the folders it brought up to date
(``EventKind.LIBRARY_CHANGED``): the folder shown, or any folder below it, since a change deep
down changes the size and counts of the sub-folder row that holds it. And a ``QFileSystemWatcher``
on the folder shown (inotify on Linux) covers folders outside every location, which nothing else
watches. A burst of changes (a copy of a thousand files) is coalesced: the first change starts a
short timer, and the folder is listed once when it fires, so changes show within a second and a
burst costs a listing every ``DELAY_MS``, not one per file.
"""

from __future__ import annotations

import os

import shiboken6
from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer

from sd_desktop import paths
from sd_desktop.enums import EventKind
from sd_desktop.library.browse import FolderTarget
from sd_desktop.ops.files import remote_listing
from sd_desktop.ui.content_model import ContentModel
from sd_desktop.ui.services import AppServices

DELAY_MS = 250


class FolderWatch(QObject):
    def __init__(self, model: ContentModel, services: AppServices, parent: QObject | None = None):
        super().__init__(parent)
        self.model = model
        self.services = services
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(self._changed)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DELAY_MS)
        self.timer.timeout.connect(self._list_again)
        self.shown: bytes | None = None
        model.folderChanged.connect(self._watch)
        model.libraryStale.connect(services.spawn_update_folder)
        services.bridge.libraryChanged.connect(self._library_changed)

    @property
    def watched(self) -> list[str]:
        return self.watcher.directories()

    def _watch(self, target: FolderTarget) -> None:
        self.shown = os.fsencode(target.path)
        path = os.fsdecode(target.path)
        if self.watcher.directories() == [path]:
            return
        old = self.watcher.directories()
        if old:
            self.watcher.removePaths(old)
        self.timer.stop()
        if remote_listing.is_remote(target.path):  # a volume's folder: no inotify there (F5 lists it again)
            self.shown = None
            return
        self.watcher.addPath(path)  # False (not watched) for a folder inotify cannot watch: F5 still works

    def _changed(self, _path: str) -> None:
        if not self.timer.isActive():  # not restarted by each change: a steady stream still shows
            self.timer.start()

    def _library_changed(self, event) -> None:
        """The live index brought folders up to date: list the one shown again when it is one of
        them or holds one (its sub-folder rows show sizes and counts of what is below them)."""
        if event.kind is not EventKind.LIBRARY_CHANGED or self.shown is None:
            return
        shown = paths.display(self.shown)
        for folder in (event.extra or {}).get("folders", ()):
            if folder == shown or folder.startswith(shown.rstrip("/") + "/"):
                self._changed(folder)
                return

    def _list_again(self) -> None:
        self.model.refresh()

    def close(self) -> None:
        if not shiboken6.isValid(self.timer):  # gone with its window already
            return
        self.timer.stop()
        old = self.watcher.directories()
        if old:
            self.watcher.removePaths(old)

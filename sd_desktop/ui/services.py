"""What widgets may ask of the engine, in one place: location and job commands, run as tasks.

Widgets hold no business logic: they call these methods, which call engine functions
(``library.locations``) and manager commands, off the GUI thread where they block.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import time

from PySide6.QtCore import QObject, Signal

from sd_desktop import jobs, paths
from sd_desktop.enums import JobStatus
from sd_desktop.jobs import FINISHING_KINDS, JobManager
from sd_desktop.library import Library
from sd_desktop.library import locations as loc
from sd_desktop.library.browse import FolderTarget
from sd_desktop.ops.files.delete.freedesktop_trash import home_trash
from sd_desktop.ops.indexing.config import IndexerConfig, IndexMode
from sd_desktop.ops.indexing.refresh import PRIORITY as REFRESH_PRIORITY
from sd_desktop.ops.indexing.refresh import is_refresh, refresh_config
from sd_desktop.ui.bridge import EngineBridge
from sd_desktop.ui.tasks import TaskRunner
from sd_desktop.ui.thumbnails import ThumbnailCache
from sd_desktop.volumes.backend import LocalBackend

log = logging.getLogger(__name__)
INDEXER, THUMBNAILER = "indexer", "thumbnails"
INDEXERS = (INDEXER, "remote_indexer")  # a finished one changes a location's counts in the sidebar
NO_INDEXER = "Indexing is not available in this build (no “indexer” job is installed); the location was added."


def job_available(name: str) -> bool:
    return name in jobs.registered()


def is_background(name: str, target: str) -> bool:
    """A job the window runs for itself (a folder refresh): kept out of the job panel and History."""
    return is_refresh(name, target)


class AppServices(QObject):
    status = Signal(str)  # a message for the status bar
    locationsChanged = Signal()
    locationAdded = Signal(bytes, int)  # the new location's folder (resolved) and id: the window opens it

    def __init__(
        self,
        library: Library,
        manager: JobManager,
        bridge: EngineBridge,
        tasks: TaskRunner,
        thumbnails: ThumbnailCache,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.library = library
        self.manager = manager
        self.bridge = bridge
        self.tasks = tasks
        self.thumbnails = thumbnails
        self.local_volume = LocalBackend()  # the window changes local files through it, as jobs do
        tasks.failed.connect(self.status)
        self._last_invalidate = 0.0
        bridge.jobEvent.connect(self._on_event)

    # -- locations -------------------------------------------------------------------------
    async def add_location(self, path: paths.PathLike, index_mode: str = "content") -> int | None:
        """Register ``path`` and queue its indexing; returns the location id (None on refusal)."""

        def add() -> tuple[int, bytes]:
            return loc.add_location(self.library, path, index_mode=index_mode), loc.normalize(path)

        try:
            location_id, folder = await asyncio.to_thread(add)
        except loc.LocationError as exc:
            self.status.emit(f"Cannot add location: {exc}")
            return None
        self.locationsChanged.emit()
        self.locationAdded.emit(folder, location_id)
        await self.index_location(location_id)
        return location_id

    async def index_location(self, location_id: int) -> int | None:
        if not job_available(INDEXER):
            self.status.emit(NO_INDEXER)
            return None
        mode = await asyncio.to_thread(loc.index_mode_of, self.library, location_id)
        job_id = await self.manager.submit(IndexerConfig(location_id=location_id, mode=IndexMode(mode)))
        self.status.emit(f"Indexing queued (job {job_id})")
        return job_id

    async def set_index_mode(self, location_id: int, mode: str) -> None:
        """Change how the location is indexed and re-index it that way."""
        try:
            await asyncio.to_thread(loc.set_index_mode, self.library, location_id, mode)
        except loc.LocationError as exc:
            self.status.emit(f"Cannot change the index mode: {exc}")
            return
        self.locationsChanged.emit()
        await self.index_location(location_id)

    def spawn_set_index_mode(self, location_id: int, mode: str) -> None:
        self.tasks.spawn(self.set_index_mode(location_id, mode), what="change index mode")

    async def remove_location(self, location_id: int) -> None:
        await asyncio.to_thread(loc.remove_location, self.library, location_id)
        self.locationsChanged.emit()
        self.status.emit("Location removed (files on disk are untouched)")

    async def update_folder(self, target: FolderTarget) -> int | None:
        """Have the library's rows of the folder shown brought up to date with the disk (a refresh:
        not a job of the History); returns the job id, None when no location holds the folder."""
        if target.location_id is None or not job_available(INDEXER):
            return None
        mode = await asyncio.to_thread(loc.index_mode_of, self.library, target.location_id)
        config = refresh_config(target.location_id, target.path, mode)
        job_id = await self.manager.submit(config, priority=REFRESH_PRIORITY)
        # the same refresh, paused when the app last closed, is the one queued: it continues
        await self.manager.resume(job_id)
        return job_id

    def spawn_update_folder(self, target: FolderTarget) -> None:
        self.tasks.spawn(self.update_folder(target), what="update the folder's library rows")

    def spawn_add_location(self, path: paths.PathLike) -> None:
        self.tasks.spawn(self.add_location(path), what="add location")

    def spawn_index_location(self, location_id: int) -> None:
        self.tasks.spawn(self.index_location(location_id), what="index location")

    def spawn_remove_location(self, location_id: int) -> None:
        self.tasks.spawn(self.remove_location(location_id), what="remove location")

    # -- jobs ------------------------------------------------------------------------------
    def pause(self, job_id: int) -> None:
        self.tasks.spawn(self.manager.pause(job_id), what="pause")

    def resume(self, job_id: int) -> None:
        self.tasks.spawn(self.manager.resume(job_id), what="resume")

    def cancel(self, job_id: int) -> None:
        self.tasks.spawn(self.manager.cancel(job_id), what="cancel")

    def clear_history(self) -> None:
        self.tasks.spawn(self.manager.clear_history(), what="clear history")

    # -- thumbnails ------------------------------------------------------------------------
    def request_thumbnails(self, entry_ids: list[int]) -> None:
        """Ask the thumbnail job for the rows in view that have none (the cache asks once per content)."""
        fresh = list(dict.fromkeys(entry_ids))
        if not fresh or not job_available(THUMBNAILER):
            return
        from sd_desktop.ops.media.thumbnail.requests import request_thumbnails

        async def go() -> None:
            result = request_thumbnails(self.manager, fresh)
            if inspect.isawaitable(result):
                await result

        self.tasks.spawn(go(), what="request thumbnails")

    def _on_event(self, event: jobs.JobEvent) -> None:
        if event.name == THUMBNAILER:
            now = time.monotonic()
            finished = event.kind in FINISHING_KINDS
            if finished and event.status == JobStatus.CANCELLED:
                self.thumbnails.forget_requests()  # what it had not done yet may be asked for again
            # new sidecars land while the job runs: let fallback cells look again, at most once a second
            if finished or now - self._last_invalidate >= 1.0:
                self._last_invalidate = now
                self.thumbnails.invalidate_missing()
        elif event.name in INDEXERS and event.kind in FINISHING_KINDS:
            self.locationsChanged.emit()


def trash_folder() -> bytes | None:
    """The home trash's files folder (freedesktop, Linux), where trashed files of the home's device go."""
    if os.name != "posix":
        return None
    return os.path.join(home_trash(), b"files")

"""The live index: watch every location of a long-lived engine and keep the library up to date.

``LocationWatcher`` belongs to an engine that stays up (the window's); a one-shot CLI command never
watches. It is Qt-free:

* watchdog observers (inotify, FSEvents, ReadDirectoryChangesW) report changes on their own
  threads; a location on a network or FUSE file system, or one whose inotify watches ran out, is
  polled instead (``polling`` says which and why, announced as a ``LOCATION_STATUS`` event with
  ``polling`` for the window to show; ``SD_DESKTOP_LIVE_FORCE_POLL=1`` polls every location, for
  tests). Only the changes applied are asked of inotify (no opens, no reads).
* Events are reduced to folders to bring up to date, ``(location, folder, recursive)``, collected
  in a set: a burst of 10,000 creations in one folder is one folder. A batch is taken once the
  events pause for ``quiet`` seconds, and at the latest ``max_delay`` seconds after its first event.
* A batch is applied by hidden ``LiveIndexerJob`` runs, one after another: the indexer's own
  one-folder update, which keeps an entry's id when it moved (the destination folder is updated
  first, while the source still lists the old name as missing), clears a changed file's content
  id (identified again) and removes deleted entries. A new folder is walked whole. Their rows are
  deleted once done: the History shows none of them.
* A new folder is not watched until it is walked (``live_inotify``): the files written into it
  cost no events. It is walked once nothing was added to it for ``NEW_FOLDER_QUIET`` seconds
  (at the latest ``NEW_FOLDER_MAX_WAIT`` after it was due), watched right before its walk; the
  location's other folder updates wait with it (a file moved into it is reported only as gone
  from its old folder: updating that first would lose the entry the walk keeps as a move).
* An overflowed event queue (``IN_Q_OVERFLOW``) re-indexes that location; so does the catch-up at
  start (what changed while nothing watched), at low priority.
* The library folder (and any folder in ``ignore``, such as thumbnail caches) is never applied:
  its own writes would feed the index forever.
* A location whose file system is unmounted is offline: nothing is applied to it (an empty mount
  point would otherwise empty its index). When the disk is back it is watched and caught up again.

Each applied batch is announced on the manager's EventBus as ``EventKind.LIBRARY_CHANGED`` with
the folders touched; a location going offline or online as ``EventKind.LOCATION_STATUS``.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from watchdog.events import (
    EVENT_TYPE_ATTRIB,
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_EVENTS_LOST,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

from sd_desktop import paths
from sd_desktop.enums import EventKind
from sd_desktop.jobs import JobEvent, JobManager
from sd_desktop.library import LibraryError
from sd_desktop.library import locations as loc
from sd_desktop.ops.indexing.config import IndexerConfig, IndexMode, IndexScope
from sd_desktop.ops.indexing.live_inotify import lazy_observer
from sd_desktop.ops.indexing.live_job import LiveIndexerJob

log = logging.getLogger(__name__)

QUIET_SECONDS = 0.3
MAX_DELAY_SECONDS = 1.5
# a new folder is walked once nothing was added to it for this long (longer than ``quiet``: its
# writer, descheduled on a busy machine, must not look done), at the latest NEW_FOLDER_MAX_WAIT
# seconds after it was due
NEW_FOLDER_QUIET = 1.0
NEW_FOLDER_MAX_WAIT = 10.0
STATUS_POLL_SECONDS = 2.0
POLL_SECONDS = 1.0  # a polled location is looked at this often
# tests: poll every location as if none could be notified (the window's notice, the poll fallback)
FORCE_POLL_ENV = "SD_DESKTOP_LIVE_FORCE_POLL"
LIVE_PRIORITY = -1  # below what people ask for
CATCH_UP_PRIORITY = -2
# file systems inotify does not see remote or FUSE-side changes on: polled
POLLED_FS = ("nfs", "nfs4", "cifs", "smbfs", "smb3", "9p", "afs", "ceph", "glusterfs", "sshfs", "davfs")

_APPLIED = frozenset(
    {EVENT_TYPE_CREATED, EVENT_TYPE_DELETED, EVENT_TYPE_MODIFIED, EVENT_TYPE_CLOSED, EVENT_TYPE_ATTRIB}
)
# What inotify is asked for. Without a filter watchdog also asks for every open and every close
# without a write: each file the indexer reads for its content id (and every read by anyone)
# came back as two events, and a folder's "modified" event followed each change of a child. A
# lost-events notice is always delivered.
EVENT_FILTER = [
    FileCreatedEvent,
    DirCreatedEvent,
    FileDeletedEvent,
    DirDeletedEvent,
    FileMovedEvent,
    DirMovedEvent,
    FileModifiedEvent,  # also a change of attributes (touch, chmod)
    FileClosedEvent,  # closed after a write
]

Key = tuple[int, bytes, bool]  # (location id, folder relative to its root, its whole subtree)


@dataclass
class _Watched:
    location_id: int
    root: bytes
    mount: bytes  # the mount point the root lives on: offline when it is no longer mounted
    mode: IndexMode
    online: bool = True
    watch: ObservedWatch | None = None
    observer: BaseObserver | None = None
    notified_since: float | None = None  # when inotify (not polling) began watching it (epoch seconds)
    changed_at: float = 0.0  # when its last event came (any event, lost events included)


@dataclass
class _Pending:
    keys: set[Key] = field(default_factory=set)
    first: set[Key] = field(default_factory=set)  # folders things moved into: updated before the rest


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: LocationWatcher, watched: _Watched):
        self.watcher = watcher
        self.watched = watched

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.watcher.received += 1
        self.watched.changed_at = time.time()  # before the event is applied: see ``unchanged_since``
        self.watcher._on_event(self.watched, event)


class LocationWatcher:
    """Watches every location of ``manager``'s library while started (see the module docstring)."""

    def __init__(
        self,
        manager: JobManager,
        *,
        ignore: tuple[paths.PathLike, ...] = (),
        quiet: float = QUIET_SECONDS,
        max_delay: float = MAX_DELAY_SECONDS,
        status_poll: float = STATUS_POLL_SECONDS,
        catch_up: bool = True,
        force_polling: bool | None = None,
    ):
        self.manager = manager
        # ``force_polling`` (or the environment variable ``SD_DESKTOP_LIVE_FORCE_POLL=1``, for tests):
        # every location is polled, its reason saying so
        if force_polling is None:
            force_polling = os.environ.get(FORCE_POLL_ENV) == "1"
        self.force_polling = force_polling
        self.library = manager.library
        self.quiet = quiet
        self.max_delay = max_delay
        self.status_poll = status_poll
        self.catch_up = catch_up
        self.ignored = [loc.normalize(self.library.folder), *(loc.normalize(p) for p in ignore)]
        self._ignored_prefixes = [ig if ig.endswith(b"/") else ig + b"/" for ig in self.ignored]
        self.updates = 0  # folder updates run (jobs), for tests and the status line
        self.batches = 0
        self.received = 0  # events the observers delivered (what a burst or a reader costs)
        self.watched_late = 0  # folders watched when walked, not when created (``live_inotify``)
        self.releases = 0  # memory given back after subtree updates (``_release_memory``)
        # location id -> why it is polled instead of notified (for the window: read it on the loop's
        # thread, or take the ``LOCATION_STATUS`` event that announces it)
        self.polling: dict[int, str] = {}
        self._watched: dict[int, _Watched] = {}
        self._lock = threading.Lock()
        self._pending = _Pending()
        self._signalled = False
        self._events = 0
        self._last_event = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._observer: BaseObserver | None = None
        self._poller: BaseObserver | None = None
        self._tasks: list[asyncio.Task] = []
        self._applying: int | None = None  # the location a batch is being applied to
        self._filling: dict[Key, float] = {}  # new folders still being filled: since when (``_still_filling``)

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Watch every location, then queue the catch-up of each one already indexed."""
        self._loop = asyncio.get_running_loop()
        self.manager.watchers.add(self)
        # new folders are watched when they are walked, not when created (``live_inotify``)
        self._observer = lazy_observer() or Observer()
        self._observer.start()
        await self._sync(catch_up=self.catch_up)
        self._tasks = [
            asyncio.create_task(self._apply_loop(), name="sd-live-apply"),
            asyncio.create_task(self._status_loop(), name="sd-live-status"),
        ]

    async def refresh(self) -> None:
        """Watch locations added since, stop watching removed ones (call it when the list changes)."""
        if self._observer is not None:
            await self._sync(catch_up=False)

    async def _sync(self, *, catch_up: bool) -> None:
        rows = await self.library.read(loc.list_briefly)
        current = {info.id for info in rows}
        for location_id in [i for i in self._watched if i not in current]:
            await asyncio.to_thread(self._unschedule, self._watched.pop(location_id))
            self.polling.pop(location_id, None)
        for info in rows:
            if info.id in self._watched:
                continue
            root = loc.normalize(info.path)
            mount = await asyncio.to_thread(_mount_of, root) if os.path.isdir(root) else b"/"
            w = _Watched(info.id, root, mount, IndexMode(info.index_mode))
            self._watched[info.id] = w
            w.online = await asyncio.to_thread(self._is_online, w)
            if w.online:
                await asyncio.to_thread(self._schedule, w)
                self._announce_polling(w)
                if catch_up and info.last_indexed is not None:
                    self._add([(w.location_id, b"", True)])

    async def stop(self) -> None:
        """Stop watching; an update running is paused with the engine (its job resumes later)."""
        self.manager.watchers.remove(self)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        self._tasks = []
        for obs in (self._observer, self._poller):
            if obs is not None:
                obs.stop()
        for obs in (self._observer, self._poller):
            if obs is not None:
                await asyncio.to_thread(obs.join, 5)
        self._observer = self._poller = None

    @property
    def poll_delay(self) -> float:
        """At most how long a change in a polled location takes to reach the index (seconds)."""
        return POLL_SECONDS + self.max_delay

    def _announce_polling(self, w: _Watched) -> None:
        """Say on the EventBus that ``w`` is polled and why (``LOCATION_STATUS`` with ``polling``)."""
        reason = self.polling.get(w.location_id)
        if reason is None:
            return
        extra = {
            "location_id": w.location_id,
            "online": True,
            "path": paths.display(w.root),
            "polling": reason,
            "delay": self.poll_delay,
            "reason": f"polled: {reason}",
        }
        self.manager.events.publish(JobEvent(EventKind.LOCATION_STATUS, 0, "live", "", extra=extra))

    def is_online(self, location_id: int) -> bool:
        w = self._watched.get(location_id)
        return w is not None and w.online

    def unchanged_since(self, path: bytes, when: float) -> bool:
        """Whether nothing changed under ``path`` (absolute, resolved) since ``when`` (epoch
        seconds), as far as this watcher knows for certain: ``path`` is inside a location that is
        online and notified (not polled) since before ``when``, that had no event since ``when``
        (an overflow is one), whose events are all applied (none pending, none read by the
        observer and not yet handed over), and no other file system is mounted below ``path``
        (changes there may not be reported). A duplicate search asks it (``jobs.watching``) before
        walking a tree only to prove it unchanged.

        Notification is asynchronous: a change made a few milliseconds before this call may not be
        reported yet. Nothing is deleted on the strength of such an answer (the guarded delete
        checks every file again)."""
        raw = os.fsencode(path)
        for w in list(self._watched.values()):
            if not (raw == w.root or raw.startswith(w.root.rstrip(b"/") + b"/")):
                continue
            if not w.online or w.location_id in self.polling or w.notified_since is None:
                return False
            if w.notified_since > when or w.changed_at >= when:
                return False
            with self._lock:
                if any(key[0] == w.location_id for key in self._pending.keys) or self._applying == w.location_id:
                    return False
            observer = w.observer
            if observer is None or not observer.event_queue.empty():
                return False
            return not _mounts_below(raw)
        return False

    # -- watching (blocking: called off the loop) ---------------------------------------------
    def _schedule(self, w: _Watched) -> None:
        fstype = _fstype(w.root)
        reason = None
        self.polling.pop(w.location_id, None)
        if self.force_polling:
            reason = "polling forced (SD_DESKTOP_LIVE_FORCE_POLL)"
        elif fstype.startswith("fuse") or fstype in POLLED_FS:
            reason = f"{fstype} file system (changes made elsewhere are not notified)"
        else:
            try:
                w.watch = self._observer.schedule(_Handler(self, w), w.root, recursive=True, event_filter=EVENT_FILTER)
                w.observer = self._observer
                # the emitter added its watches before ``schedule`` returned: every change from now on
                # is reported
                w.notified_since = time.time()
            except OSError as exc:
                # the inotify watch limit (fs.inotify.max_user_watches) or instance limit (max_user_instances):
                # watchdog's words say which
                reason = str(exc.strerror or exc)
        if reason is not None:
            if self._poller is None:
                self._poller = PollingObserver(timeout=POLL_SECONDS)
                self._poller.start()
            w.watch = self._poller.schedule(_Handler(self, w), w.root, recursive=True, event_filter=EVENT_FILTER)
            w.observer = self._poller
            self.polling[w.location_id] = reason
            log.info("location %s is polled: %s", paths.display(w.root), reason)

    def _watch_below(self, w: _Watched, folder: bytes) -> None:
        """Watch the folders below ``folder`` that the observer left unwatched since they were
        created (``live_inotify``): done right before they are walked."""
        watch_below = getattr(w.observer, "watch_below", None)
        if watch_below is not None and w.watch is not None:
            self.watched_late += watch_below(w.watch, folder)

    def _unschedule(self, w: _Watched) -> None:
        if w.observer is not None and w.watch is not None:
            try:
                w.observer.unschedule(w.watch)
            except (KeyError, OSError):
                pass  # its emitter already stopped (the watched folder went away)
        w.watch = w.observer = None
        w.notified_since = None

    def _is_online(self, w: _Watched) -> bool:
        if not os.path.isdir(w.root):
            return False
        return w.mount == b"/" or os.path.ismount(w.mount)

    # -- events (on the observers' threads) ------------------------------------------------
    def _on_event(self, w: _Watched, event: FileSystemEvent) -> None:
        if event.is_synthetic:  # sub-events of a folder moved or created: the folder's key covers them
            return
        kind = event.event_type
        keys: list[Key] = []
        first: list[Key] = []
        if kind == EVENT_TYPE_EVENTS_LOST:
            keys.append((w.location_id, b"", True))
        elif kind == EVENT_TYPE_MOVED:
            src = self._relative(w, event.src_path)
            dest = self._relative(w, event.dest_path) if event.dest_path else None
            if src:
                keys.append((w.location_id, _parent(src), False))
            if dest:
                first.append((w.location_id, _parent(dest), False))
        elif kind in _APPLIED:
            if event.is_directory and kind in (EVENT_TYPE_MODIFIED, EVENT_TYPE_CLOSED):
                return  # a folder's children changed: their own events say which
            rel = self._relative(w, event.src_path)
            if not rel:
                return  # the root itself (an unmount is noticed by the status check)
            keys.append((w.location_id, _parent(rel), False))
            if event.is_directory and kind == EVENT_TYPE_CREATED:
                keys.append((w.location_id, rel, True))
        if keys or first:
            self._add(keys, first)

    def _relative(self, w: _Watched, path: str | bytes) -> bytes | None:
        """``path`` relative to the location root; None outside it or inside an ignored folder.

        Plain prefix tests: the observers report normalized absolute paths below the root they
        were given (itself normalized), and this runs for every event of a burst."""
        raw = os.fsencode(path)
        for ig in self._ignored_prefixes:
            if raw.startswith(ig) or raw + b"/" == ig:
                return None
        if raw == w.root:
            return b""
        prefix = w.root if w.root.endswith(b"/") else w.root + b"/"
        if not raw.startswith(prefix):
            return None
        return raw[len(prefix) :]

    def _add(self, keys: list[Key], first: list[Key] = ()) -> None:
        with self._lock:
            self._pending.keys.update(keys)
            self._pending.keys.update(first)
            self._pending.first.update(first)
            self._events += 1
            self._last_event = time.monotonic()
            if self._signalled or self._loop is None:
                return
            self._signalled = True
        self._loop.call_soon_threadsafe(self._wake.set)

    # -- applying (on the event loop) ------------------------------------------------------
    async def _apply_loop(self) -> None:
        while True:
            await self._wake.wait()
            began = time.monotonic()
            # let the burst end, bounded: ``quiet`` seconds after the LAST event (one file written is
            # created, modified and closed within microseconds, delivered a few ms apart: counting
            # from the first made it wait two quiet periods)
            while True:
                now = time.monotonic()
                wait = min(self._last_event + self.quiet, began + self.max_delay) - now
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            self._wake.clear()
            with self._lock:
                batch, self._pending = self._pending, _Pending()
                self._signalled = False
            try:
                await self._apply(batch)
                if any(key[2] for key in batch.keys) and not self._pending.keys:
                    await self._release_memory()
            except LibraryError as exc:
                # the library failed (full, read-only): the manager paused its jobs with the message;
                # keep the folders and try again later, the window stays up
                log.info("live index paused: %s", exc)
                self._add(list(batch.keys), list(batch.first))
                await asyncio.sleep(5.0)

    async def _apply(self, batch: _Pending) -> None:
        by_location: dict[int, list[Key]] = {}
        for key in _plan(batch):
            by_location.setdefault(key[0], []).append(key)
        self.batches += 1
        for location_id, keys in by_location.items():
            w = self._watched.get(location_id)
            if w is None:
                continue
            self._applying = location_id
            try:
                done = await self._apply_location(w, location_id, keys)
            finally:
                self._applying = None
            if done:
                self.manager.events.publish(
                    JobEvent(
                        EventKind.LIBRARY_CHANGED, 0, "live", "", extra={"location_id": location_id, "folders": done}
                    )
                )

    async def _apply_location(self, w: _Watched, location_id: int, keys: list[Key]) -> list[str]:
        done: list[str] = []
        deferred: list[Key] = []
        try:
            await self._update_folders(w, location_id, keys, done, deferred)
        finally:
            if deferred:  # taken with the next batch
                self._add(deferred)
        return done

    def _still_filling(self, key: Key, folder: bytes) -> bool:
        """Whether a new folder is still being filled (an entry added in the last
        ``NEW_FOLDER_QUIET`` seconds: its modification time), for at most ``NEW_FOLDER_MAX_WAIT`` seconds: it is walked
        once it is quiet. It is unwatched until then (``live_inotify``), so a burst written into it
        costs no events, and its walk lists it once, whole, instead of racing the writer."""
        now = time.time()
        since = self._filling.setdefault(key, now)
        try:
            mtime = os.stat(folder).st_mtime
        except OSError:
            mtime = 0.0
        if now - mtime < max(self.quiet, NEW_FOLDER_QUIET) and now - since < NEW_FOLDER_MAX_WAIT:
            return True
        self._filling.pop(key, None)
        return False

    async def _update_folders(
        self, w: _Watched, location_id: int, keys: list[Key], done: list[str], deferred: list[Key]
    ) -> None:
        for _, rel, recursive in keys:
            # checked before each update: an unmounted disk's empty mount point must never be indexed
            if not await asyncio.to_thread(self._is_online, w):
                break
            folder = os.path.join(w.root, rel) if rel else w.root
            if not await asyncio.to_thread(os.path.isdir, folder):
                continue  # gone since: its parent's update removes it
            if deferred and not recursive:
                # a file moved into a new folder still being filled is reported only as gone from
                # its old folder (the new one is not watched yet): updating that folder first would
                # delete the entry the new folder's walk would have kept (its id, as a move)
                deferred.append((location_id, rel, recursive))
                continue
            if recursive and rel and await asyncio.to_thread(self._still_filling, (location_id, rel, True), folder):
                deferred.append((location_id, rel, True))
                log.debug("new folder %s is still being filled: walked once quiet", paths.display(folder))
                continue
            if recursive:  # watched before it is listed: a change after the listing is reported
                await asyncio.to_thread(self._watch_below, w, folder)
            config = IndexerConfig(
                location_id=location_id,
                path=Path(os.fsdecode(folder)),
                mode=w.mode,
                scope=IndexScope.RECURSIVE if recursive else IndexScope.CURRENT,
            )
            priority = CATCH_UP_PRIORITY if recursive and not rel else LIVE_PRIORITY
            began = time.monotonic()
            job_id = await self.manager.enqueue(LiveIndexerJob, config, priority=priority)
            self.updates += 1
            info = await self.manager.wait(job_id)
            if info.status.value in ("completed", "completed_with_errors", "failed", "cancelled"):
                await self.manager.forget([job_id])
            done.append(paths.display(folder))
            log.debug(
                "updated %s%s in %.3f s",
                paths.display(folder),
                " (subtree)" if recursive else "",
                time.monotonic() - began,
            )

    async def _release_memory(self) -> None:
        """After a subtree's update (the catch-up, a re-index after an overflow, a new folder), give
        back what it took: the writer's page cache grew to its 64 MB for a big location, and freed
        memory stays with the process until the heap is trimmed. An idle engine watching 200,000
        files was at 231 MB without this, 82 MB with it (measured)."""
        await self.library.shrink_writer_cache()
        await asyncio.to_thread(_trim_heap)
        self.releases += 1

    async def _status_loop(self) -> None:
        while True:
            await asyncio.sleep(self.status_poll)
            for w in list(self._watched.values()):
                online = await asyncio.to_thread(self._is_online, w)
                if online == w.online:
                    continue
                w.online = online
                if online:  # the disk is back: watch it again and catch up with what changed
                    await asyncio.to_thread(self._schedule, w)
                    self._announce_polling(w)
                    self._add([(w.location_id, b"", True)])
                else:
                    await asyncio.to_thread(self._unschedule, w)
                reason = "back online" if online else "offline: its disk is not mounted; its index is kept"
                self.manager.events.publish(
                    JobEvent(
                        EventKind.LOCATION_STATUS,
                        0,
                        "live",
                        "",
                        extra={"location_id": w.location_id, "online": online, "reason": reason},
                    )
                )


def _parent(rel: bytes) -> bytes:
    return os.path.dirname(rel)


def _plan(batch: _Pending) -> list[Key]:
    """The updates a batch needs, in order: a subtree walk covers the folders below it, folders
    things moved into come first (the source still lists the old name: the entry keeps its id)."""
    recursive = sorted({(k[0], k[1]) for k in batch.keys if k[2]}, key=lambda k: (k[0], len(k[1])))
    covering: dict[int, list[bytes]] = {}
    for location_id, rel in recursive:
        tops = covering.setdefault(location_id, [])
        if not any(_within(rel, top) for top in tops):
            tops.append(rel)

    def covered(key: Key) -> bool:
        return any(_within(key[1], top) for top in covering.get(key[0], ()))

    out: list[Key] = []
    for key in sorted(batch.first):
        if not covered(key):
            out.append(key)
    for location_id, tops in covering.items():
        out += [(location_id, rel, True) for rel in tops]
    rest = sorted(k for k in batch.keys if not k[2] and k not in batch.first and not covered(k))
    return out + rest


def _within(rel: bytes, top: bytes) -> bool:
    return not top or rel == top or rel.startswith(top + b"/")


def _mount_of(path: bytes) -> bytes:
    """The mount point ``path`` lives on (the nearest folder above it on another device)."""
    current = path
    dev = os.stat(current).st_dev
    while current != b"/":
        parent = os.path.dirname(current)
        try:
            if os.stat(parent).st_dev != dev:
                return current
        except OSError:
            return current
        current = parent
    return b"/"


def _trim_heap() -> None:
    """Return the C heap's free memory to the system (glibc's ``malloc_trim``; nothing elsewhere)."""
    try:
        ctypes.CDLL(None).malloc_trim(0)  # the process's own symbols: libc's on glibc
    except (OSError, AttributeError):
        pass


def _mounts_below(path: bytes) -> bool:
    """Whether a file system is mounted somewhere below ``path`` (not at ``path`` itself)."""
    try:
        parts = psutil.disk_partitions(all=True)
    except OSError:
        return True
    prefix = path.rstrip(b"/") + b"/"
    return any(os.fsencode(part.mountpoint).startswith(prefix) for part in parts)


def _fstype(path: bytes) -> str:
    """The file system type of the mount holding ``path`` ("" when unknown)."""
    best, fstype = b"", ""
    try:
        parts = psutil.disk_partitions(all=True)
    except OSError:
        return ""
    for part in parts:
        mp = os.fsencode(part.mountpoint)
        if paths.is_within(path, mp) and len(mp) > len(best):
            best, fstype = mp, part.fstype
    return fstype

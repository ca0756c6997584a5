"""The live index's inotify observer: a new folder is watched only when it is walked.

watchdog's recursive inotify watch adds a watch on every folder created below the root as soon as
it is reported, so each file then written into it comes back as three to five events (created,
modified, attributes, closed), each one read, parsed, paired, queued and dispatched by watchdog's
three threads: 40 % of the engine's CPU for a burst of new files, and all of it redundant, since
the new folder is walked whole anyway.

Here a folder created below the root is reported (``DirCreatedEvent``) but not watched; the
watcher calls ``watch_below(folder)`` right before it walks that folder (or a folder above it).
Watching first, listing second: whatever changes after the watch is reported, whatever changed
before it is seen by the walk. Moves, deletions and overflows are watchdog's own handling (a
folder moved in from outside the root is watched at once, as before).

It relies on watchdog's ``InotifyWatchGroup`` internals (7.x): ``lazy_observer`` returns None when
they are not there, and the watcher uses watchdog's plain ``Observer`` instead.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

try:
    from watchdog.observers.inotify import InotifyEmitter, InotifyObserver, InotifyWatchGroup
    from watchdog.observers.inotify_move_event_grouper import PathedInotifyEvent

    _AVAILABLE = all(
        hasattr(InotifyWatchGroup, name) for name in ("_build_event_source_path", "_find_node_by_path", "_add_callback")
    )
except ImportError:  # not Linux, or another watchdog
    _AVAILABLE = False


if _AVAILABLE:

    class _LazyWatchGroup(InotifyWatchGroup):
        """A recursive watch group that leaves new folders unwatched until ``watch_below``."""

        def on_event(self, event) -> None:  # noqa: ANN001 - watchdog's InotifyEvent
            if event.is_create and event.is_directory and self.is_recursive:
                with self._lock:
                    if not self.is_active:
                        return
                    src_path = self._build_event_source_path(event)
                    if src_path is None:
                        return
                    if self._find_node_by_path(src_path) is None:
                        # reported, not watched, no events made up for its contents: its walk lists them
                        self._move_event_grouper.put_event(PathedInotifyEvent(event, src_path))
                        return
                # a folder still known under this name (a move being paired): watchdog's own way
            super().on_event(event)

        def watch_below(self, path: bytes) -> int:
            """Watch ``path`` and every folder below it not watched yet; returns how many were added."""
            if not self.is_recursive:
                return 0
            folders = [path]
            # listed outside the lock: the inotify thread keeps reading meanwhile
            for top, dirnames, _ in os.walk(path):
                folders += [os.path.join(top, d) for d in dirnames if not os.path.islink(os.path.join(top, d))]
            added = 0
            with self._lock:
                if not self.is_active:
                    return 0
                for folder in folders:
                    node = self._find_node_by_path(folder)
                    if node is not None and node.wd >= 0:
                        continue
                    self._add_callback(folder)
                    added += 1
            return added

    class _LazyEmitter(InotifyEmitter):
        def on_thread_start(self) -> None:
            path = os.fsencode(self.watch.path)
            self._inotify = _LazyWatchGroup(
                self._inotify_fd,
                path,
                is_recursive=self.watch.is_recursive,
                event_mask=self.get_event_mask_from_filter(),
                follow_symlink=self.watch.follow_symlink,
            )

        def watch_below(self, path: bytes) -> int:
            group = self._inotify
            return group.watch_below(path) if isinstance(group, _LazyWatchGroup) else 0

    class LazyInotifyObserver(InotifyObserver):
        """``InotifyObserver`` whose recursive watches leave new folders to ``watch_below``."""

        def __init__(self) -> None:
            super().__init__()
            self._emitter_class = _LazyEmitter

        def watch_below(self, watch, path: bytes) -> int:  # noqa: ANN001 - watchdog's ObservedWatch
            """Watch ``path`` (absolute) and the folders below it, before they are walked."""
            for emitter in self.emitters:
                if emitter.watch == watch and isinstance(emitter, _LazyEmitter):
                    return emitter.watch_below(path)
            return 0


def lazy_observer():  # noqa: ANN201 - a watchdog observer, or None
    """A ``LazyInotifyObserver``, or None where watchdog's inotify internals are not the ones known."""
    if not _AVAILABLE:
        return None
    try:
        return LazyInotifyObserver()
    except Exception as exc:  # an inotify that cannot start here: the plain observer says why
        log.info("new folders are watched at once: %s", exc)
        return None

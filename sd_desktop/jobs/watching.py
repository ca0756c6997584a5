"""The disk watchers of a long-lived engine, as its jobs may ask them.

A job that would walk a tree only to prove nothing changed in it can ask first: a watcher (the live
index, ``ops/indexing/live.py``) registers itself with the manager (``manager.watchers``) and says
whether it saw every change of a tree since a given time, and none came. The engine knows nothing
of how a tree is watched: a watcher is anything with ``unchanged_since``. Asked from a worker
thread; a watcher answers from what it holds, without touching the disk.
"""

from __future__ import annotations

import threading
from typing import Protocol


class TreeWatcher(Protocol):
    def unchanged_since(self, path: bytes, when: float) -> bool:
        """True only when ``path`` (absolute, resolved) and everything below it was watched by
        notification since before ``when`` (seconds since the epoch) and nothing changed there."""
        ...


class Watchers:
    """The watchers registered with one manager (none in a one-shot command)."""

    def __init__(self) -> None:
        self._items: list[TreeWatcher] = []
        self._lock = threading.Lock()

    def add(self, watcher: TreeWatcher) -> None:
        with self._lock:
            if watcher not in self._items:
                self._items.append(watcher)

    def remove(self, watcher: TreeWatcher) -> None:
        with self._lock:
            if watcher in self._items:
                self._items.remove(watcher)

    def __bool__(self) -> bool:
        return bool(self._items)

    def unchanged_since(self, path: bytes, when: float) -> bool:
        """Whether a registered watcher vouches that nothing changed under ``path`` since ``when``."""
        with self._lock:
            items = list(self._items)
        return any(w.unchanged_since(path, when) for w in items)

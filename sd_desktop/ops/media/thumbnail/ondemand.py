"""Freedesktop thumbnails made on demand, for the files a browser shows outside the library.

A browser hands over the files it could find no valid thumbnail for (``freedesktop.find``); one
thread of ours feeds them to a thumbnail worker pool (``workers.make_workers``: processes, so the
same per-file time limit and crash isolation as the ThumbnailJob) a couple at a time, the newest
requests first (the cells on screen now). Each result is handed to ``on_done`` on that thread. The
pool is stopped after ``idle_seconds`` without requests, so an idle app holds no workers.

No job and no library: these thumbnails live in the per-user cache other programs share, and a
failure is recorded there (``fail/``), not in the job history.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sd_desktop.ops.media.thumbnail import freedesktop
from sd_desktop.ops.media.thumbnail.generate import FAILED, OK, Result

log = logging.getLogger(__name__)

IDLE_SECONDS = 20.0


@dataclass
class Done:
    """The outcome for one requested file: ``data`` is the new PNG's bytes when one was made."""

    key: object
    data: bytes | None
    outcome: str  # generate's OK, FAILED (recorded under fail/), or why nothing was made
    reason: str = ""


class OnDemandThumbnailer:
    """Makes freedesktop thumbnails of ``(key, Source)`` requests; ``on_done(Done)`` runs on our thread."""

    def __init__(
        self,
        on_done: Callable[[Done], None],
        flavor: str = "large",
        workers: int = 2,
        time_limit: float = 30.0,
        idle_seconds: float = IDLE_SECONDS,
        root: bytes | None = None,
    ):
        self.on_done = on_done
        self.flavor = flavor
        self.count = workers
        self.time_limit = time_limit
        self.idle_seconds = idle_seconds
        self.root = root
        self.submitted = 0  # files handed to the decoders (tests count them)
        self._stack: list[tuple[object, freedesktop.Source]] = []
        self._queued: set[object] = set()
        self._cond = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None

    def request(self, items: list[tuple[object, freedesktop.Source]]) -> None:
        """Queue these files (a key already waiting is not queued twice); the last ones run first."""
        with self._cond:
            if self._closed:
                return
            for key, source in items:
                if key not in self._queued:
                    self._queued.add(key)
                    self._stack.append((key, source))
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="sd-freedesktop-thumbnails", daemon=True)
                self._thread.start()
            self._cond.notify()

    def close(self, wait: bool = True) -> None:
        with self._cond:
            self._closed = True
            self._stack.clear()
            self._cond.notify()
            thread = self._thread
        if wait and thread is not None:
            thread.join(10)

    def _take(self) -> list[tuple[object, freedesktop.Source]] | None:
        """The next few requests, newest first; None once closed or idle for ``idle_seconds``."""
        with self._cond:
            if not self._stack and not self._closed:
                self._cond.wait(self.idle_seconds)
            if self._closed or not self._stack:
                return None
            batch = self._stack[-self.count :][::-1]
            del self._stack[-self.count :]
            return batch

    def _serve(self) -> None:
        from sd_desktop.ops.media.thumbnail.workers import WorkerStartError, make_workers

        pool = None
        try:
            while True:
                batch = self._take()
                if batch is None:
                    with self._cond:
                        if self._closed or not self._stack:
                            if pool is not None:  # idle: let the workers go until the next request
                                pool.close()
                                pool = None
                            if self._closed:
                                return
                    continue
                root = freedesktop.cache_root() if self.root is None else self.root
                try:
                    freedesktop.prepare(root, self.flavor)
                    if pool is None:
                        pool = make_workers(self.count, self.time_limit)
                except (OSError, WorkerStartError) as exc:
                    for key, _ in batch:
                        self._finish(Done(key, None, "unavailable", str(exc)))
                    continue
                sources = dict(batch)
                keys = {i: key for i, (key, _) in enumerate(batch)}
                tasks = [freedesktop.task_for(i, src, self.flavor, root) for i, (_, src) in enumerate(batch)]
                self.submitted += len(tasks)

                def arrived(result: Result, keys=keys, sources=sources, root=root) -> None:
                    key = keys[result.key]
                    self._finish(self._outcome(key, sources[key], result, root))

                done = pool.run(tasks, lambda: self._closed, arrived)
                for i, key in keys.items():
                    if i not in done:  # stopped before it ran
                        self._finish(Done(key, None, "unavailable", "stopped"))
        except Exception:  # never let a bug here take the app down; the cells keep their type icons
            log.exception("freedesktop thumbnails stopped")
        finally:
            if pool is not None:
                pool.close()
            with self._cond:
                self._thread = None  # after a bug, the next request starts a new thread

    def _outcome(self, key: object, source: freedesktop.Source, result: Result, root: bytes) -> Done:
        if result.outcome == OK:
            path = freedesktop.thumbnail_path(root, source.uri, self.flavor)
            data = freedesktop.read_valid(
                path, freedesktop.Source(source.path, source.uri, result.mtime or 0, result.source_bytes)
            )
            if data is not None:
                return Done(key, data, OK)
            return Done(key, None, "unavailable", "the file changed while its thumbnail was made")
        if result.outcome == FAILED:
            freedesktop.record_failure(source, result.mtime, result.source_bytes, root)
        return Done(key, None, result.outcome, result.reason)

    def _finish(self, done: Done) -> None:
        with self._cond:
            self._queued.discard(done.key)
        try:
            self.on_done(done)
        except Exception:
            log.exception("on_done failed for a freedesktop thumbnail")

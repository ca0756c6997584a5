"""Run blocking work (SQLite reads, stat, image decoding) off the GUI thread.

``BackgroundRunner.submit(fn, callback)`` runs ``fn()`` on a thread pool and calls
``callback(result, error)`` back on the GUI thread through a queued Qt signal. Callbacks of a
runner that was closed are dropped, so a closed widget never receives late results.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

log = logging.getLogger(__name__)


class BackgroundRunner(QObject):
    _delivered = Signal(object, object, object)  # callback, result, error

    def __init__(self, name: str, workers: int = 1, parent: QObject | None = None):
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"sd-ui-{name}")
        self._closed = False
        self._delivered.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def submit(self, fn: Callable[[], Any], callback: Callable[[Any, BaseException | None], None] | None) -> None:
        if self._closed:
            return

        def job() -> None:
            try:
                result, error = fn(), None
            except BaseException as exc:  # delivered to the callback, which decides what to show
                result, error = None, exc
            if callback is not None and not self._closed:
                try:
                    self._delivered.emit(callback, result, error)
                except RuntimeError:  # the QObject was deleted while we worked
                    pass

        self._pool.submit(job)

    def _deliver(self, callback: Callable, result: Any, error: BaseException | None) -> None:
        if self._closed:
            return
        try:
            callback(result, error)
        except Exception:
            log.exception("background callback failed")

    def close(self, wait: bool = False) -> None:
        self._closed = True
        self._pool.shutdown(wait=wait, cancel_futures=True)

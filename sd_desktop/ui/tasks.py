"""Fire-and-forget coroutines started from Qt slots, kept alive and with errors surfaced.

Widgets call engine commands (``manager.pause(id)``...) through ``TaskRunner.spawn``; an exception
goes to ``failed`` (shown in the status bar), and CancelledError at shutdown is not an error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class TaskRunner(QObject):
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._tasks: set[asyncio.Task] = set()

    def spawn(
        self, coro: Coroutine[Any, Any, Any], *, what: str = "", done: Callable[[Any], None] | None = None
    ) -> asyncio.Task:
        task = asyncio.get_event_loop().create_task(coro)
        self._tasks.add(task)

        def finished(t: asyncio.Task) -> None:
            self._tasks.discard(t)
            if t.cancelled():
                return
            exc = t.exception()
            if exc is not None:
                log.error("%s failed", what or "task", exc_info=exc)
                try:
                    self.failed.emit(f"{what + ': ' if what else ''}{exc}")
                except RuntimeError:
                    pass
                return
            if done is not None:
                done(t.result())

        task.add_done_callback(finished)
        return task

    async def cancel_all(self) -> None:
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)

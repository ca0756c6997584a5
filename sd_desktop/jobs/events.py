"""Job events as an async stream (and plain callbacks for the Qt bridge)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from sd_desktop.enums import EventKind

# a job's last events: it completed (possibly with non-critical errors), failed or was cancelled
FINISHING_KINDS = frozenset({EventKind.COMPLETED, EventKind.FAILED, EventKind.CANCELLED})
EVENT_KINDS = tuple(EventKind)


@dataclass
class JobEvent:
    kind: EventKind
    job_id: int
    name: str
    status: str
    target: str = ""
    progress: dict | None = None
    output: Any = None
    error: str | None = None
    error_count: int = 0
    extra: dict = field(default_factory=dict)


class EventBus:
    """Fan-out of job events. Listeners run on the event loop thread and must not block."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[JobEvent], None]] = []
        self._queues: list[asyncio.Queue[JobEvent]] = []

    def add_listener(self, fn: Callable[[JobEvent], None]) -> Callable[[], None]:
        self._listeners.append(fn)
        return lambda: self._listeners.remove(fn) if fn in self._listeners else None

    def publish(self, event: JobEvent) -> None:
        for fn in list(self._listeners):
            fn(event)
        for q in list(self._queues):
            q.put_nowait(event)

    async def stream(self) -> AsyncIterator[JobEvent]:
        """Every event published from now on, until the consumer stops iterating."""
        q: asyncio.Queue[JobEvent] = asyncio.Queue()
        self._queues.append(q)
        try:
            while True:
                yield await q.get()
        finally:
            self._queues.remove(q)

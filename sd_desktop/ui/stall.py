"""Event-loop lateness: a 10 ms timer on the GUI thread records how late each tick fires.

``SD_DESKTOP_STALL_REPORT=FILE`` turns it on in the app; on exit the app writes
``{"ticks": n, "max_ms": ..., "p99_ms": ...}`` to FILE.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer

INTERVAL_MS = 10


class StallMonitor(QObject):
    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self._tick)
        self._last: float | None = None
        self.lateness_ms: list[float] = []

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            late = (now - self._last) * 1000.0 - INTERVAL_MS
            self.lateness_ms.append(max(0.0, late))
        self._last = now

    def report(self) -> dict:
        values = sorted(self.lateness_ms)
        if not values:
            return {"ticks": 0, "max_ms": 0.0, "p99_ms": 0.0}
        p99 = values[min(len(values) - 1, int(round(0.99 * (len(values) - 1))))]
        return {"ticks": len(values), "max_ms": round(values[-1], 3), "p99_ms": round(p99, 3)}

    def write(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.report()) + "\n")

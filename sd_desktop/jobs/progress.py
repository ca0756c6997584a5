"""Progress snapshots with rate and ETA, and the throttle that keeps events near 10 per second."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace


@dataclass
class Progress:
    phase: str = ""
    done: int = 0
    total: int | None = None
    bytes_done: int = 0
    bytes_total: int | None = None
    message: str = ""
    rate: float | None = None  # items per second (bytes per second when bytes_total is known)
    rate_unit: str = "items"
    eta_seconds: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> Progress | None:
        """The snapshot ``to_dict`` made (as events and stored jobs carry it); keys a newer or older
        build wrote that this one does not know are ignored, missing ones take their defaults."""
        if not data:
            return None
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    @property
    def fraction(self) -> float | None:
        if self.bytes_total:
            return min(1.0, self.bytes_done / self.bytes_total)
        if self.total:
            return min(1.0, self.done / self.total)
        return None


class RateMeter:
    """Speed over a sliding window (seconds), reset when the phase changes."""

    def __init__(self, window: float = 5.0):
        self.window = window
        self._samples: deque[tuple[float, int]] = deque()
        self._phase: str | None = None

    def update(self, phase: str, value: int, now: float) -> float | None:
        if phase != self._phase:
            self._phase = phase
            self._samples.clear()
        self._samples.append((now, value))
        while len(self._samples) > 2 and now - self._samples[0][0] > self.window:
            self._samples.popleft()
        t0, v0 = self._samples[0]
        if now - t0 < 0.2:
            return None
        return max(0.0, (value - v0) / (now - t0))


class ProgressTracker:
    """Merges partial progress updates, computes rate and ETA, and throttles emission.

    ``update`` may be called thousands of times a second; ``emit`` is called at most every
    ``interval`` seconds, and a trailing call always delivers the last value.
    """

    def __init__(self, emit: Callable[[Progress], None], interval: float = 0.1):
        self.current = Progress()
        self._emit = emit
        self._interval = interval
        self._last_emit = 0.0
        self._pending: asyncio.TimerHandle | None = None
        self._meter = RateMeter()

    def update(self, **changes: object) -> None:
        changes = {k: v for k, v in changes.items() if v is not None}
        new_phase = "phase" in changes and changes["phase"] != self.current.phase
        if new_phase:
            self.flush()  # the last value of the old phase is delivered before the new one starts
            # a new phase starts its own counts unless the caller carries them over
            for key in ("done", "total", "message"):
                changes.setdefault(key, Progress.__dataclass_fields__[key].default)
        self.current = replace(self.current, **changes)
        now = time.monotonic()
        if new_phase or now - self._last_emit >= self._interval:
            self._fire(now)
        elif self._pending is None:
            loop = asyncio.get_running_loop()
            self._pending = loop.call_later(self._interval - (now - self._last_emit), self._trailing)

    def _trailing(self) -> None:
        self._pending = None
        self._fire(time.monotonic())

    def _fire(self, now: float) -> None:
        p = self.current
        by_bytes = bool(p.bytes_total)
        rate = self._meter.update(p.phase, p.bytes_done if by_bytes else p.done, now)
        eta = None
        if rate:
            remaining = (p.bytes_total - p.bytes_done) if by_bytes else ((p.total - p.done) if p.total else None)
            if remaining is not None:
                eta = max(0.0, remaining / rate)
        self.current = replace(p, rate=rate, rate_unit="bytes" if by_bytes else "items", eta_seconds=eta)
        self._last_emit = now
        self._emit(self.current)

    def flush(self) -> None:
        """Deliver the latest value now (before a status change) and drop the trailing timer."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
            self._fire(time.monotonic())

    def close(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

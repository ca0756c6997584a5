"""Remote volume calls for a worker thread of the window (never its GUI thread): each call runs the
backend's coroutines on an event loop of its own, to its deadline, and raises ``RemoteError`` with
the one line to show. ``CheckSchedule`` says when each volume's status is checked again: every
minute while it answers, backing off (30 s, 1, 2, 4, 8 min, then every 10) while it does not."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

from sd_desktop.volumes.remote import (
    FAILED,
    NOT_FOUND,
    ONLINE,
    RemoteEntry,
    RemoteError,
    VolumeSpec,
    backend_for,
    probe,
)

CHECK_TIMEOUT = 10.0  # seconds per status check, as ``volume list`` by default
ONLINE_EVERY = 60.0
FIRST_RETRY, LONGEST_RETRY = 30.0, 600.0


def check(spec: VolumeSpec) -> tuple[str, str]:
    """``(status, detail)`` of the volume: online, or offline / auth_failed and why in one line."""
    return asyncio.run(probe(spec))


def list_folder(spec: VolumeSpec, path: str) -> list[RemoteEntry]:
    """The children of ``path`` (relative to the volume's root): folders first, then by name."""

    async def go() -> list[RemoteEntry]:
        backend = backend_for(spec)
        try:
            return await backend.list(path)
        finally:
            await backend.close()

    entries = asyncio.run(go())
    return sorted(entries, key=lambda e: (not e.is_dir, e.name.casefold(), e.name))


def read_head(spec: VolumeSpec, path: str, length: int) -> bytes:
    """The first ``length`` bytes of the file ``path`` (all of it when it is smaller): one ranged read."""

    async def go() -> bytes:
        backend = backend_for(spec)
        try:
            return (await backend.read_ranges(path, [(0, length)]))[0]
        finally:
            await backend.close()

    return asyncio.run(go())


def read_files(spec: VolumeSpec, files: list[tuple[str, int]]) -> list[bytes | None]:
    """The first ``length`` bytes of each ``(path, length)`` over one connection; None for a file
    that could not be read (gone, refused). Raises ``RemoteError`` only when the volume itself
    cannot be reached."""

    async def go() -> list[bytes | None]:
        backend = backend_for(spec)
        out: list[bytes | None] = []
        try:
            for path, length in files:
                try:
                    out.append((await backend.read_ranges(path, [(0, length)]))[0])
                except RemoteError as exc:
                    if exc.kind not in (NOT_FOUND, FAILED):
                        raise
                    out.append(None)
            return out
        finally:
            await backend.close()

    return asyncio.run(go())


def retry_after(failures: int) -> float:
    """Seconds until the next check of a volume that failed ``failures`` times in a row (0: online)."""
    if failures <= 0:
        return ONLINE_EVERY
    return min(FIRST_RETRY * 2 ** (failures - 1), LONGEST_RETRY)


@dataclass
class CheckSchedule:
    """When each volume is due for a status check. Times are ``time.monotonic()`` values given by
    the caller, so the schedule is the same under test as in the window."""

    failures: dict[str, int] = field(default_factory=dict)
    due_at: dict[str, float] = field(default_factory=dict)

    def track(self, names: Iterable[str], now: float) -> None:
        """Follow exactly ``names``: new ones are due now, removed ones are forgotten."""
        names = set(names)
        for gone in set(self.due_at) - names:
            self.due_at.pop(gone)
            self.failures.pop(gone, None)
        for name in names - set(self.due_at):
            self.due_at[name] = now

    def due(self, now: float) -> list[str]:
        """The volumes to check now (each is then not due again until its result is recorded)."""
        found = sorted(n for n, t in self.due_at.items() if t <= now)
        for name in found:
            self.due_at[name] = float("inf")  # in flight
        return found

    def record(self, name: str, status: str, now: float) -> float:
        """A check's result; returns the seconds until the next check of ``name``."""
        if name not in self.due_at:
            return 0.0
        failures = 0 if status == ONLINE else self.failures.get(name, 0) + 1
        self.failures[name] = failures
        delay = retry_after(failures)
        self.due_at[name] = now + delay
        return delay

    def check_now(self, name: str, now: float) -> None:
        """Check ``name`` at once (Check Now), whatever its backoff (not twice: one in flight stays)."""
        if name in self.due_at and self.due_at[name] != float("inf"):
            self.due_at[name] = now

    def next_due(self) -> float | None:
        finite = [t for t in self.due_at.values() if t != float("inf")]
        return min(finite) if finite else None

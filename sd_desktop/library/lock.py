"""One engine process per library: an advisory lock file holding the owner's PID."""

from __future__ import annotations

import os
from pathlib import Path

if os.name == "nt":  # pragma: no cover - exercised only on Windows
    import msvcrt
else:
    import fcntl


class LibraryLocked(RuntimeError):
    """Another process owns this library."""

    def __init__(self, path: Path, pid: int | None):
        self.pid = pid
        who = f"PID {pid}" if pid else "another process"
        super().__init__(f"library in use by {who} ({path})")


class LibraryLock:
    """Holds an exclusive lock on ``<library>/library.lock`` for the life of the process.

    The lock is released by the kernel when the process dies (even by kill -9), so a crash
    never leaves a stale lock behind; the PID inside is only for the error message.
    """

    def __init__(self, folder: Path):
        self.path = folder / "library.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if os.name == "nt":  # pragma: no cover
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pid = _read_pid(fd)
            os.close(fd)
            raise LibraryLocked(self.path.parent, pid) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
        except OSError:
            pass
        os.close(self._fd)
        self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None


def _read_pid(fd: int) -> int | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 32).decode().strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None

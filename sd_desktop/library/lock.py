"""One engine process per library: an advisory lock file holding the owner's PID, what it is
(``sd-desktop index``, ``sd-desktop serve``, the window) and whether it serves other commands.

The file reads ``PID\\nHOLDER\\nserves|alone\\n``; a file of an older build holds only the PID."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

if os.name == "nt":  # pragma: no cover - exercised only on Windows
    import msvcrt
else:
    import fcntl

SERVES, ALONE = "serves", "alone"


class Holder(NamedTuple):
    """What the lock file says of the process that holds it (a NamedTuple: every command reads the
    lock, and ``dataclasses`` would cost the read-only ones its import)."""

    pid: int | None
    what: str = ""  # e.g. "sd-desktop index"; empty when an older build holds it
    serves: bool = False  # it answers other commands on its socket (``sd-desktop serve``, the window)


class LibraryLocked(RuntimeError):
    """Another process owns this library."""

    def __init__(self, path: Path, pid: int | None, holder: Holder | None = None):
        self.pid = pid
        self.path = path
        self.holder = holder or Holder(pid)
        who = f"PID {pid}" if pid else "another process"
        super().__init__(f"library in use by {who} ({path})")


class LibraryLock:
    """Holds an exclusive lock on ``<library>/library.lock`` for the life of the process.

    The lock is released by the kernel when the process dies (even by kill -9), so a crash
    never leaves a stale lock behind; what the file says is only for the other processes' message
    and to tell them whether to ask this one (``serves``).
    """

    def __init__(self, folder: Path, what: str = ""):
        self.path = folder / "library.lock"
        self.what = what
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if os.name == "nt":  # pragma: no cover
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_holder(fd)
            os.close(fd)
            raise LibraryLocked(self.path.parent, holder.pid, holder) from None
        self._fd = fd
        self._write(serves=False)

    def set_serving(self, serves: bool) -> None:
        """Say in the lock file whether this process now answers other commands (after its socket
        listens; before it closes)."""
        if self._fd is not None:
            self._write(serves=serves)

    def _write(self, *, serves: bool) -> None:
        assert self._fd is not None
        data = f"{os.getpid()}\n{self.what.replace(chr(10), ' ')}\n{SERVES if serves else ALONE}\n".encode()
        # written over the old text, then cut to its length: a reader never finds the file empty
        os.lseek(self._fd, 0, os.SEEK_SET)
        os.write(self._fd, data)
        os.ftruncate(self._fd, len(data))
        os.fsync(self._fd)

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


def _read_holder(fd: int) -> Holder:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 4096).decode("utf-8", "replace")
    except OSError:
        return Holder(None)
    lines = text.split("\n")
    try:
        pid = int(lines[0].strip()) if lines[0].strip() else None
    except ValueError:
        pid = None
    what = lines[1].strip() if len(lines) > 1 else ""
    serves = len(lines) > 2 and lines[2].strip() == SERVES
    return Holder(pid, what, serves)

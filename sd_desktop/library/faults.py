"""When the library itself fails: its disk is full, it is read-only, or its database is damaged.

SQLite reports these as error codes deep inside a write or a read. ``fault_of`` recognises them
(through peewee's wrapping) and turns them into a ``LibraryFault`` whose message is one line that
says what is wrong and what to do, naming the backup to restore from when the damage cannot be
worked around. Every other database error (a constraint, a bug) is left alone.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

# SQLite's primary result codes (the low byte of an extended code)
SQLITE_READONLY, SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 8, 10, 11, 13, 14, 26
# below this much free space, an I/O error on the library is almost always the disk filling up
LOW_SPACE = 1024 * 1024
DB_NAME = "library.db"


class LibraryError(RuntimeError):
    """A library that cannot be opened: damaged, unwritable or locked."""


class LibraryFault(LibraryError):
    """The library's database or disk failed under a read or write (full, read-only, damaged)."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind  # "full", "readonly", "io", "damaged"


def sqlite_error_of(exc: BaseException | None) -> sqlite3.Error | None:
    """The ``sqlite3`` error behind ``exc`` (peewee keeps it as ``orig``; else the chain)."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorcode", None) is not None:
            return exc
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
        seen += 1
    return None


def _code(err: sqlite3.Error) -> int:
    return (getattr(err, "sqlite_errorcode", 0) or 0) & 0xFF


def fault_of(exc: BaseException, folder: Path) -> LibraryFault | None:
    """``exc`` as a ``LibraryFault`` of the library in ``folder``, or None when it is no such fault."""
    if isinstance(exc, LibraryFault):
        return exc
    err = sqlite_error_of(exc)
    if err is None:
        return None
    code = _code(err)
    db = Path(folder) / DB_NAME
    if code == SQLITE_FULL or (code == SQLITE_IOERR and _free(folder) < LOW_SPACE):
        return full_fault(folder, str(err))
    if code in (SQLITE_READONLY, SQLITE_CANTOPEN):
        return readonly_fault(folder, str(err))
    if code == SQLITE_IOERR:
        return LibraryFault(
            f"the library database {db} cannot be read or written ({err}): check its disk, then run the command again",
            "io",
        )
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return damaged_fault(folder, f"is damaged ({err})")
    return None


def os_fault_of(exc: OSError, folder: Path) -> LibraryFault | None:
    """An ``OSError`` on the library folder (its lock file, a new database) as a fault, if it is one."""
    if exc.errno == errno.ENOSPC:
        return full_fault(folder, exc.strerror or "no space left")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return readonly_fault(folder, exc.strerror or str(exc))
    return None


def full_fault(folder: Path, detail: str) -> LibraryFault:
    return LibraryFault(
        f"cannot write to the library {folder}: its disk is full ({detail}; {_size(_free(folder))} free); "
        "free some space there, then run the command again",
        "full",
    )


def readonly_fault(folder: Path, detail: str) -> LibraryFault:
    return LibraryFault(
        f"cannot write to the library {folder} ({detail}): the library database and its folder must be "
        "writable; fix their permissions or mount, or use another --library",
        "readonly",
    )


def damaged_fault(folder: Path, what: str) -> LibraryFault:
    """The database exists but cannot be used: the message names the backup to restore from."""
    db = Path(folder) / DB_NAME
    backup = newest_backup(folder)
    # a log left beside a restored copy would be replayed into it
    logs = f"{DB_NAME}-wal and {DB_NAME}-shm"
    if backup is not None:
        import datetime as dt

        when = dt.datetime.fromtimestamp(backup.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        todo = f"with sd-desktop closed, copy the backup {backup} (from {when}) over it and delete {logs} if there"
    else:
        todo = f"no backup of it exists; restore it from your own backups, or move it and {logs} away to start afresh"
    return LibraryFault(f"the library database {db} {what}: {todo}", "damaged")


def newest_backup(folder: Path) -> Path | None:
    """The most recent backup migrations took (``library.db.v<N>.bak``), if any."""
    found = []
    for p in Path(folder).glob(f"{DB_NAME}.v*.bak"):
        try:
            if p.is_file() and p.stat().st_size > 0:
                found.append((p.stat().st_mtime, p))
        except OSError:
            continue
    return max(found)[1] if found else None


def _free(folder: Path) -> int:
    import shutil  # only once something failed: not paid by every command's start

    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 0


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"


__all__ = ["LibraryError", "LibraryFault", "damaged_fault", "fault_of", "newest_backup", "os_fault_of"]

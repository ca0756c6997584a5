"""A light, read-only way into an existing library, for commands that only read it.

``open_reader`` opens ``library.db`` with plain ``sqlite3`` in ``mode=ro``: no peewee, no writer
thread, and never the process lock, so ``location list`` or ``jobs list`` answer while the app or
another command works on the library (WAL: a reader sees the last commit and never blocks the
writer). It creates nothing: where there is no library it returns None.

It refuses what ``Library.open`` refuses, with the same one-line errors: an empty or damaged
database, a log without its database (FAULTS 21), a library written by a newer build, and a
library this process could not write (every command must be able to write: crash recovery, the
job queue). Only the healthy case is decided here: a library that is not plainly writable or not
at this build's schema is handed to ``Library.open`` itself, which takes the lock for that moment,
says exactly what is wrong, or migrates an older schema (with its backup) before the read.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sd_desktop.library.faults import DB_NAME, damaged_fault, fault_of
from sd_desktop.library.home import default_library_dir
from sd_desktop.library.migrations import LATEST

T = TypeVar("T")
BUSY_TIMEOUT_MS = 10000


class Reader:
    """A read-only connection to a library's database, with the read calls of ``Library``
    (``read_sync``, ``folder``, ``sidecar_dir``), so the library's read functions take either."""

    def __init__(self, folder: Path, conn: sqlite3.Connection):
        self.folder = folder
        self.conn = conn

    @property
    def db_path(self) -> Path:
        return self.folder / DB_NAME

    @property
    def sidecar_dir(self) -> Path:
        return self.folder / "sidecars"

    def read_sync(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(conn)`` on the read-only connection; a full, unreadable or damaged library is a
        ``LibraryFault`` as with ``Library.read_sync``."""
        try:
            return fn(self.conn)
        except sqlite3.DatabaseError as exc:
            fault = fault_of(exc, self.folder)
            if fault is None:
                raise
            raise fault from exc

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_reader(folder: Path | str | None = None) -> Reader | None:
    """A read-only connection to the library in ``folder`` (default: ``default_library_dir()``), or
    None when there is no library there (nothing is created).

    Raises ``LibraryFault``, ``SchemaTooNew``, ``LibraryLocked`` or ``OSError`` as ``Library.open``
    would: see the module's docstring for when that one is asked."""
    folder = Path(folder) if folder is not None else default_library_dir()
    db = folder / DB_NAME
    try:
        st = os.stat(db)
    except FileNotFoundError:
        if not os.path.lexists(db):
            wal = db.with_name(DB_NAME + "-wal")
            if wal.exists() and wal.stat().st_size > 0:
                raise damaged_fault(folder, f"is missing, but its write-ahead log {wal.name} is still there") from None
            return None
        st = None  # a dangling symlink: ``Library.open`` says what is wrong with it
    except OSError:  # the "folder" is a file, or cannot be searched: ``Library.open`` says so
        st = None
    if st is not None and st.st_size == 0:
        raise damaged_fault(folder, "is empty (0 bytes)")
    if st is None or not (os.access(db, os.W_OK) and os.access(folder, os.W_OK)):
        _full_open(folder)  # raises: read-only, or whatever ``Library.open`` finds
    conn = _connect(folder, db)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version != LATEST:
            # older: migrated (backup first) under the lock; newer: SchemaTooNew; 0: empty or damaged
            conn.close()
            _full_open(folder)
            conn = _connect(folder, db)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise fault_of(exc, folder) or damaged_fault(folder, f"is damaged or not a database ({exc})") from exc
    return Reader(folder, conn)


def _connect(folder: Path, db: Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(db.absolute().as_uri() + "?mode=ro", uri=True, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return conn
    except sqlite3.DatabaseError as exc:
        raise fault_of(exc, folder) or damaged_fault(folder, f"is damaged or not a database ({exc})") from exc


def _full_open(folder: Path) -> None:
    """Open and close the library the full way: ``Library.open`` raises what is wrong with it, or
    brings it to this build's schema."""
    from sd_desktop.library.library import Library

    Library.open(folder).close()

"""The Library: a folder holding ``library.db`` (SQLite, WAL) and ``sidecars/``.

All writes go through one writer thread (``write``), so SQLite never sees two writers and the
asyncio event loop never waits on disk. Readers (UI models, jobs' look-ups) open their own
connections and read concurrently thanks to WAL.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import peewee as pw
import platformdirs

from sd_desktop.library.lock import LibraryLock
from sd_desktop.library.migrations import migrate
from sd_desktop.library.models import database_proxy

T = TypeVar("T")

PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "busy_timeout": 10000,
    "cache_size": -64 * 1024,
}


class LibraryError(RuntimeError):
    """A library that cannot be opened: damaged, unwritable or locked."""


def default_library_dir() -> Path:
    """``$SD_DESKTOP_HOME`` if set, else the platform's user data dir (e.g. ~/.local/share)."""
    home = os.environ.get("SD_DESKTOP_HOME")
    if home:
        return Path(home)
    return Path(platformdirs.user_data_dir("sd-desktop", appauthor=False)) / "library"


class Library:
    def __init__(self, folder: Path, db: pw.SqliteDatabase, lock: LibraryLock | None):
        self.folder = folder
        self.db = db
        self._lock = lock
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sd-db-writer")
        self._writer_thread: threading.Thread | None = None
        self.closed = False

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, folder: Path | str | None = None, *, lock: bool = True) -> Library:
        """Open (creating and migrating as needed) the library in ``folder``.

        Raises ``LibraryLocked`` when another process owns it, ``SchemaTooNew`` for a library
        written by a newer build, ``LibraryError`` when the database is damaged.
        """
        folder = Path(folder) if folder is not None else default_library_dir()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "sidecars").mkdir(exist_ok=True)
        file_lock = LibraryLock(folder) if lock else None
        if file_lock:
            file_lock.acquire()
        try:
            db_path = folder / "library.db"
            raw = sqlite3.connect(db_path, isolation_level=None)
            try:
                raw.execute("PRAGMA journal_mode=wal")
                migrate(raw, db_path)
            except sqlite3.DatabaseError as exc:
                raise LibraryError(f"the library database {db_path} is damaged or not a database: {exc}") from exc
            finally:
                raw.close()
            db = pw.SqliteDatabase(str(db_path), pragmas=PRAGMAS, check_same_thread=False)
            database_proxy.initialize(db)
            return cls(folder, db, file_lock)
        except BaseException:
            if file_lock:
                file_lock.release()
            raise

    @property
    def db_path(self) -> Path:
        return self.folder / "library.db"

    @property
    def sidecar_dir(self) -> Path:
        return self.folder / "sidecars"

    # -- writing ---------------------------------------------------------------------------
    def _in_transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        self._writer_thread = threading.current_thread()
        try:
            with self.db.atomic("IMMEDIATE"):
                return fn(self.db.connection())
        except (pw.OperationalError, sqlite3.OperationalError) as exc:
            # On some errors (a full disk, I/O errors) SQLite rolls the transaction back itself and
            # the ROLLBACK that follows fails; surface the error that caused it, not that one.
            if "no transaction is active" in str(exc):
                cause = exc.__context__
                while cause is not None and "no transaction is active" in str(cause):
                    cause = cause.__context__
                if cause is not None:
                    raise cause from None
            raise

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(conn)`` on the writer thread inside one transaction; returns its result.

        ``fn`` may use the raw connection (bulk ``executemany``) and peewee models alike: both
        run on the writer thread's connection, inside the same transaction.
        """
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, self._in_transaction, fn)

    def write_sync(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``write`` for synchronous callers (CLI set-up, tests). Never call from the event loop."""
        return self._writer.submit(self._in_transaction, fn).result()

    def read_sync(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(conn)`` on the calling thread's own read connection."""
        return fn(self.db.connection())

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(conn)`` on a worker thread's connection (WAL: never blocked by the writer)."""
        return await asyncio.to_thread(self.read_sync, fn)

    def connect_reader(self) -> sqlite3.Connection:
        """A new read-only connection of its own (for UI item models)."""
        uri = f"file:{self.db_path}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=10000")
        return conn

    # -- closing ---------------------------------------------------------------------------
    def close(self) -> None:
        if self.closed:
            return
        self.closed = True

        def _close_writer() -> None:
            if not self.db.is_closed():
                try:
                    self.db.execute_sql("PRAGMA optimize")
                except pw.DatabaseError:
                    pass
                self.db.close()

        self._writer.submit(_close_writer).result()
        self._writer.shutdown(wait=True)
        if not self.db.is_closed():
            self.db.close()
        if self._lock:
            self._lock.release()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

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

from sd_desktop.library.faults import LibraryError, LibraryFault, damaged_fault, fault_of, os_fault_of
from sd_desktop.library.home import default_library_dir
from sd_desktop.library.lock import LibraryLock
from sd_desktop.library.migrations import migrate, restore_indexes, schema_version
from sd_desktop.library.models import database_proxy

T = TypeVar("T")

PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "busy_timeout": 10000,
    "cache_size": -64 * 1024,
}


__all__ = ["Library", "LibraryError", "default_library_dir"]


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
    def open(cls, folder: Path | str | None = None, *, lock: bool = True, holder: str = "") -> Library:
        """Open (creating and migrating as needed) the library in ``folder``.

        Raises ``LibraryLocked`` when another process owns it, ``SchemaTooNew`` for a library
        written by a newer build, ``LibraryFault`` when the database is empty, damaged or not
        writable, or its disk is full (FAULTS 18, 21). An existing database is never replaced.
        ``holder`` names this process in the lock file (``sd-desktop index``) for the message
        another process gets.
        """
        folder = Path(folder) if folder is not None else default_library_dir()
        file_lock = LibraryLock(folder, holder) if lock else None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "sidecars").mkdir(exist_ok=True)
            if file_lock:
                file_lock.acquire()
        except OSError as exc:
            fault = os_fault_of(exc, folder)
            if fault is None:
                raise
            raise fault from exc
        try:
            db_path = folder / "library.db"
            _open_database(folder, db_path)
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

    def set_serving(self, serves: bool) -> None:
        """Say in the lock file whether this process answers other commands on its socket."""
        if self._lock is not None:
            self._lock.set_serving(serves)

    @property
    def sidecar_dir(self) -> Path:
        return self.folder / "sidecars"

    # -- writing ---------------------------------------------------------------------------
    def _in_transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        self._writer_thread = threading.current_thread()
        try:
            return self._transaction(fn)
        except (pw.DatabaseError, sqlite3.DatabaseError) as exc:
            # a full disk, a read-only or damaged database: one clear message, whoever wrote
            fault = fault_of(exc, self.folder)
            if fault is None:
                raise
            raise fault from exc

    def _transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
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
        try:
            return fn(self.db.connection())
        except (pw.DatabaseError, sqlite3.DatabaseError) as exc:
            fault = fault_of(exc, self.folder)
            if fault is None:
                raise
            raise fault from exc

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(conn)`` on a worker thread's connection (WAL: never blocked by the writer)."""
        return await asyncio.to_thread(self.read_sync, fn)

    async def shrink_writer_cache(self) -> None:
        """Free the writer connection's page cache (it grows to ``cache_size`` during a big index and
        stays that size while a long-lived engine idles); the pages are read again when needed."""
        await self.write(lambda conn: conn.execute("PRAGMA shrink_memory"))

    def connect_reader(self, cache_kb: int | None = None) -> sqlite3.Connection:
        """A new read-only connection of its own (for UI item models). ``cache_kb`` caps its page
        cache (a long scan on a big library must not grow the default one)."""
        # percent-encoded: a folder named "a#b?c" is a path, not a query or a fragment
        uri = f"{self.db_path.absolute().as_uri()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=10000")
        if cache_kb is not None:
            conn.execute(f"PRAGMA cache_size = -{int(cache_kb)}")
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


def _open_database(folder: Path, db_path: Path) -> None:
    """Create the database if there is none, else check it and migrate it; raise ``LibraryFault``
    for an empty, damaged or unwritable one. Never re-creates a database that exists."""
    wal = db_path.with_name(db_path.name + "-wal")
    if not os.path.lexists(db_path):
        if wal.exists() and wal.stat().st_size > 0:
            # its log without the database: a new database beside it would have that log replayed into it
            raise damaged_fault(folder, f"is missing, but its write-ahead log {wal.name} is still there")
        _create_database(folder, db_path)
    elif os.stat(db_path).st_size == 0:
        raise damaged_fault(folder, "is empty (0 bytes)")
    try:
        raw = sqlite3.connect(db_path, isolation_level=None)
    except sqlite3.Error as exc:
        raise fault_of(exc, folder) or damaged_fault(folder, f"cannot be opened ({exc})") from exc
    try:
        raw.execute("PRAGMA journal_mode=wal")
        if schema_version(raw) == 0 and raw.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
            # new databases are made whole under another name and renamed in: this one lost its content
            raise damaged_fault(folder, "is empty (no tables)")
        migrate(raw, db_path)
        try:  # an index killed while it had set them aside (its run restores them at its end)
            restore_indexes(raw)
        except sqlite3.OperationalError:  # a full disk: queries work without them, only slower
            pass
        # every command writes (crash recovery, the job queue): refuse a read-only library up front.
        # A rewrite of page 1 that is rolled back: SQLite refuses it on a read-only file, and it
        # writes nothing (BEGIN IMMEDIATE alone succeeds on a read-only database in WAL mode).
        raw.execute("BEGIN IMMEDIATE")
        try:
            raw.execute(f"PRAGMA user_version = {schema_version(raw)}")
        finally:
            raw.execute("ROLLBACK")
    except sqlite3.DatabaseError as exc:
        fault = fault_of(exc, folder) or damaged_fault(folder, f"is damaged or not a database ({exc})")
        raise fault from exc
    finally:
        raw.close()


def _create_database(folder: Path, db_path: Path) -> None:
    """A new library database, made whole under a temporary name and renamed into place, so that an
    existing ``library.db`` is always one this build finished making (an empty one is damage)."""
    tmp = db_path.with_name(db_path.name + ".new")
    for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
        leftover.unlink(missing_ok=True)
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=wal")
            migrate(conn, None)
        finally:
            conn.close()
        if tmp.with_name(tmp.name + "-wal").exists():  # the closing checkpoint failed: not whole
            raise LibraryFault(f"could not finish creating the library database {db_path}", "io")
        os.rename(tmp, db_path)
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except (OSError, sqlite3.Error) as exc:
        for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            leftover.unlink(missing_ok=True)
        fault = os_fault_of(exc, folder) if isinstance(exc, OSError) else fault_of(exc, folder)
        if fault is None:
            raise
        raise fault from exc

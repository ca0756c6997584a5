"""The library folder: schema migrations with backups, refusal of newer schemas, the process lock."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from sd_desktop.library import SCHEMA_VERSION, Library, LibraryError, LibraryLocked, SchemaTooNew
from sd_desktop.library.locations import LocationError, add_location, find_location, list_locations
from sd_desktop.library.migrations import migrate, schema_version
from tests.conftest import REPO, cli_env


def test_new_library_has_latest_schema_wal_and_foreign_keys(library):
    conn = library.db.connection()
    assert schema_version(conn) == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"location", "entry", "content_identity", "sidecar", "job", "work_item", "hash_cache"} <= tables
    indices = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"entry_parent", "entry_content", "entry_size", "entry_inode"} <= indices
    assert (library.folder / "sidecars").is_dir()


def test_migration_from_v1_keeps_data_and_takes_a_backup(tmp_path):
    folder = tmp_path / "lib"
    folder.mkdir()
    db_path = folder / "library.db"
    conn = sqlite3.connect(db_path, isolation_level=None)
    migrate(conn, db_path, target=1)
    conn.execute("INSERT INTO location (path, name, created_at) VALUES (?, 'old', 1.0)", (b"/old/place",))
    conn.close()

    lib = Library.open(folder)
    try:
        assert schema_version(lib.db.connection()) == SCHEMA_VERSION
        rows = lib.read_sync(lambda c: c.execute("SELECT path, name FROM location").fetchall())
        assert rows == [(b"/old/place", "old")]
        assert lib.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM work_item").fetchone()[0]) == 0
    finally:
        lib.close()
    backup = folder / "library.db.v1.bak"
    assert backup.exists()
    b = sqlite3.connect(backup)
    assert schema_version(b) == 1
    assert b.execute("SELECT name FROM location").fetchall() == [("old",)]
    b.close()


def test_failed_migration_rolls_back(tmp_path):
    folder = tmp_path / "lib"
    folder.mkdir()
    db_path = folder / "library.db"
    conn = sqlite3.connect(db_path, isolation_level=None)
    migrate(conn, db_path, target=1)
    conn.execute("CREATE TABLE work_item (x INT)")  # makes migration 2 fail half-way
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, db_path)
    assert schema_version(conn) == 1
    assert conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'hash_cache'").fetchone()[0] == 0
    conn.close()


def test_newer_schema_is_refused_with_a_clear_message(tmp_path):
    folder = tmp_path / "lib"
    Library.open(folder).close()
    conn = sqlite3.connect(folder / "library.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(SchemaTooNew, match="upgrade sd_desktop"):
        Library.open(folder)
    # the refusal released the lock: a correct open works after fixing the version
    conn = sqlite3.connect(folder / "library.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.close()
    Library.open(folder).close()


def test_damaged_database_is_a_clear_error(tmp_path):
    folder = tmp_path / "lib"
    folder.mkdir()
    (folder / "library.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(LibraryError, match="damaged"):
        Library.open(folder)


def test_second_process_is_refused_with_the_owner_pid(library, library_dir):
    import os

    code = (
        "import sys\nfrom sd_desktop.library import Library, LibraryLocked\n"
        f"try:\n    Library.open({str(library_dir)!r})\nexcept LibraryLocked as e:\n    print(e); sys.exit(7)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(), cwd=REPO)
    assert proc.returncode == 7
    assert f"library in use by PID {os.getpid()}" in proc.stdout


def test_lock_is_released_by_close(library_dir):
    lib = Library.open(library_dir)
    with pytest.raises(LibraryLocked):
        Library.open(library_dir)
    lib.close()
    Library.open(library_dir).close()


def test_locations_nesting_is_refused_and_lookup_by_inner_path(library, tmp_path):
    outer = tmp_path / "outer"
    (outer / "inner" / "deep").mkdir(parents=True)
    loc = add_location(library, outer)
    assert add_location(library, outer) == loc  # idempotent
    with pytest.raises(LocationError, match="inside the location"):
        add_location(library, outer / "inner")
    assert find_location(library, outer / "inner" / "deep") == loc
    assert find_location(library, tmp_path) is None
    with pytest.raises(LocationError, match="no such folder"):
        add_location(library, tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(LocationError, match="not a folder"):
        add_location(library, tmp_path / "file")
    [info] = list_locations(library)
    assert info.name == "outer" and info.files == 0


@pytest.mark.parametrize("name", ["lib#1", "what?mode=rw", "100% mine", "ünï cödé"])
def test_a_reader_connection_opens_a_library_whose_folder_name_looks_like_a_uri(tmp_path, name):
    """The window's item models read through ``connect_reader``: a library folder whose name holds
    ``#``, ``?`` or ``%`` must open the same database, not a part of its path (or no file at all)."""
    lib = Library.open(tmp_path / name)
    try:
        lib.write_sync(lambda c: c.execute("CREATE TABLE probe (x)"))
        conn = lib.connect_reader()
        try:
            assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'probe'").fetchone() == ("probe",)
        finally:
            conn.close()
    finally:
        lib.close()

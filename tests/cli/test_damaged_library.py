"""A library database that is empty, damaged or read-only (FAULTS 21): every command ends with one
line that names the problem and the backup to restore from, exit 1, and re-creates nothing."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess

import pytest

from sd_desktop.library import Library
from sd_desktop.library.migrations import migrate
from tests.fileops.helpers import mount_tmpfs  # noqa: F401  (fixture)

PAGE = 4096


def _commands(tmp_path) -> list[tuple[str, ...]]:
    """One of each kind: reads, queue reads, a job, a copy and a delete."""
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "a.txt").write_bytes(b"kept")
    (tmp_path / "dst").mkdir(exist_ok=True)
    return [
        ("location", "list"),
        ("jobs", "list"),
        ("index", str(src)),
        ("copy", str(src / "a.txt"), str(tmp_path / "dst")),
        ("delete", str(src / "a.txt")),
    ]


def _library_with_a_backup(folder, photos) -> None:
    """A library opened at an older schema once (so a migration backup exists), with a location."""
    folder.mkdir(parents=True)
    conn = sqlite3.connect(folder / "library.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=wal")
    migrate(conn, None, target=2)
    conn.execute("INSERT INTO location (path, name, created_at) VALUES (?, 'photos', 0)", (os.fsencode(photos),))
    conn.close()


def _one_line(res) -> str:
    assert res.returncode == 1, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    return lines[0]


def test_empty_library_db_is_an_error_naming_the_backup(run_cli, tmp_path, library_dir):
    photos = tmp_path / "photos"
    photos.mkdir()
    _library_with_a_backup(library_dir, photos)
    assert run_cli("location", "list").returncode == 0  # migrates to the latest schema, taking the backup
    backup = library_dir / "library.db.v2.bak"
    assert backup.is_file()
    (library_dir / "library.db").write_bytes(b"")

    for args in _commands(tmp_path):
        line = _one_line(run_cli(*args))
        assert f"the library database {library_dir / 'library.db'} is empty (0 bytes)" in line, line
        assert f"copy the backup {backup} " in line, line
        assert (library_dir / "library.db").stat().st_size == 0  # never silently a fresh library
    assert (tmp_path / "src" / "a.txt").read_bytes() == b"kept"
    assert list((tmp_path / "dst").iterdir()) == []

    # doing what the line says brings the library back
    shutil.copyfile(backup, library_dir / "library.db")
    res = run_cli("location", "list", "--json")
    assert res.returncode == 0, res.stderr
    assert [loc["path"] for loc in res.result["output"]["locations"]] == [str(photos)]


def test_empty_library_db_without_a_backup_says_so(run_cli, tmp_path, library_dir):
    library_dir.mkdir()
    (library_dir / "library.db").write_bytes(b"")
    line = _one_line(run_cli("jobs", "list"))
    assert "is empty (0 bytes): no backup of it exists;" in line, line
    assert (library_dir / "library.db").stat().st_size == 0
    assert sorted(p.name for p in library_dir.iterdir()) == ["library.db"]  # a read: nothing made


def test_random_bytes_inside_library_db_are_an_error_naming_the_backup(run_cli, tmp_path, library_dir):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(200):
        (photos / f"picture-{i:03d}.jpg").write_bytes(os.urandom(64))
    _library_with_a_backup(library_dir, photos)
    assert run_cli("index", str(photos)).returncode == 0
    backup = library_dir / "library.db.v2.bak"
    db = library_dir / "library.db"
    size = db.stat().st_size
    assert size > 8 * PAGE
    with open(db, "r+b") as f:  # every page but the header page: the file still opens as SQLite
        f.seek(PAGE)
        f.write(os.urandom(size - PAGE))
    damaged = db.read_bytes()

    for args in _commands(tmp_path):
        line = _one_line(run_cli(*args))
        assert f"the library database {db} is damaged (database disk image is malformed)" in line, line
        assert f"copy the backup {backup} " in line, line
        assert db.read_bytes() == damaged
    assert (tmp_path / "src" / "a.txt").read_bytes() == b"kept"
    assert list((tmp_path / "dst").iterdir()) == []


def test_read_only_library_db_is_an_error(run_cli, tmp_path, library_dir):
    """A read-only bind mount of the file itself: root cannot write it either."""
    Library.open(library_dir).close()
    db = library_dir / "library.db"
    if subprocess.run(["mount", "--bind", "-o", "ro", str(db), str(db)], capture_output=True).returncode:
        pytest.skip("cannot bind-mount here (needs root)")
    try:
        before = db.read_bytes()
        for args in _commands(tmp_path):
            line = _one_line(run_cli(*args))
            assert line.startswith(f"sd-desktop: cannot write to the library {library_dir} ("), line
            assert "readonly database" in line and "must be writable" in line, line
        assert db.read_bytes() == before
    finally:
        subprocess.run(["umount", "-l", str(db)], capture_output=True)
    assert (tmp_path / "src" / "a.txt").read_bytes() == b"kept"
    assert run_cli("jobs", "list").returncode == 0


def test_library_on_a_read_only_file_system_is_an_error(run_cli, tmp_path, mount_tmpfs):  # noqa: F811
    disk = mount_tmpfs("ro", "1m")
    library = disk / "lib"
    Library.open(library).close()
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    for args in _commands(tmp_path):
        line = _one_line(run_cli(*args, library=library))
        assert line.startswith(f"sd-desktop: cannot write to the library {library} (Read-only file system)"), line
    assert (tmp_path / "src" / "a.txt").read_bytes() == b"kept"

"""``quick_answers``: ``location list --json`` and ``jobs list --json`` answered before the CLI loads
print exactly what the CLI prints, for every form of the command line it takes, and leave every
other case (no library, a damaged or newer one, a path it would have to quote) to the CLI, whose
answer is then the same one. Each case runs both ways in real processes: ``python -m sd_desktop``
(the quick path first) and the CLI's ``main`` called directly (never the quick path)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from sd_desktop.enums import JobStatus
from sd_desktop.library import SCHEMA_VERSION, Library, faults, jobstore, light_reads, reader
from sd_desktop.library.locations import add_location
from tests.conftest import REPO, cli_env

CLI_ONLY = "import sys; from sd_desktop.cli import main; sys.exit(main())"


def both(*args: str) -> tuple[tuple, tuple]:
    """``(returncode, stdout, stderr)`` of the command through the entry point and through the CLI."""
    out = []
    for head in ([sys.executable, "-m", "sd_desktop"], [sys.executable, "-c", CLI_ONLY]):
        proc = subprocess.run([*head, *args], capture_output=True, env=cli_env(), cwd=REPO, timeout=60)
        out.append((proc.returncode, proc.stdout, proc.stderr))
    return out[0], out[1]


@pytest.fixture
def populated(tmp_path):
    """A library with locations (one at a path that is not UTF-8, one named in another script) and a
    job of every status but running, with progress and errors as the engine stores them."""
    folder = tmp_path / "lib"
    odd = os.fsencode(tmp_path) + b"/caf\xe9"
    os.mkdir(odd)
    (tmp_path / "photos").mkdir()
    with Library.open(folder) as lib:
        add_location(lib, os.fsdecode(odd))
        add_location(lib, tmp_path / "photos", "Фото ✓")

        def plant(conn):
            for n, status in enumerate(s for s in JobStatus if s is not JobStatus.RUNNING):
                jobstore.insert(
                    conn,
                    name="file_copy",
                    version=1,
                    config=b"\x80",
                    config_key=f"k{n}",
                    target=f"/t/ü{n}",
                    priority=n % 2,
                    parent_id=n or None,
                    now=1000.25 + n,
                )
                progress = json.dumps({"phase": "copying", "done": n, "total": 9, "message": "é"})
                conn.execute(
                    "UPDATE job SET status = ?, progress = ?, error = ?, error_count = ? WHERE id = ?",
                    (status, progress if n % 3 else None, f"e{n}" if n else None, n, n + 1),
                )

        lib.write_sync(plant)
    return folder


@pytest.mark.parametrize(
    "form",
    [
        ("--library", "{L}", "location", "list", "--json"),
        ("--json", "location", "--library={L}", "list"),
        ("location", "list", "--json", "--library", "/nowhere", "--library", "{L}"),
        ("--library", "{L}", "jobs", "list", "--json"),
        ("jobs", "--json", "list", "--limit", "3", "--library", "{L}"),
        ("--library={L}", "jobs", "list", "--limit=0", "--json"),
    ],
)
def test_the_same_output_as_the_cli(populated, form):
    args = [a.replace("{L}", str(populated)) for a in form]
    quick, cli = both(*args)
    assert quick == cli
    assert quick[0] == 0 and json.loads(quick[1])["status"] == "completed"


def test_the_quick_read_is_the_library_read(populated):
    """Row for row what ``list_locations`` + ``to_json`` and ``history`` + ``summary`` give."""
    from sd_desktop.library.locations import list_locations

    with reader.open_reader(populated) as r:
        locations = [info.to_json() for info in list_locations(r)]
        jobs = [jobstore.summary(j) for j in r.read_sync(lambda c: jobstore.history(c, 50, output=False))]
    conn = light_reads.open_healthy(str(populated))
    assert conn is not None
    try:
        assert light_reads.location_rows(conn) == locations
        assert [list(j.items()) for j in light_reads.job_summaries(conn, 50)] == [list(j.items()) for j in jobs]
    finally:
        conn.close()
    assert (light_reads.DB_NAME, light_reads.BUSY_TIMEOUT_MS) == (faults.DB_NAME, reader.BUSY_TIMEOUT_MS)


def _newer(folder):
    Library.open(folder).close()
    conn = sqlite3.connect(folder / "library.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()


def _garbage(folder):
    folder.mkdir()
    (folder / "library.db").write_bytes(b"this is not a database" * 100)


def _empty(folder):
    folder.mkdir()
    (folder / "library.db").write_bytes(b"")


def _log_without_db(folder):
    folder.mkdir()
    (folder / "library.db-wal").write_bytes(b"x" * 100)


@pytest.mark.parametrize("make", [None, _newer, _garbage, _empty, _log_without_db])
@pytest.mark.parametrize("command", [("location", "list"), ("jobs", "list")])
def test_other_libraries_are_left_to_the_cli(tmp_path, make, command):
    folder = tmp_path / "lib"
    if make is not None:
        make(folder)
    quick, cli = both("--library", str(folder), *command, "--json")
    assert quick == cli
    assert quick[0] == (0 if make is None else 1)
    if make is None:
        assert not folder.exists()  # nothing created


def test_a_path_that_needs_quoting_and_other_lines_go_through_the_cli(populated, tmp_path):
    spaced = tmp_path / "my lib"
    os.rename(populated, spaced)
    assert light_reads.open_healthy(str(spaced)) is None
    for args in (
        ("--library", str(spaced), "location", "list", "--json"),
        ("--library", str(spaced), "jobs", "list", "--limit", "x", "--json"),
        ("--library", str(spaced), "jobs", "list", "--json", "--limit"),
        ("--lib", str(spaced), "jobs", "list", "--json"),
    ):
        quick, cli = both(*args)
        assert quick == cli

"""The library's first index builds the entry table's secondary indexes at its end (from the stored
rows) instead of keeping them up to date row by row. Whatever happens in between, the library gets
them back: at the end of the walk, when the job pauses, and when the library is opened after a
kill -9. An index beside entries of another location never sets them aside."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys

from sd_desktop.library import Library
from sd_desktop.library.entries import set_aside_indexes
from sd_desktop.library.migrations import DEFERRABLE_INDEXES, restore_indexes
from tests.conftest import REPO, cli_env
from tests.indexing.helpers import snapshot

# a first shallow index lists 4 x BATCH entries a batch: 40 here, so the 400-file tree takes a dozen
# batches and a signal sent after the second lands well before the walk's end even on a busy machine
SLOW = {"SD_DESKTOP_INDEX_BATCH": "10", "SD_DESKTOP_INDEX_DELAY_MS": "40"}
SECONDARY = sorted(DEFERRABLE_INDEXES)  # entry_cas, entry_content, entry_parent, entry_size


def cli(library, *args):
    return [sys.executable, "-m", "sd_desktop", "--library", str(library), *map(str, args)]


def entry_indexes(library) -> dict[str, str]:
    """The entry table's indexes as the file holds them (read without opening it as a library)."""
    conn = sqlite3.connect(library / "library.db")
    try:
        return dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entry'"))
    finally:
        conn.close()


def fresh_schema(tmp_path) -> dict[str, str]:
    Library.open(tmp_path / "fresh").close()
    return entry_indexes(tmp_path / "fresh")


def stop_during_discovery(library, tree, sig: int, nth: int = 2) -> subprocess.Popen:
    proc = subprocess.Popen(
        cli(library, "index", tree, "--mode", "shallow", "--json"),
        stdout=subprocess.PIPE,
        text=True,
        env=cli_env(SLOW),
        cwd=REPO,
    )
    seen = 0
    for line in proc.stdout:
        obj = json.loads(line)
        assert obj.get("event") != "result", "the run ended before it was stopped"
        if obj.get("event") == "progress" and obj.get("phase") == "discovery":
            seen += 1
            if seen >= nth:
                proc.send_signal(sig)
                break
    proc.stdout.read()
    proc.wait(timeout=60)
    proc.stdout.close()
    return proc


def run(library, *args) -> dict:
    proc = subprocess.run(cli(library, *args, "--json"), capture_output=True, text=True, env=cli_env(), cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_set_aside_and_restored_indexes_are_the_schemas(tmp_path, library):
    schema = fresh_schema(tmp_path)
    set_aside_indexes_and_back = library.write_sync(lambda c: (set_aside_indexes(c), restore_indexes(c))[1])
    assert set_aside_indexes_and_back == 4
    assert entry_indexes(library.folder) == schema
    assert library.write_sync(restore_indexes) == 0  # nothing missing: nothing built


def test_killed_first_index_leaves_them_aside_until_the_library_opens(small_corpus, tmp_path):
    library, tree = tmp_path / "lib", small_corpus / "tree"
    schema = fresh_schema(tmp_path)
    proc = stop_during_discovery(library, tree, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    aside = entry_indexes(library)
    assert sorted(set(schema) - set(aside)) == SECONDARY  # the walk was inserting without them
    assert "entry_inode" in aside

    Library.open(library).close()  # any command opening the library builds them again
    assert entry_indexes(library) == schema
    out = run(library, "index", tree, "--mode", "shallow")  # the same job resumes and finishes
    assert out["status"] == "completed"
    assert entry_indexes(library) == schema

    reference = tmp_path / "reference"
    run(reference, "index", tree, "--mode", "shallow")
    lib, ref = Library.open(library), Library.open(reference)
    try:
        assert snapshot(lib) == snapshot(ref)
        assert lib.read_sync(lambda c: c.execute("PRAGMA integrity_check").fetchone()[0]) == "ok"
    finally:
        lib.close()
        ref.close()


def test_a_paused_first_index_gives_them_back(small_corpus, tmp_path):
    library = tmp_path / "lib"
    schema = fresh_schema(tmp_path)
    proc = stop_during_discovery(library, small_corpus / "tree", signal.SIGINT)
    assert proc.returncode == 3  # paused
    assert entry_indexes(library) == schema


def test_an_index_beside_another_location_keeps_them(small_corpus, tmp_path):
    library = tmp_path / "lib"
    schema = fresh_schema(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.txt").write_text("a")
    run(library, "index", other, "--mode", "shallow")
    proc = stop_during_discovery(library, small_corpus / "tree", signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    assert entry_indexes(library) == schema  # never set aside: the other location's queries keep them

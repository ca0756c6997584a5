"""The unchanged-tree check's walk starts before its modules are imported and its library is read
(``duplicate_detection.walk_ahead``: a forked process), lists what the check's own walk lists, and
is stopped (its process reaped) whatever the check decides."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from sd_desktop import quick_answers
from sd_desktop.library import light_reads
from sd_desktop.ops.files import file_listing
from sd_desktop.ops.files.duplicate_detection import unchanged, walk_ahead
from sd_desktop.ops.files.duplicate_detection.config import DuplicateConfig
from sd_desktop.ops.files.duplicate_detection.walk_ahead import WalkAhead
from sd_desktop.ops.files.file_listing import ScanFilter, digest_of, filter_fields, resolve_roots, walk_threaded
from sd_desktop.volumes import backend
from tests.conftest import REPO, cli_env

# the entry point, and the processes this one has when the check's module is imported
WATCH = """
import glob, importlib.abc, json, os, sys
out, sys.argv = sys.argv[1], ["sd-desktop", *sys.argv[2:]]
seen = {}
# the check's module, and what the listing needs (imported after the fork: the walk does not wait for them)
WATCHED = {"sd_desktop.commands.duplicates_unchanged", "sd_desktop.ops.files.file_listing", "msgpack", "blake3"}


def record():
    with open(out, "w") as f:
        json.dump(seen, f)


end_now = os._exit


def recorded_exit(code):  # a command may end the process at once (``sd_desktop.quick_exit``)
    record()
    end_now(code)


os._exit = recorded_exit


class Watch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name in WATCHED and name not in seen:
            kids = [open(f).read().split() for f in glob.glob("/proc/self/task/*/children")]
            seen[name] = [int(pid) for each in kids for pid in each]
        return None


sys.meta_path.insert(0, Watch())
from sd_desktop.__main__ import main
code = main()
record()
sys.exit(code)
"""


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "empty").mkdir()
    for name, data in {"a.txt": b"same", "sub/b.txt": b"same", "sub/deeper/c.bin": b"other", "e": b""}.items():
        (root / name).write_bytes(data)
    return root


def children() -> set[int]:
    """This process's child processes (not yet reaped; other tests' engines may have left some)."""
    return {int(pid) for task in Path("/proc/self/task").iterdir() for pid in (task / "children").read_text().split()}


def cli(*args: str) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "sd_desktop", *args]
    return subprocess.run(argv, capture_output=True, text=True, env=cli_env(), cwd=REPO, timeout=120)


def watched_search_again(tree, tmp_path) -> dict:
    """A search of ``tree``, then the same search again (unchanged) run under ``WATCH``: what it saw."""
    library = tmp_path / "lib"
    assert cli("--library", str(library), "duplicates", str(tree), "--json").returncode == 0
    out = tmp_path / "seen.json"
    argv = [sys.executable, "-c", WATCH, str(out), "--library", str(library), "duplicates", str(tree), "--json"]
    proc = subprocess.run(argv, capture_output=True, text=True, env=cli_env(), cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1])["output"]["unchanged_since"] is not None
    return json.loads(out.read_text())


def test_the_walk_is_under_way_before_the_check_is_imported(tree, tmp_path):
    seen = watched_search_again(tree, tmp_path)
    # one process forked already (walking, or done with a small tree: not reaped before the check ends)
    assert len(seen["sd_desktop.commands.duplicates_unchanged"]) == 1


def test_the_walk_is_forked_before_the_listings_modules_are_imported(tree, tmp_path):
    """Cold, reading the listing's modules (and msgpack's, blake3's) took 0.1 s: the walking process
    is forked before this process imports any of them, and imports only what it needs itself."""
    seen = watched_search_again(tree, tmp_path)
    for name in ("sd_desktop.ops.files.file_listing", "msgpack", "blake3"):
        assert len(seen[name]) == 1, name


def test_no_library_no_walk(tree, tmp_path):
    """The first search is the job's: nothing is walked ahead of it (nor is the check imported)."""
    before = threading.active_count(), children()
    assert quick_answers.answer(["--library", str(tmp_path / "none"), "duplicates", str(tree), "--json"]) is None
    assert (threading.active_count(), children()) == before
    assert not (tmp_path / "none").exists()


def test_it_lists_what_the_checks_own_walk_lists(tree, tmp_path):
    single = tmp_path / "single.bin"  # a root that is a file
    single.write_bytes(b"one")
    # what the listing leaves out or takes as it is: links, a FIFO, hidden names, an empty file
    (tree / "sub" / ".hidden").write_bytes(b"seen")
    (tree / ".dot").mkdir()
    (tree / ".dot" / "f").write_bytes(b"f")
    (tree / "link").symlink_to(tree / "a.txt")
    (tree / "dirlink").symlink_to(tree / "sub")
    os.mkfifo(tree / "sub" / "fifo")
    given = [tree, tree / "sub", single]
    before = children()
    ahead = WalkAhead([str(p) for p in given])
    try:
        listed = dict(ahead.folders())
    finally:
        ahead.stop()
    assert children() == before
    roots = resolve_roots(given)
    packb = __import__("msgpack").packb
    own = {folder: digest_of(packb(rows)) for folder, rows in walk_threaded(roots, ScanFilter(), [], print)}
    assert listed == own and len(listed) == 6  # 5 folders and the file
    settings = unchanged.walk_settings(DuplicateConfig(search_paths=given), unchanged.DuplicateMode.CONTENT)
    assert ahead.settings == (filter_fields(settings.flt), settings.roots, settings.references)
    assert (ahead.failed, ahead.broken, ahead.ended) == ([], False, True)  # ended by itself: not killed


def test_what_it_could_not_read_is_reported():
    """An unreadable folder ends the walk (the job reports it, running its own walk): the check
    gets the path and takes nothing. Walked as another user, for whom the folder is closed."""
    root = Path(tempfile.mkdtemp(prefix="walk-ahead-"))  # not under pytest's root-only folder
    try:
        root.chmod(0o755)
        (root / "open").mkdir()
        (root / "open" / "a.txt").write_bytes(b"a")
        locked = root / "locked"
        locked.mkdir(mode=0o700)
        (locked / "b.txt").write_bytes(b"b")
        script = (
            "import sys\n"
            "from sd_desktop.ops.files.duplicate_detection.walk_ahead import WalkAhead\n"
            "a = WalkAhead([sys.argv[1]])\n"
            "list(a.folders())\n"
            "a.stop()\n"
            "print(a.failed, a.broken)\n"
        )
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", script, str(root)]
        proc = subprocess.run(argv, capture_output=True, text=True, env=cli_env(), cwd="/", timeout=60)
    finally:
        shutil.rmtree(root)
    assert proc.stdout == f"[{bytes(locked)!r}] False\n", proc.stderr


def test_stopped_early_it_ends_its_process(tree):
    before = threading.active_count(), children()
    ahead = WalkAhead([str(tree)])
    assert len(children() - before[1]) == 1
    assert not ahead.ended
    ahead.stop()
    assert (threading.active_count(), children()) == before


def test_a_changed_tree_leaves_no_process_behind(tree, tmp_path):
    """The check stops at the first folder that differs; the walk's process is ended and reaped
    before the CLI (whose job starts processes) takes over."""
    library = tmp_path / "lib"
    assert cli("--library", str(library), "duplicates", str(tree), "--json").returncode == 0
    (tree / "sub" / "new.txt").write_bytes(b"same")
    before = threading.active_count(), children()
    assert quick_answers.answer(["--library", str(library), "duplicates", str(tree), "--json"]) is None
    assert (threading.active_count(), children()) == before


def test_constants_it_shares():
    assert walk_ahead.THREADS == unchanged.THREADS
    # the walking process lists as ``file_listing`` does without importing it
    assert walk_ahead.FILTER_FIELDS == filter_fields(ScanFilter())
    assert walk_ahead.DIGEST_BYTES == file_listing.DIGEST_BYTES
    assert walk_ahead.DIR_FLAGS == backend.DIR_FLAGS
    assert quick_answers.DB_NAME == light_reads.DB_NAME


def test_the_result_line_is_the_json_of_the_whole_result():
    """The output's JSON is made while the walk runs and put in the result line as it is: the line
    is the text ``json.dumps`` makes of the whole result object, as ``emit_json`` writes it."""
    from sd_desktop.commands import duplicates_unchanged
    from sd_desktop.jobs import codec
    from sd_desktop.jsonable import to_jsonable
    from sd_desktop.ops.files.duplicate_detection.unchanged import Unchanged

    for output in (
        {"groups": [{"paths": ["/t/a", "/t/\u00e9"], "size": 3}], "unchanged_since": 1.5, "note": ""},
        {"groups": [{"paths": ["/t/caf\udce9.txt"], "size": 1}], "stages": {"cache_hits": 2}},  # not UTF-8
    ):
        text = duplicates_unchanged._output_json(Unchanged(codec.pack(output), []))
        whole = {
            "event": "result",
            "job_id": 12,
            "name": "duplicate_detection",
            "status": "completed",
            "output": output,
            "errors": [],
            "error_count": 0,
            "error": None,
        }
        expected = __import__("json").dumps(to_jsonable(whole), ensure_ascii=False) + "\n"
        assert duplicates_unchanged._result_line(12, text) == expected

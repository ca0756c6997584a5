"""The unchanged-tree check's walk starts before its modules are imported and its library is read
(``duplicate_detection.walk_ahead``), lists what the check's own walk lists, and is stopped (its
threads ended) whatever the check decides."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from sd_desktop import quick_answers
from sd_desktop.library import light_reads
from sd_desktop.ops.files.duplicate_detection import unchanged, walk_ahead
from sd_desktop.ops.files.duplicate_detection.config import DuplicateConfig
from sd_desktop.ops.files.duplicate_detection.walk_ahead import WalkAhead
from sd_desktop.ops.files.file_listing import ScanFilter, digest_of, filter_fields, resolve_roots, walk_threaded
from tests.conftest import REPO, cli_env

# the check's threads, as the entry point starts them: which are alive when the check's module is imported
WATCH = """
import importlib.abc, json, os, sys, threading
out, sys.argv = sys.argv[1], ["sd-desktop", *sys.argv[2:]]
seen = {}


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
        if name == "sd_desktop.commands.duplicates_unchanged" and name not in seen:
            seen[name] = sorted({t.name for t in threading.enumerate()})
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


def cli(*args: str) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "sd_desktop", *args]
    return subprocess.run(argv, capture_output=True, text=True, env=cli_env(), cwd=REPO, timeout=120)


def test_the_walk_is_under_way_before_the_check_is_imported(tree, tmp_path):
    library = tmp_path / "lib"
    assert cli("--library", str(library), "duplicates", str(tree), "--json").returncode == 0
    out = tmp_path / "seen.json"
    argv = [sys.executable, "-c", WATCH, str(out), "--library", str(library), "duplicates", str(tree), "--json"]
    proc = subprocess.run(argv, capture_output=True, text=True, env=cli_env(), cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1])["output"]["unchanged_since"] is not None
    assert "sd-walk-ahead" in json.loads(out.read_text())["sd_desktop.commands.duplicates_unchanged"]


def test_no_library_no_walk(tree, tmp_path):
    """The first search is the job's: nothing is walked ahead of it (nor is the check imported)."""
    before = threading.active_count()
    assert quick_answers.answer(["--library", str(tmp_path / "none"), "duplicates", str(tree), "--json"]) is None
    assert threading.active_count() == before
    assert not (tmp_path / "none").exists()


def test_it_lists_what_the_checks_own_walk_lists(tree):
    ahead = WalkAhead([str(tree), str(tree / "sub")])
    try:
        listed = dict(ahead.folders())
    finally:
        ahead.stop()
    flt = ScanFilter()
    roots = resolve_roots([tree, tree / "sub"])
    own = {
        folder: digest_of(__import__("msgpack").packb(rows)) for folder, rows in walk_threaded(roots, flt, [], print)
    }
    assert listed == own and len(listed) == 4
    settings = unchanged.walk_settings(
        DuplicateConfig(search_paths=[tree, tree / "sub"]), unchanged.DuplicateMode.CONTENT
    )
    assert ahead.settings == (filter_fields(settings.flt), settings.roots, settings.references)
    assert (ahead.failed, ahead.broken) == ([], False)


def test_stopped_early_it_ends_its_threads(tree):
    before = threading.active_count()
    ahead = WalkAhead([str(tree)])
    ahead.stop()
    assert threading.active_count() == before


def test_a_changed_tree_leaves_no_thread_behind(tree, tmp_path):
    """The check stops at the first folder that differs; the walk's threads end before the CLI
    (whose job starts processes) takes over."""
    library = tmp_path / "lib"
    assert cli("--library", str(library), "duplicates", str(tree), "--json").returncode == 0
    (tree / "sub" / "new.txt").write_bytes(b"same")
    before = threading.active_count()
    assert quick_answers.answer(["--library", str(library), "duplicates", str(tree), "--json"]) is None
    assert threading.active_count() == before


def test_constants_it_shares():
    assert walk_ahead.THREADS == unchanged.THREADS
    assert quick_answers.DB_NAME == light_reads.DB_NAME

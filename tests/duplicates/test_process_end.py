"""A duplicate search, done, ends its process without finalising the interpreter (``sd_desktop.quick_exit``):
the same lines, the same exit code, the run recorded and its result kept, and nothing run at exit.

Each run is a real process of the console script's code (``from sd_desktop.__main__ import main``)
with one ``atexit`` handler of the test's: it writes a file if the interpreter is finalised."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

from tests.conftest import REPO, cli_env

ENTRY = """
import atexit, sys
flag, sys.argv = sys.argv[1], ["sd-desktop", *sys.argv[2:]]
atexit.register(lambda: open(flag, "w").write("finalised"))
from sd_desktop.__main__ import main
sys.exit(main())
"""


def run(tmp_path, *args: str) -> tuple[subprocess.CompletedProcess, bool]:
    """The process's result, and whether the interpreter was finalised (the ``atexit`` handler ran)."""
    flag = tmp_path / "finalised"
    flag.unlink(missing_ok=True)
    argv = [sys.executable, "-c", ENTRY, str(flag), *args]
    proc = subprocess.run(argv, capture_output=True, text=True, env=cli_env(), cwd=REPO, timeout=120)
    return proc, flag.exists()


def tree_of(root):
    root.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (root / name).write_bytes(b"the same bytes")
    (root / "other.txt").write_bytes(b"something else")
    return root


def result(stdout: str) -> dict:
    last = json.loads(stdout.splitlines()[-1])
    assert last["event"] == "result"
    return last


def jobs(library) -> list[tuple]:
    with sqlite3.connect(library / "library.db") as conn:
        return conn.execute("SELECT id, name, status FROM job ORDER BY id").fetchall()


def test_a_search_ends_without_finalising_and_keeps_its_run(tmp_path, library_dir):
    tree = tree_of(tmp_path / "tree")
    lib = ["--library", str(library_dir)]
    proc, finalised = run(tmp_path, *lib, "duplicates", str(tree), "--json")
    assert (proc.returncode, finalised, proc.stderr) == (0, False, "")
    first = result(proc.stdout)
    assert [sorted(g["paths"]) for g in first["output"]["groups"]] == [
        [str(tree / n) for n in ("a.txt", "b.txt", "c.txt")]
    ]
    assert first["output"]["unchanged_since"] is None
    assert jobs(library_dir) == [(1, "duplicate_detection", "completed")]
    # its result was kept: the same search again takes it (the quick path, which ends so too)
    proc, finalised = run(tmp_path, *lib, "duplicates", str(tree), "--json")
    assert (proc.returncode, finalised, proc.stderr) == (0, False, "")
    again = result(proc.stdout)
    assert again["output"]["unchanged_since"] is not None
    assert again["output"]["groups"] == first["output"]["groups"]
    assert jobs(library_dir) == [(1, "duplicate_detection", "completed"), (2, "duplicate_detection", "completed")]
    with sqlite3.connect(library_dir / "library.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_a_failed_search_ends_so_with_its_exit_code(tmp_path, library_dir):
    tree = tree_of(tmp_path / "tree")
    export = tmp_path / "no such folder" / "out.json"
    proc, finalised = run(tmp_path, "--library", str(library_dir), "duplicates", str(tree), "--export", str(export))
    assert (proc.returncode, finalised) == (1, False)
    assert proc.stderr.startswith(f"sd-desktop: cannot export to {export}: ")
    assert proc.stdout == ""
    assert jobs(library_dir) == [(1, "duplicate_detection", "completed")]


def test_a_usage_error_ends_as_every_command_does(tmp_path, library_dir):
    """An error raised through the CLI is not a command that finished: the interpreter ends as usual."""
    tree = tree_of(tmp_path / "tree")
    proc, finalised = run(tmp_path, "--library", str(library_dir), "duplicates", str(tree), "--min-size", "-1")
    assert (proc.returncode, finalised) == (2, True)
    assert proc.stderr == "sd-desktop: error: --min-size must be >= 0 and --max-size >= --min-size\n"

"""kill -9 in each phase, then the same command again: the library equals an uninterrupted run
(FAULTS 15), and the resumed job's counters neither repeat nor skip work. SIGINT pauses (exit 3)
and ``jobs resume`` finishes the same job.

A first content index identifies files while it lists them (discovery), so its content phase only
retries leftovers; the content-phase cases therefore run ``--mode content`` over a library that a
shallow index filled first, where the content phase identifies every file."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys

import pytest

from sd_desktop.library import Library
from tests.conftest import REPO, cli_env
from tests.indexing.helpers import snapshot

SLOW = {"SD_DESKTOP_INDEX_BATCH": "40", "SD_DESKTOP_INDEX_HASH_BATCH": "16", "SD_DESKTOP_INDEX_DELAY_MS": "40"}
COUNTERS = ("files", "dirs", "symlinks", "bytes", "entries_written", "new", "hashed", "hashed_bytes", "deleted")


def cli(library, *args):
    return [sys.executable, "-m", "sd_desktop", "--library", str(library), *map(str, args)]


def run(library, *args, env=None):
    proc = subprocess.run(cli(library, *args), capture_output=True, text=True, env=cli_env(env), timeout=120, cwd=REPO)
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.strip()]
    return proc.returncode, lines, proc.stderr


def kill_during(library, tree, phase: str, nth: int, *args: str) -> int:
    """Start ``index TREE [ARGS]`` and SIGKILL it at the ``nth`` progress line of ``phase``; returns the job id."""
    proc = subprocess.Popen(
        cli(library, "index", tree, "--json", *args), stdout=subprocess.PIPE, text=True, env=cli_env(SLOW), cwd=REPO
    )
    seen = 0
    job_id = None
    try:
        for line in proc.stdout:
            obj = json.loads(line)
            job_id = obj.get("job_id", job_id)
            if obj.get("event") == "progress" and obj.get("phase") == phase:
                seen += 1
                if seen >= nth:
                    proc.send_signal(signal.SIGKILL)
                    break
            if obj.get("event") == "result":
                pytest.fail(f"the run ended before the kill point ({phase} #{nth})")
    finally:
        proc.wait(timeout=60)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    return job_id


def db_state(library):
    lib = Library.open(library)
    try:
        rows = snapshot(lib)
        contents = lib.read_sync(
            lambda c: sorted(c.execute("SELECT cas_id, size, kind, mime FROM content_identity").fetchall())
        )
    finally:
        lib.close()
    return rows, contents


def shallow_first(library, tree) -> None:
    code, _lines, err = run(library, "index", tree, "--mode", "shallow", "--json")
    assert code == 0, err


@pytest.fixture(scope="module")
def reference(small_corpus, tmp_path_factory):
    library = tmp_path_factory.mktemp("reference") / "lib"
    code, lines, err = run(library, "index", small_corpus / "tree", "--json")
    assert code == 0, err
    return lines[-1]["output"], db_state(library)


@pytest.fixture(scope="module")
def reference_after_shallow(small_corpus, tmp_path_factory):
    library = tmp_path_factory.mktemp("reference2") / "lib"
    shallow_first(library, small_corpus / "tree")
    code, lines, err = run(library, "index", small_corpus / "tree", "--json")
    assert code == 0, err
    assert lines[-1]["output"]["hashed"] > 0 and lines[-1]["output"]["new"] == 0
    return lines[-1]["output"], db_state(library)


@pytest.mark.parametrize(("phase", "nth"), [("discovery", 1), ("discovery", 3), ("content", 1), ("content", 4)])
def test_kill_then_rerun_equals_uninterrupted(small_corpus, tmp_path, request, phase, nth):
    library = tmp_path / "lib"
    tree = small_corpus / "tree"
    if phase == "content":
        shallow_first(library, tree)
        reference = request.getfixturevalue("reference_after_shallow")
    else:
        reference = request.getfixturevalue("reference")
    killed_id = kill_during(library, tree, phase, nth)

    check = sqlite3.connect(library / "library.db")
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    status, state = check.execute("SELECT status, state FROM job WHERE id = ?", (killed_id,)).fetchone()
    check.close()
    assert status == "running" and state is not None  # died mid-run with a checkpoint to resume from

    code, lines, err = run(library, "index", tree, "--json")
    assert code == 0, err
    result = lines[-1]
    assert result["job_id"] == killed_id  # the same job continued, not a new one
    ref_out, ref_db = reference
    assert {k: result["output"][k] for k in COUNTERS} == {k: ref_out[k] for k in COUNTERS}
    assert db_state(library) == ref_db


def test_sigint_pauses_and_jobs_resume_finishes(small_corpus, tmp_path, reference_after_shallow):
    library = tmp_path / "lib"
    tree = small_corpus / "tree"
    shallow_first(library, tree)
    reference = reference_after_shallow
    proc = subprocess.Popen(
        cli(library, "index", tree, "--json"), stdout=subprocess.PIPE, text=True, env=cli_env(SLOW), cwd=REPO
    )
    lines = []
    for line in proc.stdout:
        obj = json.loads(line)
        lines.append(obj)
        if obj.get("event") == "progress" and obj.get("phase") == "content" and len(lines) > 2:
            proc.send_signal(signal.SIGINT)
            break
    lines += [json.loads(x) for x in proc.stdout.read().splitlines() if x.strip()]
    proc.wait(timeout=60)
    proc.stdout.close()
    assert proc.returncode == 3
    assert lines[-1]["status"] == "paused"
    job_id = lines[-1]["job_id"]
    code, out, err = run(library, "jobs", "resume", job_id, "--json")
    assert code == 0, err
    ref_out, ref_db = reference
    assert {k: out[-1]["output"][k] for k in COUNTERS} == {k: ref_out[k] for k in COUNTERS}
    assert db_state(library) == ref_db

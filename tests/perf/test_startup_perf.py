"""Start-up as a person runs it: ``sd-desktop --version``, ``location list`` and ``jobs list``, each a
whole process (interpreter start, imports, library open, output, exit; no engine running), run
alternately with a bare interpreter start (``python -c pass``, the same interpreter), warm and cold.

Goals: each command <= 5x the bare start warm, <= 2.5x cold (the figure of this run; MET / NOT MET).
Library: 3 locations, one indexed (2,000 files, shallow), and 1,000 jobs of every finished and
waiting status (the listing shows the newest 50). Untimed, each command's imports are profiled
(``PYTHONPROFILEIMPORTTIME``, as ``-X importtime``): the total time spent importing, the number of
modules, and the imports that cost most (cumulative, with what they import).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sd_desktop import __version__
from sd_desktop.enums import JobStatus
from sd_desktop.library import Library, jobstore
from sd_desktop.library.locations import STATS_SQL, add_location
from tests.perf.harness import Goal, Report, Step, can_drop_caches, checkout_env, measure, run_once, sd_desktop

pytestmark = [pytest.mark.perf, pytest.mark.timeout(900)]
RUNS = 5
GOALS = {"warm": Goal("<=", 5.0), "cold": Goal("<=", 2.5)}
JOBS = 1000
STATUSES = [JobStatus.COMPLETED] * 6 + [
    JobStatus.COMPLETED_WITH_ERRORS,
    JobStatus.FAILED,
    JobStatus.CANCELLED,
    JobStatus.PAUSED,
    JobStatus.QUEUED,
]


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("startup")
    folder = base / "lib"
    trees = [base / name for name in ("photos", "documents", "music")]
    for tree in trees:
        tree.mkdir()
    for d in range(20):  # 2,000 small files in 20 folders
        sub = trees[0] / f"d{d:02d}"
        sub.mkdir()
        for f in range(100):
            (sub / f"f{f:03d}.txt").write_bytes(b"x" * (f + 1))
    with Library.open(folder) as lib:
        for tree in trees:
            add_location(lib, tree)

        def plant(conn):
            for n in range(JOBS):
                status = STATUSES[n % len(STATUSES)]
                job_id = jobstore.insert(
                    conn,
                    name="file_copy",
                    version=1,
                    config=b"\x80",
                    config_key=f"k{n}",
                    target=f"{trees[1]}/item-{n}",
                    priority=0,
                    parent_id=None,
                    now=1_700_000_000.0 + n,
                )
                progress = json.dumps({"phase": "copying", "done": n, "total": n, "message": ""})
                conn.execute(
                    "UPDATE job SET status = ?, progress = ?, output = ?, finished_at = ? WHERE id = ?",
                    (status, progress, b"\x80", 1_700_000_000.0 + n if status.finished else None, job_id),
                )

        lib.write_sync(plant)
    index = [*sd_desktop(), "--library", folder, "index", trees[0], "--mode", "shallow"]
    run_once(Step("index", index, checkout_env()))
    return folder


def steps(library: Path) -> list[Step]:
    env = checkout_env()

    def version(out: str) -> None:
        assert out == f"sd-desktop {__version__}\n", out

    def locations(out: str) -> None:
        rows = json.loads(out)["output"]["locations"]
        assert sorted(r["files"] for r in rows) == [0, 0, 2000], rows

    def jobs(out: str) -> None:
        listed = json.loads(out)["output"]["jobs"]
        # the newest 50: the index job that filled the first location, then the planted ones
        assert [j["id"] for j in listed] == list(range(JOBS + 1, JOBS + 1 - 50, -1))

    cmd = [*sd_desktop(), "--library", library]
    return [
        Step("sd-desktop --version", [*sd_desktop(), "--version"], env, check=version),
        Step("sd-desktop location list --json", [*cmd, "location", "list", "--json"], env, check=locations),
        Step("sd-desktop jobs list --json", [*cmd, "jobs", "list", "--json"], env, check=jobs),
        Step("raw location list", [sys.executable, "-c", RAW_LIST, library, STATS_SQL], env, check=locations),
        Step("python -c pass", [sys.executable, "-c", "pass"], env),
    ]


# ``location list --json`` without sd_desktop: the standard modules a command needs (argparse, json,
# sqlite3, pathlib), the database opened read-only and the same query printed. Ours / this is what
# our own code adds; this / ``python -c pass`` is what no start-up of a Python command can avoid.
RAW_LIST = """
import argparse, json, os, sqlite3, sys
from pathlib import Path
args = argparse.ArgumentParser().parse_args([])
db = Path(sys.argv[1], "library.db")
conn = sqlite3.connect(db.absolute().as_uri() + "?mode=ro", uri=True)
rows = [{"id": r[0], "path": os.fsdecode(r[1]), "files": r[6]} for r in conn.execute(sys.argv[2])]
print(json.dumps({"event": "result", "output": {"locations": rows}}))
"""


def import_profile(step: Step, top: int = 8) -> str:
    """What ``step``'s process imports: total, count and the costliest imports (cumulative ms)."""
    env = dict(step.env or os.environ, PYTHONPROFILEIMPORTTIME="1")
    proc = subprocess.run([os.fspath(a) for a in step.argv], capture_output=True, text=True, env=env, check=True)
    rows = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            self_us, cumulative, name = line.split(":", 1)[1].split("|")
            rows.append((int(cumulative), int(self_us), name.strip()))
    total = sum(r[1] for r in rows) / 1000
    costly = ", ".join(f"{name} {cum / 1000:.1f}" for cum, _, name in sorted(rows, reverse=True)[:top])
    return f"imports of {step.label}: {total:.1f} ms in {len(rows)} modules; top (cumulative ms): {costly}"


@pytest.mark.parametrize("cache", ["warm", "cold"])
def test_startup_vs_bare_interpreter(library, cache):
    if cache == "cold" and not can_drop_caches():
        pytest.skip("cold runs need root (/proc/sys/vm/drop_caches)")
    todo = steps(library)
    if cache == "cold":
        for step in todo:  # bytecode written and checked once (warm runs do it in their warm-up)
            run_once(step)
    *ours, raw, floor = measure(todo, RUNS, cache)
    report = Report(f"start-up, whole processes, {cache}: commands vs a bare interpreter start")
    report.note(f"command: {' '.join(map(str, todo[0].argv[:-1]))} ...")
    report.series(*ours, raw, floor)
    for series in ours:
        report.ratio(f"{series.label} / python -c pass", series, floor, goal=GOALS[cache])
    report.ratio("raw location list / python -c pass (no goal: the floor's own share)", raw, floor)
    report.ratio("sd-desktop location list / raw location list (what our code adds)", ours[1], raw)
    if cache == "warm":
        for step in todo:
            report.note(import_profile(step))
    report.print()

"""Indexing as a person runs it: whole ``sd-desktop index`` processes against floors run the same way.

* shallow index of the 200,000-file tree (``small200k``, 216,767 entries):
  ``sd-desktop --library L index TREE --mode shallow --json``, L emptied before each run, against
  ``_index_floor.py TREE DB`` (one Python process: ``os.scandir`` walk + ``lstat`` + one raw
  ``executemany`` into SQLite with 3 indices). Goal: ours <= 1.5x the floor.
* content index of a 30,000-file tree (``std30k``): ``--mode content`` against ``_index_floor.py
  TREE DB --cas`` (the same walk + the sampled cas_id of every non-empty file). Goal: <= 1.8x.

Both warm (the page cache holds the tree), alternating run by run, medians of
``SD_DESKTOP_PERF_ROUNDS`` (default 5) with the spread (``harness.py``). No engine runs: the
console script does the whole job in its own process. Every run is checked: ours must write every
entry the floor wrote (content: identify every non-empty file the floor identified).
Corpora: ``tests/support/make_corpus.py`` into ``SD_DESKTOP_PERF_CACHE`` (kept between runs).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.perf.harness import Goal, Report, Step, checkout_env, measure, sd_desktop
from tests.perf.test_indexer_perf import corpus, warm

pytestmark = [pytest.mark.perf, pytest.mark.timeout(1800)]
RUNS = int(os.environ.get("SD_DESKTOP_PERF_ROUNDS", "5"))
FLOOR = Path(__file__).with_name("_index_floor.py")


@pytest.fixture(scope="module")
def tree200k(tmp_path_factory) -> Path:
    return corpus(tmp_path_factory, "small200k", ["--files", "200000", "--seed", "2", "--profile", "small"])


@pytest.fixture(scope="module")
def tree30k(tmp_path_factory) -> Path:
    return corpus(tmp_path_factory, "std30k", ["--files", "30000", "--seed", "1", "--images", "200"])


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def steps(tree: Path, work: Path, mode: str, seen: dict) -> list[Step]:
    library, db = work / "lib", work / "floor.db"

    def fresh_library() -> None:
        shutil.rmtree(library, ignore_errors=True)

    def fresh_db() -> None:
        for f in work.glob("floor.db*"):
            f.unlink()

    def check_floor(stdout: str) -> None:
        seen["floor"] = last_json(stdout)

    def check_ours(stdout: str) -> None:
        result = last_json(stdout)
        assert result.get("event") == "result" and result["status"] == "completed", result
        out = result["output"]
        seen["ours"] = out
        floor = seen.get("floor")
        if floor is not None:  # the floor's root row is ours too (``entries_written`` counts it)
            assert out["entries_written"] == floor["entries"], (out, floor)
            if mode == "content":
                assert out["hashed"] == floor["identified"], (out, floor)

    env = checkout_env()
    ours = Step(
        f"sd-desktop index --mode {mode}",
        [*sd_desktop(), "--library", library, "index", tree, "--mode", mode, "--json"],
        env=env,
        before=fresh_library,
        check=check_ours,
        cwd=work,
    )
    floor_args = [sys.executable, FLOOR, tree, db] + (["--cas"] if mode == "content" else [])
    floor = Step(
        "floor: scandir + lstat" + (" + cas_id" if mode == "content" else "") + " + executemany",
        floor_args,
        env=env,
        before=fresh_db,
        check=check_floor,
        cwd=work,
    )
    return [floor, ours]


def run(tree: Path, work: Path, mode: str, goal: float, title: str) -> None:
    warm(tree)
    seen: dict = {}
    floor, ours = measure(steps(tree, work, mode, seen), RUNS, "warm")
    report = Report(f"{title}, whole processes, warm")
    report.note(f"command: {' '.join(map(str, steps(tree, work, mode, {})[1].argv))}")
    report.series(ours, floor)
    report.ratio("sd-desktop / floor", ours, floor, goal=Goal("<=", goal))
    count = seen["ours"]["entries_written"] if mode == "shallow" else seen["ours"]["files"]
    unit = "entries" if mode == "shallow" else "files"
    report.figure(f"{unit}/s, ours (median)", count / ours.median, detail=f"{count / ours.median:,.0f}")
    report.figure(f"{unit}/s, floor (median)", count / floor.median, detail=f"{count / floor.median:,.0f}")
    report.figure("CPU ratio (medians)", ours.cpu / floor.cpu)
    report.print()


def test_shallow_200k_whole_process(tree200k, tmp_path):
    run(tree200k, tmp_path, "shallow", 1.5, f"shallow index of {tree200k.parent.name}")


def test_content_30k_whole_process(tree30k, tmp_path):
    run(tree30k, tmp_path, "content", 1.8, f"content index of {tree30k.parent.name}")

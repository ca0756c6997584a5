"""Copy benchmarks against ``cp`` measured in the same run (ratios, not absolute times).

* 4 files of 256 MB and 20,000 small files, whole processes alternating (``tests/perf/harness.py``,
  page cache warm): ``sd-desktop --library L copy SRC... DEST`` against durable floors, each
  ``cp -r SRC... DEST`` and a flush timed together as one process: one ``syncfs`` of the
  destination's file system (``sync -f DEST``, the call our copy makes per batch of small files; it
  flushes that file system, not the machine) and, for the 4 big files, an fsync of each copied file
  (``find DEST -type f -exec sync -- {} +``; on 20,000 files that is 20,000 journal commits, the
  slowest way to make them durable, so it is no floor there). Our copy makes every file durable
  before it renames it into place; plain ``cp`` leaves dirty pages, so it is printed but not a
  floor (a global ``sync`` would flush whatever else the machine wrote, so it is not used). The
  goals are judged against the faster durable floor of the run: 4 x 256 MB, throughput >= 80 % of
  its; 20,000 files, time <= 3x its.
* ``verify``: <= 2x the unverified copy's time, warm cache (4 x 256 MB; also checked on the
  20,000 small files); both are our job, timed in-process from enqueue to the stored result.

Goals are printed MET / NOT MET from this run's figures; ``SD_DESKTOP_PERF_STRICT=1`` asserts them.
Run: ``python -m pytest tests/perf/test_fileops_perf.py -m perf -s``
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import pytest

from sd_desktop.jobs import JobManager
from sd_desktop.library import Library
from sd_desktop.ops.files.copy import CopyConfig
from tests.perf.harness import Goal, Report, Series, Step, checkout_env, measure, sd_desktop

pytestmark = [pytest.mark.perf, pytest.mark.timeout(3600)]
RUNS = 3


def _warm(root: Path) -> None:
    for folder, _dirs, files in os.walk(root):
        for name in files:
            p = os.path.join(folder, name)
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as f:
                    while f.read(8 << 20):
                        pass


def _fresh(dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir()
    subprocess.run(["sync"])


def _copy_steps(sources: list[Path], dest: Path, lib: Path, fsync_each: bool) -> list[Step]:
    """Ours; cp then a syncfs of DEST's file system; (``fsync_each``) cp then an fsync of each
    copied file; plain cp. Each into an empty ``dest``; cp and its flush are one process."""
    src = [str(p) for p in sources]

    def fresh() -> None:
        _fresh(dest)

    cp_then = 'dest=$1; shift; cp -r -- "$@" "$dest" && '
    steps = [
        Step("sd-desktop copy", [*sd_desktop(), "--library", lib, "copy", *src, dest], checkout_env(), fresh),
        Step(
            "cp -r + syncfs of DEST (sync -f)",
            ["sh", "-c", cp_then + 'sync -f "$dest"', "sh", dest, *src],
            before=fresh,
        ),
    ]
    if fsync_each:
        each = cp_then + 'find "$dest" -type f -exec sync -- {} +'
        steps.append(Step("cp -r + fsync of each copied file", ["sh", "-c", each, "sh", dest, *src], before=fresh))
    steps.append(Step("cp -r (dirty pages left)", ["cp", "-r", "--", *src, dest], before=fresh))
    return steps


def _measure_copies(
    sources: list[Path], dest: Path, lib: Path, fsync_each: bool
) -> tuple[Series, Series, Series, list[Series]]:
    """Ours, the faster durable floor (by median), plain cp, and every series for the report."""
    every = measure(_copy_steps(sources, dest, lib, fsync_each), RUNS, "warm", warmup=False)
    ours, durable, cp_plain = every[0], every[1:-1], every[-1]
    return ours, min(durable, key=lambda s: s.median), cp_plain, every


def _time_job(lib_dir: Path, sources: list[Path], dest: Path, verify: bool = False, runs: int = RUNS) -> float:
    async def once() -> float:
        lib = Library.open(lib_dir)
        manager = JobManager(lib)
        await manager.start()
        try:
            t = time.perf_counter()
            job_id = await manager.enqueue("file_copy", CopyConfig(sources=sources, destination=dest, verify=verify))
            info = await manager.wait(job_id)
            took = time.perf_counter() - t
            assert info.status.value == "completed", info.error
            return took
        finally:
            await manager.shutdown()
            lib.close()

    times = []
    for _ in range(runs):
        _fresh(dest)
        times.append(round(asyncio.run(once()), 3))
    return statistics.median(times)


@pytest.fixture(scope="module")
def big_files(tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("big")
    block = os.urandom(8 << 20)
    found = []
    for i in range(4):
        p = root / f"big{i}.bin"
        with open(p, "wb") as f:
            for _ in range(32):  # 256 MiB
                f.write(block)
        found.append(p)
    return found


def test_large_files_throughput_vs_cp(big_files, tmp_path):
    _warm(big_files[0].parent)
    ours, floor, cp_plain, every = _measure_copies(big_files, tmp_path / "dest", tmp_path / "lib", fsync_each=True)
    mb = sum(p.stat().st_size for p in big_files) / 1e6
    report = Report("copy 4 x 256 MiB, whole processes, warm")
    report.series(*every)
    report.note(
        f"MB/s: ours {mb / ours.median:.0f}, {floor.label} {mb / floor.median:.0f}, cp {mb / cp_plain.median:.0f}"
    )
    report.ratio(f"throughput, ours / ({floor.label})", floor, ours, Goal(">=", 0.8))
    report.ratio("throughput, ours / plain cp", cp_plain, ours)
    report.print()


def test_verify_costs_at_most_twice(big_files, tmp_path):
    _warm(big_files[0].parent)
    dest = tmp_path / "dest"
    plain, verified = [], []
    for _ in range(5):  # interleaved: background writeback hits both alike
        plain.append(_time_job(tmp_path / "lib", big_files, dest, runs=1))
        verified.append(_time_job(tmp_path / "lib", big_files, dest, verify=True, runs=1))
    p, v = statistics.median(plain), statistics.median(verified)
    print(f"\n4 x 256 MiB: copy {p:.2f}s, copy --verify {v:.2f}s, ratio {v / p:.2f} (runs: {plain} / {verified})")
    assert v / p <= 2.0


@pytest.fixture(scope="module")
def small_tree(tmp_path_factory) -> Path:
    from tests.support.make_corpus import main as make_corpus

    corpus = tmp_path_factory.mktemp("small") / "corpus"
    make_corpus([str(corpus), "--files", "20000", "--seed", "3", "--profile", "small"])
    return corpus / "tree"


def test_small_files_vs_cp_r(small_tree, tmp_path):
    _warm(small_tree)
    # no fsync of each file here: 20,000 fsyncs are 20,000 journal commits (40 s against ~10 s for
    # one syncfs in a loaded run), the slowest way to make these files durable, so not a floor
    ours, floor, cp_plain, every = _measure_copies([small_tree], tmp_path / "dest", tmp_path / "lib", False)
    report = Report("copy 20,000 small files, whole processes, warm")
    report.series(*every)
    report.ratio(f"time, ours / ({floor.label})", ours, floor, Goal("<=", 3.0))
    report.ratio("time, ours / plain cp -r", ours, cp_plain)
    report.print()


def test_small_files_verify_costs_at_most_twice(small_tree, tmp_path):
    """Verify on 20,000 small files (read, hash and write each; re-read after the batch's syncfs)."""
    _warm(small_tree)
    dest = tmp_path / "dest"
    plain, verified = [], []
    for _ in range(3):  # interleaved
        plain.append(_time_job(tmp_path / "lib", [small_tree], dest, runs=1))
        verified.append(_time_job(tmp_path / "lib", [small_tree], dest, verify=True, runs=1))
    p, v = statistics.median(plain), statistics.median(verified)
    print(f"\n20,000 small files: copy {p:.2f}s, copy --verify {v:.2f}s, ratio {v / p:.2f} ({plain} / {verified})")
    assert v / p <= 2.0

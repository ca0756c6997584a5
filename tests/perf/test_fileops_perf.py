"""Copy benchmarks against ``cp`` measured in the same run (ratios, not absolute times).

* 4 files of 256 MB: our throughput >= 80% of ``cp``'s. Our copy fsyncs every file before it
  renames it into place; ``cp`` does not, so the floor is ``cp`` followed by ``sync`` (the same
  durability); plain ``cp`` is printed too.
* 20,000 small files: our time <= 3x ``cp -r`` (+ ``sync``).
* ``verify``: <= 2x the unverified copy's time, warm cache (4 x 256 MB; also checked on the
  20,000 small files).

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


def _time_cp(sources: list[Path], dest: Path, then_sync: bool) -> float:
    times = []
    for _ in range(RUNS):
        _fresh(dest)
        t = time.perf_counter()
        subprocess.run(["cp", "-r", *map(str, sources), str(dest)], check=True)
        if then_sync:
            subprocess.run(["sync"], check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


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
    dest = tmp_path / "dest"
    cp_plain = _time_cp(big_files, dest, then_sync=False)
    cp_sync = _time_cp(big_files, dest, then_sync=True)
    ours = _time_job(tmp_path / "lib", big_files, dest)
    mb = sum(p.stat().st_size for p in big_files) / 1e6
    print(
        f"\n4 x 256 MiB: cp {cp_plain:.2f}s ({mb / cp_plain:.0f} MB/s), cp+sync {cp_sync:.2f}s "
        f"({mb / cp_sync:.0f} MB/s), sd-desktop copy {ours:.2f}s ({mb / ours:.0f} MB/s); "
        f"ratio vs cp+sync {cp_sync / ours:.2f}, vs cp {cp_plain / ours:.2f}"
    )
    assert cp_sync / ours >= 0.8


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
    tree = small_tree
    _warm(tree)
    dest = tmp_path / "dest"
    cp_plain = _time_cp([tree], dest, then_sync=False)
    cp_sync = _time_cp([tree], dest, then_sync=True)
    ours = _time_job(tmp_path / "lib", [tree], dest)
    print(
        f"\n20,000 small files: cp -r {cp_plain:.2f}s, cp -r + sync {cp_sync:.2f}s, sd-desktop copy {ours:.2f}s; "
        f"ratio vs cp -r + sync {ours / cp_sync:.2f}, vs cp -r {ours / cp_plain:.2f}"
    )
    assert ours / cp_sync <= 3.0


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

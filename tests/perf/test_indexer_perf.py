"""IndexerJob benchmarks: ratios against floors measured in the same run (``pytest -m perf``).

* shallow index of a 200,000-file tree vs a floor = ``os.scandir`` + ``lstat`` walk + raw
  ``executemany`` of the same rows into the same schema (goal: <= 3x, >= 20,000 entries/s);
* re-index of the unchanged tree vs the first index (goal: <= 40 %);
* content mode on the 20,000-file corpus vs walk + cas_id reads + raw inserts (goal: <= 2.5x,
  >= 10,000 files/s);
* deep mode's full hashing vs a one-thread Python blake3 floor over the same files (goal: >= 70 %);
* event-loop lateness while indexing (goal: never > 50 ms), peak RSS growth of an index process.

Corpora are generated with tests/support/make_corpus.py into a tmp dir (the 200k one takes about a
minute); set SD_DESKTOP_PERF_CACHE=DIR to keep them between runs. Figures are printed (-s) and
recorded in tests/perf/README.md.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import blake3
import pytest

from sd_desktop import cas
from sd_desktop.jobs import JobManager
from sd_desktop.library import Library
from sd_desktop.library.locations import add_location
from tests.conftest import REPO, cli_env

pytestmark = pytest.mark.perf


def corpus(tmp_path_factory, name: str, args: list[str]) -> Path:
    from tests.support.make_corpus import main as make_corpus

    cache = os.environ.get("SD_DESKTOP_PERF_CACHE")
    base = Path(cache) if cache else tmp_path_factory.mktemp("perf")
    out = base / name
    if not (out / "manifest.json").exists():
        if out.exists():
            shutil.rmtree(out)
        make_corpus([str(out), *args])
    return out / "tree"


@pytest.fixture(scope="module")
def tree200k(tmp_path_factory) -> Path:
    return corpus(tmp_path_factory, "small200k", ["--files", "200000", "--seed", "2", "--profile", "small"])


@pytest.fixture(scope="module")
def tree20k(tmp_path_factory) -> Path:
    return corpus(tmp_path_factory, "std20k", ["--files", "20000", "--seed", "1", "--images", "200"])


def warm(tree: Path) -> None:
    subprocess.run(["cat"], stdin=subprocess.DEVNULL, check=True)
    subprocess.run(
        f"find {tree} -type f -print0 | xargs -0 cat > /dev/null", shell=True, check=True
    )  # page cache warm, like the shared anchors


# -- floors ------------------------------------------------------------------------------------
def floor_walk_insert(tree: Path, lib_dir: Path, with_cas: bool) -> tuple[float, int]:
    """scandir + lstat walk (iterative, one thread) + raw executemany into the same schema."""
    lib = Library.open(lib_dir)
    loc = add_location(lib, tree)
    db = lib.db_path
    lib.close()
    t0 = time.perf_counter()
    root = os.fsencode(tree)
    rows = []
    next_id = 1
    stack = [(b"", None)]
    rows.append((next_id, loc, None, b"", "tree", 1, 0, 0, 0, 0, 0, 0, 0, None, None))
    stack = [(b"", next_id)]
    next_id += 1
    while stack:
        rel, pid = stack.pop()
        with os.scandir(root + b"/" + rel if rel else root) as it:
            for de in it:
                st = de.stat(follow_symlinks=False)
                child = rel + b"/" + de.name if rel else de.name
                kind = 1 if de.is_dir(follow_symlinks=False) else 0
                cas_id = None
                if with_cas and de.is_file(follow_symlinks=False) and st.st_size:
                    cas_id = cas.cas_id(de.path, st.st_size)
                rows.append(
                    (
                        next_id,
                        loc,
                        pid,
                        child,
                        de.name.decode("utf-8", "backslashreplace"),
                        kind,
                        st.st_size,
                        st.st_ino,
                        st.st_dev,
                        st.st_mtime_ns,
                        st.st_ctime_ns,
                        st.st_mode,
                        0,
                        None,
                        cas_id,
                    )
                )
                if kind == 1:
                    stack.append((child, next_id))
                next_id += 1
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=normal")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO entry (id, location_id, parent_id, path, name, kind, size, inode, device, mtime_ns, ctime_ns, "
        "mode, hidden, link_target, cas_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - t0, len(rows)


def floor_blake3(tree: Path) -> tuple[float, int]:
    """One thread of Python blake3 over every regular file (the list is made before timing)."""
    files = []
    for dirpath, _dirs, names in os.walk(os.fsencode(tree)):
        for n in names:
            p = os.path.join(dirpath, n)
            if os.path.isfile(p) and not os.path.islink(p):
                files.append(p)
    t0 = time.perf_counter()
    total = 0
    for p in files:
        with open(p, "rb") as f:
            h = blake3.blake3()
            while chunk := f.read(1 << 20):
                h.update(chunk)
                total += len(chunk)
            h.hexdigest()
    return time.perf_counter() - t0, total


# -- ours --------------------------------------------------------------------------------------
def run_indexer(lib: Library, config: dict) -> tuple[float, dict, float]:
    """Run the job in-process; returns (seconds, output, worst event-loop lateness in ms)."""

    async def go():
        manager = JobManager(lib, run_queued=False)
        await manager.start()
        worst = 0.0
        stop = False

        async def ticker():
            nonlocal worst
            loop = asyncio.get_running_loop()
            while not stop:
                t = loop.time()
                await asyncio.sleep(0.01)
                worst = max(worst, (loop.time() - t - 0.01) * 1000)

        tick = asyncio.create_task(ticker())
        t0 = time.perf_counter()
        job_id = await manager.enqueue("indexer", config)
        info = await manager.wait(job_id)
        elapsed = time.perf_counter() - t0
        stop = True
        await tick
        await manager.shutdown()
        assert info.status.value == "completed", (info.status, info.error, info.errors[:3])
        return elapsed, info.output, worst

    return asyncio.run(go())


def report(name: str, **figures) -> None:
    print(f"\n[perf] {name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))


def test_shallow_200k_vs_floor_and_reindex(tree200k, tmp_path):
    warm(tree200k)
    floor_s, floor_rows = floor_walk_insert(tree200k, tmp_path / "floor", with_cas=False)
    lib = Library.open(tmp_path / "lib")
    try:
        loc = add_location(lib, tree200k)
        first_s, out, lag1 = run_indexer(lib, {"location_id": loc, "mode": "shallow", "all_entries": True})
        again_s, out2, lag2 = run_indexer(lib, {"location_id": loc, "mode": "shallow", "all_entries": True})
    finally:
        lib.close()
    entries = out["entries_written"]
    report(
        "shallow 200k",
        floor_s=round(floor_s, 3),
        ours_s=round(first_s, 3),
        ratio=round(first_s / floor_s, 2),
        entries_per_s=int(entries / first_s),
        reindex_s=round(again_s, 3),
        reindex_ratio=round(again_s / first_s, 2),
        max_loop_lag_ms=round(max(lag1, lag2), 1),
    )
    assert entries == floor_rows
    assert out2["entries_written"] == 0
    assert first_s <= 3 * floor_s
    assert entries / first_s >= 20_000
    assert again_s <= 0.4 * first_s
    assert max(lag1, lag2) <= 50


def test_content_20k_vs_floor(tree20k, tmp_path):
    warm(tree20k)
    floor_s, _ = floor_walk_insert(tree20k, tmp_path / "floor", with_cas=True)
    lib = Library.open(tmp_path / "lib")
    try:
        loc = add_location(lib, tree20k)
        ours_s, out, lag = run_indexer(lib, {"location_id": loc, "mode": "content", "all_entries": True})
        deep_s, deep_out, lag_deep = run_indexer(lib, {"location_id": loc, "mode": "deep", "all_entries": True})
    finally:
        lib.close()
    b3_s, b3_bytes = floor_blake3(tree20k)
    files_per_s = out["files"] / ours_s
    report(
        "content 20k",
        floor_s=round(floor_s, 3),
        ours_s=round(ours_s, 3),
        ratio=round(ours_s / floor_s, 2),
        files_per_s=int(files_per_s),
        max_loop_lag_ms=round(lag, 1),
    )
    deep_share = b3_s / deep_s
    report(
        "deep 20k (integrity pass after content)",
        blake3_floor_s=round(b3_s, 3),
        floor_MB_s=int(b3_bytes / b3_s / 1e6),
        ours_s=round(deep_s, 3),
        ours_MB_s=int(deep_out["hashed_bytes"] / deep_s / 1e6),
        throughput_vs_floor=f"{deep_share:.0%}",
        max_loop_lag_ms=round(lag_deep, 1),
    )
    assert ours_s <= 2.5 * floor_s
    assert files_per_s >= 10_000
    assert deep_share >= 0.7
    assert max(lag, lag_deep) <= 50


def peak_rss_kb(args: list[str]) -> int:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sd_desktop", *args], stdout=subprocess.DEVNULL, env=cli_env(), cwd=REPO
    )
    _pid, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return usage.ru_maxrss


def test_memory_growth_while_indexing(tree200k, tmp_path):
    lib_dir = tmp_path / "lib"
    base = peak_rss_kb(["--library", str(lib_dir), "location", "list", "--json"])
    peak = peak_rss_kb(["--library", str(lib_dir), "index", str(tree200k), "--all", "--json"])
    entries = sum(1 for _ in os.scandir(tree200k))  # touch: the tree exists
    report(
        "memory (200k files, content mode)",
        baseline_mb=base // 1024,
        peak_mb=peak // 1024,
        growth_mb=(peak - base) // 1024,
    )
    assert entries > 0
    assert (peak - base) / 1024 <= 250

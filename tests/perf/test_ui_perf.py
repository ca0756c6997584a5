"""UI benchmarks (run with ``-m perf``): a 100,000-entry folder, and the event loop while jobs run.

Figures are printed and compared with floors measured in the same run:
- first rows painted: from ``open_path`` to the view painting its first rows, against the floor
  of what any listing of the folder as it is on disk must do: one ``os.scandir`` with an lstat per
  child, and one read of the library's rows of the folder on a fresh connection (issue budget:
  300 ms). The first rows are the library's (sorted by its index) while the disk is listed, so
  this figure can be below that floor; "all rows received" is when the disk's rows have replaced them;
- scrolling end to end: median and slowest step (set scroll position, process events, paint),
  against the same view over an in-memory QStandardItemModel (issue budget: 50 ms);
- event-loop lateness of a 10 ms GUI timer while jobs run, against the idle loop, and while a
  10,000-file location folder is opened, then changed on disk while shown (budgets: max 100 ms,
  p99 20 ms).

Each budget is printed MET or NOT MET from the figure measured in the same run (``harness.Report``);
the scroll test asserts bounds relative to its floors, the lateness tests assert the budgets, and
``SD_DESKTOP_PERF_STRICT=1`` asserts every budget.
"""

from __future__ import annotations

import gc
import os
import sqlite3
import statistics
import threading
import time

import pytest
from PySide6.QtCore import QCoreApplication, QEventLoop, QModelIndex, QSize
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QListView, QTableView

from sd_desktop.ui.content_model import ContentModel
from sd_desktop.ui.content_view import GRID, LIST, ContentView
from sd_desktop.ui.stall import StallMonitor
from tests.perf.harness import Goal, Report
from tests.ui._rows import add_indexed_location, add_many_files
from tests.ui.conftest import Engine, close_loop, open_loop, run

pytestmark = pytest.mark.perf
N = 100_000


@pytest.fixture(scope="module")
def aloop(qapp):
    loop = open_loop(qapp)
    yield loop
    close_loop(loop)


def process(ms: int = 0) -> None:
    QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, ms)


@pytest.fixture
def big_folder(library, tmp_path, aloop):
    loc, root = add_indexed_location(library, tmp_path / "big")
    add_many_files(library, loc, root, N)
    return library, tmp_path / "big", root


def raw_first_rows_floor(library, folder, root_id: int) -> float:
    """The folder listed as it is on disk (scandir, an lstat per child) plus the library's rows of it."""
    t0 = time.perf_counter()
    with os.scandir(folder) as it:
        for entry in it:
            entry.stat(follow_symlinks=False)
    conn = sqlite3.connect(f"file:{library.db_path}?mode=ro", uri=True)
    conn.execute(
        "SELECT path, id, kind, size, aggregate_size, mtime_ns, content_id, mime, child_count "
        "FROM entry WHERE parent_id = ?",
        (root_id,),
    ).fetchall()
    conn.close()
    return time.perf_counter() - t0


def scroll_end_to_end(view, model=None, stride_pages: int = 1, cpu: list[float] | None = None) -> list[float]:
    """Page down to the end, ``stride_pages`` pages per step: set the position, process events, paint.

    Returns the wall time of each step; ``cpu`` (if given) gets the process CPU time per step over the
    whole scroll, a figure the other work on a shared machine disturbs far less than wall time."""
    bar = view.verticalScrollBar()
    steps: list[float] = []
    c0 = time.process_time()
    for _ in range(200_000):
        s0 = time.perf_counter()
        bar.setValue(bar.value() + bar.pageStep() * stride_pages)
        process()
        view.viewport().repaint()
        steps.append(time.perf_counter() - s0)
        more = model is not None and model.canFetchMore(QModelIndex())
        if bar.value() >= bar.maximum() and not more:
            break
    if cpu is not None:
        cpu.append((time.process_time() - c0) / len(steps))
    return steps


def floor_view(mode: int, rows: int):
    """The same view over a QStandardItemModel already in memory: what Qt alone costs here."""
    model = QStandardItemModel(rows, 4)
    for r in range(rows):
        model.setItem(r, 0, QStandardItem(f"file-{r:06d}.dat"))
        for c in range(1, 4):
            model.setItem(r, c, QStandardItem("3.1 MB"))
    if mode == LIST:
        view = QTableView()
        view.setShowGrid(False)
        view.verticalHeader().hide()
        view.setAlternatingRowColors(True)
    else:
        view = QListView()
        view.setViewMode(QListView.ViewMode.IconMode)
        view.setUniformItemSizes(True)
        view.setGridSize(QSize(168, 172))
        view.setIconSize(QSize(128, 128))
    view.setModel(model)
    view.resize(1100, 700)
    view.show()
    return view, model


@pytest.mark.timeout(1800)  # ~3,000-4,000 page steps, each painted; slow on a loaded 2-core box
@pytest.mark.parametrize("mode", [LIST, GRID], ids=["list", "grid"])
def test_open_and_scroll_100k_folder(big_folder, qtbot, mode):
    library, folder, root_id = big_folder
    eng = Engine(library, qtbot)
    try:
        fview, fmodel = floor_view(mode, 20_000)
        qtbot.addWidget(fview)
        qtbot.waitExposed(fview)
        # the grid holds ~6 items per row: page by page it is 4,000+ painted steps, so it strides 5 pages
        stride = 1 if mode == LIST else 5
        fcpu: list[float] = []
        fsteps = scroll_end_to_end(fview, stride_pages=stride, cpu=fcpu)
        fview.hide()
        floor_first = min(raw_first_rows_floor(library, folder, root_id) for _ in range(3)) * 1000

        model = ContentModel(library, eng.thumbnails)
        view = ContentView(model)
        qtbot.addWidget(view)
        view.resize(1100, 700)
        view.set_mode(mode)
        view.show()
        qtbot.waitExposed(view)
        t0 = time.perf_counter()
        model.open_path(folder)
        qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=10000)
        view.current_view().viewport().repaint()  # synchronous paint of the first rows
        first_ms = (time.perf_counter() - t0) * 1000
        qtbot.waitUntil(lambda: not model.loading, timeout=60000)
        loaded_ms = (time.perf_counter() - t0) * 1000
        cpu: list[float] = []
        steps = scroll_end_to_end(view.current_view(), model, stride_pages=stride, cpu=cpu)
        assert model.rowCount() == N
        worst, median = max(steps) * 1000, statistics.median(steps) * 1000
        fworst, fmedian = max(fsteps) * 1000, statistics.median(fsteps) * 1000
        name = "list" if mode == LIST else "grid"
        print(
            f"\n[{name}] {N} rows: first rows painted {first_ms:.0f} ms (scandir + SQL floor "
            f"{floor_first:.0f} ms, ratio {first_ms / floor_first:.1f}x); all rows received {loaded_ms:.0f} ms\n"
            f"[{name}] scroll end to end, {len(steps)} steps of {stride} page(s): "
            f"median {median:.1f} ms, worst {worst:.1f} ms; "
            f"floor (QStandardItemModel, 20k rows, same view): median {fmedian:.1f} ms, "
            f"worst {fworst:.1f} ms; ratios {median / fmedian:.1f}x / {worst / fworst:.1f}x\n"
            f"[{name}] CPU per step {cpu[0] * 1000:.1f} ms, floor {fcpu[0] * 1000:.1f} ms, "
            f"ratio {cpu[0] / fcpu[0]:.1f}x"
        )
        budgets = Report(f"[{name}] budgets, this run's figures")
        budgets.figure("first rows painted (ms)", first_ms, Goal("<=", 300))
        budgets.figure("worst scroll step (ms)", worst, Goal("<=", 50))
        budgets.print()
        # bounds from runs on the loaded 2-core machine (see README): Python's data() per cell is the
        # median's overhead; the worst steps are Qt re-laying out the view after fetchMore appends rows
        assert first_ms <= 5 * floor_first + 100
        assert median <= 4 * fmedian + 5
        assert worst <= 4 * fworst + 60
        model.close()
    finally:
        eng.close()


def lateness_during(qtbot, duration_s: float, until=None) -> dict:
    monitor = StallMonitor()
    monitor.start()
    end = time.monotonic() + duration_s
    while time.monotonic() < end and not (until and until()):
        QTest.qWait(20)
    monitor.stop()
    return monitor.report()


def test_event_loop_lateness_while_jobs_run(library, qtbot, aloop, tmp_path):
    eng = Engine(library, qtbot)
    try:
        from sd_desktop.ui.main_window import MainWindow

        window = MainWindow(eng.services)
        qtbot.addWidget(window)
        window.resize(1200, 760)
        window.show()
        loc, root = add_indexed_location(library, tmp_path / "big")
        add_many_files(library, loc, root, 20_000)
        with qtbot.waitSignal(window.model.loadingFinished, timeout=30000):
            window.open_path(tmp_path / "big")
        idle = lateness_during(qtbot, 2.0)
        # two jobs checkpointing every step (a write transaction each) with live progress in the panel
        ids = [
            run(qtbot, eng.manager.enqueue("test_count", {"n": 1500, "tag": "a", "noncritical_every": 50})),
            run(qtbot, eng.manager.enqueue("test_count", {"n": 1500, "tag": "b"})),
        ]
        busy = lateness_during(qtbot, 30.0, until=lambda: not eng.manager.running_ids())
        for job_id in ids:
            run(qtbot, eng.manager.wait(job_id), timeout=60000)
        print(f"\nidle loop: {idle}\nwhile 2 jobs checkpoint every step: {busy}")
        budgets = Report("lateness while 2 jobs checkpoint every step, this run's figures")
        budgets.figure("max (ms)", busy["max_ms"], Goal("<=", 100))
        budgets.figure("p99 (ms)", busy["p99_ms"], Goal("<=", 20))
        budgets.print()
        assert busy["ticks"] > 50
        assert busy["max_ms"] <= 100
        assert busy["p99_ms"] <= 20
        window.dispose()
    finally:
        eng.close()


@pytest.mark.skipif(
    "indexer" not in __import__("sd_desktop.jobs", fromlist=["registered"]).registered(),
    reason="needs the indexer job (issue: indexing)",
)
@pytest.mark.timeout(3600)  # generating 100,000 files (~8 GB) takes minutes
def test_stall_report_while_indexing_100k_files(tmp_path, tmp_path_factory):
    """The issue's own check: the app indexes a 100,000-file location, SD_DESKTOP_STALL_REPORT on."""
    import json
    import subprocess
    import sys

    from tests.conftest import REPO, cli_env
    from tests.perf.test_indexer_perf import corpus as cached_corpus

    # SD_DESKTOP_PERF_CACHE=DIR keeps the ~8 GB tree between runs
    tree = cached_corpus(tmp_path_factory, "std100k", ["--files", "100000", "--seed", "3", "--images", "300"])
    report = tmp_path / "stall.json"
    cmd = [
        sys.executable,
        "-m",
        "sd_desktop",
        "--library",
        str(tmp_path / "lib"),
        "--add-location",
        str(tree),
        "--index-mode",
        "deep",  # the case: integrity hashes, then the chained thumbnail job
        "--quit-when-idle",
    ]
    proc = subprocess.run(
        cmd, env=cli_env({"SD_DESKTOP_STALL_REPORT": str(report)}), cwd=REPO, timeout=3600, capture_output=True
    )
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(report.read_text())
    print(f"\nstall report while deep-indexing 100k files with thumbnails: {stats}")
    import sqlite3

    conn = sqlite3.connect(tmp_path / "lib" / "library.db")
    try:
        made = conn.execute("SELECT COUNT(DISTINCT content_id) FROM sidecar").fetchone()[0]
        hashed = conn.execute("SELECT COUNT(*) FROM entry WHERE integrity_hash IS NOT NULL").fetchone()[0]
    finally:
        conn.close()
    print(f"  {hashed} files given an integrity hash, {made} pictures given thumbnails")
    budgets = Report("lateness while deep-indexing 100k files with thumbnails, this run's figures")
    budgets.figure("max (ms)", stats["max_ms"], Goal("<=", 100))
    budgets.figure("p99 (ms)", stats["p99_ms"], Goal("<=", 20))
    budgets.print()
    assert hashed >= 100_000 * 0.9 and made > 0
    assert stats["max_ms"] <= 100 and stats["p99_ms"] <= 20


def test_event_loop_lateness_while_a_10k_folder_lists_and_changes(library, qtbot, aloop, tmp_path):
    """Opening a 10,000-file location folder lists the disk off the GUI thread; files arriving while
    it is shown are listed again (the watch) and the library's rows updated (the refresh job)."""
    eng = Engine(library, qtbot)
    try:
        from sd_desktop.ui.main_window import MainWindow

        window = MainWindow(eng.services)
        qtbot.addWidget(window)
        window.resize(1200, 760)
        window.show()
        loc, root = add_indexed_location(library, tmp_path / "big")
        add_many_files(library, loc, root, 10_000)
        gc.collect()  # the set-up's garbage is not the listing's
        idle = lateness_during(qtbot, 1.0)
        monitor = StallMonitor()
        monitor.start()
        t0 = time.perf_counter()
        window.open_path(tmp_path / "big")
        qtbot.waitUntil(lambda: not window.model.loading and window.model.total == 10_000, timeout=30000)
        listed_ms = (time.perf_counter() - t0) * 1000
        QTest.qWait(300)
        monitor.stop()
        opening = monitor.report()
        # another program writes 500 files into the folder shown, in a burst (a thread of its own:
        # the writes must not count as the GUI thread's lateness)
        monitor = StallMonitor()
        monitor.start()
        t0 = time.perf_counter()

        def write() -> None:
            for i in range(500):
                (tmp_path / "big" / f"new-{i:04d}.dat").write_bytes(b"x" * 100)

        writer = threading.Thread(target=write)
        writer.start()
        qtbot.waitUntil(lambda: not writer.is_alive(), timeout=30000)
        qtbot.waitUntil(lambda: window.model.total == 10_500, timeout=30000)
        shown_ms = (time.perf_counter() - t0) * 1000
        run(qtbot, eng.manager.wait_idle(), timeout=120000)
        monitor.stop()
        changing = monitor.report()
        print(
            f"\nidle loop: {idle}\nopening a 10,000-file folder (listed in {listed_ms:.0f} ms): {opening}"
            f"\n500 files written into it while shown (all listed {shown_ms:.0f} ms after the first), "
            f"until its library rows are updated: {changing}"
        )
        for what, figures in (("opening", opening), ("changing", changing)):
            budgets = Report(f"lateness while a 10,000-file folder is {what}, this run's figures")
            budgets.figure("max (ms)", figures["max_ms"], Goal("<=", 100))
            budgets.figure("p99 (ms)", figures["p99_ms"], Goal("<=", 20))
            budgets.print()
        for figures in (opening, changing):
            assert figures["max_ms"] <= 100
            assert figures["p99_ms"] <= 20
        window.dispose()
    finally:
        eng.close()

"""Thumbnails outside the library (``-m perf``): a folder of 2,000 photos that no location holds, in
the window's grid view, with thumbnails from the per-user freedesktop cache.

Figures, each round in a fresh window (a fresh ThumbnailCache and on-demand maker) of this process:
- first visible thumbnail: from ``open_path`` to the grid painting the first thumbnail
  (goal <= 300 ms when the cache holds every thumbnail, <= 1.5 s when it holds none: then the
  first round also starts the fork server and the worker processes);
- idle: after the last thumbnail on screen arrived, the first 0.5 s window in which this process
  and its children (fork server, workers) use less than 5 % of one CPU (goal: within 5 s);
- floors of the same run: decoding one cached PNG with QImage, and making one thumbnail with our
  decoder (``make_thumbnails``) in this process; plus the ``thumbnails`` command filling the cache
  for the whole folder (files per second), which is how the "cache has them" rounds are prepared.

``SD_DESKTOP_PERF_CACHE=DIR`` keeps the 2,000 photos between runs; ``SD_FD_PERF_ROUNDS`` sets the
rounds (default 3). Goals are printed MET or NOT MET (``SD_DESKTOP_PERF_STRICT=1`` fails on NOT MET).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import psutil
import pytest
from PIL import Image
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from sd_desktop.ops.media.thumbnail import freedesktop
from sd_desktop.ops.media.thumbnail.generate import make_thumbnails
from sd_desktop.ui.content_view import GRID
from sd_desktop.ui.main_window import MainWindow
from tests.perf.harness import Goal, Report, checkout_env, sd_desktop
from tests.ui.conftest import Engine, close_loop, open_loop

pytestmark = [pytest.mark.perf, pytest.mark.timeout(3600)]

N = 2000
PHOTO_SIZE = (3000, 2000)  # 6 MP
ROUNDS = int(os.environ.get("SD_FD_PERF_ROUNDS", "3"))
IDLE_CPU = 0.05
IDLE_WINDOW = 0.5


@pytest.fixture(scope="module")
def aloop(qapp):
    loop = open_loop(qapp)
    yield loop
    close_loop(loop)


def _photo_like(seed: int) -> Image.Image:
    """Noise over gradients: decodes like a photo (plain gradients decode unrealistically fast)."""
    w, h = PHOTO_SIZE
    noise = Image.effect_noise((w // 8, h // 8), 30 + seed % 20).resize((w, h), Image.Resampling.BICUBIC)
    grad = Image.linear_gradient("L").resize((w, h))
    return Image.merge("RGB", (noise, grad, grad.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    keep = os.environ.get("SD_DESKTOP_PERF_CACHE")
    root = (Path(keep) if keep else tmp_path_factory.mktemp("fd_perf")) / f"outside{N}"
    if root.is_dir() and len(os.listdir(root)) == N:
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    bases = []
    for s in range(8):
        tmp = root / f".base{s}.jpg"
        _photo_like(s).save(tmp, quality=88)
        bases.append(tmp.read_bytes())
        tmp.unlink()
    for i in range(N):  # the same few photos under 2,000 names: each name is its own thumbnail
        (root / f"IMG_{i:04}.jpg").write_bytes(bases[i % len(bases)])
    return root


def fill_cache(folder: Path, library: Path) -> float:
    """The thumbnails command over the folder (outside every location); returns its wall time."""
    t0 = time.perf_counter()
    subprocess.run(
        [*sd_desktop(), "--library", str(library), "thumbnails", str(folder)],
        env=checkout_env({"XDG_CACHE_HOME": os.environ["XDG_CACHE_HOME"]}),
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - t0


def tree_cpu(proc: psutil.Process) -> float:
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def one_round(library, qtbot, folder: Path) -> dict:
    """Open the folder in a fresh window's grid; time the first thumbnail, then wait for idle."""
    eng = Engine(library, qtbot)
    window = MainWindow(eng.services)
    try:
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        qtbot.waitExposed(window)
        window.set_view_mode(GRID)
        cache, viewport = eng.thumbnails, window.content.grid.viewport()
        times: list[float] = []

        def arrived(keys: list) -> None:
            if not times:
                viewport.repaint()  # the first thumbnail, painted now
            times.append(time.perf_counter())

        cache.ready.connect(arrived)
        t0 = time.perf_counter()
        window.open_path(folder)
        qtbot.waitUntil(lambda: bool(times), timeout=60000)
        first = times[0] - t0
        # every cell on screen has its thumbnail (or a known failure): nothing is pending
        qtbot.waitUntil(lambda: not cache._pending and len(cache) > 0, timeout=120000)
        last, shown = times[-1] - t0, len(cache)
        proc = psutil.Process()
        c0, w0 = tree_cpu(proc), time.perf_counter()
        idle_after = None
        samples = []
        while time.perf_counter() - (t0 + last) < 8.0:
            QTest.qWait(int(IDLE_WINDOW * 1000))
            c1, w1 = tree_cpu(proc), time.perf_counter()
            share = (c1 - c0) / (w1 - w0)
            samples.append(share)
            c0, w0 = c1, w1
            if share < IDLE_CPU:
                idle_after = w1 - (t0 + last)
                break
        return {
            "first": first,
            "last": last,
            "shown": shown,
            "made": cache.maker.submitted,
            "idle_after": idle_after,
            "cpu": samples,
        }
    finally:
        window.dispose()
        eng.close()


def floors(folder: Path) -> tuple[float, float]:
    """One cached PNG decoded by QImage; one thumbnail made by our decoder in this process."""
    src = freedesktop.source_of(folder / "IMG_0000.jpg")
    png = freedesktop.thumbnail_path(freedesktop.cache_root(), src.uri, "large")
    data = open(png, "rb").read()
    t0 = time.perf_counter()
    QImage.fromData(data, "PNG")
    png_floor = time.perf_counter() - t0
    scratch = freedesktop.cache_root() + b"-floor"
    freedesktop.prepare(scratch, "large")
    t0 = time.perf_counter()
    make_thumbnails(freedesktop.task_for(0, src, "large", scratch))
    make_floor = time.perf_counter() - t0
    shutil.rmtree(os.path.dirname(scratch) + b"/thumbnails-floor", ignore_errors=True)
    return png_floor, make_floor


def test_first_thumbnail_and_idle_in_a_2000_photo_folder_outside_the_library(
    library, qtbot, aloop, photos, tmp_path, monkeypatch
):
    cold_runs, warm_runs = [], []
    fill_times = []
    for r in range(ROUNDS):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / f"cache-{r}"))  # empty: nothing cached
        cold_runs.append(one_round(library, qtbot, photos))
        fill_times.append(fill_cache(photos, tmp_path / f"cli-lib-{r}"))
        warm_runs.append(one_round(library, qtbot, photos))
    png_floor, make_floor = floors(photos)

    def line(label: str, runs: list[dict]) -> str:
        firsts = [x["first"] * 1000 for x in runs]
        lasts = " ".join(f"{x['last']:.2f}" for x in runs)
        return (
            f"{label}: first thumbnail median {statistics.median(firsts):.0f} ms "
            f"({min(firsts):.0f}-{max(firsts):.0f}: {' '.join(f'{v:.0f}' for v in firsts)}); "
            f"last on screen {lasts} s; shown {runs[0]['shown']}, "
            f"made {[x['made'] for x in runs]}; idle after {[x['idle_after'] for x in runs]} s "
            f"(CPU share per {IDLE_WINDOW:g} s: {[[round(c, 2) for c in x['cpu']] for x in runs]})"
        )

    report = Report(f"{N} photos outside the library, grid view ({ROUNDS} rounds, fresh window each)")
    report.note("PROVISIONAL: measured on the shared, loaded 2-core machine")
    report.note(line("cache empty", cold_runs))
    report.note(line("cache full", warm_runs))
    report.note(
        f"floors: one cached PNG decoded {png_floor * 1000:.1f} ms; one thumbnail made in-process "
        f"{make_floor * 1000:.0f} ms; `thumbnails` command filling the cache: "
        f"{' '.join(f'{t:.1f}' for t in fill_times)} s ({N / statistics.median(fill_times):.0f} files/s)"
    )
    report.figure(
        "first visible thumbnail, cache full (ms, median)",
        statistics.median(x["first"] for x in warm_runs) * 1000,
        Goal("<=", 300),
    )
    report.figure(
        "first visible thumbnail, cache empty (ms, median)",
        statistics.median(x["first"] for x in cold_runs) * 1000,
        Goal("<=", 1500),
    )
    report.figure(
        "first visible thumbnail, cache empty, first round (fork server and workers start) (ms)",
        cold_runs[0]["first"] * 1000,
        Goal("<=", 1500),
    )
    idles = [x["idle_after"] if x["idle_after"] is not None else float("inf") for x in cold_runs + warm_runs]
    report.figure("idle (CPU < 5 %) after the last thumbnail, worst round (s)", max(idles), Goal("<=", 5))
    report.print()
    assert all(x["made"] == 0 for x in warm_runs)  # the cache served every cell
    assert all(x["made"] == x["shown"] for x in cold_runs)

"""Thumbnail benchmarks (``-m perf``): throughput against Pillow's own single-threaded loop, and
peak memory on 50 MP images. Figures are printed; tests/perf/README.md keeps the measured ones."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from PIL import Image

from sd_desktop.cas import cas_id
from sd_desktop.jobs import JobManager, JobStatus
from sd_desktop.library import Library
from tests.conftest import REPO, cli_env
from tests.thumbnails._rows import index_tree

pytestmark = [pytest.mark.perf, pytest.mark.timeout(3600)]

PHOTOS = 200
PHOTO_SIZE = (4000, 3000)
ROUNDS = int(os.environ.get("SD_THUMB_PERF_ROUNDS", "3"))


def _photo_like(size: tuple[int, int], seed: int) -> Image.Image:
    """Noise over gradients: decodes like a photo (plain gradients decode unrealistically fast)."""
    w, h = size
    noise = Image.effect_noise((w // 8, h // 8), 30 + seed % 20).resize((w, h), Image.Resampling.BICUBIC)
    grad = Image.linear_gradient("L").resize((w, h))
    return Image.merge("RGB", (noise, grad, grad.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("thumb_perf") / "photos"
    root.mkdir()
    bases = [_photo_like(PHOTO_SIZE, s) for s in range(4)]
    for i in range(PHOTOS):
        im = bases[i % len(bases)].copy()
        im.paste((i % 256, (i * 7) % 256, (i * 13) % 256), (0, 0, 64, 64))  # distinct content per file
        im.save(root / f"photo{i:03}.jpg", quality=88)
    return root


CPU: dict[str, float] = {}  # CPU seconds of this process (all its threads) per contender, best run


def _cpu(name: str, seconds: float) -> None:
    CPU[name] = min(CPU.get(name, float("inf")), seconds)


def pillow_loop(files: list[Path], out: Path, sizes: tuple[int, ...]) -> float:
    """The floor: Pillow's open -> draft -> thumbnail -> save, one file after another, one thread."""
    out.mkdir(parents=True, exist_ok=True)
    c0 = time.process_time()
    t0 = time.perf_counter()
    for i, f in enumerate(files):
        with Image.open(f) as im:
            im.draft("RGB", (max(sizes), max(sizes)))
            im = im.convert("RGB")
            for size in sorted(sizes, reverse=True):
                im.thumbnail((size, size))
                im.save(out / f"{i}_{size}.webp", quality=80)
    elapsed = time.perf_counter() - t0
    _cpu(f"floor{len(sizes)}", time.process_time() - c0)
    return elapsed


def job_run(root: Path, library_dir: Path, mode: str, workers: int = 2) -> float:
    os.environ["SD_DESKTOP_THUMBNAIL_WORKERS"] = mode
    lib = Library.open(library_dir)
    try:
        index_tree(lib, root)

        async def go() -> float:
            manager = JobManager(lib)
            await manager.start()
            c0 = time.process_time()
            t0 = time.perf_counter()
            job_id = await manager.enqueue("thumbnails", {"location_id": 1, "max_concurrency": workers})
            info = await manager.wait(job_id)
            elapsed = time.perf_counter() - t0
            _cpu(mode, time.process_time() - c0)  # threads: everything; processes: the parent's share
            await manager.shutdown()
            assert info.status is JobStatus.COMPLETED, info.error
            assert info.output["generated"] == PHOTOS
            return elapsed

        return asyncio.run(go())
    finally:
        lib.close()
        os.environ.pop("SD_DESKTOP_THUMBNAIL_WORKERS", None)


def test_throughput_against_pillow_single_thread(photos, tmp_path):
    """Rounds interleave the contenders and each keeps its best time: other work on a shared
    2-core machine only ever makes a run slower, so the minimum is the fairest figure."""
    files = sorted(photos.iterdir())
    for f in files:  # warm the page cache for everyone alike
        f.read_bytes()
    best: dict[str, float] = {}
    for r in range(ROUNDS):
        runs = {
            "floor_256": lambda r=r: pillow_loop(files, tmp_path / f"floor1_{r}", (256,)),
            "floor_512_256": lambda r=r: pillow_loop(files, tmp_path / f"floor2_{r}", (512, 256)),
            "processes": lambda r=r: job_run(photos, tmp_path / f"lib_p{r}", "processes"),
            "threads": lambda r=r: job_run(photos, tmp_path / f"lib_t{r}", "threads"),
        }
        for name, fn in runs.items():
            best[name] = min(best.get(name, float("inf")), fn())
    floor_one, floor_two, procs, threads = (best[k] for k in ("floor_256", "floor_512_256", "processes", "threads"))
    print(
        f"\nthumbnails, {PHOTOS} JPEG {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]}, best of {ROUNDS} interleaved rounds, "
        f"load average {os.getloadavg()[0]:.1f}:"
        f"\n  Pillow loop, 256 only:        {floor_one:6.2f} s  {PHOTOS / floor_one:6.1f} img/s"
        f"\n  Pillow loop, 512+256:         {floor_two:6.2f} s  {PHOTOS / floor_two:6.1f} img/s"
        f"\n  job, 2 processes (default):   {procs:6.2f} s  {PHOTOS / procs:6.1f} img/s  "
        f"{floor_two / procs:.2f}x the same-output loop, {floor_one / procs:.2f}x the 256-only loop"
        f"\n  job, 2 threads:               {threads:6.2f} s  {PHOTOS / threads:6.1f} img/s  "
        f"{floor_two / threads:.2f}x the same-output loop"
        f"\n  CPU per picture (load-independent): Pillow loop 512+256 {CPU['floor2'] / PHOTOS * 1000:.0f} ms, "
        f"job in threads {CPU['threads'] / PHOTOS * 1000:.0f} ms (decode + the job's own work), "
        f"parent process of the job with workers {CPU['processes'] / PHOTOS * 1000:.1f} ms"
    )
    assert floor_two / procs >= 1.8, "the goal: at least 1.8x Pillow's single-threaded loop on 2 cores"
    assert procs <= threads * 1.05, "processes are the default because they measured faster"


def test_pool_speedup_processes_against_threads(photos):
    """The worker pools alone (no job, no database) on 40 pictures, against a plain loop."""
    from sd_desktop.ops.media.thumbnail.generate import Output, Task, default_variants, make_thumbnails
    from sd_desktop.ops.media.thumbnail.workers import ProcessWorkers, ThreadWorkers

    files = sorted(photos.iterdir())[:40]

    def tasks(out: Path) -> list[Task]:
        result = []
        for i, f in enumerate(files):
            outs = [
                Output(v, str(out / f"{i}_{v.name}.webp"), str(out / f"{i}_{v.name}.webp.tmp-0-{i}"))
                for v in default_variants()
            ]
            result.append(Task(i, os.fsencode(f), cas_id(f), outs))
        return result

    best: dict[str, float] = {}
    for r in range(ROUNDS * 2):
        t0 = time.perf_counter()
        for t in tasks(photos.parent / f"plain{r}"):
            make_thumbnails(t)
        best["plain"] = min(best.get("plain", float("inf")), time.perf_counter() - t0)
        for name, cls in (("processes", ProcessWorkers), ("threads", ThreadWorkers)):
            pool = cls(2, 60)
            pool.start()
            todo = tasks(photos.parent / f"{name}{r}")
            t0 = time.perf_counter()
            done = pool.run(todo, lambda: False)
            best[name] = min(best.get(name, float("inf")), time.perf_counter() - t0)
            pool.close()
            assert len(done) == len(todo)
    print(
        f"\npools on 40 pictures, best of {ROUNDS * 2}, load average {os.getloadavg()[0]:.1f}: plain loop "
        f"{best['plain']:.2f} s, 2 processes {best['processes']:.2f} s ({best['plain'] / best['processes']:.2f}x), "
        f"2 threads {best['threads']:.2f} s ({best['plain'] / best['threads']:.2f}x)"
    )
    assert best["processes"] <= best["threads"] * 1.05


def _tree_rss(pid: int) -> int:
    try:
        proc = psutil.Process(pid)
        total = proc.memory_info().rss
        for child in proc.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total
    except psutil.NoSuchProcess:
        return 0


def test_peak_memory_on_50_megapixel_images(tmp_path):
    root = tmp_path / "big"
    root.mkdir()
    size = (8660, 5774)  # 50 MP
    base = _photo_like(size, 1)
    for i in range(4):
        im = base.copy()
        im.paste((i * 60, 0, 0), (0, 0, 128, 128))
        im.save(root / f"big{i}.jpg", quality=90)
    for i in range(2):
        im = base.copy()
        im.paste((0, i * 60, 0), (0, 0, 128, 128))
        im.save(root / f"big{i}.png", compress_level=1)
    del base, im
    library_dir = tmp_path / "lib"
    lib = Library.open(library_dir)
    index_tree(lib, root)
    lib.close()
    cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), "thumbnails", str(root), "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(), cwd=REPO)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    t0 = time.perf_counter()
    out, err = proc.communicate(timeout=600)
    elapsed = time.perf_counter() - t0
    done.set()
    sampler.join()
    assert proc.returncode == 0, err
    result = [line for line in out.decode().splitlines() if '"result"' in line][-1]
    assert '"generated": 6' in result, result
    print(
        f"\nthumbnails of 4 JPEG + 2 PNG at 50 MP, CLI with 2 worker processes: {elapsed:.1f} s, "
        f"peak RSS of the process tree {peak / 1e6:.0f} MB"
    )
    assert peak < 500e6

"""The worker pool itself: a crashing decoder costs only its file, a stop leaves undone tasks undone."""

from __future__ import annotations

import os
import signal
import threading
import time

import psutil

from sd_desktop.ops.media.thumbnail.generate import FAILED, OK
from sd_desktop.ops.media.thumbnail.workers import ProcessWorkers, ThreadWorkers
from tests.thumbnails._rows import picture
from tests.thumbnails.test_generate import task_for


def test_a_worker_that_dies_mid_file_fails_that_file_only(tmp_path):
    big = picture(tmp_path / "big.png", (4000, 3000), compress_level=1)
    small = picture(tmp_path / "small.jpg", (400, 300))
    t_big = task_for(big, tmp_path / "out_big")
    t_small = task_for(small, tmp_path / "out_small")
    t_small.key = 2
    pool = ProcessWorkers(1, time_limit=120)
    pool.start()
    pid = pool._idle[0].process.pid
    worker = psutil.Process(pid)
    base = sum(worker.cpu_times()[:2])

    def kill_when_busy() -> None:  # the worker burns CPU only once it works on the big file
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if sum(worker.cpu_times()[:2]) > base + 0.05:
                os.kill(pid, signal.SIGKILL)
                return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_when_busy)
    killer.start()
    try:
        results = pool.run([t_big, t_small], lambda: False)
    finally:
        killer.join()
        pool.close()
    assert results[1].outcome == FAILED and "crashed" in results[1].reason
    assert results[2].outcome == OK  # a fresh worker took the next file
    assert not list(tmp_path.rglob("*.tmp-*"))


def test_a_stop_request_leaves_the_rest_undone(tmp_path):
    tasks = []
    for i in range(6):
        t = task_for(picture(tmp_path / f"p{i}.jpg", (400, 300), seed=i), tmp_path / f"out{i}")
        t.key = i
        tasks.append(t)
    for pool in (ProcessWorkers(1, time_limit=60), ThreadWorkers(1, time_limit=60)):
        pool.start()
        seen: list[int] = []
        try:
            results = pool.run(tasks, lambda seen=seen: (seen.append(1) or len(seen)) > 3)
        finally:
            pool.close()
        assert 0 < len(results) < 6, pool.mode
        assert all(r.outcome == OK for r in results.values())

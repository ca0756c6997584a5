"""Reading while listing: the scan reads each candidate once as the walk finds it (small files whole,
larger ones their first 16 KiB), never a file the cache answers, one read per inode, and a scan
killed half-way starts again from nothing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import psutil
import pytest

from sd_desktop.cas import full_hash
from sd_desktop.jobs import codec
from sd_desktop.ops.files.duplicate_detection import DuplicateConfig, DuplicateMode
from sd_desktop.ops.files.duplicate_detection.cache import Known
from sd_desktop.ops.files.duplicate_detection.config import DuplicateState
from sd_desktop.ops.files.duplicate_detection.stages import HEAD_SIZE
from tests.conftest import REPO, cli_env
from tests.duplicates._helpers import crowd_hash_cache, rel_groups, resume_job, resume_with_cli, run_job, write

MTIME = 1_600_000_000


@pytest.fixture(autouse=True)
def read_from_the_first_candidate(monkeypatch):
    """The trees here are small: read while listing from the first candidate on, whatever the cache
    holds (with a big cache the scan waits for EARLY_AFTER candidates first)."""
    from sd_desktop.ops.files.duplicate_detection import scanning

    monkeypatch.setattr(scanning, "EARLY_AFTER", 0)


def find(library, *paths, **kw) -> dict:
    info = run_job(library, "duplicate_detection", DuplicateConfig(search_paths=list(paths), **kw))
    assert info.status.value == "completed", (info.error, info.errors)
    return info.output


def cache_of(library, path) -> Known | None:
    st = os.stat(path)
    row = library.read_sync(
        lambda c: c.execute(
            "SELECT size, mtime_ns, ctime_ns, hash FROM hash_cache WHERE device = ? AND inode = ?",
            (st.st_dev, st.st_ino),
        ).fetchone()
    )
    if row is None:
        return None
    assert row[:3] == (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    return Known.decode(row[3])


def test_small_candidates_are_read_once_and_cached(library, tmp_path):
    same = os.urandom(4000)
    for name in ("a", "b", "c"):
        write(tmp_path / f"{name}.txt", same, MTIME)
    write(tmp_path / "d.txt", os.urandom(4000), MTIME)  # same size, other content
    write(tmp_path / "lonely.txt", os.urandom(4001), MTIME)  # no other file of its size: never read
    out = find(library, tmp_path)
    assert rel_groups(out, tmp_path) == [["a.txt", "b.txt", "c.txt"]]
    assert out["stages"]["whole_small"] == 4 and out["stages"]["cache_hits"] == 0
    assert out["bytes_hashed"] == 4 * 4000
    for name in "abcd":
        assert cache_of(library, tmp_path / f"{name}.txt").full == full_hash(tmp_path / f"{name}.txt")
    assert cache_of(library, tmp_path / "lonely.txt") is None
    again = find(library, tmp_path, reuse_unchanged=False)  # the per-file cache, not the last result
    assert again["groups"] == out["groups"]
    assert again["stages"]["whole_small"] == 0 and again["stages"]["cache_hits"] == 4
    assert again["bytes_hashed"] == 0


def test_large_files_get_their_head_while_listing_and_the_rest_later(library, tmp_path):
    big = os.urandom(300_000)
    write(tmp_path / "a.bin", big, MTIME)
    write(tmp_path / "b.bin", big, MTIME)
    other = os.urandom(300_000)  # same size, another head: split off by the head alone
    write(tmp_path / "c.bin", other, MTIME)
    out = find(library, tmp_path)
    assert rel_groups(out, tmp_path) == [["a.bin", "b.bin"]]
    assert out["stages"]["head_hashed"] == 3
    assert out["stages"]["tail_hashed"] == 2 and out["stages"]["full_hashed"] == 2
    assert out["bytes_hashed"] == 3 * HEAD_SIZE + 2 * HEAD_SIZE + 2 * 300_000
    c = cache_of(library, tmp_path / "c.bin")
    assert c.full is None and c.head is not None and c.tail is None
    assert cache_of(library, tmp_path / "a.bin").full == full_hash(tmp_path / "a.bin")


def test_only_what_changed_is_read_again(library, tmp_path):
    same = os.urandom(3000)
    for name in ("a", "b", "c"):
        write(tmp_path / f"{name}.txt", same, MTIME)
    find(library, tmp_path)
    write(tmp_path / "b.txt", os.urandom(3000), MTIME)  # rewritten in place, mtime put back: ctime moved
    out = find(library, tmp_path)
    assert rel_groups(out, tmp_path) == [["a.txt", "c.txt"]]
    assert out["stages"]["whole_small"] == 1 and out["stages"]["cache_hits"] == 2
    assert out["bytes_hashed"] == 3000


def test_one_read_per_inode_and_deep_mode_still_compares(library, tmp_path):
    same = os.urandom(5000)
    write(tmp_path / "a.txt", same, MTIME)
    os.link(tmp_path / "a.txt", tmp_path / "a-link.txt")
    write(tmp_path / "b.txt", same, MTIME)
    out = find(library, tmp_path)
    assert out["stages"]["whole_small"] == 2
    [group] = out["groups"]
    assert len(group["paths"]) == 2 and len(out["hardlinks"]) == 1
    deep = find(library, tmp_path, mode=DuplicateMode.DEEP)
    assert deep["stages"]["byte_compared"] == 1 and deep["stages"]["whole_small"] == 0


def test_a_crowded_cache_reads_after_the_walk_with_the_same_answer(library, tmp_path):
    same = os.urandom(3000)
    for name in ("a", "b"):
        write(tmp_path / f"{name}.txt", same, MTIME)
    write(tmp_path / "c.txt", os.urandom(3000), MTIME)
    crowd_hash_cache(library, tmp_path)
    out = find(library, tmp_path)
    assert rel_groups(out, tmp_path) == [["a.txt", "b.txt"]]
    assert out["stages"]["whole_small"] == 3
    assert cache_of(library, tmp_path / "c.txt").full == full_hash(tmp_path / "c.txt")


@pytest.mark.parametrize("walker_mode", ["inprocess", "always"])
def test_kill_9_while_the_scan_reads_then_resume(tmp_path, library_dir, walker_mode):
    """Nothing of a scan is committed before its end: killed while it reads, the job scans again on
    resume and finds every group. Its helper processes (the walker, the fork server) go with it."""
    tree = tmp_path / "tree"
    pairs = 1500
    for i in range(pairs):
        data = os.urandom(20_000 + i)
        write(tree / f"d{i % 29}" / f"{i}.a", data)
        write(tree / f"d{i % 29}" / f"{i}.b", data)
    cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), "duplicates", str(tree), "--json"]
    env = cli_env({"SD_DESKTOP_WALKER": walker_mode})
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO)
    helpers: list[psutil.Process] = []
    db_path = library_dir / "library.db"
    killed_in = None
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:  # read-only: a plain connect would create an empty library.db, which the CLI refuses
                conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
                try:
                    row = conn.execute("SELECT status FROM job WHERE id = 1").fetchone()
                finally:
                    conn.close()
            except sqlite3.Error:
                row = None
            if row and row[0] == "running":
                time.sleep(0.05)  # into the walk and its reads
                os.kill(proc.pid, signal.SIGSTOP)  # freeze it, check it is still scanning, then kill
                helpers = psutil.Process(proc.pid).children(recursive=True)
                conn = sqlite3.connect(db_path)
                status, state = conn.execute("SELECT status, state FROM job WHERE id = 1").fetchone()
                conn.close()
                os.kill(proc.pid, signal.SIGKILL)
                if status == "running" and (state is None or codec.unpack(state, DuplicateState).phase == "scan"):
                    killed_in = "scan"
                break
            time.sleep(0.001)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert killed_in == "scan", "the job finished before it could be killed while scanning"
    if walker_mode == "always":
        assert len(helpers) >= 2, "a walker (and the fork server it came from) ran under the job"
    _gone, alive = psutil.wait_procs(helpers, timeout=10)
    assert not alive, "helper processes outlived the killed job"
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM hash_cache").fetchone()[0] == 0, "nothing of the scan committed"
    conn.close()
    result = resume_with_cli(library_dir)
    assert result["status"] == "completed"
    assert result["output"]["group_count"] == pairs


def test_a_scan_paused_half_way_keeps_what_it_read(library, tmp_path, monkeypatch):
    """What the scan read is written to the hash cache as it goes: paused half-way (a scan is never
    committed half-way, so it starts again), the next scan does not read those files again."""
    import asyncio
    import threading

    from sd_desktop.jobs import JobManager
    from sd_desktop.ops.files.duplicate_detection import scanning
    from sd_desktop.ops.files.duplicate_detection.stages import Pipeline

    pairs = 400
    for i in range(pairs):
        data = os.urandom(2000 + i)
        write(tmp_path / f"d{i % 13}" / f"{i}.a", data)
        write(tmp_path / f"d{i % 13}" / f"{i}.b", data)
    monkeypatch.setattr(scanning, "KEEP_EVERY", 0.0)
    original = Pipeline.whole_small
    reads = [0]

    async def first() -> tuple[int, object]:
        manager = JobManager(library, run_queued=True)
        await manager.start()
        loop = asyncio.get_running_loop()
        job_id = await manager.enqueue("duplicate_detection", DuplicateConfig(search_paths=[tmp_path]))

        asked = threading.Event()

        def ask_to_pause() -> None:
            asyncio.ensure_future(manager.pause(job_id)).add_done_callback(lambda _f: asked.set())

        def counting(self, info, fd):
            reads[0] += 1
            if reads[0] == pairs // 2:  # the pause is asked before this read ends (the scan then stops soon)
                loop.call_soon_threadsafe(ask_to_pause)
                asked.wait(10)
            return original(self, info, fd)

        monkeypatch.setattr(Pipeline, "whole_small", counting)
        info = await manager.wait(job_id)
        monkeypatch.setattr(Pipeline, "whole_small", original)
        await manager.shutdown()
        return job_id, info

    job_id, info = asyncio.run(first())
    assert info.status.value == "paused"
    kept = library.read_sync(lambda c: c.execute("SELECT count(*) FROM hash_cache").fetchone()[0])
    assert pairs // 2 <= kept < 2 * pairs

    done = resume_job(library, job_id)
    assert done.status.value == "completed"
    assert done.output["group_count"] == pairs
    stages = done.output["stages"]
    assert stages["cache_hits"] == kept and stages["whole_small"] == 2 * pairs - kept


def test_unreadable_files_are_reported_and_left_out(library, mount_faultfs):
    """EIO on a candidate (a failing disk, a dropped share), in the read while listing and again in
    the stage that needs the file: that file is reported and left out of its group, and the copies
    that can be read are still found."""
    point, backing = mount_faultfs("dupes", {"read_eio": {"bad-small.txt": 0, "bad-big.bin": 100_000}})
    small, big = os.urandom(3000), os.urandom(300_000)
    for name, data in (("good-small.txt", small), ("good-small-2.txt", small), ("bad-small.txt", small)):
        write(backing / name, data)
    for name, data in (("good-big.bin", big), ("good-big-2.bin", big), ("bad-big.bin", big)):
        write(backing / name, data)
    info = run_job(library, "duplicate_detection", DuplicateConfig(search_paths=[point]))
    assert info.status.value == "completed_with_errors"
    groups = rel_groups(info.output, point)
    assert groups == [["good-big-2.bin", "good-big.bin"], ["good-small-2.txt", "good-small.txt"]]
    reported = {os.path.basename(e["path"]): e["message"] for e in info.errors}
    assert set(reported) == {"bad-small.txt", "bad-big.bin"}
    assert all("input/output error" in m.lower() for m in reported.values())


def test_a_small_search_does_not_read_a_big_cache_ahead(library, tmp_path, monkeypatch):
    """A device with few cache rows has them read before the walk. With more (here: more than a
    quick-preload limit of -1), they are read only once EARLY_AFTER candidates are listed; a smaller
    search keeps to the look-up of its own files after the walk. The groups are the same."""
    from sd_desktop.ops.files.duplicate_detection import cache, scanning

    same = os.urandom(3000)
    for name in ("a", "b", "c"):
        write(tmp_path / f"{name}.txt", same, MTIME)
    full_preloads = []
    original = cache.preload

    def recording(*a, **k):
        result = original(*a, **k)
        if "limit" not in k:
            full_preloads.append(result is not None)
        return result

    monkeypatch.setattr(cache, "preload", recording)
    monkeypatch.setattr(cache, "QUICK_PRELOAD", -1)
    monkeypatch.setattr(scanning, "EARLY_AFTER", 4)
    small = find(library, tmp_path)
    assert full_preloads == []
    library.write_sync(lambda c: c.execute("DELETE FROM hash_cache"))
    monkeypatch.setattr(scanning, "EARLY_AFTER", 3)
    bigger = find(library, tmp_path)
    assert full_preloads == [True]
    assert small["groups"] == bigger["groups"] and len(small["groups"]) == 1
    assert small["stages"]["whole_small"] == bigger["stages"]["whole_small"] == 3

"""Running a job in-process to its end, and reading duplicate groups as sets of relative paths."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from sd_desktop.jobs import JobInfo, JobManager


def run_job(library, name: str, config) -> JobInfo:
    async def go() -> JobInfo:
        manager = JobManager(library, run_queued=True)
        await manager.start()
        try:
            job_id = await manager.enqueue(name, config)
            return await manager.wait(job_id)
        finally:
            await manager.shutdown()

    return asyncio.run(go())


def resume_job(library, job_id: int) -> JobInfo:
    """Resume a paused or interrupted job in a fresh manager and run it to its end."""

    async def go() -> JobInfo:
        manager = JobManager(library, run_queued=True)
        await manager.start()
        try:
            await manager.resume(job_id)
            return await manager.wait(job_id)
        finally:
            await manager.shutdown()

    return asyncio.run(go())


def rel_groups(output: dict, root: Path) -> list[list[str]]:
    """Groups as sorted lists of paths relative to ``root`` (sorted), for comparing with a manifest."""
    base = os.path.realpath(os.fsencode(root))
    groups = []
    for g in output["groups"]:
        groups.append(sorted(os.fsdecode(os.path.relpath(os.fsencode(p), base)) for p in g["paths"]))
    return sorted(groups)


def write(path: Path, data: bytes, mtime: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def crowd_hash_cache(library, folder: Path) -> None:
    """Give the hash cache more rows on ``folder``'s device than a scan reads ahead of its walk (rows of
    inode numbers no file has): the scan then reads nothing while listing, and every size group the
    cache does not settle goes through the hashing batches."""
    from sd_desktop.library import hash_cache
    from sd_desktop.ops.files.duplicate_detection import cache

    dev = os.stat(folder).st_dev
    rows = [(dev, 10**15 + n, 1, 0, 0, "0" * 64) for n in range(cache.PRELOAD_LIMIT + 1)]
    library.write_sync(lambda c: hash_cache.store(c, rows))


def resume_with_cli(library_dir: Path, job_id: int = 1) -> dict:
    """``sd-desktop jobs resume ID --json`` in a subprocess (after a kill -9); its last JSON record."""
    import json
    import subprocess
    import sys

    from tests.conftest import REPO, cli_env

    resumed = subprocess.run(
        [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), "jobs", "resume", str(job_id), "--json"],
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=REPO,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    return [json.loads(x) for x in resumed.stdout.splitlines() if x.startswith("{")][-1]

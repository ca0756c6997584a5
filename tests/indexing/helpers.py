"""Shared helpers of the indexer tests: run the job in-process, snapshot the entry table."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

from sd_desktop.jobs import JobInfo, JobManager
from sd_desktop.library import Library
from sd_desktop.library.locations import add_location


def index(lib: Library, config: dict) -> JobInfo:
    """Run one indexer job to its end in this process; returns its stored record."""

    async def go() -> JobInfo:
        manager = JobManager(lib, run_queued=False)
        await manager.start()
        try:
            job_id = await manager.enqueue("indexer", config)
            return await manager.wait_tree(job_id)
        finally:
            await manager.shutdown()

    return asyncio.run(go())


def index_path(lib: Library, path: Path | str, **config) -> JobInfo:
    loc = add_location(lib, path)
    info = index(lib, {"location_id": loc, **config})
    assert info.status.value in ("completed", "completed_with_errors"), (info.status, info.error)
    return info


def snapshot(lib: Library, location_id: int | None = None, with_ids: bool = False) -> dict[bytes, tuple]:
    """The entry table of a location keyed by path, without ids (comparable across libraries)."""

    def q(conn):
        loc = location_id
        if loc is None:
            loc = conn.execute("SELECT MIN(id) FROM location").fetchone()[0]
        rows = conn.execute(
            "SELECT e.path, e.name, e.kind, e.size, e.aggregate_size, e.file_count, e.child_count, e.inode, "
            "e.device, e.mtime_ns, e.mode, e.hidden, e.cas_id, e.integrity_hash, e.mime, e.link_target, "
            "p.path, c.cas_id, c.size, c.kind, c.mime, e.id "
            "FROM entry e LEFT JOIN entry p ON p.id = e.parent_id "
            "LEFT JOIN content_identity c ON c.id = e.content_id WHERE e.location_id = ?",
            (loc,),
        ).fetchall()
        out = {}
        for r in rows:
            values = tuple(bytes(v) if isinstance(v, memoryview) else v for v in r)
            out[values[0]] = values if with_ids else values[:-1]
        return out

    return lib.read_sync(q)


def find_truth(tree: Path) -> dict:
    """Counts and sizes as ``find`` reports them (the outside reference)."""

    def count(*args: str) -> int:
        out = subprocess.run(["find", str(tree), *args], capture_output=True, check=True).stdout
        return out.count(b"\0")

    sizes = subprocess.run(
        ["find", str(tree), "-type", "f", "-printf", "%s\\n"], capture_output=True, check=True
    ).stdout.split()
    return {
        "entries_find": count("-print0"),
        "files": count("-type", "f", "-print0"),
        "dirs": count("-mindepth", "1", "-type", "d", "-print0"),
        "symlinks": count("-type", "l", "-print0"),
        "bytes": sum(int(s) for s in sizes),
    }


def write(path: Path, data: bytes | str, mtime_ns: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return path

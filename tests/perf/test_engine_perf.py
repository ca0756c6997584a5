"""Engine overhead: rows committed through ``ctx.checkpoint`` vs raw sqlite3 in the same run,
and the event loop's lateness while a job checkpoints continuously."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import dataclass

import pytest

from sd_desktop.jobs import Job, JobContext, JobManager, register
from sd_desktop.library import Library

ROWS, BATCH = 200_000, 2_000


@dataclass
class BulkConfig:
    rows: int = ROWS
    batch: int = BATCH


@dataclass
class BulkState:
    next: int = 0


@dataclass
class BulkOutput:
    rows: int = 0


def _rows(start: int, n: int) -> list[tuple]:
    return [(i, f"name-{i}", i * 7, i % 97) for i in range(start, start + n)]


@register
class BulkJob(Job):
    NAME = "perf_bulk_rows"
    Config, State, Output = BulkConfig, BulkState, BulkOutput

    async def run(self, ctx: JobContext) -> BulkOutput:
        while self.state.next < self.config.rows:
            await ctx.check_interrupt()
            rows = _rows(self.state.next, self.config.batch)
            self.state.next += self.config.batch
            await ctx.checkpoint(lambda c, rows=rows: c.executemany("INSERT INTO bulk VALUES (?, ?, ?, ?)", rows))
            ctx.progress(phase="writing", done=self.state.next, total=self.config.rows)
        return BulkOutput(self.state.next)


SCHEMA = "CREATE TABLE bulk (id INTEGER PRIMARY KEY, name TEXT, size INTEGER, parent INTEGER)"


def _floor(path) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=normal")
    conn.execute(SCHEMA)
    t0 = time.perf_counter()
    for start in range(0, ROWS, BATCH):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO bulk VALUES (?, ?, ?, ?)", _rows(start, BATCH))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


@pytest.mark.perf
def test_checkpointed_writes_vs_raw_sqlite(tmp_path):
    floor = _floor(tmp_path / "floor.db")
    lib = Library.open(tmp_path / "lib")
    lib.write_sync(lambda c: c.execute(SCHEMA))
    lateness: list[float] = []

    async def go() -> float:
        m = JobManager(lib)
        await m.start()
        stop = False

        async def ticker():
            while not stop:
                t = time.perf_counter()
                await asyncio.sleep(0.01)
                lateness.append((time.perf_counter() - t - 0.01) * 1000)

        tick = asyncio.create_task(ticker())
        t0 = time.perf_counter()
        job_id = await m.enqueue("perf_bulk_rows", BulkConfig())
        await m.wait(job_id)
        elapsed = time.perf_counter() - t0
        stop = True
        await tick
        await m.shutdown()
        return elapsed

    ours = asyncio.run(go())
    lib.close()
    lateness.sort()
    p99 = lateness[int(len(lateness) * 0.99)]
    ratio = ours / floor
    print(
        f"\ncheckpointed writes: {ROWS / ours:,.0f} rows/s; raw floor {ROWS / floor:,.0f} rows/s; "
        f"ratio {ratio:.2f}x; loop lateness max {max(lateness):.1f} ms p99 {p99:.1f} ms"
    )
    assert ratio < 3.0

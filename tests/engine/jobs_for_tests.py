"""Small jobs the engine tests run: a counter that checkpoints rows, and friends.

Registered when imported; the CLI crash test loads this module through SD_DESKTOP_EXTRA_JOBS.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from sd_desktop.jobs import Job, JobContext, JobError, register


@dataclass
class CountConfig:
    n: int = 10
    delay: float = 0.0
    tag: str = ""
    fail_at: int | None = None
    noncritical_every: int = 0
    marker_dir: str | None = None  # a file per committed step lands here (for crash tests)


@dataclass
class CountState:
    next: int = 0
    total: int = 0


@dataclass
class CountOutput:
    count: int = 0
    total: int = 0


@register
class CountJob(Job):
    """Counts to n, writing one row per step into a table and checkpointing each step."""

    NAME = "test_count"
    VERSION = 1
    RESUMABLE = True
    DESCRIPTION = "count (for tests)"
    Config = CountConfig
    State = CountState
    Output = CountOutput

    events: list[str] = []

    def target(self) -> str:
        return f"count to {self.config.n} {self.config.tag}".strip()

    async def run(self, ctx: JobContext) -> CountOutput:
        await ctx.library.write(
            lambda c: c.execute("CREATE TABLE IF NOT EXISTS test_steps (job INT, step INT, UNIQUE(job, step))")
        )
        while self.state.next < self.config.n:
            await ctx.check_interrupt()
            i = self.state.next
            if self.config.fail_at == i:
                raise JobError(f"failed on purpose at {i}")
            if self.config.delay:
                await asyncio.sleep(self.config.delay)
            if self.config.noncritical_every and i % self.config.noncritical_every == 0:
                ctx.add_non_critical_error(f"/item/{i}", "could not do item")
            self.state.next = i + 1
            self.state.total += i

            def write(conn, i=i, job=ctx.job_id):
                conn.execute("INSERT INTO test_steps (job, step) VALUES (?, ?)", (job, i))

            await ctx.checkpoint(write)
            if self.config.marker_dir:
                Path(self.config.marker_dir, f"step-{i}").write_text(str(os.getpid()))
            ctx.progress(phase="counting", done=self.state.next, total=self.config.n)
        return CountOutput(count=self.state.next, total=self.state.total)

    async def on_pause(self, ctx):
        CountJob.events.append(f"pause:{ctx.job_id}")

    async def on_resume(self, ctx):
        CountJob.events.append(f"resume:{ctx.job_id}")

    async def on_cancel(self, ctx):
        CountJob.events.append(f"cancel:{ctx.job_id}")


@dataclass
class SleepConfig:
    seconds: float = 0.2
    follow_with: int | None = None


@dataclass
class SleepOutput:
    started: float = 0.0
    ended: float = 0.0
    child: int | None = None


@register
class SleepJob(Job):
    NAME = "test_sleep"
    RESUMABLE = False
    Config = SleepConfig
    Output = SleepOutput

    async def run(self, ctx: JobContext) -> SleepOutput:
        start = time.monotonic()
        end = start + self.config.seconds
        while time.monotonic() < end:
            await ctx.check_interrupt()
            await asyncio.sleep(0.01)
        child = None
        if self.config.follow_with is not None:
            child = await ctx.enqueue_followup("test_count", CountConfig(n=self.config.follow_with, tag="child"))
        return SleepOutput(start, time.monotonic(), child)


@dataclass
class BlockConfig:
    seconds: float = 60.0
    marker: str = ""


@dataclass
class BlockOutput:
    seconds: float = 0.0


@register
class BlockJob(Job):
    """Stuck in blocking work that never looks at pause or cancel."""

    NAME = "test_block"
    RESUMABLE = True
    Config = BlockConfig
    Output = BlockOutput

    async def run(self, ctx: JobContext) -> BlockOutput:
        if self.config.marker:
            open(self.config.marker, "w").close()
        await ctx.run_blocking(time.sleep, self.config.seconds)
        return BlockOutput(self.config.seconds)


@dataclass
class PathsConfig:
    items: list[Path] = field(default_factory=list)


@dataclass
class PathsOutput:
    items: list[Path] = field(default_factory=list)


@register
class PathsJob(Job):
    NAME = "test_paths"
    Config = PathsConfig
    Output = PathsOutput

    async def run(self, ctx: JobContext) -> PathsOutput:
        return PathsOutput(list(self.config.items))

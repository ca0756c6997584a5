"""``ctx.checkpoint(fn, state_after=True)``: state that ``fn`` updates on the writer thread commits in
the same transaction as its rows; the default encodes the state before ``fn`` runs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sd_desktop.jobs import Job, JobContext, JobManager, JobStatus, codec, register


@dataclass
class TallyConfig:
    state_after: bool = True


@dataclass
class TallyState:
    rows: int = 0  # set inside the checkpoint's own transaction, from what it inserted


@dataclass
class TallyOutput:
    stored_rows: int = 0  # TallyState.rows as the checkpoint stored it
    rows: int = 0  # rows the checkpoint inserted


@register
class TallyJob(Job):
    NAME = "test_tally_state_after"
    VERSION = 1
    RESUMABLE = True
    Config = TallyConfig
    State = TallyState
    Output = TallyOutput

    async def run(self, ctx: JobContext) -> TallyOutput:
        def write(conn) -> int:
            conn.execute("CREATE TABLE IF NOT EXISTS tally (job INT, n INT)")
            conn.executemany("INSERT INTO tally VALUES (?, ?)", [(ctx.job_id, i) for i in range(7)])
            self.state.rows = conn.execute("SELECT COUNT(*) FROM tally WHERE job = ?", (ctx.job_id,)).fetchone()[0]
            return self.state.rows

        written = await ctx.checkpoint(write, state_after=self.config.state_after)
        assert written == 7
        # what that checkpoint committed, read back from the database on another connection
        blob = await ctx.library.read(
            lambda c: c.execute("SELECT state FROM job WHERE id = ?", (ctx.job_id,)).fetchone()[0]
        )
        rows = await ctx.library.read(
            lambda c: c.execute("SELECT COUNT(*) FROM tally WHERE job = ?", (ctx.job_id,)).fetchone()[0]
        )
        return TallyOutput(stored_rows=codec.unpack(blob, TallyState).rows, rows=rows)


def _stored(library, state_after: bool) -> dict:
    async def go():
        m = JobManager(library)
        await m.start()
        job_id = await m.enqueue(TallyJob.NAME, TallyConfig(state_after=state_after))
        info = await m.wait(job_id)
        await m.shutdown()
        return info

    info = asyncio.run(go())
    assert info.status is JobStatus.COMPLETED
    return info.output


def test_state_after_commits_what_fn_set_with_its_rows(library):
    assert _stored(library, state_after=True) == {"stored_rows": 7, "rows": 7}


def test_default_checkpoint_encodes_the_state_before_fn(library):
    assert _stored(library, state_after=False) == {"stored_rows": 0, "rows": 7}

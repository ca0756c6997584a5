"""Work items a job runs at the same time (a transfer's small files in flight at once)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def first_done(running: dict[asyncio.Task, Any]) -> None:
    """Wait for one of ``running`` to end and drop it; its failure (a pause, a lost server) is
    raised here, and the caller cancels the rest."""
    done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
    for task in done:
        del running[task]
    failed = [task for task in done if task.cancelled() or task.exception() is not None]
    if failed:
        failed[0].result()


async def cancel_all(running: dict[asyncio.Task, Any]) -> None:
    """Cancel what is still in flight (the job pauses, or one of them failed) and wait for each to
    unwind: none is left running behind the job."""
    for task in running:
        task.cancel()
    for task in running:
        with contextlib.suppress(BaseException):
            await task

"""Work items a job runs at the same time (a transfer's small files in flight at once)."""

from __future__ import annotations

import asyncio
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

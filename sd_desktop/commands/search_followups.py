"""The duplicate search, or the follow-up it had started: running ``duplicates ... --delete`` (or
``--link``) again after a kill continues the removal (or linking) that was under way, each target
re-verified as it goes; a later run searches afresh."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from sd_desktop.commands.common import drive_job

if TYPE_CHECKING:
    from sd_desktop.jobs import JobInfo, JobManager
    from sd_desktop.library import Library
    from sd_desktop.ops.files.duplicate_detection import DuplicateConfig


def search_or_continue(
    lib: Library,
    args: argparse.Namespace,
    config: DuplicateConfig,
    interrupted: Callable[[JobManager], Awaitable[int | None]] | None,
) -> tuple[JobInfo, bool]:
    """Run the search to its end, or (``interrupted`` finds one) the follow-up a killed run of the
    same command left; returns its end and whether it was that follow-up."""
    continued: list[int] = []

    async def start(manager: JobManager) -> int:
        job_id = await interrupted(manager) if interrupted is not None else None
        if job_id is not None:
            continued.append(job_id)
            await manager.resume(job_id)  # a follow-up of a job this manager did not run: allow it
            return job_id
        return await manager.enqueue("duplicate_detection", config)

    info = asyncio.run(drive_job(lib, args, start))
    return info, bool(continued)

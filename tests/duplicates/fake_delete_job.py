"""A stand-in "delete" job that only records the config it was given (loaded through
SD_DESKTOP_EXTRA_JOBS), so the CLI's hand-over to the DeleteJob is tested before the real one is
merged. It is never loaded together with the real DeleteJob (its tests skip then)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sd_desktop.jobs import Job, JobContext, register


@dataclass
class RecordConfig:
    targets: list[Path] = field(default_factory=list)
    mode: str = "trash"
    confirm: bool = False
    guarded: list[dict] = field(default_factory=list)


@dataclass
class RecordOutput:
    targets: list[str] = field(default_factory=list)
    mode: str = ""
    confirm: bool = False
    guarded: list[dict] = field(default_factory=list)
    parent_id: int | None = None


@register
class RecordDeleteJob(Job):
    NAME = "delete"
    Config, Output = RecordConfig, RecordOutput

    async def run(self, ctx: JobContext) -> RecordOutput:
        info = await ctx.manager.info(ctx.job_id)
        c = self.config
        return RecordOutput([os.fsdecode(t) for t in c.targets], c.mode, c.confirm, c.guarded, info.parent_id)

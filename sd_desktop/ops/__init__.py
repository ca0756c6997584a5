"""The jobs sd_desktop ships. ``load_all`` imports each module so its jobs register by NAME."""

from __future__ import annotations

import importlib
import os

JOB_MODULES: list[str] = [
    "sd_desktop.ops.files.duplicate_detection",
    "sd_desktop.ops.files.validation",
    "sd_desktop.ops.indexing.job",
    "sd_desktop.ops.indexing.live_job",
    "sd_desktop.ops.files.copy",
    "sd_desktop.ops.files.delete",
    "sd_desktop.ops.files.trash",
    "sd_desktop.ops.media.thumbnail.job",
    "sd_desktop.ops.media.similar.job",
]

_loaded = False


def load_all() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    # SD_DESKTOP_EXTRA_JOBS: comma-separated modules with more jobs (plug-ins; the tests' own jobs)
    extra = [m.strip() for m in os.environ.get("SD_DESKTOP_EXTRA_JOBS", "").split(",") if m.strip()]
    for module in JOB_MODULES + extra:
        importlib.import_module(module)

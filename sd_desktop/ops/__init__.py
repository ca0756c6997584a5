"""The jobs sd_desktop ships. ``load_all`` imports each module so its jobs register by NAME;
``load(names)`` imports only the modules of those jobs (a command that runs one kind of job)."""

from __future__ import annotations

import os

# ``importlib`` and ``collections`` are imported by the loads: a search of an unchanged tree forks
# its walk from a module of this package, and what is imported before the fork delays the walk
TYPE_CHECKING = False  # not ``typing``'s (a module more to read on a cold start)
if TYPE_CHECKING:
    from collections.abc import Iterable

# every built-in job by NAME, and the module that registers it
JOB_MODULE_OF: dict[str, str] = {
    "duplicate_detection": "sd_desktop.ops.files.duplicate_detection.job",
    "duplicate_folders": "sd_desktop.ops.files.duplicate_folders",
    "cross_duplicates": "sd_desktop.ops.files.cross_duplicates",
    "file_validation": "sd_desktop.ops.files.validation",
    "remote_validation": "sd_desktop.ops.files.validation.remote_job",
    "indexer": "sd_desktop.ops.indexing.job",
    "live_indexer": "sd_desktop.ops.indexing.live_job",
    "remote_indexer": "sd_desktop.ops.indexing.remote_job",
    "file_copy": "sd_desktop.ops.files.copy",
    "remote_copy": "sd_desktop.ops.files.remote_copy",
    "remote_upload": "sd_desktop.ops.files.remote_upload",
    "remote_delete": "sd_desktop.ops.files.remote_delete",
    "delete": "sd_desktop.ops.files.delete",
    "link_duplicates": "sd_desktop.ops.files.link",
    "trash_restore": "sd_desktop.ops.files.trash",
    "lint": "sd_desktop.ops.files.lint",
    "thumbnails": "sd_desktop.ops.media.thumbnail.job",
    "similar_pictures": "sd_desktop.ops.media.similar.job",
}
JOB_MODULES: list[str] = list(dict.fromkeys(JOB_MODULE_OF.values()))

_loaded = False


def load_all() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    # SD_DESKTOP_EXTRA_JOBS: comma-separated modules with more jobs (plug-ins; the tests' own jobs)
    extra = [m.strip() for m in os.environ.get("SD_DESKTOP_EXTRA_JOBS", "").split(",") if m.strip()]
    import importlib

    for module in JOB_MODULES + extra:
        importlib.import_module(module)


def load(names: Iterable[str]) -> None:
    """Register the jobs ``names`` (all of them for a name that is not built in). For a command
    that runs only these: a job they queue as a follow-up must be among them, and a job a crash
    left running must be loaded before the manager recovers it (``commands.common.drive_job``)."""
    import importlib

    for name in names:
        if name not in JOB_MODULE_OF:
            load_all()
            return
        importlib.import_module(JOB_MODULE_OF[name])

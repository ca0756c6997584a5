"""Duplicate detection: the job (``job``: its ``scanning`` and ``hashing`` phases, the staged comparison
in ``stages``, ``results``), the hash cache, unchanged-tree snapshots, selection policies and export.

The names here are imported on first use: ``unchanged`` answers a search of an unchanged tree
without the job (and the engine it imports)."""

import sys

TYPE_CHECKING = False  # not ``typing``'s: see above
if TYPE_CHECKING:
    from sd_desktop.ops.files.duplicate_detection.config import DuplicateConfig, DuplicateMode, DuplicateOutput
    from sd_desktop.ops.files.duplicate_detection.job import DuplicateDetectionJob

_WHERE = {
    "DuplicateConfig": "config",
    "DuplicateMode": "config",
    "DuplicateOutput": "config",
    "DuplicateDetectionJob": "job",
}

__all__ = ["DuplicateConfig", "DuplicateDetectionJob", "DuplicateMode", "DuplicateOutput"]


def __getattr__(name: str) -> object:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = f"{__name__}.{where}"
    __import__(module)
    value = getattr(sys.modules[module], name)
    globals()[name] = value  # looked up once
    return value

"""Duplicate detection: the job (``job``: its ``scanning`` and ``hashing`` phases, the staged comparison
in ``stages``, ``results``), the hash cache, unchanged-tree snapshots, selection policies and export."""

from sd_desktop.ops.files.duplicate_detection.config import DuplicateConfig, DuplicateMode, DuplicateOutput
from sd_desktop.ops.files.duplicate_detection.job import DuplicateDetectionJob

__all__ = ["DuplicateConfig", "DuplicateDetectionJob", "DuplicateMode", "DuplicateOutput"]

"""Duplicate detection: the job (``job``), its stages, the hash cache, selection policies and export."""

from sd_desktop.ops.files.duplicate_detection.job import (
    DuplicateConfig,
    DuplicateDetectionJob,
    DuplicateMode,
    DuplicateOutput,
)

__all__ = ["DuplicateConfig", "DuplicateDetectionJob", "DuplicateMode", "DuplicateOutput"]

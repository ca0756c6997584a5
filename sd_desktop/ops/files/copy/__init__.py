"""FileCopyJob (copy and move) with its strategies and the conflict-answer API."""

from sd_desktop.ops.files.copy.config import ConflictPolicy, CopyConfig, CopyOutcome, CopyOutput, CopyState
from sd_desktop.ops.files.copy.job import FileCopyJob

__all__ = ["ConflictPolicy", "CopyConfig", "CopyOutcome", "CopyOutput", "CopyState", "FileCopyJob"]

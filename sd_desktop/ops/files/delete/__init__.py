"""DeleteJob (trash, permanent, secure) with its strategies and the duplicate-deletion guard."""

from sd_desktop.ops.files.delete.config import DeleteConfig, DeleteMode, DeleteOutcome, DeleteOutput, GuardedTarget
from sd_desktop.ops.files.delete.job import DeleteJob

__all__ = ["DeleteConfig", "DeleteJob", "DeleteMode", "DeleteOutcome", "DeleteOutput", "GuardedTarget"]

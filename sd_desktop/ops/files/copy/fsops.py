"""The file-system primitives' former home, kept so imports written against it keep working.

They live in ``sd_desktop.ops.files.fsops`` now (copy, delete and the window share them); import
them from there.
"""

from sd_desktop.ops.files.fsops import (
    TEMP_PREFIX,
    TEMP_SUFFIX,
    free_name,
    fsync_dir,
    new_token,
    read_from_device,
    rename_noreplace,
    rename_noreplace_at,
    rename_noreplace_between,
    start_writeback,
    syncfs,
    temp_name,
    unlink_quietly,
)

__all__ = [
    "TEMP_PREFIX",
    "TEMP_SUFFIX",
    "free_name",
    "fsync_dir",
    "new_token",
    "read_from_device",
    "rename_noreplace",
    "rename_noreplace_at",
    "rename_noreplace_between",
    "start_writeback",
    "syncfs",
    "temp_name",
    "unlink_quietly",
]

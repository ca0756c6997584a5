"""The trash as a place (freedesktop.org Trash specification): list every trash of the user,
restore items to where they came from (``TrashRestoreJob``), and find what to empty.

Trashing itself is ``files.delete.freedesktop_trash``; deleting items of a trash permanently (and
emptying it) is the delete job in permanent mode, which removes their records too.
"""

from sd_desktop.ops.files.trash.job import OnConflict, TrashRestoreConfig, TrashRestoreJob, TrashRestoreOutput
from sd_desktop.ops.files.trash.listing import (
    TrashDir,
    TrashItem,
    TrashListing,
    list_trash,
    newest_trashed,
    read_item,
    trash_dirs,
)
from sd_desktop.ops.files.trash.restore import RestoreConflict, Restored, RestoreError, beside_name, restore

__all__ = [
    "OnConflict",
    "RestoreConflict",
    "RestoreError",
    "Restored",
    "TrashDir",
    "TrashItem",
    "TrashListing",
    "TrashRestoreConfig",
    "TrashRestoreJob",
    "TrashRestoreOutput",
    "beside_name",
    "list_trash",
    "newest_trashed",
    "read_item",
    "restore",
    "trash_dirs",
]

"""Bringing one folder's library rows up to date: what the window asks for when the folder it shows
differs from the library (``library.disk_listing``).

It is the indexer over the folder's direct children only (``IndexScope.CURRENT``: new, changed,
moved and gone children, the totals of the folders above, content ids of new files), queued ahead
of other work and marked ``refresh``: such a run is upkeep nobody asked for, so it is forgotten once
it completes (``Job.recorded``) and front ends leave it out of their job lists (``is_refresh``).
"""

from __future__ import annotations

import os

from sd_desktop import paths
from sd_desktop.ops.indexing.config import REFRESH_MARK, IndexerConfig, IndexMode, IndexScope

NAME = "indexer"
PRIORITY = 10  # ahead of queued work: the folder is on screen


def refresh_config(location_id: int, folder: paths.PathLike, index_mode: str) -> IndexerConfig:
    """The indexer config that updates ``folder`` (inside location ``location_id``, links resolved)
    the way the location is indexed; deep locations get content ids here (their full hashes and
    thumbnails are the location's own index run's work)."""
    mode = IndexMode.SHALLOW if index_mode == IndexMode.SHALLOW.value else IndexMode.CONTENT
    real = os.path.realpath(os.fsencode(folder))
    return IndexerConfig(location_id, paths.to_path(real), mode=mode, scope=IndexScope.CURRENT, refresh=True)


def is_refresh(name: str, target: str) -> bool:
    """Whether a job (its name and target, as job records and events carry them) is a refresh."""
    return name == NAME and target.endswith(REFRESH_MARK)

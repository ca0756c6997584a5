"""LiveIndexerJob: the indexer run the live index queues itself for a changed folder.

The same work as ``IndexerJob`` (one folder's direct children, or a new folder's subtree, matched
against the stored rows: moves keep their entry ids, changed files lose their content id and are
identified again), but internal: it stays out of the History (``Job.HIDDEN``) and the watcher
deletes its row once it finished, so a busy folder never fills the job table.
"""

from __future__ import annotations

from sd_desktop.jobs import register
from sd_desktop.ops.indexing.job import IndexerJob


@register
class LiveIndexerJob(IndexerJob):
    NAME = "live_indexer"
    VERSION = 1
    HIDDEN = True
    DESCRIPTION = "Bring one changed folder of a watched location up to date (internal)"

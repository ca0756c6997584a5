"""LiveIndexerJob: the indexer run the live index queues itself for a changed folder.

The same work as ``IndexerJob`` (one folder's direct children, or a new folder's subtree, matched
against the stored rows: moves keep their entry ids, changed files lose their content id and are
identified again), but internal: it stays out of the History (``Job.HIDDEN``) and the watcher
deletes its row once it finished, so a busy folder never fills the job table. A new folder (nothing
stored below it) is identified as it is listed, as a first index is: its files are inserted with
their content ids in one pass.
"""

from __future__ import annotations

from sd_desktop.jobs import JobContext, register
from sd_desktop.library import entries
from sd_desktop.ops.indexing.config import IndexMode, IndexScope
from sd_desktop.ops.indexing.job import IndexerJob, Plan
from sd_desktop.ops.indexing.persist import EntryWriter


@register
class LiveIndexerJob(IndexerJob):
    NAME = "live_indexer"
    VERSION = 1
    HIDDEN = True
    DESCRIPTION = "Bring one changed folder of a watched location up to date (internal)"
    _new_subtree = False  # walking a folder nothing is stored below: every file listed is new

    async def _discover(self, ctx: JobContext, plan: Plan, writer: EntryWriter) -> None:
        # a new folder (created, unpacked, copied in) is identified as it is listed, like a first
        # index: one pass, its files inserted with their content ids, instead of a second pass
        # that reads them back, opens them and updates each row
        c = self.config
        if c.scope is IndexScope.RECURSIVE and c.mode is IndexMode.CONTENT and plan.target:
            loc, target = plan.location_id, plan.target
            self._new_subtree = not await ctx.library.read(lambda conn: entries.has_below(conn, loc, target))
        await super()._discover(ctx, plan, writer)

    def _identifies_while_listing(self, fresh: bool) -> bool:
        return super()._identifies_while_listing(fresh) or self._new_subtree

    def _overlaps_listing(self, writer: EntryWriter) -> bool:
        # a new folder has no stored children for the writer to read: listing and identifying the
        # next batch while one is inserted costs no GIL hand-offs per stored row
        return super()._overlaps_listing(writer) or self._new_subtree

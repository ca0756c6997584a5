"""Re-index remote locations on their schedule while an engine runs (``sd-desktop serve``, the window).

Remote volumes are not watched: no server tells us what changed. A location on one may have a
schedule (``location add NAME:/path --every 6h``, ``location schedule ID 6h``); when its interval
has passed since it was last indexed, the scheduler queues its ``remote_indexer`` job at a low
priority, so the user's own jobs go first. Never two at once for one location: a job of that
location still queued or running is left alone, and one that paused (its server was away) is
resumed rather than queued again. A due location is tried once per interval, so a volume that stays
offline costs one attempt per interval, not a loop.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sd_desktop.enums import JobStatus
from sd_desktop.jobs import JobManager
from sd_desktop.library import schedules

log = logging.getLogger(__name__)

PRIORITY = -10  # below the default 0 of every job a person starts
POLL_SECONDS = 5.0  # the longest sleep: a schedule set meanwhile is seen within this
JOB = "remote_indexer"


class ReindexScheduler:
    """Queues the scheduled re-indexes of ``manager``'s library; ``run`` until cancelled."""

    def __init__(self, manager: JobManager):
        self.manager = manager
        self._tried: dict[int, float] = {}  # location id -> when it was last queued or resumed

    async def run(self) -> None:
        while True:
            try:
                delay = await self.queue_due()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the library failed under it (full, closed): try again later
                log.warning("scheduled re-index: %s", exc)
                delay = POLL_SECONDS
            await asyncio.sleep(delay)

    async def queue_due(self, now: float | None = None) -> float:
        """Queue (or resume) the re-index of each location that is due; returns the seconds until
        the next one may be due (at most ``POLL_SECONDS``)."""
        now = time.time() if now is None else now
        due = await self.manager.library.read(schedules.scheduled)
        active = {
            info.config.get("location_id"): info
            for info in await self.manager.list(statuses={JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.PAUSED})
            if info.name == JOB and isinstance(info.config, dict)
        }
        sleep = POLL_SECONDS
        for loc in due:
            since = max(loc.last_indexed or 0.0, self._tried.get(loc.location_id, 0.0))
            wait = since + loc.every - now
            if wait > 0:
                sleep = min(sleep, wait)
                continue
            self._tried[loc.location_id] = now
            sleep = min(sleep, loc.every)
            job = active.get(loc.location_id)
            if job is None:
                job_id = await self.manager.enqueue(
                    JOB, {"location_id": loc.location_id, "path": ""}, priority=PRIORITY
                )
                log.info("location %s: scheduled re-index queued (job %s)", loc.location_id, job_id)
            elif job.status == JobStatus.PAUSED:
                await self.manager.resume(job.id)
                log.info("location %s: scheduled re-index resumed (job %s)", loc.location_id, job.id)
        return max(0.05, sleep)

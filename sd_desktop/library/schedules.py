"""Scheduled re-indexes of remote locations: how often (``location.reindex_every``, seconds) and
which are due (that interval past ``last_indexed``).

A location on a remote volume is not watched (no server tells us of its changes), so a running
engine re-indexes it on the schedule its user set (``engine.schedule``). Local locations are
watched while an engine runs and have no schedule.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, NamedTuple

from sd_desktop.library.locations import LocationError

if TYPE_CHECKING:
    from sd_desktop.library.library import Library


class Scheduled(NamedTuple):
    location_id: int
    every: float  # seconds
    last_indexed: float | None


def set_every(lib: Library, location_id: int, every: float | None) -> None:
    """Re-index the remote location every ``every`` seconds from now on (None: no schedule)."""
    from sd_desktop.library.models import Location  # peewee: only for a change

    def change(conn: sqlite3.Connection) -> None:
        row = conn.execute("SELECT path, volume_id FROM location WHERE id = ?", (location_id,)).fetchone()
        if row is None:
            raise LocationError(f"no location with id {location_id}")
        if row[1] is None and every is not None:
            raise LocationError(
                f"location {location_id} is on this machine: a running engine watches it, a schedule is for "
                "locations on volumes (NAME:/path)"
            )
        Location.update(reindex_every=every).where(Location.id == location_id).execute(lib.db)

    lib.write_sync(change)


def every_of(conn: sqlite3.Connection, location_id: int) -> float | None:
    row = conn.execute("SELECT reindex_every FROM location WHERE id = ?", (location_id,)).fetchone()
    return row[0] if row else None


def scheduled(conn: sqlite3.Connection) -> list[Scheduled]:
    """Every remote location with a schedule."""
    rows = conn.execute(
        "SELECT id, reindex_every, last_indexed FROM location "
        "WHERE reindex_every IS NOT NULL AND volume_id IS NOT NULL ORDER BY id"
    )
    return [Scheduled(*r) for r in rows]

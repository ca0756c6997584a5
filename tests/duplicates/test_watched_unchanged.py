"""A duplicate search in a long-lived engine whose live index watches the tree: a second search of an
unchanged tree takes the last result without walking it (the watcher vouches, ``jobs.watching``);
after a change the next search walks and finds the new groups."""

from __future__ import annotations

import asyncio
import time

from sd_desktop.jobs import JobManager
from sd_desktop.library import Library
from sd_desktop.library.locations import add_location
from sd_desktop.ops.files.duplicate_detection import DuplicateConfig, scanning
from sd_desktop.ops.indexing.live import LocationWatcher
from tests.duplicates._helpers import rel_groups
from tests.duplicates.test_unchanged_tree import make_tree

TIMEOUT = 30.0


class WalkCounter:
    """Counts the walks the duplicate scan starts (and lets each run as usual)."""

    def __init__(self, monkeypatch):
        self.walks = 0
        real = scanning.listing_processes.walk_listed

        def counting(*args, **kwargs):
            self.walks += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(scanning.listing_processes, "walk_listed", counting)


async def _search(manager: JobManager, root) -> dict:
    job_id = await manager.enqueue("duplicate_detection", DuplicateConfig(search_paths=[root]))
    info = await manager.wait(job_id)
    assert info.status.value == "completed", (info.error, info.errors)
    return info.output


async def _until(test, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not test():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out: {what}")
        await asyncio.sleep(0.02)


def _engine(library: Library, body, **watcher_args):
    async def go():
        manager = JobManager(library, run_queued=True)
        await manager.start()
        watcher = LocationWatcher(manager, catch_up=False, **watcher_args)
        await watcher.start()
        try:
            return await body(manager, watcher)
        finally:
            await watcher.stop()
            await manager.shutdown()

    return asyncio.run(go())


def test_a_watched_unchanged_tree_is_not_walked_and_a_change_is_seen(library, tmp_path, monkeypatch):
    root = tmp_path / "tree"
    make_tree(root)
    add_location(library, root)
    counter = WalkCounter(monkeypatch)

    async def body(manager: JobManager, watcher: LocationWatcher):
        first = await _search(manager, root)
        assert first["unchanged_since"] is None and not first["unchanged_watched"]
        assert counter.walks == 1
        second = await _search(manager, root)
        assert counter.walks == 1, "the second search walked the tree"
        assert second["unchanged_watched"] is True and second["unchanged_since"] is not None
        assert second["groups"] == first["groups"] and second["hardlinks"] == first["hardlinks"]
        assert second["files_scanned"] == first["files_scanned"]

        # one change: a copy of a file that stood alone makes a new group
        seen = watcher.received
        (root / "c" / "copy-of-alone.dat").write_bytes((root / "a" / "alone-0.dat").read_bytes())
        await _until(lambda: watcher.received > seen, "the watcher told of the new file")
        third = await _search(manager, root)
        assert counter.walks == 2
        assert third["unchanged_since"] is None and not third["unchanged_watched"]
        return first, third

    first, third = _engine(library, body)
    before = rel_groups(first, root)
    assert rel_groups(third, root) == sorted([*before, ["a/alone-0.dat", "c/copy-of-alone.dat"]])


def test_a_polled_or_unwatched_tree_is_walked(library, tmp_path, monkeypatch):
    """Outside every location (nothing watches it) the unchanged tree is proved by a walk."""
    watched, outside = tmp_path / "watched", tmp_path / "outside"
    make_tree(watched)
    make_tree(outside)
    add_location(library, watched)
    counter = WalkCounter(monkeypatch)

    async def body(manager: JobManager, watcher: LocationWatcher):
        await _search(manager, outside)
        again = await _search(manager, outside)
        return again

    again = _engine(library, body)
    assert counter.walks == 2
    assert again["unchanged_since"] is not None and not again["unchanged_watched"]  # proved by the walk

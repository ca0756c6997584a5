"""The live index: a real engine on plain asyncio watching real folders (``ops/indexing/live.py``).

Every check polls the library until the change is there (or a timeout): never sleep-and-hope.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Callable

import pytest

from sd_desktop.enums import EventKind
from sd_desktop.jobs import JobManager
from sd_desktop.library import Library
from sd_desktop.ops.indexing.live import LocationWatcher
from tests.indexing.helpers import index_path, write

TIMEOUT = 30.0


def _rows(lib: Library, location_id: int) -> dict[bytes, tuple]:
    """path -> (id, cas_id) of the location's entries."""

    def q(conn):
        cur = conn.execute("SELECT path, id, cas_id FROM entry WHERE location_id = ?", (location_id,))
        return {bytes(p): (i, c) for p, i, c in cur}

    return lib.read_sync(q)


async def _until(lib: Library, location_id: int, test: Callable[[dict], bool], what: str) -> dict:
    deadline = time.monotonic() + TIMEOUT
    while True:
        rows = await asyncio.to_thread(_rows, lib, location_id)
        if test(rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"not in the index after {TIMEOUT} s: {what}")
        await asyncio.sleep(0.05)


async def _until_true(test: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not test():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out: {what}")
        await asyncio.sleep(0.05)


def _engine(lib: Library, body, **watcher_args) -> LocationWatcher:
    """Run ``body(watcher, manager)`` with an engine and a started watcher; returns the watcher."""

    async def go() -> LocationWatcher:
        manager = JobManager(lib, run_queued=True)
        await manager.start()
        watcher = LocationWatcher(manager, **watcher_args)
        await watcher.start()
        try:
            await body(watcher, manager)
        finally:
            await watcher.stop()
            await manager.shutdown()
        return watcher

    return asyncio.run(go())


def test_five_kinds_of_change_reach_the_index(library, tmp_path):
    root = tmp_path / "loc"
    write(root / "keep.txt", "old content")
    write(root / "b.txt", "renamed")
    write(root / "c.txt", "deleted")
    write(root / "a" / "m.txt", "moved across folders")
    (root / "sub").mkdir()
    loc = index_path(library, root).output["location_id"]
    before = _rows(library, loc)
    changed: list[dict] = []

    async def body(watcher: LocationWatcher, manager: JobManager) -> None:
        manager.events.add_listener(lambda e: e.kind is EventKind.LIBRARY_CHANGED and changed.append(e.extra))
        write(root / "a" / "new.txt", "brand new")
        rows = await _until(library, loc, lambda r: r.get(b"a/new.txt", (0, None))[1] is not None, "a new file")
        assert rows[b"a/new.txt"][1] is not None

        write(root / "keep.txt", "new content, longer")
        await _until(
            library,
            loc,
            lambda r: r[b"keep.txt"][1] not in (None, before[b"keep.txt"][1]),
            "a modified file's new content id",
        )

        os.rename(root / "b.txt", root / "b2.txt")
        os.rename(root / "a" / "m.txt", root / "sub" / "m.txt")
        rows = await _until(
            library, loc, lambda r: b"b2.txt" in r and b"sub/m.txt" in r and b"b.txt" not in r, "two renames"
        )
        assert rows[b"b2.txt"][0] == before[b"b.txt"][0]  # the same entry: its history follows it
        assert rows[b"sub/m.txt"][0] == before[b"a/m.txt"][0]
        assert b"a/m.txt" not in rows

        os.remove(root / "c.txt")
        await _until(library, loc, lambda r: b"c.txt" not in r, "a deletion")

        big = root / "big"
        big.mkdir()
        for i in range(1000):
            (big / f"f{i:04}.bin").write_bytes(b"x%d" % i)

        def all_big(r: dict) -> bool:
            inside = [v for p, v in r.items() if p.startswith(b"big/")]
            return len(inside) == 1000 and all(v[1] is not None for v in inside)

        await _until(library, loc, all_big, "a new folder of 1,000 files, identified")

    watcher = _engine(library, body, catch_up=False)
    assert watcher.polling == {}
    assert changed and all(c["location_id"] == loc for c in changed)
    history = asyncio.run(_history(library))
    assert [j.name for j in history] == ["indexer"]  # the live updates stay out of the History


async def _history(lib: Library):
    manager = JobManager(lib, run_queued=False)
    return await manager.list()


def test_a_burst_of_10000_creations_is_a_few_updates(library, tmp_path):
    root = tmp_path / "loc"
    (root / "burst").mkdir(parents=True)
    loc = index_path(library, root).output["location_id"]

    async def body(watcher: LocationWatcher, manager: JobManager) -> None:
        for i in range(10_000):
            (root / "burst" / f"{i:05}").touch()
        await _until(library, loc, lambda r: sum(p.startswith(b"burst/") for p in r) == 10_000, "10,000 new files")

    watcher = _engine(library, body, catch_up=False)
    assert 1 <= watcher.updates <= 4, watcher.updates


def test_catch_up_after_a_stop(library, tmp_path):
    root = tmp_path / "loc"
    write(root / "gone.txt", "gone")
    write(root / "edited.txt", "v1")
    loc = index_path(library, root).output["location_id"]
    old = _rows(library, loc)
    # changed while no engine runs
    os.remove(root / "gone.txt")
    write(root / "edited.txt", "version two")
    write(root / "deep" / "er" / "added.txt", "added")

    async def body(watcher: LocationWatcher, manager: JobManager) -> None:
        await _until(
            library,
            loc,
            lambda r: (
                b"gone.txt" not in r
                and r.get(b"deep/er/added.txt", (0, None))[1] is not None
                and r[b"edited.txt"][1] not in (None, old[b"edited.txt"][1])
            ),
            "the changes made while nothing watched",
        )
        # the rows are visible before the update ends and gives its memory back
        await _until_true(lambda: watcher.releases == 1, "the memory given back after the catch-up")

    watcher = _engine(library, body)
    assert watcher.updates == 1  # one re-index of the location
    # after it, the memory it took was given back (the writer's page cache, the C heap)
    assert watcher.releases == 1


def test_watching_reads_the_location_list_without_its_totals(library, tmp_path, monkeypatch):
    """The watcher lists the locations at start and on every change of the list: without their
    totals, which read every entry (tens of MB of cached pages for a big location)."""
    from sd_desktop.library.locations import list_briefly

    root = tmp_path / "loc"
    write(root / "a.txt", "a")
    loc = index_path(library, root).output["location_id"]
    (brief,) = library.read_sync(list_briefly)
    assert (brief.id, brief.path, brief.index_mode) == (loc, str(root), "content")
    assert brief.last_indexed is not None
    statements: list[str] = []
    plain_read = library.read_sync

    def traced_read(fn):  # every read of the library, on whichever thread: its SQL recorded
        def run(conn):
            conn.set_trace_callback(statements.append)
            try:
                return fn(conn)
            finally:
                conn.set_trace_callback(None)

        return plain_read(run)

    async def body(watcher: LocationWatcher, manager: JobManager) -> None:
        monkeypatch.setattr(library, "read_sync", traced_read)
        await watcher.refresh()
        monkeypatch.undo()

    _engine(library, body, catch_up=False)
    assert statements and not [s for s in statements if "entry" in s]


def test_the_library_folder_inside_a_location_is_not_watched(tmp_path):
    root = tmp_path / "loc"
    lib = Library.open(root / ".library")
    try:
        write(root / "one.txt", "1")
        loc = index_path(lib, root).output["location_id"]

        async def body(watcher: LocationWatcher, manager: JobManager) -> None:
            write(root / "two.txt", "2")
            await _until(lib, loc, lambda r: r.get(b"two.txt", (0, None))[1] is not None, "a new file")
            settled = watcher.updates
            # the update wrote the library (inside the location): nothing more may follow from that
            await asyncio.sleep(3 * (watcher.quiet + watcher.max_delay))
            assert watcher.updates == settled == 1

        _engine(lib, body, catch_up=False)
        assert not any(p.startswith(b".library") for p in _rows(lib, loc))
    finally:
        lib.close()


@pytest.fixture
def tmpfs(tmp_path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)
        subprocess.run(["umount", "-l", str(mnt)], check=False, stderr=subprocess.DEVNULL)


def test_an_unmounted_location_is_offline_not_emptied(library, tmpfs):
    write(tmpfs / "a.txt", "a")
    write(tmpfs / "d" / "b.txt", "b")
    loc = index_path(library, tmpfs).output["location_id"]
    indexed = _rows(library, loc)
    assert len(indexed) == 4
    statuses: list[bool] = []

    async def body(watcher: LocationWatcher, manager: JobManager) -> None:
        manager.events.add_listener(
            lambda e: e.kind is EventKind.LOCATION_STATUS and statuses.append(e.extra["online"])
        )
        subprocess.run(["umount", str(tmpfs)], check=True)
        await _until_true(lambda: not watcher.is_online(loc), "the location marked offline")
        (tmpfs / "on-the-empty-mount-point.txt").write_text("x")  # not the disk's
        await asyncio.sleep(3 * (watcher.quiet + watcher.max_delay))
        assert _rows(library, loc) == indexed  # kept, not emptied
        os.remove(tmpfs / "on-the-empty-mount-point.txt")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(tmpfs)], check=True)
        write(tmpfs / "a.txt", "a")
        write(tmpfs / "back.txt", "back")
        await _until_true(lambda: watcher.is_online(loc), "the location back online")
        await _until(
            library,
            loc,
            lambda r: set(r) == {b"", b"a.txt", b"back.txt"} and r[b"back.txt"][1] is not None,
            "the disk's contents after it came back",
        )

    _engine(library, body, catch_up=False, status_poll=0.2)
    assert statuses == [False, True]


def test_reading_watched_files_delivers_no_events(library, tmp_path):
    """Opens and closes without a write are not asked of inotify: the indexer reading files for
    their content ids (or anyone reading them) must not feed the watcher."""
    root = tmp_path / "loc"
    for i in range(50):
        write(root / f"f{i}.txt", f"file {i}")
    loc = index_path(library, root).output["location_id"]

    async def body(watcher: LocationWatcher, manager: JobManager) -> None:
        for _ in range(2):
            for i in range(50):
                (root / f"f{i}.txt").read_bytes()
        write(root / "last.txt", "the last change")
        await _until(library, loc, lambda r: r.get(b"last.txt", (0, None))[1] is not None, "a new file")

    watcher = _engine(library, body, catch_up=False)
    # the new file: created, modified (its write), closed after the write; the update that read it
    # for its content id added nothing
    assert watcher.received == 3
    assert watcher.updates == 1


def test_forced_polling_is_announced_and_still_applies_changes(library, tmp_path):
    root = tmp_path / "loc"
    write(root / "a.txt", "a")
    loc = index_path(library, root).output["location_id"]
    statuses: list[dict] = []

    async def body(watcher: LocationWatcher, manager: JobManager) -> None:
        write(root / "b.txt", "polled")
        await _until(library, loc, lambda r: r.get(b"b.txt", (0, None))[1] is not None, "a new file, polled")

    async def go() -> LocationWatcher:
        manager = JobManager(library, run_queued=True)
        await manager.start()
        manager.events.add_listener(lambda e: e.kind is EventKind.LOCATION_STATUS and statuses.append(e.extra))
        watcher = LocationWatcher(manager, catch_up=False, force_polling=True)
        await watcher.start()
        try:
            await body(watcher, manager)
            # polled, not notified: a duplicate search cannot take the watcher's word
            assert not watcher.unchanged_since(os.fsencode(root), 0.0)
        finally:
            await watcher.stop()
            await manager.shutdown()
        return watcher

    watcher = asyncio.run(go())
    reason = "polling forced (SD_DESKTOP_LIVE_FORCE_POLL)"
    assert watcher.polling == {loc: reason}
    assert statuses == [
        {
            "location_id": loc,
            "online": True,
            "path": str(root),
            "polling": reason,
            "delay": watcher.poll_delay,
            "reason": f"polled: {reason}",
        }
    ]


_EXHAUST_INSTANCES = r"""
import asyncio, ctypes, json, os, sys
sys.setrecursionlimit(10000)
from sd_desktop import ops
ops.load_all()
from sd_desktop.jobs import JobManager
from sd_desktop.library import Library
from sd_desktop.library.locations import add_location
from sd_desktop.ops.indexing.live import LocationWatcher

libc = ctypes.CDLL(None, use_errno=True)
held = []
while True:  # every inotify instance this user may have (fs.inotify.max_user_instances)
    fd = libc.inotify_init1(os.O_CLOEXEC)
    if fd < 0:
        break
    held.append(fd)
lib = Library.open(sys.argv[1])
add_location(lib, sys.argv[2])

async def go():
    manager = JobManager(lib, run_queued=True)
    await manager.start()
    watcher = LocationWatcher(manager, catch_up=False)
    await watcher.start()
    polling = dict(watcher.polling)
    await watcher.stop()
    await manager.shutdown()
    return polling

print(json.dumps({"held": len(held), "polling": list(asyncio.run(go()).values())}))
lib.close()
"""


def test_inotify_instances_exhausted_means_polling(tmp_path):
    """The real fallback: inotify refuses (every instance of the user is taken), the location is
    polled and says why. Run as another user (nobody): the limit is per user, so the engineers' own
    inotify instances are untouched (``max_user_watches`` and ``max_user_instances`` stay as set)."""
    import json
    import shutil
    import sys
    import tempfile
    from pathlib import Path

    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to act as another user")
    # pytest's tmp folders are root's alone: this one is nobody's, under /tmp
    work = Path(tempfile.mkdtemp(prefix="sd-live-nobody-"))
    try:
        (work / "loc").mkdir()
        write(work / "loc" / "a.txt", "a")
        for p in (work, work / "loc", work / "loc" / "a.txt"):
            os.chown(p, 65534, 65534)
        os.chmod(work, 0o755)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), HOME=str(work))
        proc = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", _EXHAUST_INSTANCES]
            + [str(work / "library"), str(work / "loc")],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            cwd=work,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["held"] == int(open("/proc/sys/fs/inotify/max_user_instances").read())
    assert out["polling"] == ["inotify instance limit reached"]


def test_a_new_folder_is_identified_as_it_is_listed(library, tmp_path):
    """The live update of a new folder inserts its files with their content ids in one pass (as a
    first index does), instead of a content pass that reads them back and updates each row."""
    from sd_desktop.ops.indexing.config import IndexerConfig, IndexScope
    from sd_desktop.ops.indexing.live_job import LiveIndexerJob

    root = tmp_path / "loc"
    write(root / "old.txt", "already indexed")
    loc = index_path(library, root).output["location_id"]
    for i in range(300):
        write(root / "new" / "deeper" / f"f{i:03}.txt", f"new file {i}")
    statements: list[str] = []
    library.write_sync(lambda c: c.set_trace_callback(statements.append))  # the writer's connection

    async def go():
        manager = JobManager(library, run_queued=True)
        await manager.start()
        try:
            config = IndexerConfig(location_id=loc, path=root / "new", scope=IndexScope.RECURSIVE)
            return await manager.wait(await manager.enqueue(LiveIndexerJob, config))
        finally:
            await manager.shutdown()

    try:
        info = asyncio.run(go())
    finally:
        library.write_sync(lambda c: c.set_trace_callback(None))
    assert info.status.value == "completed", info.error
    assert (info.output["new"], info.output["hashed"]) == (301, 300)  # "deeper" and its 300 files
    rows = _rows(library, loc)
    assert sum(1 for p, (_, cas) in rows.items() if p.startswith(b"new/deeper/") and cas) == 300
    assert not [s for s in statements if s.lstrip().startswith("UPDATE entry SET cas_id")]


def test_one_file_written_waits_one_quiet_period(library, tmp_path):
    """A file written is created, modified and closed: three events a few ms apart. The batch is
    taken ``quiet`` seconds after the last of them, not after two quiet periods."""
    root = tmp_path / "loc"
    write(root / "a.txt", "a")
    index_path(library, root)
    took: list[float] = []

    async def body(watcher: LocationWatcher, manager: JobManager) -> None:
        for i in range(5):
            t0 = time.monotonic()
            write(root / f"new{i}.txt", f"new {i}")
            await _until_true(lambda i=i: watcher.updates == i + 1, "the update of the folder")
            took.append(time.monotonic() - t0)

    _engine(library, body, catch_up=False, quiet=1.0, max_delay=5.0)
    # one quiet period (1 s) and an update of a tiny folder; two periods would be over 2 s
    assert all(1.0 <= t < 1.7 for t in took), took


def _cas(path) -> str:
    from sd_desktop import cas

    return cas.cas_id(path)


def test_files_written_into_a_new_folder_cost_no_events(library, tmp_path):
    """A new folder is walked whole, so the events of the files written into it are redundant: it
    is watched only when it is walked (``live_inotify``), once quiet. A change after the walk is
    reported, in it and in a sub-folder that was created before the walk."""
    root = tmp_path / "loc"
    root.mkdir()
    loc = index_path(library, root).output["location_id"]

    async def body(watcher: LocationWatcher, manager: JobManager) -> None:
        (root / "new" / "sub").mkdir(parents=True)
        for i in range(2000):
            (root / "new" / f"f{i:04}.txt").write_bytes(b"new file %d\n" % i)
        write(root / "new" / "sub" / "deep.txt", "below the new folder")
        rows = await _until(
            library,
            loc,
            lambda r: sum(1 for p, v in r.items() if p.startswith(b"new/") and v[1] is not None) == 2001,
            "2,001 new files with content ids",
        )
        assert rows[b"new/f0007.txt"][1] == _cas(root / "new" / "f0007.txt")
        # one event: "new" created ("new/sub" inside it was not watched yet). Then the root is updated
        # and "new" walked: two updates, or one when "new" was quiet already by the time the root's
        # update listed it (it then walks it whole itself, as a first index of a new folder does)
        assert watcher.received == 1 and watcher.updates in (1, 2)

        write(root / "new" / "f0007.txt", "changed after the walk, and longer")
        write(root / "new" / "sub" / "later.txt", "written after the walk")
        expected = _cas(root / "new" / "f0007.txt")
        await _until(
            library,
            loc,
            lambda r: (
                r.get(b"new/f0007.txt", (0, None))[1] == expected
                and r.get(b"new/sub/later.txt", (0, None))[1] is not None
            ),
            "a change in the new folder and in its sub-folder after the walk",
        )

    watcher = _engine(library, body, catch_up=False)
    assert watcher.watched_late == 2


def test_a_file_changed_while_its_new_folder_is_walked_ends_with_its_content_id(library, tmp_path):
    root = tmp_path / "loc"
    root.mkdir()
    loc = index_path(library, root).output["location_id"]
    changed = [f"f{i:05}.txt" for i in range(0, 12_000, 1999)]

    async def body(watcher: LocationWatcher, manager: JobManager) -> None:
        (root / "big").mkdir()
        for i in range(12_000):
            (root / "big" / f"f{i:05}.txt").write_bytes(b"first content %d\n" % i)
        # the walk has begun (its first batch is stored) or is over: change files either way
        await _until(library, loc, lambda r: any(p.startswith(b"big/") for p in r), "the walk's first rows")
        for name in changed:
            write(root / "big" / name, f"changed while the folder was walked: {name}")
        expected = {b"big/" + n.encode(): _cas(root / "big" / n) for n in changed}
        await _until(
            library,
            loc,
            lambda r: (
                all(r.get(p, (0, None))[1] == c for p, c in expected.items())
                and sum(1 for p, v in r.items() if p.startswith(b"big/") and v[1] is not None) == 12_000
            ),
            "the changed files' new content ids",
        )

    _engine(library, body, catch_up=False)


def test_a_file_moved_into_a_new_folder_being_filled_keeps_its_entry(library, tmp_path):
    """The new folder is not watched while it is filled, so the move is reported only as a file
    gone from its old folder: that folder's update waits for the new folder's walk, which finds
    the file again (a move: same entry, same id)."""
    root = tmp_path / "loc"
    write(root / "a" / "keep.txt", "tagged, moved into a new folder")
    loc = index_path(library, root).output["location_id"]
    entry_id = _rows(library, loc)[b"a/keep.txt"][0]

    async def body(watcher: LocationWatcher, manager: JobManager) -> None:
        (root / "new").mkdir()
        os.rename(root / "a" / "keep.txt", root / "new" / "keep.txt")
        for i in range(30):  # still being filled when the move's old folder is due
            (root / "new" / f"f{i:02}.txt").write_bytes(b"filling %d\n" % i)
            await asyncio.sleep(0.05)
        rows = await _until(
            library,
            loc,
            lambda r: b"a/keep.txt" not in r and b"new/keep.txt" in r and b"new/f29.txt" in r,
            "the move and the new files",
        )
        assert rows[b"new/keep.txt"][0] == entry_id

    _engine(library, body, catch_up=False)

"""The walker process lists exactly what the walk in the job's thread lists (files, order, errors), and
nothing is lost or listed twice when it dies, is stopped, or the app dies under it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from sd_desktop.ops.files import listing_processes as walker
from sd_desktop.ops.files.file_listing import ScanFilter, resolve_roots, walk
from tests.duplicates._helpers import write


def walk_folders(*args, **kwargs):
    """The walk as lists of files (what the callers of ``walk_listed`` see once they ask for them)."""
    return walker.files_of(walker.walk_listed(*args, **kwargs))


@pytest.fixture(autouse=True)
def no_idle_walkers(monkeypatch):
    monkeypatch.delenv(walker.MODE_ENV, raising=False)
    walker.shutdown()
    yield
    walker.shutdown()


def make_tree(root: Path, folders: int = 30) -> None:
    """Nested folders with files of a few sizes, hidden and empty files, symlinks (to a file, to a
    folder, a loop), a FIFO and an undecodable name."""
    for n in range(folders):
        sub = root / f"d{n % 5}" / f"e{n}"
        for k in range(3):
            write(sub / f"f{k}.bin", b"x" * (100 + k * (n % 4)))
        write(sub / ".hidden", b"h" * 7)
        write(sub / "empty", b"")
    os.symlink(root / "d0" / "e0" / "f0.bin", root / "link-to-file")
    os.symlink(root / "d1", root / "d0" / "link-to-folder")
    os.symlink(root / "loop", root / "loop")
    os.mkfifo(root / "d2" / "fifo")
    (root / "d3").joinpath(os.fsdecode(b"caf\xe9-latin1.bin")).write_bytes(b"z" * 200)
    (root / "d3" / "new\nline -x.bin").write_bytes(b"n" * 200)
    deep = root / "deep"
    deep.mkdir()
    os.chdir(deep)  # deeper than Python's default recursion limit (1,000), paths under PATH_MAX
    try:
        for _ in range(1100):
            os.mkdir("a")
            os.chdir("a")
        with open("bottom.bin", "wb") as f:
            f.write(b"b" * 300)
    finally:
        os.chdir(root)


def listing_in_thread(roots, flt, refs=()):
    errors = []
    files = list(walk(roots, flt, list(refs), lambda p, m: errors.append((p, m))))
    return files, errors


def listing_by_walker(roots, flt, refs=(), **kw):
    errors = []
    files = [
        info
        for batch in walk_folders(roots, flt, list(refs), lambda p, m: errors.append((p, m)), **kw)
        for info in batch
    ]
    return files, errors


@pytest.mark.parametrize(
    "flt",
    [ScanFilter(), ScanFilter(include_hidden=False, include_empty=True, min_size=101, extensions=(b"bin",))],
    ids=["defaults", "filtered"],
)
def test_a_walker_lists_what_the_thread_lists(tmp_path, flt):
    make_tree(tmp_path / "t")
    roots = resolve_roots([tmp_path / "t" / "d0", tmp_path / "t", tmp_path / "t" / "d0" / "e0" / "f0.bin"])
    refs = resolve_roots([tmp_path / "t" / "d2"])
    expected = listing_in_thread(roots, flt, refs)
    assert walker.prestart()
    (pid,) = walker.idle_pids()
    got = listing_by_walker(roots, flt, refs, batch_files=7)
    assert got == expected
    assert any(i.reference for i in got[0]) and any(b"\xe9" in i.path for i in got[0])
    assert any(i.path.endswith(b"/bottom.bin") for i in got[0]) and any(b"\n" in i.path for i in got[0])
    assert walker.idle_pids() == [pid], "the walker did the walk and waits for the next one"
    assert listing_by_walker(roots, flt, refs) == expected  # and does the next one the same


def test_errors_are_forwarded_as_the_thread_reports_them(tmp_path, mount_faultfs):
    point, backing = mount_faultfs("walk", {"list_eio": ["broken"]})
    for n in range(3):
        write(backing / f"ok{n}" / "a.bin", b"a" * 50)
        write(backing / f"ok{n}" / "broken" / "b.bin", b"b" * 50)
    roots = [os.fsencode(point), os.fsencode(tmp_path / "no-such-folder")]
    expected = listing_in_thread(roots, ScanFilter())
    assert len(expected[1]) == 4 and len(expected[0]) == 3
    assert walker.prestart()
    assert listing_by_walker(roots, ScanFilter()) == expected


def test_a_walk_starts_here_and_a_walker_ready_half_way_takes_over(tmp_path):
    make_tree(tmp_path / "t", folders=40)
    roots = resolve_roots([tmp_path / "t"])
    expected = listing_in_thread(roots, ScanFilter())
    errors: list = []
    batches = walk_folders(roots, ScanFilter(), [], lambda p, m: errors.append((p, m)), start_after=10**9)
    first = next(batches)  # listed in this thread: no walker was idle
    assert walker.prestart()  # as one started in the background would be
    (pid,) = walker.idle_pids()
    files = first + [info for batch in batches for info in batch]
    assert (files, errors) == expected
    assert walker.idle_pids() == [pid], "the walker took over and finished the walk"


def test_a_walker_killed_half_way_loses_nothing_and_lists_nothing_twice(tmp_path):
    make_tree(tmp_path / "t", folders=400)  # more than a pipe holds: the walker cannot be done before the kill
    roots = resolve_roots([tmp_path / "t"])
    expected = listing_in_thread(roots, ScanFilter())
    assert walker.prestart()
    (pid,) = walker.idle_pids()
    errors: list = []
    batches = walk_folders(roots, ScanFilter(), [], lambda p, m: errors.append((p, m)), batch_files=5)
    files = list(next(batches))
    os.kill(pid, signal.SIGKILL)
    files += [info for batch in batches for info in batch]
    assert (files, errors) == expected
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert walker.idle_pids() == []


def test_a_walk_stopped_or_left_half_way_kills_its_walker(tmp_path):
    make_tree(tmp_path / "t", folders=400)
    roots = resolve_roots([tmp_path / "t"])
    assert walker.prestart()
    (pid,) = walker.idle_pids()
    batches = walk_folders(roots, ScanFilter(), [], lambda p, m: None, batch_files=5)
    next(batches)
    batches.close()  # the job was paused between two batches
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert walker.prestart()
    (pid,) = walker.idle_pids()
    stop = [False]
    batches = walk_folders(roots, ScanFilter(), [], lambda p, m: None, lambda: stop[0], batch_files=5)
    next(batches)
    stop[0] = True
    assert list(batches) == []
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert walker.idle_pids() == []


def test_a_big_walk_starts_a_walker_for_the_next_ones(tmp_path):
    make_tree(tmp_path / "t", folders=80)
    roots = resolve_roots([tmp_path / "t"])
    expected = listing_in_thread(roots, ScanFilter())
    assert listing_by_walker(roots, ScanFilter(), start_after=1) == expected
    deadline = time.monotonic() + 20
    while not walker.idle_pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(walker.idle_pids()) == 1


def test_inprocess_mode_starts_no_walker(tmp_path, monkeypatch):
    monkeypatch.setenv(walker.MODE_ENV, "inprocess")
    make_tree(tmp_path / "t", folders=80)
    roots = resolve_roots([tmp_path / "t"])
    assert listing_by_walker(roots, ScanFilter(), start_after=1) == listing_in_thread(roots, ScanFilter())
    time.sleep(0.3)
    assert walker.idle_pids() == []


def test_a_walker_exits_when_the_app_is_killed(tmp_path):
    script = textwrap.dedent(
        """
        import sys, time
        from sd_desktop.ops.files import listing_processes as walker
        assert walker.prestart()
        print(walker.idle_pids()[0], flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2]
    )
    try:
        pid = int(proc.stdout.readline())
        assert psutil.pid_exists(pid)
    finally:
        proc.kill()
        proc.wait(10)
    child = psutil.Process(pid) if psutil.pid_exists(pid) else None
    if child is not None:
        gone, _alive = psutil.wait_procs([child], timeout=10)
        assert gone, "the walker outlived the app"


@pytest.mark.parametrize("how", ["walker idle", "no walker yet", "inprocess"])
def test_meanwhile_runs_once_before_the_first_files(tmp_path, monkeypatch, how):
    make_tree(tmp_path / "t", folders=10)
    roots = resolve_roots([tmp_path / "t"])
    if how == "walker idle":
        assert walker.prestart()
    if how == "inprocess":
        monkeypatch.setenv(walker.MODE_ENV, "inprocess")
    events: list[str] = []
    batches = walk_folders(
        roots, ScanFilter(), [], lambda p, m: None, meanwhile=lambda: events.append("meanwhile"), start_after=10**9
    )
    for batch in batches:
        events.append(f"{len(batch)} files")
    assert events[0] == "meanwhile" and events.count("meanwhile") == 1 and len(events) > 1


@pytest.fixture
def shares(monkeypatch):
    """The parts of each walk the walkers took: (walker pid, the folders it was given as roots)."""
    taken: list[tuple[int, list[bytes]]] = []
    original = walker._Share.__init__

    def recording(self, w, roots):
        original(self, w, roots)
        taken.append((w.pid, list(roots)))

    monkeypatch.setattr(walker._Share, "__init__", recording)
    return taken


def test_two_walkers_share_a_walk_and_list_what_the_thread_lists(tmp_path, shares):
    make_tree(tmp_path / "t", folders=200)
    roots = resolve_roots([tmp_path / "t", tmp_path / "t" / "d0" / "e0" / "f0.bin"])
    refs = resolve_roots([tmp_path / "t" / "d2"])
    files, errors = listing_in_thread(roots, ScanFilter(), refs)
    assert walker.prestart(2)
    pids = sorted(walker.idle_pids())
    got, got_errors = listing_by_walker(roots, ScanFilter(), refs, batch_files=5, walkers=2)
    # the batches of two walkers interleave: the same files and errors, each once, in another order
    key = lambda info: info.path  # noqa: E731
    assert sorted(got, key=key) == sorted(files, key=key) and len(got) == len(files)
    assert sorted(got_errors) == sorted(errors)
    assert {pid for pid, _roots in shares} == set(pids), "the idle walker took over part of the walk"
    handed = [folder for _pid, given in shares[1:] for folder in given]
    assert handed and all(folder.startswith(os.fsencode(tmp_path / "t")) for folder in handed)
    assert sorted(walker.idle_pids()) == pids, "both wait for the next walk"


def test_one_of_two_walkers_killed_half_way_loses_nothing_and_lists_nothing_twice(tmp_path, shares):
    make_tree(tmp_path / "t", folders=400)
    roots = resolve_roots([tmp_path / "t"])
    files, errors = listing_in_thread(roots, ScanFilter())
    assert walker.prestart(2)
    got_errors: list = []
    batches = walk_folders(roots, ScanFilter(), [], lambda p, m: got_errors.append((p, m)), batch_files=5, walkers=2)
    got = []
    for batch in batches:  # until the second walker has taken its share, then kill it
        got += batch
        if len(shares) >= 2:
            break
    assert len(shares) >= 2, "the walk was shared"
    thief = shares[1][0]
    os.kill(thief, signal.SIGKILL)
    got += [info for batch in batches for info in batch]
    key = lambda info: info.path  # noqa: E731
    assert sorted(got, key=key) == sorted(files, key=key) and len(got) == len(files)
    assert sorted(got_errors) == sorted(errors)
    assert thief not in walker.idle_pids()


def test_folder_digests_are_the_same_from_a_walker_and_from_the_thread(tmp_path, monkeypatch):
    make_tree(tmp_path / "t", folders=40)
    roots = resolve_roots([tmp_path / "t"])

    def digests(**kw) -> dict[bytes, bytes]:
        listed = walker.walk_listed(roots, ScanFilter(), [], lambda p, m: None, digests=True, **kw)
        return {folder.path: folder.digest for batch in listed for folder in batch}

    monkeypatch.setenv(walker.MODE_ENV, "inprocess")
    here = digests()
    monkeypatch.delenv(walker.MODE_ENV)
    assert walker.prestart(2)
    assert digests(walkers=2) == here and len(here) > 40 and all(len(d) == walker.DIGEST_BYTES for d in here.values())
    write(tmp_path / "t" / "d1" / "e1" / "f0.bin", b"y" * 100)  # same size and name, new content: new mtime
    after = digests(walkers=2)
    changed = {path for path in here if after.get(path) != here[path]}
    assert changed == {os.fsencode(tmp_path / "t" / "d1" / "e1")}


def test_a_walker_that_cannot_be_reached_leaves_the_walk_to_this_thread(tmp_path, monkeypatch):
    make_tree(tmp_path / "t", folders=40)
    roots = resolve_roots([tmp_path / "t"])
    expected = listing_in_thread(roots, ScanFilter())
    assert walker.prestart()

    def unreachable(self, request):
        raise walker._WalkerLost("cannot send: broken pipe")

    monkeypatch.setattr(walker._Walker, "send", unreachable)
    events: list = []
    files = []
    for batch in walk_folders(
        roots, ScanFilter(), [], lambda p, m: events.append("error"), meanwhile=lambda: events.append("meanwhile")
    ):
        events.append("files")
        files += batch
    assert (files, [e for e in events if e == "error"]) == (expected[0], ["error"] * len(expected[1]))
    assert events[0] == "meanwhile" and events.count("meanwhile") == 1, "prepared once, before any files"
    assert walker.idle_pids() == []


def test_a_folder_listed_but_not_opened_is_stated_by_path(tmp_path, monkeypatch):
    """Files are stat'ed relative to their folder's fd; when the folder cannot be opened (a rename in
    between, a platform without it), by their path, with the same listing."""
    from sd_desktop.ops.files import file_listing as scan

    make_tree(tmp_path / "t", folders=12)
    roots = resolve_roots([tmp_path / "t"])
    by_fd = listing_in_thread(roots, ScanFilter())
    monkeypatch.setattr(scan, "_DIR_FLAGS", os.O_WRONLY | os.O_DIRECTORY)  # EISDIR: never opens
    assert listing_in_thread(roots, ScanFilter()) == by_fd and len(by_fd[0]) > 12 * 3

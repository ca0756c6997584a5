"""The first index's walk in a helper process (``walk_process.ListedWalk``): the same batches as
the walk in the job's thread, the walk goes on here when the helper dies, and no helper outlives
its walk (stopped, finished, or its job killed with -9)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from sd_desktop.ops.indexing.config import IndexerRules
from sd_desktop.ops.indexing.resumable_walk import Walker
from sd_desktop.ops.indexing.rules import RuleSet
from sd_desktop.ops.indexing.walk_process import ListedWalk
from tests.conftest import REPO, cli_env
from tests.indexing.helpers import snapshot


def make_tree(root, folders: int = 30, files: int = 12) -> bytes:
    for i in range(folders):
        d = root / f"d{i:02}" / "inner"
        d.mkdir(parents=True)
        for j in range(files):
            (d / f"f{j}.txt").write_text(f"{i}-{j}" * (j + 1))
        (root / f"d{i:02}" / ".DS_Store").write_bytes(b"junk")  # left out by the default rules
    (root / "link").symlink_to("d00")
    return os.fsencode(root)


def walk_all(root: bytes, helpers: int, identify: bool = False, kill_after: int | None = None):
    """Every batch of a whole walk of ``root`` in batches of about 50 entries, and the walk."""
    rules = IndexerRules()
    walker = Walker(root, [(b"", 0)], None, RuleSet(rules, root=root))
    walk = ListedWalk(walker, rules, False, identify, helpers)
    batches = []
    try:
        while not walk.done:
            batches.append(walk.batch(50))
            if kill_after is not None and len(batches) == kill_after:
                walk._streaming[0].kill()
    finally:
        walk.close()
    return batches, walk


def listed(batches) -> list[tuple]:
    return [(d.rel, d.depth, row) for b in batches for d in b.dirs for row in d.rows]


def totals(batches) -> tuple:
    return tuple(
        sum(getattr(b, name) for b in batches)
        for name in ("entries", "files", "dir_count", "symlinks", "others", "bytes", "skipped", "hashed_bytes")
    )


@pytest.mark.parametrize("identify", [False, True])
def test_a_helper_lists_what_the_thread_lists(tmp_path, identify):
    root = make_tree(tmp_path / "tree")
    here, _ = walk_all(root, 0, identify=identify)
    helped, walk = walk_all(root, 1, identify=identify)
    assert walk._handed  # every batch after the first came from the helper process
    assert len(helped) == len(here) > 2
    assert listed(helped) == listed(here)
    assert [b.frontier for b in helped] == [b.frontier for b in here]
    assert totals(helped) == totals(here)
    # entries: 421 rows and the 61 folders listed; 30 .DS_Store left out
    assert totals(here)[:7] == (482, 360, 60, 1, 0, totals(here)[5], 30)
    ids = [b.identified for b in helped]
    assert ids == [b.identified for b in here]
    assert sum(map(len, ids)) == (30 * 12 if identify else 0)


@pytest.mark.parametrize("identify", [False, True])
def test_two_helpers_list_it_all_once_and_each_frontier_covers_the_rest(tmp_path, identify):
    root = make_tree(tmp_path / "tree", folders=60)
    here, _ = walk_all(root, 0, identify=identify)
    helped, walk = walk_all(root, 2, identify=identify)
    assert walk._handed and len(walk._parts) >= 2  # both helpers (and those started for shared folders)
    assert sorted(listed(helped)) == sorted(listed(here))  # interleaved, but each entry once
    assert totals(helped) == totals(here)
    assert {k: v for b in helped for k, v in b.identified.items()} == {
        k: v for b in here for k, v in b.identified.items()
    }
    # a checkpoint after any batch stores its frontier: walking that frontier again lists exactly
    # the folders no batch up to it listed (a resumed run neither repeats nor skips one)
    everything = sorted(listed(here))
    for k in range(len(helped)):
        rest, _ = walk_from(root, helped[k].frontier)
        assert sorted(listed(helped[: k + 1]) + listed(rest)) == everything
    assert helped[-1].frontier == []


def test_a_helper_with_nothing_left_gets_half_of_the_others_folders(tmp_path):
    # the first batch (2 entries) leaves one folder: one helper gets it, the other waits idle until
    # the busy one hands over half of the 2,000 folders below it
    only = tmp_path / "tree" / "only"
    for i in range(2000):
        (only / f"d{i:04}").mkdir(parents=True)
        (only / f"d{i:04}" / "f").write_text(str(i))
    root = os.fsencode(tmp_path / "tree")
    rules = IndexerRules()
    walk = ListedWalk(Walker(root, [(b"", 0)], None, RuleSet(rules, root=root)), rules, False, False, 2)
    batches = []
    try:
        while not walk.done:
            batches.append(walk.batch(2))
    finally:
        walk.close()
    assert walk.shared >= 1
    here, _ = walk_from(root, [(b"", 0)])
    assert sorted(listed(batches)) == sorted(listed(here))
    assert totals(batches) == totals(here)
    everything = sorted(listed(here))
    for k in range(0, len(batches), 97):  # a checkpoint anywhere: its frontier covers the rest exactly
        rest, _ = walk_from(root, batches[k].frontier)
        assert sorted(listed(batches[: k + 1]) + listed(rest)) == everything


def walk_from(root: bytes, frontier):
    walker = Walker(root, list(frontier), None, RuleSet(IndexerRules(), root=root))
    batches = []
    while not walker.done:
        batches.append(walker.batch(50))
    return batches, walker


def test_the_walk_goes_on_here_when_the_helper_dies(tmp_path):
    root = make_tree(tmp_path / "tree", folders=300)
    here, _ = walk_all(root, 0)
    # killed as soon as it has the walk (the first batch, listed here, hands it over): it sent a few
    # batches at most of the ~100
    survived, walk = walk_all(root, 1, kill_after=1)
    assert not walk._handed  # the rest was listed in this thread
    assert listed(survived) == listed(here)  # nothing listed twice, nothing missed
    assert totals(survived) == totals(here)
    # two helpers, one killed: the rest of both parts is listed here
    survived, walk = walk_all(root, 2, kill_after=1)
    assert not walk._handed
    assert sorted(listed(survived)) == sorted(listed(here))
    assert totals(survived) == totals(here)


def test_close_stops_the_helper_at_once(tmp_path):
    root = make_tree(tmp_path / "tree")
    rules = IndexerRules()
    walk = ListedWalk(Walker(root, [(b"", 0)], None, RuleSet(rules, root=root)), rules, False, False, 2)
    walk.batch(50)
    processes = list(walk._streaming)
    assert len(processes) == 2 and [p.poll() for p in processes] == [None, None]
    walk.close()
    assert [p.poll() for p in processes] == [-signal.SIGKILL, -signal.SIGKILL]
    assert walk.batch(50).dirs == []  # a batch asked after the close: nothing, the job drops it


def children(pid: int) -> list[int]:
    """The child processes of ``pid``, whichever of its threads started them."""
    found = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                found += [int(p) for p in f.read().split()]
        except OSError:  # a thread that just ended
            pass
    return found


def test_no_helper_outlives_its_index_killed_with_9(tmp_path):
    tree = tmp_path / "tree"
    make_tree(tree)
    env = cli_env({"SD_DESKTOP_INDEX_BATCH": "20", "SD_DESKTOP_INDEX_DELAY_MS": "100"})
    cmd = [sys.executable, "-m", "sd_desktop", "--library", str(tmp_path / "lib"), "index", str(tree), "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)
    helpers: list[int] = []
    try:
        for line in proc.stdout:
            obj = json.loads(line)
            if obj.get("event") == "progress" and obj.get("phase") == "discovery":
                helpers = children(proc.pid)
                if len(helpers) == 2:
                    break
        assert len(helpers) == 2  # a first content index: the walk went on in two helper processes
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
        proc.stdout.close()
    for pid in helpers:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":  # exited, waiting to be reaped by init
                    break
            time.sleep(0.05)
        else:
            assert not os.path.exists(f"/proc/{pid}")


def test_a_first_index_through_the_helper_equals_one_in_the_thread(tmp_path):
    tree = tmp_path / "tree"
    make_tree(tree)
    states = []
    for mode in ("", "inprocess"):
        library = tmp_path / f"lib{mode}"
        env = cli_env({"SD_DESKTOP_INDEX_BATCH": "20", "SD_DESKTOP_INDEX_WALKER": mode})
        cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library), "index", str(tree), "--json"]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout.splitlines()[-1])["output"]
        from sd_desktop.library import Library

        lib = Library.open(library)
        try:
            states.append((snapshot(lib), {k: v for k, v in out.items() if k != "seconds"}))
        finally:
            lib.close()
    assert states[0] == states[1]
    assert (states[0][1]["files"], states[0][1]["hashed"], states[0][1]["entries_written"]) == (360, 360, 422)

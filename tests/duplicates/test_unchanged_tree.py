"""A search of a tree where nothing changed since the last search with the same settings takes that
search's result without looking at a file's cache entry; any change, another setting, or an error in
the last search means a search in full, with the groups a fresh library finds."""

from __future__ import annotations

import os
import shutil

import pytest

from sd_desktop.library import Library
from sd_desktop.ops.files.duplicate_detection import DuplicateConfig, DuplicateMode, cache, scanning, snapshot
from tests.duplicates._helpers import rel_groups, run_job, write

MTIME = 1_600_000_000
SAME_KEYS = ("groups", "hardlinks", "group_count", "duplicate_files", "wasted_bytes", "files_scanned")


def find(library, *paths, **kw) -> dict:
    info = run_job(library, "duplicate_detection", DuplicateConfig(search_paths=list(paths), **kw))
    assert info.status.value == "completed", (info.error, info.errors)
    return info.output


def make_tree(root) -> None:
    """Groups of small and large files in nested folders, a hard link, files that stand alone."""
    small, big = os.urandom(3000), os.urandom(200_000)
    for n, folder in enumerate(("a", "a/x", "b", "b/y/z")):
        write(root / folder / "small.txt", small, MTIME)
        write(root / folder / "big.bin", big, MTIME)
        write(root / folder / f"alone-{n}.dat", os.urandom(5000 + n), MTIME)
    os.link(root / "a" / "big.bin", root / "a" / "big-link.bin")
    write(root / "c" / "same-size-other.bin", os.urandom(200_000), MTIME)


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"  # beside the library, not around it (the library changes at every run)
    make_tree(root)
    return root


@pytest.fixture
def no_per_file_lookup(monkeypatch):
    """Fails the test if the search reads the hash cache or looks up a file in it."""

    def refuse(*_a, **_k):
        raise AssertionError("the hash cache was consulted")

    monkeypatch.setattr(cache, "preload", refuse)
    monkeypatch.setattr(scanning, "_lookup", refuse)


def fresh_groups(tmp_path, root, **kw) -> list[list[str]]:
    lib = Library.open(tmp_path / "fresh-library")
    try:
        return rel_groups(find(lib, root, **kw), root)
    finally:
        lib.close()
        shutil.rmtree(tmp_path / "fresh-library")


def test_an_unchanged_tree_takes_the_last_result(library, tree, request):
    first = find(library, tree)
    assert first["unchanged_since"] is None and first["bytes_hashed"] > 0
    assert len(first["groups"]) == 2 and len(first["hardlinks"]) == 1
    request.getfixturevalue("no_per_file_lookup")
    again = find(library, tree)
    for key in SAME_KEYS:
        assert again[key] == first[key], key
    assert again["unchanged_since"] is not None and again["bytes_hashed"] == 0
    stages = again["stages"]
    assert stages["size_candidates"] == first["stages"]["size_candidates"] == stages["cache_hits"]
    assert stages["whole_small"] == stages["head_hashed"] == stages["full_hashed"] == 0
    assert find(library, tree)["unchanged_since"] == again["unchanged_since"], "still that first search's result"


def _rewrite_in_place(root) -> None:
    path = root / "b" / "small.txt"  # same size, same mtime put back: only the ctime tells
    data = bytearray(path.read_bytes())
    data[1500] ^= 0xFF
    with open(path, "r+b") as f:
        f.write(data)
    os.utime(path, (MTIME, MTIME))


CHANGES = {
    "content rewritten in place, mtime put back": _rewrite_in_place,
    "a copy added to a folder": lambda root: shutil.copy2(root / "a" / "small.txt", root / "a" / "x" / "more.txt"),
    "a copy removed": lambda root: os.unlink(root / "b" / "y" / "z" / "big.bin"),
    "a file renamed": lambda root: os.rename(root / "a" / "x" / "small.txt", root / "a" / "x" / "renamed.txt"),
    "a folder added with a copy": lambda root: shutil.copy2(
        root / "a" / "big.bin", (root / "new").mkdir() or root / "new"
    ),
    "an empty folder added": lambda root: (root / "empty").mkdir(),
    "a folder removed": lambda root: shutil.rmtree(root / "b" / "y"),
    "a hard link removed": lambda root: os.unlink(root / "a" / "big-link.bin"),
    "only the mtime moved": lambda root: os.utime(root / "c" / "same-size-other.bin", (MTIME, MTIME + 1)),
}


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_any_change_means_a_search_in_full_with_the_groups_of_a_fresh_library(library, tree, tmp_path, change):
    first = find(library, tree)
    CHANGES[change](tree)
    again = find(library, tree)
    assert again["unchanged_since"] is None
    assert rel_groups(again, tree) == fresh_groups(tmp_path, tree)
    if change.startswith("content"):
        assert rel_groups(again, tree) != rel_groups(first, tree), "the rewritten file left its group"
    # and the search that saw the change is the one remembered next
    assert find(library, tree)["unchanged_since"] is not None


@pytest.mark.parametrize(
    "other",
    [
        {"mode": DuplicateMode.DEEP},
        {"mode": DuplicateMode.SIZE},
        {"min_size": 4000},
        {"include_hidden": False},
        {"reference_paths": ["a"]},
    ],
    ids=["deep", "size", "min-size", "no-hidden", "reference"],
)
def test_other_settings_never_take_another_search_result(library, tree, tmp_path, other):
    if "reference_paths" in other:
        other = {"reference_paths": [tree / "a"]}
    find(library, tree)
    out = find(library, tree, **other)
    assert out["unchanged_since"] is None
    assert rel_groups(out, tree) == fresh_groups(tmp_path, tree, **other)
    assert find(library, tree, **other)["unchanged_since"] is not None


def test_reuse_can_be_turned_off(library, tree):
    find(library, tree)
    out = find(library, tree, reuse_unchanged=False)
    assert out["unchanged_since"] is None and out["stages"]["cache_hits"] > 0


def test_a_search_with_a_read_error_is_not_remembered(library, mount_faultfs):
    """A file that could not be read is left out of its group with an error: the next search must say
    so again, not take a result that silently lacks it."""
    point, backing = mount_faultfs("unchanged-eio", {"read_eio": {"bad.txt": 0}})
    data = os.urandom(3000)
    for name in ("good-1.txt", "good-2.txt", "bad.txt"):
        write(backing / name, data, MTIME)
    for _ in range(2):
        info = run_job(library, "duplicate_detection", DuplicateConfig(search_paths=[point]))
        assert info.status.value == "completed_with_errors"
        assert info.output["unchanged_since"] is None
        assert [os.path.basename(e["path"]) for e in info.errors] == ["bad.txt"]
        assert rel_groups(info.output, point) == [["good-1.txt", "good-2.txt"]]


def test_a_search_with_an_unlistable_folder_is_not_remembered(library, mount_faultfs):
    point, backing = mount_faultfs("unchanged-list", {"list_eio": ["broken"]})
    data = os.urandom(3000)
    write(backing / "a.txt", data, MTIME)
    write(backing / "b.txt", data, MTIME)
    write(backing / "broken" / "c.txt", data, MTIME)
    for _ in range(2):
        info = run_job(library, "duplicate_detection", DuplicateConfig(search_paths=[point]))
        assert info.status.value == "completed_with_errors"
        assert info.output["unchanged_since"] is None and info.error_count == 1
        assert rel_groups(info.output, point) == [["a.txt", "b.txt"]]


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE duplicate_snapshot SET folders = x'c1c1c1'",
        "UPDATE duplicate_snapshot SET result = x'c1c1c1'",
        "UPDATE duplicate_snapshot SET result = x'81a6666f726d617400'",  # {"format": 0}: another version's
    ],
    ids=["folders", "result", "other-format"],
)
def test_a_damaged_snapshot_means_a_search_in_full(library, tree, damage):
    first = find(library, tree)
    library.write_sync(lambda c: c.execute(damage))
    again = find(library, tree)
    assert again["unchanged_since"] is None and again["groups"] == first["groups"]
    assert find(library, tree)["unchanged_since"] is not None, "remembered again"


def test_only_the_latest_searches_are_remembered(library, tree):
    for n in range(snapshot.KEEP + 3):
        find(library, tree, min_size=n + 1)
    count = library.read_sync(lambda c: c.execute("SELECT count(*) FROM duplicate_snapshot").fetchone()[0])
    assert count == snapshot.KEEP
    assert find(library, tree, min_size=snapshot.KEEP + 3)["unchanged_since"] is not None, "the newest is kept"
    assert find(library, tree, min_size=1)["unchanged_since"] is None, "the oldest went"


def test_the_walk_over_two_walkers_is_compared_the_same(library, tree, monkeypatch):
    """With walkers idle, the listing comes from walker processes (two sharing it): the folders'
    digests match those of a walk in the job's thread, so a result remembered from one is taken by
    the other."""
    from sd_desktop.ops.files import listing_processes as walker

    monkeypatch.setenv(walker.MODE_ENV, "inprocess")
    first = find(library, tree)
    monkeypatch.setenv(walker.MODE_ENV, "always")
    assert walker.prestart(2)
    again = find(library, tree)
    assert again["unchanged_since"] is not None and again["groups"] == first["groups"]


def test_a_comparison_begun_late_never_finds_the_walk_unchanged():
    previous = snapshot.Snapshot({b"/t": b"d" * 16, b"/t/a": b"e" * 16}, {}, 1, 0.0)
    early = snapshot.Comparison()
    early.compare_with(previous)
    assert early.matches(b"/t", b"d" * 16) and early.matches(b"/t/a", b"e" * 16) and early.unchanged()
    late = snapshot.Comparison()
    late.matches(b"/t", b"d" * 16)  # a folder came before the snapshot was read
    late.compare_with(previous)
    late.matches(b"/t/a", b"e" * 16)
    assert not late.unchanged()
    fewer = snapshot.Comparison(previous)
    fewer.matches(b"/t", b"d" * 16)
    assert not fewer.unchanged(), "a folder of the last walk is missing"

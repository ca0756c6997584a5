"""The hash cache is reused when the file is unchanged and never trusted otherwise (FAULTS 6)."""

from __future__ import annotations

import os
import subprocess

import pytest

from sd_desktop.cas import full_hash
from sd_desktop.ops.files.duplicate_detection import DuplicateConfig, DuplicateMode
from sd_desktop.ops.files.duplicate_detection.cache import Known
from tests.duplicates._helpers import rel_groups, run_job, write
from tests.validation._library_rows import index_tree

MTIME = 1_600_000_000


def find(library, *paths, **kw):
    info = run_job(library, "duplicate_detection", DuplicateConfig(search_paths=list(paths), **kw))
    assert info.status.value == "completed", (info.error, info.errors)
    return info.output


def cache_rows(library) -> dict:
    return library.read_sync(lambda c: {(r[0], r[1]): r[2:] for r in c.execute("SELECT * FROM hash_cache")})


def test_second_run_reads_nothing_whole(library, tmp_path):
    big = os.urandom(300_000)
    small = os.urandom(5_000)
    for name in ("a", "b", "c"):
        write(tmp_path / f"{name}.bin", big, MTIME)
        write(tmp_path / f"{name}.txt", small, MTIME)
    first = find(library, tmp_path)
    assert first["stages"]["full_hashed"] == 3 and first["stages"]["whole_small"] == 3
    st = os.stat(tmp_path / "a.bin")
    row = cache_rows(library)[(st.st_dev, st.st_ino)]
    assert row[:3] == (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    assert Known.decode(row[3]).full == full_hash(tmp_path / "a.bin")
    second = find(library, tmp_path, reuse_unchanged=False)  # the per-file cache, not the last result
    assert second["groups"] == first["groups"]
    assert second["stages"]["full_hashed"] == 0 and second["stages"]["whole_small"] == 0
    assert second["stages"]["cache_hits"] == 6
    assert second["bytes_hashed"] == 0
    # deep mode still compares bytes: the cache proves nothing there
    deep = find(library, tmp_path, mode=DuplicateMode.DEEP)
    assert rel_groups(deep, tmp_path) == rel_groups(first, tmp_path)
    assert deep["stages"]["byte_compared"] == 4


def test_replaced_with_same_size_and_mtime_new_inode(library, tmp_path):
    data = os.urandom(200_000)
    write(tmp_path / "a.bin", data, MTIME)
    write(tmp_path / "b.bin", data, MTIME)
    assert rel_groups(find(library, tmp_path), tmp_path) == [["a.bin", "b.bin"]]
    # b replaced by other content of the same size, mtime put back (a new file: new inode)
    other = bytearray(data)
    other[100_000] ^= 0xFF
    tmp = tmp_path / "b.tmp"
    write(tmp, bytes(other), MTIME)
    os.replace(tmp, tmp_path / "b.bin")
    assert os.stat(tmp_path / "b.bin").st_mtime_ns == MTIME * 10**9
    out = find(library, tmp_path)
    assert out["groups"] == []
    assert out["stages"]["cache_hits"] == 1  # a.bin only


def test_rewritten_in_place_with_mtime_restored(library, tmp_path):
    data = os.urandom(200_000)
    write(tmp_path / "a.bin", data, MTIME)
    write(tmp_path / "b.bin", data, MTIME)
    find(library, tmp_path)
    ino = os.stat(tmp_path / "b.bin").st_ino
    other = bytearray(data)
    other[150_000] ^= 0x01
    with open(tmp_path / "b.bin", "r+b") as f:  # same inode, same size
        f.write(other)
    os.utime(tmp_path / "b.bin", (MTIME, MTIME))
    assert os.stat(tmp_path / "b.bin").st_ino == ino
    out = find(library, tmp_path)
    assert out["groups"] == [], "ctime moved: the cached hash must not be trusted"


def test_uses_indexed_integrity_hashes(library, tmp_path):
    data = os.urandom(400_000)
    write(tmp_path / "loc" / "a.bin", data, MTIME)
    write(tmp_path / "loc" / "sub" / "b.bin", data, MTIME)
    index_tree(library, tmp_path / "loc", with_hashes=True)
    out = find(library, tmp_path / "loc")
    assert rel_groups(out, tmp_path / "loc") == [["a.bin", "sub/b.bin"]]
    assert out["stages"]["cache_hits"] == 2
    assert out["bytes_hashed"] == 0
    assert out["groups"][0]["hash"] == full_hash(tmp_path / "loc" / "a.bin")
    # an entry whose stat no longer matches is ignored: touch b, and it is read again
    os.utime(tmp_path / "loc" / "sub" / "b.bin", (MTIME + 5, MTIME + 5))
    out = find(library, tmp_path / "loc")
    assert out["stages"]["cache_hits"] == 1
    assert out["stages"]["head_hashed"] == 2  # the staged compare still reads both heads
    assert out["stages"]["full_hashed"] == 1  # but only b.bin is read whole
    assert len(out["groups"]) == 1


def test_paths_outside_any_location(library, tmp_path):
    data = os.urandom(1000)
    write(tmp_path / "x" / "1", data)
    write(tmp_path / "y" / "2", data)
    out = find(library, tmp_path / "x", tmp_path / "y")
    assert rel_groups(out, tmp_path) == [["x/1", "y/2"]]


def _large_group(root) -> bytes:
    """a == b; c differs from them in its first 16 KiB; d only in its last 16 KiB (all 200,000 bytes)."""
    data = os.urandom(200_000)
    write(root / "a.bin", data, MTIME)
    write(root / "b.bin", data, MTIME)
    write(root / "c.bin", bytes([data[0] ^ 0xFF]) + data[1:], MTIME)
    write(root / "d.bin", data[:-1] + bytes([data[-1] ^ 0xFF]), MTIME)
    return data


def test_head_and_tail_digests_settle_the_second_run_without_reads(library, tmp_path):
    _large_group(tmp_path)
    first = find(library, tmp_path)
    assert rel_groups(first, tmp_path) == [["a.bin", "b.bin"]]
    assert (first["stages"]["head_hashed"], first["stages"]["tail_hashed"], first["stages"]["full_hashed"]) == (4, 3, 2)
    # c was told apart by its head, d by its tail: both are remembered without a full hash
    rows = cache_rows(library)
    c, d = os.stat(tmp_path / "c.bin"), os.stat(tmp_path / "d.bin")
    known_c, known_d = Known.decode(rows[(c.st_dev, c.st_ino)][3]), Known.decode(rows[(d.st_dev, d.st_ino)][3])
    assert known_c.full is None and known_c.head is not None and known_c.tail is None
    assert known_d.full is None and known_d.head is not None and known_d.tail is not None
    second = find(library, tmp_path, reuse_unchanged=False)  # the per-file cache, not the last result
    assert second["groups"] == first["groups"]
    assert second["bytes_hashed"] == 0
    assert (second["stages"]["head_hashed"], second["stages"]["tail_hashed"], second["stages"]["full_hashed"]) == (
        0,
        0,
        0,
    )
    # a new member of the size group needs its own reads; the others still answer from the cache
    data = (tmp_path / "a.bin").read_bytes()
    write(tmp_path / "e.bin", data, MTIME)
    third = find(library, tmp_path)
    assert rel_groups(third, tmp_path) == [["a.bin", "b.bin", "e.bin"]]
    assert (third["stages"]["head_hashed"], third["stages"]["tail_hashed"], third["stages"]["full_hashed"]) == (1, 1, 1)


def test_cached_head_not_trusted_after_a_rewrite_with_mtime_restored(library, tmp_path):
    data = _large_group(tmp_path)
    find(library, tmp_path)
    ino = os.stat(tmp_path / "c.bin").st_ino
    with open(tmp_path / "c.bin", "r+b") as f:  # c becomes a copy of a: same inode, size and mtime
        f.write(data[:1])
    os.utime(tmp_path / "c.bin", (MTIME, MTIME))
    assert os.stat(tmp_path / "c.bin").st_ino == ino
    out = find(library, tmp_path)
    assert rel_groups(out, tmp_path) == [["a.bin", "b.bin", "c.bin"]], "ctime moved: c's old head must be read again"
    assert out["stages"]["head_hashed"] == 1 and out["stages"]["full_hashed"] == 1


def test_partial_reuse_gives_the_same_groups_as_a_fresh_library(library, library_dir, tmp_path):
    """Groups from a library that has seen the tree before (and then some changes) equal a fresh run's."""
    from sd_desktop.library import Library

    data = _large_group(tmp_path / "t")
    small = os.urandom(3000)
    for name in ("s1", "s2", "s3"):
        write(tmp_path / "t" / name, small, MTIME)
    find(library, tmp_path / "t")
    write(tmp_path / "t" / "d.bin", data, MTIME)  # d now equals a (new content, same size)
    write(tmp_path / "t" / "s3", os.urandom(3000), MTIME)  # s3 differs now
    os.unlink(tmp_path / "t" / "b.bin")
    again = find(library, tmp_path / "t")
    fresh_lib = Library.open(tmp_path / "fresh-lib")
    try:
        fresh = find(fresh_lib, tmp_path / "t")
    finally:
        fresh_lib.close()
    assert rel_groups(again, tmp_path / "t") == rel_groups(fresh, tmp_path / "t") == [["a.bin", "d.bin"], ["s1", "s2"]]


def test_stale_rows_are_pruned(library, tmp_path):
    big = os.urandom(100_000)
    for name in ("a", "b", "c"):
        write(tmp_path / "in" / name, big, MTIME)
    write(tmp_path / "out" / "x", big, MTIME)
    write(tmp_path / "out" / "y", big, MTIME)
    find(library, tmp_path / "in")
    find(library, tmp_path / "out")
    ids = {n: os.stat(p).st_ino for n, p in [("a", tmp_path / "in" / "a"), ("c", tmp_path / "in" / "c")]}
    ids["x"] = os.stat(tmp_path / "out" / "x").st_ino
    assert {ino for _dev, ino in cache_rows(library)} >= set(ids.values())
    # c grows: no longer in a size group (so never looked up as a candidate), its row is stale all the same
    write(tmp_path / "in" / "c", big + b"more")
    # a keeps its size but is rewritten: its row is stale too (and a is re-hashed, so it gets a fresh one)
    write(tmp_path / "in" / "a", os.urandom(100_000))
    out = find(library, tmp_path / "in")
    assert out["groups"] == []
    rows = cache_rows(library)
    dev = os.stat(tmp_path / "in").st_dev
    assert (dev, ids["c"]) not in rows, "the row of a changed file that is no longer a candidate is pruned"
    st_a = os.stat(tmp_path / "in" / "a")
    assert rows[(dev, ids["a"])][:3] == (st_a.st_size, st_a.st_mtime_ns, st_a.st_ctime_ns)
    # rows of files outside the searched paths stay
    assert (dev, ids["x"]) in rows


def test_run_settled_from_the_cache_reports_what_a_reading_run_does(library, tmp_path):
    """A second run settled entirely at scan time (no work list) gives the same output: groups, hard
    links, totals."""
    data = os.urandom(150_000)
    write(tmp_path / "a.bin", data, MTIME)
    write(tmp_path / "b.bin", data, MTIME)
    os.link(tmp_path / "a.bin", tmp_path / "a-link.bin")
    small = os.urandom(500)
    write(tmp_path / "s1", small, MTIME)
    write(tmp_path / "s2", small, MTIME)
    write(tmp_path / "lone", os.urandom(500), MTIME)
    first = find(library, tmp_path)
    second = find(library, tmp_path, reuse_unchanged=False)  # the per-file cache, not the last result
    assert second["bytes_hashed"] == 0 and second["stages"]["cache_hits"] == first["stages"]["size_candidates"] == 5
    for key in ("groups", "hardlinks", "group_count", "duplicate_files", "wasted_bytes", "files_scanned"):
        assert second[key] == first[key], key
    assert rel_groups(second, tmp_path) == [["a-link.bin", "b.bin"], ["s1", "s2"]]  # an inode: its first name
    assert [sorted(os.path.basename(p) for p in h["paths"]) for h in second["hardlinks"]] == [["a-link.bin", "a.bin"]]


def test_prune_unseen_forgets_the_other_inodes_of_one_device(library):
    from sd_desktop.library import hash_cache as cache

    rows = [(7, ino, 10, 1, 1, "h") for ino in (1, 2, 3)] + [(8, 2, 10, 1, 1, "h")]
    library.write_sync(lambda c: cache.store(c, rows))
    gone = library.write_sync(lambda c: cache.prune_unseen(c, 7, [1, 3, 99]))
    assert gone == 1
    assert set(cache_rows(library)) == {(7, 1), (7, 3), (8, 2)}, "only device 7's unseen inode 2 goes"


def test_search_of_a_whole_file_system_prunes_the_rows_of_files_gone(library, tmp_path):
    """A root that is a mount point: the walk sees every file of the device, so rows of inodes it did
    not see are of files that no longer exist (needs a tmpfs mount: root only)."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(mnt)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        data = os.urandom(100_000)
        for name in ("a", "b", "c"):
            write(mnt / "d" / name, data, MTIME)
        elsewhere = write(tmp_path / "x", data, MTIME)
        write(tmp_path / "y", data, MTIME)
        find(library, tmp_path / "x", tmp_path / "y")
        find(library, mnt)
        dev = os.stat(mnt).st_dev
        gone = os.stat(mnt / "d" / "b").st_ino
        assert (dev, gone) in cache_rows(library)
        os.unlink(mnt / "d" / "b")
        out = find(library, mnt)
        assert rel_groups(out, mnt) == [["d/a", "d/c"]]
        rows = cache_rows(library)
        assert (dev, gone) not in rows
        assert (dev, os.stat(mnt / "d" / "a").st_ino) in rows
        assert (os.stat(elsewhere).st_dev, os.stat(elsewhere).st_ino) in rows, "other devices keep their rows"
        # a search below the top of the file system proves nothing about the rest: nothing more goes
        write(mnt / "e" / "1", data, MTIME)
        write(mnt / "e" / "2", data, MTIME)
        find(library, mnt / "e")
        c_ino = os.stat(mnt / "d" / "c").st_ino
        os.unlink(mnt / "d" / "c")
        find(library, mnt / "e")
        assert (dev, c_ino) in cache_rows(library)
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_cache_values_round_trip_and_damaged_ones_mean_unknown():
    head, tail = bytes(range(32)), bytes(range(32, 64))
    for known in (Known("ab" * 32), Known(None, head), Known(None, head, tail), Known("cd" * 32, head, tail)):
        assert Known.decode(known.encode()) == known
    assert Known.decode("ab" * 32).full == "ab" * 32  # the indexer's bare full hash
    assert Known.decode(":zz:") == Known(), "a damaged row is read as nothing known"


def test_rows_read_before_the_walk_answer_each_candidate_once_and_find_stale_rows():
    """``Preload.answer`` as the walk asks it, then ``Preload.lookup``: the same answers and stale rows as
    a look-up after the walk (a full hash; an indexed entry filling in a row that lacks one; a changed
    file's row stale; a second name of an inode; a listed file that is no candidate)."""
    from sd_desktop.ops.files.duplicate_detection import cache
    from sd_desktop.ops.files.file_listing import FileInfo

    full, other = "ab" * 32, "cd" * 32
    head = Known(head=bytes(32)).encode()
    rows = {
        7: [
            (1, 10, 100, 100, full),  # unchanged, full hash
            (2, 10, 100, 100, head),  # unchanged, head digest only: the entry knows the full hash
            (3, 10, 100, 100, full),  # file 3 was rewritten since: stale
            (4, 10, 100, 100, ""),  # an empty value: nothing known
            (9, 20, 100, 100, other),  # file 9 is listed but no candidate, and changed: stale too
        ]
    }
    entries = {7: [(2, 10, 100, 100, other), (5, 10, 100, 100, full)]}
    pre = cache.Preload(rows, entries)

    def info(ino: int, size: int = 10, mtime: int = 100, dev: int = 7) -> FileInfo:
        return FileInfo(b"/f%d" % ino, size, dev, ino, mtime, 100, 1)

    candidates = [info(1), info(2), info(3, mtime=200), info(4), info(5), info(6), info(1), info(11, dev=8)]
    answered = [pre.answer(i) for i in candidates]
    assert answered == [True, True, False, False, True, False, True, False]
    assert pre.devices_not_held() == {8}
    listed = [*candidates, info(9, size=20, mtime=300)]
    found = pre.lookup(iter(listed))
    merged = Known.decode(found.known[(7, 2)])
    assert merged.full == other and merged.head == bytes(32)
    assert found.known == {(7, 1): full, (7, 2): found.known[(7, 2)], (7, 5): full}
    assert sorted(found.stale) == [(7, 3, 10, 100, 100), (7, 9, 20, 100, 100)]

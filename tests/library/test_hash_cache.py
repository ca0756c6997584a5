"""The hash-cache table on a real library: rows stored are read back per device and per inode, the
count stops at its limit, and pruning removes exactly the rows it names."""

from __future__ import annotations

from sd_desktop.library import hash_cache


def rows_of(library) -> set[tuple]:
    return {(7, *row) for row in library.read_sync(lambda c: hash_cache.rows_on_device(c, 7))} | {
        (8, *row) for row in library.read_sync(lambda c: hash_cache.rows_on_device(c, 8))
    }


def test_stored_rows_come_back_by_device_and_by_inode(library):
    rows = [(7, ino, 10 * ino, 100, 200, f"h{ino}") for ino in range(1, 1200)] + [(8, 5, 1, 2, 3, "other")]
    library.write_sync(lambda c: hash_cache.store(c, rows))
    assert sorted(library.read_sync(lambda c: hash_cache.rows_on_device(c, 7))) == [r[1:] for r in rows[:-1]]
    assert library.read_sync(lambda c: hash_cache.rows_on_device(c, 8)) == [(5, 1, 2, 3, "other")]
    # more inodes than one chunk of the IN look-up, some without a row, one of another device only
    asked = [5, *range(600, 1300)]
    got = library.read_sync(lambda c: hash_cache.rows_of_inodes(c, 7, asked))
    assert sorted(got) == [(ino, 10 * ino, 100, 200, f"h{ino}") for ino in [5, *range(600, 1200)]]
    assert library.read_sync(lambda c: hash_cache.rows_of_inodes(c, 9, asked)) == []


def test_a_row_stored_again_replaces_the_old_one(library):
    library.write_sync(lambda c: hash_cache.store(c, [(7, 1, 10, 100, 200, "old")]))
    library.write_sync(lambda c: hash_cache.store(c, [(7, 1, 11, 101, 201, "new")]))
    library.write_sync(lambda c: hash_cache.store(c, []))
    assert rows_of(library) == {(7, 1, 11, 101, 201, "new")}


def test_count_stops_past_its_limit(library):
    library.write_sync(lambda c: hash_cache.store(c, [(7, ino, 1, 1, 1, "h") for ino in range(50)]))
    assert library.read_sync(lambda c: hash_cache.count_on_device(c, 7)) == 50
    assert library.read_sync(lambda c: hash_cache.count_on_device(c, 7, limit=10)) == 11
    assert library.read_sync(lambda c: hash_cache.count_on_device(c, 7, limit=50)) == 50
    assert library.read_sync(lambda c: hash_cache.count_on_device(c, 8, limit=10)) == 0


def test_prune_removes_only_rows_still_as_they_were_read(library):
    rows = [(7, 1, 10, 100, 200, "a"), (7, 2, 10, 100, 200, "b"), (8, 1, 10, 100, 200, "c")]
    library.write_sync(lambda c: hash_cache.store(c, rows))
    # row (7, 2) was rewritten by another job since it was read with mtime 99: it stays
    gone = library.write_sync(lambda c: hash_cache.prune(c, [(7, 1, 10, 100, 200), (7, 2, 10, 99, 200)]))
    assert gone == 1
    assert rows_of(library) == {(7, 2, 10, 100, 200, "b"), (8, 1, 10, 100, 200, "c")}
    assert library.write_sync(lambda c: hash_cache.prune(c, [])) == 0


def test_prune_unseen_keeps_the_inodes_seen_and_other_devices(library):
    rows = [(7, ino, 10, 1, 1, "h") for ino in (1, 2, 3)] + [(8, 2, 10, 1, 1, "h")]
    library.write_sync(lambda c: hash_cache.store(c, rows))
    assert library.write_sync(lambda c: hash_cache.prune_unseen(c, 7, [1, 3, 99])) == 1
    assert rows_of(library) == {(7, 1, 10, 1, 1, "h"), (7, 3, 10, 1, 1, "h"), (8, 2, 10, 1, 1, "h")}
    assert library.write_sync(lambda c: hash_cache.prune_unseen(c, 8, [])) == 1
    assert {r[:2] for r in rows_of(library)} == {(7, 1), (7, 3)}


def test_store_at_once_is_store_in_one_statement(library):
    library.write_sync(lambda c: hash_cache.store_at_once(c, [[7, 1, 3, 4, 5, "old"], [7, 2, 3, 4, 5, "other"]]))
    library.write_sync(lambda c: hash_cache.store_at_once(c, [[7, 1, 30, 40, 50, "new"]]))
    library.write_sync(lambda c: hash_cache.store_at_once(c, []))
    assert rows_of(library) == {(7, 1, 30, 40, 50, "new"), (7, 2, 3, 4, 5, "other")}

"""Stored duplicate-search snapshots on a real library: what is saved is loaded back, a key saved
again replaces its row, only the newest are kept, and a removed key is gone."""

from __future__ import annotations

import time

from sd_desktop.library import duplicate_snapshots as snaps


def keys(library) -> set[bytes]:
    return {k for k in (b"k%d" % n for n in range(10)) if library.read_sync(lambda c, k=k: snaps.load(c, k))}


def test_saved_is_loaded_back(library):
    before = time.time()
    library.write_sync(lambda c: snaps.save(c, b"k1", b"folders", b"result", 4, keep=5))
    got = library.read_sync(lambda c: snaps.load(c, b"k1"))
    assert (got.folders, got.result, got.job_id) == (b"folders", b"result", 4)
    assert before <= got.created_at <= time.time()
    assert library.read_sync(lambda c: snaps.load(c, b"k2")) is None


def test_a_key_saved_again_is_replaced_and_only_the_newest_are_kept(library):
    for n in range(5):
        library.write_sync(lambda c, n=n: snaps.save(c, b"k%d" % n, b"f", b"r%d" % n, n, keep=3))
    assert keys(library) == {b"k2", b"k3", b"k4"}
    library.write_sync(lambda c: snaps.save(c, b"k2", b"f2", b"again", None, keep=3))
    again = library.read_sync(lambda c: snaps.load(c, b"k2"))
    assert (again.folders, again.result, again.job_id) == (b"f2", b"again", None)
    library.write_sync(lambda c: snaps.save(c, b"k5", b"f", b"r", 5, keep=3))
    assert keys(library) == {b"k2", b"k4", b"k5"}, "k3 is now the oldest"


def test_remove_drops_one_key(library):
    for n in range(2):
        library.write_sync(lambda c, n=n: snaps.save(c, b"k%d" % n, b"f", b"r", n, keep=5))
    library.write_sync(lambda c: snaps.remove(c, b"k0"))
    library.write_sync(lambda c: snaps.remove(c, b"k9"))
    assert keys(library) == {b"k1"}

"""Folder totals on a real library: every folder's size, file count and child count after a full
recomputation, and after a change only the changed folders and their ancestors are recomputed."""

from __future__ import annotations

from sd_desktop.enums import EntryKind
from sd_desktop.library import aggregates, entries
from tests.library.indexer_rows import insert_tree, job, location

DIR, FILE, LINK = EntryKind.DIR, EntryKind.FILE, EntryKind.SYMLINK

TREE = [
    (b"a", DIR, 0),
    (b"a/x.txt", FILE, 5),
    (b"a/link", LINK, 99),  # a symlink's size is never counted
    (b"a/sub", DIR, 0),
    (b"a/sub/y.txt", FILE, 7),
    (b"a/sub/z.txt", FILE, 11),
    (b"b", DIR, 0),
    (b"b/w.txt", FILE, 100),
    (b"top.txt", FILE, 1000),
]


def totals(lib, loc) -> dict[bytes, tuple[int, int, int]]:
    rows = lib.read_sync(
        lambda c: c.execute(
            "SELECT path, aggregate_size, file_count, child_count FROM entry WHERE location_id = ? AND kind = ?",
            (loc, DIR.value),
        ).fetchall()
    )
    return {bytes(r[0]): r[1:] for r in rows}


def test_aggregate_all_totals_every_folder(library, tmp_path):
    loc = location(library, tmp_path / "loc")
    insert_tree(library, loc, TREE)
    folders, changed = library.write_sync(lambda c: aggregates.aggregate_all(c, loc))
    assert (folders, changed) == (4, 4)
    assert totals(library, loc) == {
        b"": (1123, 5, 3),
        b"a": (23, 3, 3),
        b"a/sub": (18, 2, 2),
        b"b": (100, 1, 1),
    }
    # nothing changed: nothing rewritten
    assert library.write_sync(lambda c: aggregates.aggregate_all(c, loc)) == (4, 0)


def test_aggregate_changed_recomputes_the_staged_folders_and_their_ancestors(library, tmp_path):
    loc = location(library, tmp_path / "loc")
    ids = insert_tree(library, loc, TREE)
    library.write_sync(lambda c: aggregates.aggregate_all(c, loc))
    job_id = job(library)

    def grow(c):
        c.execute("UPDATE entry SET size = 70 WHERE id = ?", (ids[b"a/sub/y.txt"],))
        entries.add_changed_folders(c, job_id, 2, [ids[b"a/sub"]])
        assert entries.stage_changed_folders(c, "indexer", 2) == 1
        return aggregates.aggregate_changed(c, loc)

    scope, changed = library.write_sync(grow)
    assert (scope, changed) == (3, 3)  # a/sub, a and the root; b is neither read nor written
    assert totals(library, loc) == {
        b"": (1186, 5, 3),
        b"a": (86, 3, 3),
        b"a/sub": (81, 2, 2),
        b"b": (100, 1, 1),
    }
    after_all = library.write_sync(lambda c: aggregates.aggregate_all(c, loc))
    assert after_all == (4, 0)  # the partial recomputation left what a full one computes

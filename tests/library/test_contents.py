"""Content identities on a real library: one row per cas_id whichever way a batch is written,
entries linked to their row, hashes set or kept as asked, orphans collected, and the files still to
identify selected exactly (empty files, deep mode, a sub-folder, the cursor, the limit)."""

from __future__ import annotations

from sd_desktop.enums import EntryKind
from sd_desktop.library import contents
from tests.library.indexer_rows import insert_tree, location

DIR, FILE = EntryKind.DIR, EntryKind.FILE

TREE = [
    (b"a", DIR, 0),
    (b"a/one.txt", FILE, 5),
    (b"a/two.txt", FILE, 5),
    (b"a/empty", FILE, 0),
    (b"b", DIR, 0),
    (b"b/three.jpg", FILE, 9),
]


def identities(lib) -> list[tuple]:
    return lib.read_sync(
        lambda c: c.execute("SELECT cas_id, size, kind, mime FROM content_identity ORDER BY cas_id").fetchall()
    )


def linked(lib, loc) -> dict[bytes, tuple]:
    rows = lib.read_sync(
        lambda c: c.execute(
            "SELECT e.path, e.cas_id, e.mime, e.integrity_hash, ci.cas_id FROM entry e "
            "LEFT JOIN content_identity ci ON ci.id = e.content_id WHERE e.location_id = ? AND e.kind = ?",
            (loc, FILE.value),
        ).fetchall()
    )
    return {bytes(r[0]): r[1:] for r in rows}


def test_one_identity_per_cas_id_the_first_wins_both_ways(library):
    library.write_sync(
        lambda c: contents.add_identities(c, [("c1", 5, "text", "text/plain", 1.0), ("c1", 5, "other", "x/y", 1.0)])
    )
    library.write_sync(
        lambda c: contents.add_identities_at_once(
            c, [["c2", 9, "image", "image/jpeg"], ["c2", 9, "text", "text/plain"], ["c1", 5, "bin", None]], 2.0
        )
    )
    assert identities(library) == [("c1", 5, "text", "text/plain"), ("c2", 9, "image", "image/jpeg")]


def test_entries_are_linked_to_their_identity_and_keep_or_get_hashes(library, tmp_path):
    loc = location(library, tmp_path / "loc")
    ids = insert_tree(library, loc, TREE)
    library.write_sync(lambda c: contents.add_identities(c, [("c1", 5, "text", "text/plain", 1.0)]))
    library.write_sync(
        lambda c: contents.set_identified(
            c, [("c1", "text/plain", None, ids[b"a/one.txt"]), ("c1", "text/plain", "h2", ids[b"a/two.txt"])]
        )
    )
    library.write_sync(lambda c: contents.set_integrity(c, [[ids[b"a/one.txt"], "h1"]]))
    # a later content pass without a full hash keeps the stored one
    library.write_sync(lambda c: contents.set_identified(c, [("c1", "text/plain", None, ids[b"a/two.txt"])]))
    assert linked(library, loc) == {
        b"a/one.txt": ("c1", "text/plain", "h1", "c1"),
        b"a/two.txt": ("c1", "text/plain", "h2", "c1"),
        b"a/empty": (None, None, None, None),
        b"b/three.jpg": (None, None, None, None),
    }


def test_collect_orphans_removes_exactly_the_unreferenced_identities(library, tmp_path):
    loc = location(library, tmp_path / "loc")
    ids = insert_tree(library, loc, TREE)
    rows = [(f"c{i}", 5, None, None, 1.0) for i in range(4)]
    library.write_sync(lambda c: contents.add_identities(c, rows))
    library.write_sync(lambda c: contents.set_identified(c, [("c2", None, None, ids[b"a/one.txt"])]))
    assert library.write_sync(contents.collect_orphans) == 3
    assert [r[0] for r in identities(library)] == ["c2"]
    assert library.write_sync(contents.collect_orphans) == 0


def test_the_files_still_to_identify(library, tmp_path):
    loc = location(library, tmp_path / "loc")
    ids = insert_tree(library, loc, TREE)
    files = [ids[p] for p in (b"a/one.txt", b"a/two.txt", b"b/three.jpg")]  # never the empty file

    def todo(**kw):
        return library.read_sync(lambda c: [r[0] for r in contents.unidentified(c, loc, limit=10, **kw)])

    def count(**kw):
        return library.read_sync(lambda c: contents.count_unidentified(c, loc, **kw))

    assert todo(deep=False) == files and count(deep=False) == 3
    assert todo(deep=False, below=b"a") == files[:2] and count(deep=False, below=b"a") == 2
    assert todo(deep=False, after=files[0]) == files[1:]
    assert library.read_sync(lambda c: contents.unidentified(c, loc, deep=False, limit=1)) == [
        (files[0], b"a/one.txt", 5, 1, 102, None, None)
    ]
    library.write_sync(lambda c: contents.add_identities(c, [("c1", 5, None, "text/plain", 1.0)]))
    library.write_sync(lambda c: contents.set_identified(c, [("c1", "text/plain", None, files[0])]))
    assert todo(deep=False) == files[1:]
    # deep: every file without an integrity hash, the empty one too
    assert todo(deep=True) == [*files[:2], ids[b"a/empty"], files[2]] and count(deep=True) == 4
    assert library.read_sync(lambda c: contents.unidentified(c, loc, deep=True, limit=1)) == [
        (files[0], b"a/one.txt", 5, 1, 102, "c1", "text/plain")
    ]

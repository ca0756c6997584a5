"""The indexer's entry writes on a real library: batches go in and come back as written, subtrees
are selected by path range only (never a sibling sharing a prefix), and the work-list bookkeeping
(pending deletions, changed folders) keeps exactly the items it should."""

from __future__ import annotations

from sd_desktop.enums import EntryKind
from sd_desktop.library import entries
from tests.library.indexer_rows import insert_tree, job, location, paths_of, walk_row

DIR, FILE = EntryKind.DIR, EntryKind.FILE

TREE = [
    (b"a", DIR, 0),
    (b"a/x.txt", FILE, 5),
    (b"a/sub", DIR, 0),
    (b"a/sub/y.txt", FILE, 7),
    (b"ab", DIR, 0),  # shares the prefix "a": never part of a's subtree
    (b"ab/z.txt", FILE, 3),
    (b"a0", FILE, 1),  # '0' sorts right after '/'
]


def test_inserted_rows_are_found_and_listed_as_children(library, tmp_path):
    loc = location(library, tmp_path / "loc")
    assert library.read_sync(lambda c: entries.has_entries(c, loc)) is False
    ids = insert_tree(library, loc, TREE)
    assert library.read_sync(lambda c: entries.has_entries(c, loc)) is True
    assert library.read_sync(lambda c: entries.count(c, loc)) == 8
    assert library.read_sync(entries.next_id) == max(ids.values()) + 1
    assert library.read_sync(lambda c: entries.find(c, loc, b"a/x.txt")) == (ids[b"a/x.txt"], FILE, ids[b"a"])
    assert library.read_sync(lambda c: entries.find(c, loc, b"nope")) is None
    assert library.read_sync(lambda c: entries.folder_id(c, loc, b"a/sub")) == ids[b"a/sub"]
    assert library.read_sync(lambda c: entries.folder_id(c, loc, b"a/x.txt")) is None  # a file, not a folder
    found = library.read_sync(lambda c: entries.folder_ids(c, loc, [b"a", b"ab", b"a0", b"gone"]))
    assert sorted(found) == [(b"a", ids[b"a"]), (b"ab", ids[b"ab"])]

    kids = library.read_sync(lambda c: entries.children(c, [ids[b"a"]]))
    by_path = {bytes(k[entries.CHILD_PATH]): k for k in kids}
    assert sorted(by_path) == [b"a/sub", b"a/x.txt"]
    child = by_path[b"a/x.txt"]
    assert child[entries.CHILD_ID] == ids[b"a/x.txt"]
    assert child[entries.CHILD_PARENT] == ids[b"a"]
    # the child's columns from kind on are the walk row's, in its order: unchanged = one comparison
    assert child[entries.CHILD_KIND : entries.CHILD_PARENT] == walk_row(b"a/x.txt", FILE, 5, inode=102)[2:]


def test_bulk_reads_cover_more_ids_than_one_statement_takes(library, tmp_path):
    loc = location(library, tmp_path / "loc")
    count = entries.CHUNK * 2 + 7
    spec = [(f"d{i:04d}".encode(), DIR, 0) for i in range(count)]
    spec += [(f"d{i:04d}/f".encode(), FILE, i) for i in range(count)]
    ids = insert_tree(library, loc, spec)
    folders = [f"d{i:04d}".encode() for i in range(count)]
    found = library.read_sync(lambda c: entries.folder_ids(c, loc, folders))
    assert dict(found) == {p: ids[p] for p in folders}
    kids = library.read_sync(lambda c: entries.children(c, [ids[p] for p in folders]))
    assert sorted(bytes(k[0]) for k in kids) == sorted(p + b"/f" for p in folders)


def test_update_forgets_the_content_only_when_asked(library, tmp_path):
    loc = location(library, tmp_path / "loc")
    ids = insert_tree(library, loc, TREE)

    def identify(c):
        c.execute(
            "UPDATE entry SET cas_id = 'c', mime = 'text/plain', integrity_hash = 'h' WHERE location_id = ?", (loc,)
        )

    library.write_sync(identify)
    keep = (ids[b"a"], *walk_row(b"a/x.txt", FILE, 5, inode=102), 0, ids[b"a/x.txt"])
    forget = (ids[b"a/sub"], *walk_row(b"a/sub/y.txt", FILE, 8, inode=104), 1, ids[b"a/sub/y.txt"])
    library.write_sync(lambda c: entries.update(c, [keep, forget]))
    got = library.read_sync(
        lambda c: c.execute(
            "SELECT path, size, cas_id, mime, integrity_hash FROM entry WHERE id IN (?, ?) ORDER BY path",
            (ids[b"a/x.txt"], ids[b"a/sub/y.txt"]),
        ).fetchall()
    )
    assert got == [(b"a/sub/y.txt", 8, None, None, None), (b"a/x.txt", 5, "c", "text/plain", "h")]


def test_subtrees_are_deleted_and_moved_by_path_range_only(library, tmp_path):
    loc = location(library, tmp_path / "loc")
    ids = insert_tree(library, loc, TREE)
    library.write_sync(lambda c: entries.move_subtree(c, loc, b"a", b"b"))
    assert paths_of(library, loc) == [b"", b"a", b"a0", b"ab", b"ab/z.txt", b"b/sub", b"b/sub/y.txt", b"b/x.txt"]
    library.write_sync(lambda c: entries.move_subtree(c, loc, b"b", b"a"))
    library.write_sync(lambda c: entries.delete_subtree(c, loc, ids[b"a"], b"a"))
    assert paths_of(library, loc) == [b"", b"a0", b"ab", b"ab/z.txt"]


def test_delete_many_counts_the_rows_of_whole_subtrees(library, tmp_path):
    loc = location(library, tmp_path / "loc")
    ids = insert_tree(library, loc, TREE)
    doomed = [(ids[b"a"], b"a", DIR), (ids[b"a0"], b"a0", FILE)]
    assert library.write_sync(lambda c: entries.delete_many(c, loc, doomed)) == 5
    assert paths_of(library, loc) == [b"", b"ab", b"ab/z.txt"]


def test_move_candidates_match_the_identity_and_for_files_the_size(library, tmp_path):
    loc = location(library, tmp_path / "loc")
    other = location(library, tmp_path / "other")
    ids = insert_tree(library, loc, TREE)
    insert_tree(library, other, TREE)  # the same inodes in another location: never candidates

    def cands(kind, inode, size, mtime=1):
        return library.read_sync(lambda c: entries.move_candidates(c, loc, 7, inode, kind, mtime, size))

    assert cands(FILE, 102, 5) == [(ids[b"a/x.txt"], b"a/x.txt", ids[b"a"])]
    assert cands(FILE, 102, 6) == []  # edited: not the same file
    assert cands(FILE, 102, 5, mtime=2) == []
    assert cands(DIR, 101, 12345) == [(ids[b"a"], b"a", ids[b""])]  # a folder's size is not compared
    assert cands(DIR, 102, 5) == []  # a file's inode, but not a folder


def test_pending_deletes_keep_the_first_record_and_drop_entries_moved_since(library, tmp_path):
    loc = location(library, tmp_path / "loc")
    ids = insert_tree(library, loc, TREE)
    job_id = job(library)
    doomed = [(ids[b"a/x.txt"], b"a/x.txt"), (ids[b"ab"], b"ab")]
    library.write_sync(lambda c: entries.add_pending_deletes(c, job_id, 1, doomed))
    library.write_sync(lambda c: entries.add_pending_deletes(c, job_id, 1, doomed[:1]))  # again: kept once
    library.write_sync(lambda c: entries.add_changed_folders(c, job_id, 2, [ids[b"a"]]))  # another kind
    moved = (ids[b""], *walk_row(b"ac", DIR, inode=105), 0, ids[b"ab"])
    library.write_sync(lambda c: entries.update(c, [moved]))  # moved since: no longer pending
    pending = library.read_sync(lambda c: entries.pending_deletes(c, job_id, 1, loc))
    assert pending == [(ids[b"a/x.txt"], b"a/x.txt", FILE)]
    assert library.read_sync(lambda c: entries.pending_deletes(c, job_id, 1, loc + 1)) == []


def test_changed_folders_of_every_run_are_staged_and_forgotten_per_location(library, tmp_path):
    loc = location(library, tmp_path / "loc")
    other = location(library, tmp_path / "other")
    ids = insert_tree(library, loc, TREE)
    other_ids = insert_tree(library, other, TREE)
    killed, running, stranger = job(library), job(library), job(library, "copy")
    library.write_sync(lambda c: entries.add_changed_folders(c, killed, 2, [ids[b"a"], ids[b"a/sub"]]))
    library.write_sync(lambda c: entries.add_changed_folders(c, running, 2, [ids[b"a"], other_ids[b"ab"]]))
    library.write_sync(lambda c: entries.add_changed_folders(c, running, 2, [ids[b"a"]]))  # again: kept once
    library.write_sync(lambda c: entries.add_changed_folders(c, stranger, 2, [ids[b"ab"]]))  # another job
    library.write_sync(lambda c: entries.add_changed_folders(c, running, 2, [999_999]))  # its entry is gone

    def staged(c):
        n = entries.stage_changed_folders(c, "indexer", 2)
        return n, sorted(r[0] for r in c.execute("SELECT id FROM temp.idx_dirty"))

    n, staged_ids = library.write_sync(staged)
    assert (n, staged_ids) == (4, sorted([ids[b"a"], ids[b"a/sub"], other_ids[b"ab"], 999_999]))

    library.write_sync(lambda c: entries.forget_changed_folders(c, "indexer", 2, loc))
    left = library.read_sync(lambda c: sorted(c.execute("SELECT job_id, seq FROM work_item").fetchall()))
    assert left == sorted([(running, -other_ids[b"ab"]), (stranger, -ids[b"ab"])])


def test_move_candidates_never_scan_even_with_the_statistics_of_a_tiny_table(tmp_path):
    """A library closed after indexing a few files keeps statistics (PRAGMA optimize) that make a full
    scan look cheapest; a long-lived engine that then adds tens of thousands of files looks each new
    one up here, so a scan made a burst of new files quadratic."""
    import sqlite3

    from sd_desktop.library import Library
    from tests.indexing.helpers import index_path

    (tmp_path / "loc").mkdir()
    (tmp_path / "loc" / "a.txt").write_text("a")
    lib = Library.open(tmp_path / "library")
    loc = index_path(lib, tmp_path / "loc").output["location_id"]
    lib.close()  # PRAGMA optimize: the statistics of a two-row table
    conn = sqlite3.connect(tmp_path / "library" / "library.db")
    try:
        assert conn.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'entry'").fetchone()[0] > 0
        plan = conn.execute("EXPLAIN QUERY PLAN " + entries._MOVE_CANDIDATES, (1, 2, 0, loc, 3, 4)).fetchall()
    finally:
        conn.close()
    assert [row[3] for row in plan] == ["SEARCH entry USING INDEX entry_inode (device=? AND inode=?)"]


def test_known_inodes_are_the_location_s_stored_identities(library, tmp_path):
    loc = location(library, tmp_path / "loc")
    other = location(library, tmp_path / "other")
    insert_tree(library, loc, TREE)
    asked = [(7, 102), (7, 999), (8, 102)] + [(7, 10_000 + i) for i in range(1200)]  # more than one statement
    assert library.read_sync(lambda c: entries.known_inodes(c, loc, asked)) == {(7, 102)}
    assert library.read_sync(lambda c: entries.known_inodes(c, other, asked)) == set()  # another location's

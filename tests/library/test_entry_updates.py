"""Entries kept in step with files placed and removed, on a real library and real files: which
entry a path is (links in its folders resolved, its own name kept), what a placed entry holds, what
a removal takes with it, and the folder totals recomputed in the same transaction."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sd_desktop.enums import EntryKind
from sd_desktop.library import entry_updates
from sd_desktop.library.entry_updates import Placed, Removed
from sd_desktop.library.locations import add_location


def _placed(path: Path) -> Placed:
    raw = os.fsencode(path)
    return Placed(raw, os.lstat(raw))


def _removed(path: Path) -> Removed:
    return Removed(os.fsencode(path))


def _entries(library) -> dict[bytes, tuple]:
    """path -> (kind, size, aggregate_size, file_count, child_count, parent path or None)."""
    return library.read_sync(
        lambda c: {
            bytes(r[0]): (r[1], r[2], r[3], r[4], r[5], None if r[6] is None else bytes(r[6]))
            for r in c.execute(
                "SELECT e.path, e.kind, e.size, e.aggregate_size, e.file_count, e.child_count, p.path "
                "FROM entry e LEFT JOIN entry p ON p.id = e.parent_id"
            )
        }
    )


def _root_entry(library, loc_id: int, root: Path) -> None:
    """The root folder's entry, as the indexer makes it (the parent every top-level entry needs)."""
    st = os.lstat(root)
    library.write_sync(
        lambda c: c.execute(
            "INSERT INTO entry (location_id, path, name, kind, inode, device, mtime_ns, ctime_ns, mode) "
            "VALUES (?, x'', ?, ?, ?, ?, ?, ?, ?)",
            (loc_id, root.name, int(EntryKind.DIR), st.st_ino, st.st_dev, st.st_mtime_ns, st.st_ctime_ns, st.st_mode),
        )
    )


@pytest.fixture
def loc(library, tmp_path) -> tuple[int, Path]:
    root = tmp_path / "loc"
    root.mkdir()
    loc_id = add_location(library, root)
    _root_entry(library, loc_id, root)
    return loc_id, root


def _record(library, changes) -> list[int | None]:
    return library.write_sync(lambda c: entry_updates.record(c, changes))


def test_tracking_says_whether_any_location_exists(library, tmp_path):
    assert library.read_sync(entry_updates.tracking) is False
    (tmp_path / "loc").mkdir()
    add_location(library, tmp_path / "loc")
    assert library.read_sync(entry_updates.tracking) is True


def test_placed_files_and_folders_get_entries_and_their_folders_totals(library, loc):
    loc_id, root = loc
    (root / "d" / "e").mkdir(parents=True)
    (root / "d" / "a.txt").write_bytes(b"x" * 10)
    (root / "d" / "e" / ".hidden").write_bytes(b"y" * 5)
    changes = [_placed(root / "d"), _placed(root / "d" / "a.txt"), _placed(root / "d" / "e")]
    changes.append(_placed(root / "d" / "e" / ".hidden"))
    assert _record(library, changes) == [loc_id] * 4
    assert _entries(library) == {
        b"": (EntryKind.DIR, 0, 15, 2, 1, None),
        b"d": (EntryKind.DIR, 0, 15, 2, 2, b""),
        b"d/a.txt": (EntryKind.FILE, 10, 0, 0, 0, b"d"),
        b"d/e": (EntryKind.DIR, 0, 5, 1, 1, b"d"),
        b"d/e/.hidden": (EntryKind.FILE, 5, 0, 0, 0, b"d/e"),
    }
    st = os.lstat(root / "d" / "e" / ".hidden")
    row = library.read_sync(
        lambda c: c.execute(
            "SELECT name, hidden, inode, device, mtime_ns, ctime_ns, mode, link_target FROM entry WHERE path = ?",
            (b"d/e/.hidden",),
        ).fetchone()
    )
    assert row == (".hidden", 1, st.st_ino, st.st_dev, st.st_mtime_ns, st.st_ctime_ns, st.st_mode, None)


def test_placing_again_refreshes_the_entry_and_forgets_its_content_ids(library, loc):
    loc_id, root = loc
    f = root / "f.bin"
    f.write_bytes(b"old")
    _record(library, [_placed(f)])
    library.write_sync(
        lambda c: c.execute("UPDATE entry SET cas_id = 'abc', integrity_hash = 'h' WHERE path = 'f.bin'")
    )
    f.write_bytes(b"newer content")
    assert _record(library, [_placed(f)]) == [loc_id]
    row = library.read_sync(
        lambda c: c.execute("SELECT size, cas_id, integrity_hash FROM entry WHERE path = ?", (b"f.bin",)).fetchone()
    )
    assert row == (13, None, None)
    assert _entries(library)[b""] == (EntryKind.DIR, 0, 13, 1, 1, None)


def test_removed_takes_the_entry_and_everything_below_it_and_nothing_else(library, loc):
    loc_id, root = loc
    for rel in ("d/x", "d/y/z", "d0", "d.txt", "dd", "c"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"1234")
    placed = [_placed(root / "d"), _placed(root / "d" / "x"), _placed(root / "d" / "y"), _placed(root / "d/y/z")]
    placed += [_placed(root / name) for name in ("d0", "d.txt", "dd", "c")]
    _record(library, placed)
    assert _entries(library)[b""][2:5] == (24, 6, 5)
    assert _record(library, [_removed(root / "d")]) == [loc_id]
    assert sorted(_entries(library)) == [b"", b"c", b"d.txt", b"d0", b"dd"]
    assert _entries(library)[b""][2:5] == (16, 4, 4)


def test_changes_apply_in_their_order(library, loc):
    loc_id, root = loc
    f = root / "f"
    f.write_bytes(b"abc")
    _record(library, [_placed(f), _removed(f)])
    assert b"f" not in _entries(library)
    st = os.lstat(f)
    _record(library, [Removed(os.fsencode(f)), Placed(os.fsencode(f), st)])
    assert _entries(library)[b"f"][:2] == (EntryKind.FILE, 3)


def test_paths_outside_every_location_and_the_root_itself_touch_nothing(library, loc, tmp_path):
    loc_id, root = loc
    (tmp_path / "elsewhere").write_bytes(b"e")
    (tmp_path / "loc2").mkdir()  # only shares a prefix with the location's root
    (tmp_path / "loc2" / "g").write_bytes(b"g")
    (root / "inside").write_bytes(b"i")
    changes = [_placed(tmp_path / "elsewhere"), _placed(tmp_path / "loc2" / "g"), _placed(root)]
    changes += [_placed(root / "inside"), _removed(root)]
    assert _record(library, changes) == [None, None, None, loc_id, None]
    assert sorted(_entries(library)) == [b"", b"inside"]


def test_a_path_through_a_linked_folder_is_the_entry_of_the_real_folder(library, loc, tmp_path):
    """Links in the folders above a path are resolved (the indexer stored the real folders)."""
    loc_id, root = loc
    (root / "real").mkdir()
    (root / "real" / "f").write_bytes(b"12345")
    alias = tmp_path / "alias"
    alias.symlink_to(root)
    assert _record(library, [_placed(alias / "real"), _placed(alias / "real" / "f")]) == [loc_id, loc_id]
    assert _entries(library)[b"real/f"] == (EntryKind.FILE, 5, 0, 0, 0, b"real")
    assert _record(library, [_removed(alias / "real" / "f")]) == [loc_id]
    assert b"real/f" not in _entries(library)


def test_a_link_is_its_own_entry_never_its_target(library, loc, tmp_path):
    """A path's own last name is kept: a placed link is recorded as the link, and removing a link
    inside the location removes the link's entry, not the entry of the folder it points to."""
    loc_id, root = loc
    (root / "target").mkdir()
    (root / "target" / "t").write_bytes(b"t")
    (root / "link").symlink_to(root / "target")
    (root / "out").symlink_to(tmp_path)  # points outside the location
    changes = [_placed(root / "target"), _placed(root / "target" / "t"), _placed(root / "link")]
    changes.append(_placed(root / "out"))
    assert _record(library, changes) == [loc_id] * 4
    got = _entries(library)
    assert got[b"link"][:2] == (EntryKind.SYMLINK, 0) and got[b"out"][:2] == (EntryKind.SYMLINK, 0)
    link_target = library.read_sync(
        lambda c: c.execute("SELECT link_target FROM entry WHERE path = ?", (b"link",)).fetchone()[0]
    )
    assert bytes(link_target) == os.fsencode(root / "target")
    assert _record(library, [_removed(root / "link")]) == [loc_id]
    assert sorted(_entries(library)) == [b"", b"out", b"target", b"target/t"]


def test_changes_in_two_locations_recompute_both(library, loc, tmp_path):
    loc_id, root = loc
    other = tmp_path / "other"
    other.mkdir()
    other_id = add_location(library, other)
    _root_entry(library, other_id, other)
    (root / "a").write_bytes(b"aa")
    (other / "b").write_bytes(b"bbb")
    assert _record(library, [_placed(root / "a"), _placed(other / "b")]) == [loc_id, other_id]
    totals = library.read_sync(
        lambda c: dict(c.execute("SELECT location_id, aggregate_size FROM entry WHERE path = x''").fetchall())
    )
    assert totals == {loc_id: 2, other_id: 3}


def _steps_to_remove_one_file(library, tmp_path, folders: int) -> int:
    """SQLite VM steps (in units of 100) that removing one file's entry takes, in a location whose
    ``bulk`` folder holds ``folders`` folders of 50 files each, beside the file's own folder ``a``
    (the same size every time, and so are the folders whose totals change)."""
    root = tmp_path / f"loc{folders}"
    (root / "a").mkdir(parents=True)
    (root / "a" / "doomed").write_bytes(b"d")
    (root / "bulk").mkdir()
    loc_id = add_location(library, root)
    _root_entry(library, loc_id, root)
    _record(library, [_placed(root / "a"), _placed(root / "a" / "doomed"), _placed(root / "bulk")])

    def fill(conn) -> None:
        bulk = conn.execute("SELECT id FROM entry WHERE location_id = ? AND path = ?", (loc_id, b"bulk")).fetchone()[0]
        for d in range(folders):
            folder = b"bulk/f%04d" % d
            parent = conn.execute(
                "INSERT INTO entry (location_id, parent_id, path, name, kind) VALUES (?, ?, ?, ?, 1)",
                (loc_id, bulk, folder, folder.decode()),
            ).lastrowid
            conn.executemany(
                "INSERT INTO entry (location_id, parent_id, path, name, kind, size) VALUES (?, ?, ?, ?, 0, 1)",
                [(loc_id, parent, folder + b"/%03d" % i, f"{i:03d}") for i in range(50)],
            )

    library.write_sync(fill)
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    def remove(conn) -> list[int | None]:
        conn.set_progress_handler(count, 100)
        try:
            return entry_updates.record(conn, [_removed(root / "a" / "doomed")])
        finally:
            conn.set_progress_handler(None, 0)

    assert library.write_sync(remove) == [loc_id]
    return steps[0]


def test_removing_a_file_costs_the_same_in_a_small_and_a_big_location(library, tmp_path):
    """The subtree delete goes through the (location, path) index: its cost must not grow with the
    number of entries in the location (a move or delete of many files would become quadratic)."""
    small = _steps_to_remove_one_file(library, tmp_path, 20)
    big = _steps_to_remove_one_file(library, tmp_path, 1000)
    assert big <= small + 5, (small, big)

"""Location changes made through the peewee ``Location`` model, checked in the database file itself."""

from __future__ import annotations

import os
import sqlite3

import pytest

from sd_desktop.library import Library
from sd_desktop.library.locations import LocationError, add_location, remove_location, set_index_mode
from sd_desktop.library.models import Location


def _rows(lib: Library) -> list[tuple]:
    conn = sqlite3.connect(lib.db_path)
    try:
        return conn.execute("SELECT id, path, name, device, index_mode, rules, last_indexed FROM location").fetchall()
    finally:
        conn.close()


def test_add_set_mode_and_remove_write_the_location_row(library, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    loc = add_location(library, photos, index_mode="deep")
    raw = os.fsencode(os.path.realpath(photos))
    assert _rows(library) == [(loc, raw, "photos", os.stat(photos).st_dev, "deep", "{}", None)]

    set_index_mode(library, loc, "shallow")
    assert _rows(library)[0][4] == "shallow"
    with pytest.raises(LocationError, match=f"no location with id {loc + 1}"):
        set_index_mode(library, loc + 1, "content")

    library.write_sync(
        lambda c: c.execute(
            "INSERT INTO entry (location_id, path, name, kind) VALUES (?, x'', 'photos', 1), (?, 'a.jpg', 'a.jpg', 0)",
            (loc, loc),
        )
    )
    remove_location(library, loc)
    assert _rows(library) == []
    conn = sqlite3.connect(library.db_path)
    try:
        # the model's DELETE runs with foreign keys on, so the entries go with their location
        assert conn.execute("SELECT COUNT(*) FROM entry").fetchone()[0] == 0
    finally:
        conn.close()


def test_location_changes_go_to_their_own_library_when_another_is_open(tmp_path):
    first = Library.open(tmp_path / "first")
    second = Library.open(tmp_path / "second")  # opened last: the models' database proxy points here
    try:
        folder = tmp_path / "folder"
        folder.mkdir()
        loc = add_location(first, folder)
        set_index_mode(first, loc, "deep")
        assert [r[4] for r in _rows(first)] == ["deep"]
        assert _rows(second) == []
        remove_location(first, loc)
        assert _rows(first) == []
    finally:
        second.close()
        first.close()


def test_model_writes_share_the_writers_transaction(library):
    """A model's write and the raw connection ``fn`` gets see each other and roll back together."""

    def insert_then_fail(conn: sqlite3.Connection) -> None:
        Location.insert(path=b"/nowhere", name="nowhere", created_at=0.0).execute(library.db)
        assert conn.execute("SELECT name, index_mode, rules FROM location").fetchall() == [("nowhere", "content", "{}")]
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        library.write_sync(insert_then_fail)
    assert _rows(library) == []


def test_root_of_gives_the_stored_root_and_none_for_a_missing_location(library, tmp_path):
    from sd_desktop.library.locations import root_of

    folder = tmp_path / "photos"
    folder.mkdir()
    (tmp_path / "alias").symlink_to(folder)
    loc = add_location(library, tmp_path / "alias")
    assert library.read_sync(lambda c: root_of(c, loc)) == os.fsencode(folder)
    assert library.read_sync(lambda c: root_of(c, loc + 1)) is None


def test_locate_many_answers_as_locate_does_for_each_path(library, tmp_path):
    from sd_desktop.library.locations import Located, locate, locate_many

    a, a2 = tmp_path / "a", tmp_path / "a2"
    (a / "sub").mkdir(parents=True)
    a2.mkdir()
    a_id, a2_id = add_location(library, a), add_location(library, a2)
    asked = [a / "sub" / "f", a2, tmp_path / "elsewhere", a / "sub" / ".." / "g", tmp_path / "a2x"]
    expected = [
        Located(a_id, b"sub/f", os.fsencode(a)),
        Located(a2_id, b"", os.fsencode(a2)),
        None,
        Located(a_id, b"g", os.fsencode(a)),
        None,
    ]
    assert library.read_sync(lambda c: locate_many(c, asked)) == expected
    assert library.read_sync(lambda c: [locate(c, p) for p in asked]) == expected
    assert library.read_sync(lambda c: locate_many(c, [])) == []

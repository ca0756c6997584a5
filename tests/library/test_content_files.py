"""Files with content in a scope, on a real library: exactly the regular files with content of the
whole library, a location, or a path (the entry itself and what is below it, never a sibling that
only shares the name's start), in id order, whatever the number of ids asked for."""

from __future__ import annotations

import sqlite3

import pytest

from sd_desktop.library import content_files
from sd_desktop.library.content_files import ContentFile, Scope
from sd_desktop.library.locations import LocationError, add_location

# (path, kind, size, has content): kind 0 file, 1 dir, 2 symlink
TREE = [
    (b"a", 1, 0, False),
    (b"a/x.jpg", 0, 10, True),
    (b"a/sub", 1, 0, False),
    (b"a/sub/y.png", 0, 20, True),
    (b"a/empty.txt", 0, 0, False),  # a file the indexer gave no content (empty)
    (b"a/link", 2, 0, False),
    (b"a.b", 0, 40, True),  # sorts between b"a" and b"a/"
    (b"a0", 0, 80, True),  # sorts right after b"a/..."
    (b"b.jpg", 0, 160, True),
]


@pytest.fixture
def two_locations(library, tmp_path):
    """Two locations holding TREE's rows; returns (root one, root two, {(location, path): entry id})."""
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    (one / "a" / "sub").mkdir(parents=True)
    locs = [add_location(library, one), add_location(library, two)]

    def tx(conn: sqlite3.Connection) -> dict[tuple[int, bytes], int]:
        ids = {}
        for loc in locs:
            for path, kind, size, has_content in TREE:
                content_id = None
                if has_content:
                    content_id = conn.execute(
                        "INSERT INTO content_identity (cas_id, size, created_at) VALUES (?, ?, 0)",
                        (f"{loc}-{path.decode()}", size),
                    ).lastrowid
                ids[loc, path] = conn.execute(
                    "INSERT INTO entry (location_id, path, name, kind, size, content_id, mime) "
                    "VALUES (?, ?, ?, ?, ?, ?, 'image/x')",
                    (loc, path, path.decode(), kind, size, content_id),
                ).lastrowid
        return ids

    return one, two, locs, library.write_sync(tx)


def _paths(rows: list[ContentFile]) -> list[tuple[int, bytes]]:
    return [(r.location_id, r.path) for r in rows]


def test_a_path_scope_is_the_entry_and_what_is_below_it(library, two_locations):
    one, _two, (l1, _l2), ids = two_locations
    sc = library.read_sync(lambda c: content_files.scope(c, path=one / "a"))
    assert sc == Scope(l1, b"a")
    rows = library.read_sync(lambda c: content_files.after(c, sc, 0, 100))
    assert _paths(rows) == [(l1, b"a/x.jpg"), (l1, b"a/sub/y.png")]
    assert library.read_sync(lambda c: content_files.totals(c, sc)) == (2, 30)
    x = rows[0]
    assert x == ContentFile(ids[l1, b"a/x.jpg"], l1, b"a/x.jpg", 10, x.content_id, f"{l1}-a/x.jpg", "image/x")
    # a file is a scope of its own
    sc = library.read_sync(lambda c: content_files.scope(c, path=one / "a.b"))
    assert _paths(library.read_sync(lambda c: content_files.after(c, sc, 0, 100))) == [(l1, b"a.b")]


def test_location_and_library_scopes_in_id_order_from_a_cursor(library, two_locations):
    one, _two, (l1, l2), ids = two_locations
    files = [b"a/x.jpg", b"a/sub/y.png", b"a.b", b"a0", b"b.jpg"]
    sc = library.read_sync(lambda c: content_files.scope(c, location_id=l2))
    assert sc == Scope(l2)
    assert _paths(library.read_sync(lambda c: content_files.after(c, sc, 0, 100))) == [(l2, p) for p in files]
    assert library.read_sync(lambda c: content_files.totals(c, sc)) == (5, 310)
    # the location's root is the whole location
    assert library.read_sync(lambda c: content_files.scope(c, path=one)) == Scope(l1)
    everything = library.read_sync(lambda c: content_files.scope(c))
    assert library.read_sync(lambda c: content_files.totals(c, everything)) == (10, 620)
    rows = library.read_sync(lambda c: content_files.after(c, everything, ids[l1, b"a0"], 3))
    assert _paths(rows) == [(l1, b"b.jpg"), (l2, b"a/x.jpg"), (l2, b"a/sub/y.png")]
    assert [r.id for r in rows] == sorted(r.id for r in rows)


def test_a_location_and_a_path_of_another_one_have_nothing_in_common(library, two_locations):
    one, _two, (_l1, l2), _ids = two_locations
    sc = library.read_sync(lambda c: content_files.scope(c, location_id=l2, path=one / "a"))
    assert library.read_sync(lambda c: content_files.after(c, sc, 0, 100)) == []
    assert library.read_sync(lambda c: content_files.totals(c, sc)) == (0, 0)


def test_unknown_locations_and_paths_outside_every_location_are_refused(library, two_locations, tmp_path):
    with pytest.raises(LocationError, match="^no location with id 99$"):
        library.read_sync(lambda c: content_files.scope(c, location_id=99))
    with pytest.raises(LocationError, match="is not in any location of this library; index it first"):
        library.read_sync(lambda c: content_files.scope(c, path=tmp_path / "elsewhere"))


def test_among_keeps_the_scope_and_by_id_takes_any_entry(library, two_locations):
    one, _two, (l1, l2), ids = two_locations
    sc = library.read_sync(lambda c: content_files.scope(c, path=one / "a"))
    asked = [ids[l1, b"a0"], ids[l1, b"a/sub/y.png"], ids[l2, b"a/x.jpg"], ids[l1, b"a"], ids[l1, b"a/x.jpg"], 10**6]
    assert _paths(library.read_sync(lambda c: content_files.among(c, sc, asked))) == [
        (l1, b"a/x.jpg"),
        (l1, b"a/sub/y.png"),
    ]
    assert _paths(library.read_sync(lambda c: content_files.by_id(c, asked))) == [
        (l1, b"a"),
        (l1, b"a/x.jpg"),
        (l1, b"a/sub/y.png"),
        (l1, b"a0"),
        (l2, b"a/x.jpg"),
    ]


def test_more_ids_than_one_query_takes(library, two_locations):
    _one, _two, _locs, ids = two_locations
    asked = list(range(1, content_files.CHUNK * 2 + 50)) + list(ids.values())
    rows = library.read_sync(lambda c: content_files.by_id(c, asked))
    assert [r.id for r in rows] == sorted(ids.values())
    assert len(library.read_sync(lambda c: content_files.among(c, Scope(), asked))) == 10


def test_location_roots(library, two_locations):
    one, two, (l1, l2), _ids = two_locations
    assert library.read_sync(content_files.location_roots) == {
        l1: str(one.resolve()).encode(),
        l2: str(two.resolve()).encode(),
    }

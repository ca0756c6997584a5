"""The location records the indexer reads and writes (its root, when it was last indexed), and the
small-cache reader it scans with, on a real library."""

from __future__ import annotations

import os

from sd_desktop.library import locations


def test_root_of_gives_the_stored_path_and_none_for_a_missing_location(library, tmp_path):
    folder = tmp_path / "loc"
    folder.mkdir()
    loc = locations.add_location(library, folder)
    assert library.read_sync(lambda c: locations.root_of(c, loc)) == os.fsencode(os.path.realpath(folder))
    assert library.read_sync(lambda c: locations.root_of(c, loc + 1)) is None


def test_set_last_indexed_is_what_the_location_list_shows(library, tmp_path):
    folder = tmp_path / "loc"
    folder.mkdir()
    loc = locations.add_location(library, folder)
    library.write_sync(lambda c: locations.set_last_indexed(c, loc, 1234.5))
    assert [i.last_indexed for i in locations.list_locations(library)] == [1234.5]


def test_a_reader_with_a_capped_page_cache(library):
    reader = library.connect_reader(cache_kb=8 * 1024)
    plain = library.connect_reader()
    try:
        assert reader.execute("PRAGMA cache_size").fetchone()[0] == -8 * 1024
        assert plain.execute("PRAGMA cache_size").fetchone()[0] == -2000  # SQLite's default
    finally:
        reader.close()
        plain.close()

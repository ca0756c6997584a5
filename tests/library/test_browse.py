"""The library's read functions for browsers, on libraries built by the real indexer (and the real
thumbnail job): which location holds a path, a folder's children sorted and filtered, the content
ids of paths and the thumbnail files of content ids."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sd_desktop.library.browse import (
    R_KIND,
    R_NAME,
    R_PATH,
    R_SIZE,
    FolderListing,
    FolderTarget,
    SortKey,
    content_ids,
    resolve_folder,
    thumbnail_files,
)
from sd_desktop.library.locations import Located, add_location, locate
from tests.indexing.helpers import index_path
from tests.thumbnails._rows import picture
from tests.thumbnails.conftest import run_thumbnails


def tree(root: Path) -> Path:
    """photos/ (3 files and a folder), photos/raw/ (1 file), a hidden file, an undecodable name."""
    (root / "raw").mkdir(parents=True)
    (root / "b.txt").write_bytes(b"b" * 300)
    (root / "A.jpg").write_bytes(b"a" * 100)
    (root / "c_1%.bin").write_bytes(b"c" * 200)
    (root / ".secret").write_bytes(b"s")
    (root / "raw" / "r.dng").write_bytes(b"r" * 5000)
    with open(os.path.join(os.fsencode(root), b"caf\xe9.txt"), "wb") as f:  # FAULTS 3: not UTF-8
        f.write(b"e" * 50)
    return root


def read(library, fn):
    conn = library.connect_reader()  # a reader of its own, as the window's models use
    try:
        return fn(conn)
    finally:
        conn.close()


@pytest.fixture
def photos(library, tmp_path) -> Path:
    root = tree(tmp_path / "photos")
    index_path(library, root)
    return root


def test_locate_names_the_location_and_the_entry_path(library, photos, tmp_path):
    loc_id = read(library, lambda c: c.execute("SELECT id FROM location").fetchone()[0])
    root = os.fsencode(photos)
    assert read(library, lambda c: locate(c, photos)) == Located(loc_id, b"", root)
    assert read(library, lambda c: locate(c, photos / "raw" / "r.dng")) == Located(loc_id, b"raw/r.dng", root)
    # the relative path is the entry's path as the indexer stored it
    stored = read(library, lambda c: bytes(c.execute("SELECT path FROM entry WHERE name = 'r.dng'").fetchone()[0]))
    assert stored == b"raw/r.dng"
    # written loosely: made absolute and normalised; undecodable bytes stay bytes
    loose = os.fsencode(photos) + b"/raw/..//./caf\xe9.txt"
    assert read(library, lambda c: locate(c, loose)) == Located(loc_id, b"caf\xe9.txt", root)
    assert read(library, lambda c: locate(c, os.fsdecode(loose))) == Located(loc_id, b"caf\xe9.txt", root)
    # a sibling sharing the root's name as a prefix is not inside it; nor is the parent
    (tmp_path / "photos2").mkdir()
    assert read(library, lambda c: locate(c, tmp_path / "photos2" / "x")) is None
    assert read(library, lambda c: locate(c, tmp_path)) is None
    # not-yet-indexed paths inside a location still locate (the entry may come later)
    assert read(library, lambda c: locate(c, photos / "new" / "file")) == Located(loc_id, b"new/file", root)


def test_locate_does_not_resolve_symlinks(library, photos, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(photos)
    assert read(library, lambda c: locate(c, link / "A.jpg")) is None  # the path as the user sees it


def test_locate_picks_the_deepest_root(library, tmp_path):
    outer = tmp_path / "outer"
    (outer / "inner" / "x").mkdir(parents=True)
    outer_id = add_location(library, outer)
    # add_location refuses nested roots; a library written by an older build may hold them
    inner_id = library.write_sync(
        lambda c: (
            c.execute(
                "INSERT INTO location (path, name, created_at) VALUES (?, 'inner', 0)", (os.fsencode(outer / "inner"),)
            ).lastrowid
        )
    )
    assert read(library, lambda c: locate(c, outer / "inner" / "x")) == Located(
        inner_id, b"x", os.fsencode(outer / "inner")
    )
    assert read(library, lambda c: locate(c, outer / "y")).location_id == outer_id


def test_resolve_folder(library, photos, tmp_path):
    root = resolve_folder_(library, photos)
    assert root.in_library and root.location_root == os.fsencode(photos)
    raw = resolve_folder_(library, photos / "raw")
    assert raw.in_library and raw.entry_id != root.entry_id
    assert resolve_folder_(library, photos / "A.jpg").entry_id is None  # a file is not a folder
    outside = resolve_folder_(library, tmp_path)
    assert outside == FolderTarget(os.fsencode(tmp_path)) and not outside.in_library


def resolve_folder_(library, path) -> FolderTarget:
    return read(library, lambda c: resolve_folder(c, path))


def names(rows) -> list[str]:
    return [r[R_NAME] for r in rows]


def test_folder_listing_sorts_filters_and_pages(library, photos):
    target = resolve_folder_(library, photos)
    odd = "caf\\xe9.txt"  # names are stored for display; the path keeps the raw bytes

    def first(**kw) -> list:
        return read(library, lambda c: FolderListing(target, **kw).first(c, 100))

    assert names(first()) == ["raw", "A.jpg", "b.txt", "c_1%.bin", odd]  # folders first, then by name
    assert names(first(descending=True)) == ["raw", odd, "c_1%.bin", "b.txt", "A.jpg"]
    assert names(first(key=SortKey.SIZE)) == ["raw", odd, "A.jpg", "c_1%.bin", "b.txt"]
    assert names(first(show_hidden=True)) == ["raw", ".secret", "A.jpg", "b.txt", "c_1%.bin", odd]
    assert names(first(filter_text="%")) == ["c_1%.bin"]  # LIKE wildcards are matched literally
    assert names(first(filter_text="_")) == ["c_1%.bin"]
    assert names(first(filter_text="B.T")) == ["b.txt"]  # case-insensitive
    rows = first()
    raw_dir = rows[0]
    assert raw_dir[R_KIND] == 1 and raw_dir[R_SIZE] == 5000  # a folder's size: the files below it
    assert raw_dir[R_PATH] == os.fsencode(photos / "raw")
    assert rows[4][R_PATH] == os.fsencode(photos) + b"/caf\xe9.txt"
    listing = FolderListing(target)
    assert read(library, listing.count) == 5
    # the rest after the first rows, in batches; the last one is short
    batches = read(library, lambda c: list(listing.batches(c, 2, 2)))
    assert [names(b) for b in batches] == [["b.txt", "c_1%.bin"], [odd]]
    assert [names(b) for b in read(library, lambda c: list(listing.batches(c, 1, 2)))] == [
        ["A.jpg", "b.txt"],
        ["c_1%.bin", odd],
        [],
    ]
    with pytest.raises(ValueError, match="not a folder of the library"):
        FolderListing(FolderTarget(b"/elsewhere"))


def test_content_ids_of_paths(library, photos, tmp_path):
    found = read(
        library,
        lambda c: content_ids(
            c, [os.fsencode(photos / "A.jpg"), os.fsencode(photos / "raw" / "r.dng"), os.fsencode(tmp_path / "x")]
        ),
    )
    expected = read(
        library,
        lambda c: dict(c.execute("SELECT name, content_id FROM entry WHERE name IN ('A.jpg', 'r.dng')").fetchall()),
    )
    assert found == {
        os.fsencode(photos / "A.jpg"): expected["A.jpg"],
        os.fsencode(photos / "raw" / "r.dng"): expected["r.dng"],
    }
    assert None not in found.values()


def test_thumbnail_files_of_content_ids(library, tmp_path):
    root = tmp_path / "pics"
    picture(root / "one.jpg", (400, 300), seed=1)
    picture(root / "two.jpg", (300, 400), seed=2)
    (root / "notes.txt").write_text("no picture")
    info = index_path(library, root)
    loc_id = info.output["location_id"]
    assert run_thumbnails(library, {"location_id": loc_id}).status.value == "completed"
    ids = read(library, lambda c: dict(c.execute("SELECT name, content_id FROM entry WHERE kind = 0").fetchall()))
    wanted = [ids["one.jpg"], ids["two.jpg"], ids["notes.txt"], 999_999]
    files = read(library, lambda c: thumbnail_files(c, wanted, "256", library.sidecar_dir))
    assert sorted(cid for cid, _ in files) == sorted([ids["one.jpg"], ids["two.jpg"]])
    for _cid, path in files:
        assert path.startswith(os.fsencode(library.sidecar_dir) + b"/") and os.path.isfile(path)
    assert read(library, lambda c: thumbnail_files(c, [], "256", library.sidecar_dir)) == []

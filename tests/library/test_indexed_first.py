"""The library's first rows of a folder (shown while the disk is listed) are exactly the first rows
the finished disk listing gives, in the same order and with the same values, for every sort the
window offers from the index, so the one turns into the other without a row moving. Built by the
real indexer on real files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sd_desktop.library.browse import R_NAME, SortKey
from sd_desktop.ops.files.disk_listing import arrange, indexed_first, list_folder, resolve_shown
from tests.indexing.helpers import index_path

SAME_TIME = 1_700_000_000 * 10**9


@pytest.fixture
def folder(library, tmp_path) -> Path:
    """Folders and files whose sizes, times and names tie (ASCII names differing in case only)."""
    root = tmp_path / "loc"
    (root / "alpha").mkdir(parents=True)
    (root / "alpha" / "inside.bin").write_bytes(b"i" * 700)
    (root / "Zeta").mkdir()
    for name, size in [("b.txt", 10), ("B.txt", 10), ("a.txt", 10), ("c.txt", 10), ("d.bin", 5), (".h", 10)]:
        (root / name).write_bytes(b"x" * size)
    with open(os.path.join(os.fsencode(root), b"caf\xe9.txt"), "wb") as f:  # FAULTS 3: not UTF-8
        f.write(b"e" * 10)
    for child in os.scandir(root):
        os.utime(child.path, ns=(SAME_TIME, SAME_TIME), follow_symlinks=False)
    index_path(library, root)
    return root


@pytest.mark.parametrize("key", [SortKey.NAME, SortKey.SIZE, SortKey.MODIFIED])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize(("filter_text", "show_hidden"), [("", False), ("", True), ("T", False)])
def test_the_librarys_first_rows_are_the_listings_first_rows(
    library, folder, key, descending, filter_text, show_hidden
):
    conn = library.connect_reader()
    try:
        target = resolve_shown(conn, folder)
        assert target.in_library
        listed = arrange(list_folder(conn, target).rows, key, descending, filter_text, show_hidden)
        for limit in (3, 100):
            first = indexed_first(conn, target, key, descending, filter_text, show_hidden, limit)
            assert first == listed[:limit]
        assert len(listed) == {"": 8 + show_hidden, "T": 6}[filter_text]
    finally:
        conn.close()


def test_by_name_folders_first_then_case_insensitive_then_exact(library, folder):
    conn = library.connect_reader()
    try:
        first = indexed_first(conn, resolve_shown(conn, folder), SortKey.NAME, False, "", False, 100)
    finally:
        conn.close()
    assert [r[R_NAME] for r in first] == ["alpha", "Zeta", "a.txt", "B.txt", "b.txt", "c.txt", "caf\\xe9.txt", "d.bin"]


def test_none_by_kind_nor_outside_the_library(library, folder, tmp_path):
    conn = library.connect_reader()
    try:
        assert indexed_first(conn, resolve_shown(conn, folder), SortKey.KIND, False, "", False, 100) == []
        plain = tmp_path / "plain"
        plain.mkdir()
        (plain / "f").write_bytes(b"f")
        assert indexed_first(conn, resolve_shown(conn, plain), SortKey.NAME, False, "", False, 100) == []
    finally:
        conn.close()

"""``describe`` (the ``info`` command, the window's Properties): the location by name, and how many
files and folders a folder holds, at any depth."""

from __future__ import annotations

from sd_desktop.library.describe import describe
from sd_desktop.library.locations import add_location


def _index(library, folder) -> None:
    """Rows as the indexer leaves them for: folder/{a,b/{c,d/{e}}} with one file in each."""
    folder.mkdir()
    loc = add_location(library, folder, name="My Pictures")
    tree = [
        (b"", 1, None),
        (b"top.jpg", 0, b""),
        (b"a", 1, b""),
        (b"a/one.jpg", 0, b"a"),
        (b"b", 1, b""),
        (b"b/c", 1, b"b"),
        (b"b/d", 1, b"b"),
        (b"b/d/e", 1, b"b/d"),
        (b"b/d/e/two.jpg", 0, b"b/d/e"),
        (b"ab", 1, b""),  # sorts between "a/..." and "b": not below "a"
    ]

    def tx(conn):
        ids: dict[bytes, int] = {}
        for path, kind, parent in tree:
            cur = conn.execute(
                "INSERT INTO entry (location_id, parent_id, path, name, kind, size) VALUES (?, ?, ?, ?, ?, 0)",
                (loc, ids.get(parent) if parent is not None else None, path, path.rsplit(b"/", 1)[-1].decode(), kind),
            )
            ids[path] = cur.lastrowid

    library.write_sync(tx)
    for rel in (b"a", b"b", b"b/c", b"b/d", b"b/d/e", b"ab"):
        (folder / rel.decode()).mkdir(parents=True, exist_ok=True)
    for rel in ("top.jpg", "a/one.jpg", "b/d/e/two.jpg"):
        (folder / rel).write_bytes(b"x")


def test_a_folder_counts_the_folders_below_it_at_any_depth(library, tmp_path):
    folder = tmp_path / "pics"
    _index(library, folder)
    root = describe(library, str(folder))
    assert (root["location_name"], root["dir_count"]) == ("My Pictures", 6)
    assert describe(library, str(folder / "b"))["dir_count"] == 3  # c, d and d/e
    assert describe(library, str(folder / "a"))["dir_count"] == 0  # "ab" is beside it, not below
    assert describe(library, str(folder / "b" / "d"))["dir_count"] == 1
    file = describe(library, str(folder / "top.jpg"))
    assert file["location_name"] == "My Pictures" and "dir_count" not in file


def test_a_path_outside_every_location_has_no_location_name(library, tmp_path):
    (tmp_path / "loose.txt").write_text("x")
    info = describe(library, str(tmp_path / "loose.txt"))
    assert info["location_id"] is None and info["location_name"] is None

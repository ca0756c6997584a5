"""The window's rename (and its undo) as the engine does it, ``ops.files.rename.rename_item``: through
the volume it is given, never over another item, on real files."""

from __future__ import annotations

import os

import pytest

from sd_desktop.ops.files.rename import rename_item
from sd_desktop.volumes import LocalBackend


class Counting(LocalBackend):
    """The local backend, noting each rename it is asked for."""

    def __init__(self) -> None:
        self.renames: list[tuple[bytes, bytes, bool]] = []

    def rename(self, src, dst, *, replace=False, src_dir_fd=None, dst_dir_fd=None) -> None:
        self.renames.append((src, dst, replace))
        super().rename(src, dst, replace=replace, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)


def test_a_rename_goes_through_the_volume_given(tmp_path):
    (tmp_path / "draft.txt").write_bytes(b"draft")
    src, dst = os.fsencode(tmp_path / "draft.txt"), os.fsencode(tmp_path / "final.txt")
    vol = Counting()
    rename_item(vol, src, dst)
    assert vol.renames == [(src, dst, False)]
    assert sorted(os.listdir(tmp_path)) == ["final.txt"]
    assert (tmp_path / "final.txt").read_bytes() == b"draft"


def test_a_taken_name_is_refused_and_both_items_stay(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"a")
    (tmp_path / "b.txt").write_bytes(b"b")
    vol = Counting()
    with pytest.raises(FileExistsError):
        rename_item(vol, os.fsencode(tmp_path / "a.txt"), os.fsencode(tmp_path / "b.txt"))
    assert [replace for _src, _dst, replace in vol.renames] == [False]  # never retried as a replace
    assert (tmp_path / "a.txt").read_bytes() == b"a"
    assert (tmp_path / "b.txt").read_bytes() == b"b"


def test_a_second_name_of_the_same_item_is_renamed_over(tmp_path):
    """What a change of letter case is on a file system that ignores case: the taken name is the
    item's own (seen here as a hard link, the same inode under two names)."""
    (tmp_path / "Photo.JPG").write_bytes(b"jpeg")
    os.link(tmp_path / "Photo.JPG", tmp_path / "photo.jpg")
    src, dst = os.fsencode(tmp_path / "Photo.JPG"), os.fsencode(tmp_path / "photo.jpg")
    vol = Counting()
    rename_item(vol, src, dst)
    assert vol.renames == [(src, dst, False), (src, dst, True)]
    assert (tmp_path / "photo.jpg").read_bytes() == b"jpeg"

"""The ephemeral one-folder listing (engine side, no Qt)."""

from __future__ import annotations

import os

import pytest

from sd_desktop.enums import EntryKind
from sd_desktop.volumes.listing import ListingError, scan_directory


def by_name(entries):
    return {e.name: e for e in entries}


def test_lists_kinds_sizes_hidden_without_following_symlinks(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"12345")
    (tmp_path / ".hidden").write_bytes(b"x")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "inner.txt").write_bytes(b"inner")
    os.symlink(tmp_path / "dir", tmp_path / "link-to-dir")
    os.symlink(tmp_path / "missing", tmp_path / "dangling")
    os.mkfifo(tmp_path / "fifo")
    entries = by_name(scan_directory(tmp_path))
    assert set(entries) == {"a.txt", ".hidden", "dir", "link-to-dir", "dangling", "fifo"}
    assert entries["a.txt"].kind == EntryKind.FILE and entries["a.txt"].size == 5
    assert entries["a.txt"].mtime_ns == os.lstat(tmp_path / "a.txt").st_mtime_ns
    assert entries["a.txt"].inode == os.lstat(tmp_path / "a.txt").st_ino
    assert entries["dir"].kind == EntryKind.DIR and entries["dir"].size == 0
    assert entries["link-to-dir"].kind == EntryKind.SYMLINK  # not followed: not a dir
    assert entries["dangling"].kind == EntryKind.SYMLINK and entries["dangling"].error is None
    assert entries["fifo"].kind == EntryKind.OTHER
    assert entries[".hidden"].hidden and not entries["a.txt"].hidden
    assert entries["a.txt"].path == os.fsencode(tmp_path / "a.txt")
    assert "inner.txt" not in entries  # one level only


def test_undecodable_name_keeps_raw_path_and_escapes_display(tmp_path):
    raw = os.fsencode(tmp_path) + b"/caf\xe9.txt"
    with open(raw, "wb") as f:
        f.write(b"abc")
    (entry,) = scan_directory(tmp_path)
    assert entry.path == raw
    assert entry.name == "caf\\xe9.txt"
    assert entry.size == 3


def test_missing_and_not_a_folder_raise_clear_errors(tmp_path):
    with pytest.raises(ListingError, match="no such folder"):
        scan_directory(tmp_path / "nope")
    (tmp_path / "f").write_text("x")
    with pytest.raises(ListingError, match="not a folder"):
        scan_directory(tmp_path / "f")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_folder_raises_permission_error(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        with pytest.raises(ListingError, match="permission denied"):
            scan_directory(locked)
    finally:
        locked.chmod(0o755)


def test_vanished_child_is_reported_not_raised(tmp_path, monkeypatch):
    (tmp_path / "keep").write_text("x")
    (tmp_path / "gone").write_text("x")
    real_scandir = os.scandir

    class Vanishing:
        def __init__(self, it):
            self.it = it

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self.it.close()

        def __iter__(self):
            for de in self.it:
                if de.name == b"gone":
                    os.unlink(de.path)  # vanishes between readdir and lstat
                yield de

    monkeypatch.setattr(os, "scandir", lambda p: Vanishing(real_scandir(p)))
    entries = by_name(scan_directory(tmp_path))
    assert entries["keep"].error is None
    assert entries["gone"].error  # reported, with the OS's reason

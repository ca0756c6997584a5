"""Reads of indexed files on a real library with entries of a real tree: a location's files below a
folder (not its folders, not a neighbour with the same prefix), and the hashed files of a device
as a whole, by inode and counted up to a limit."""

from __future__ import annotations

import os

from sd_desktop.cas import full_hash
from sd_desktop.library import entry_listing
from tests.validation._library_rows import index_tree


def make_tree(root):
    for rel, data in {
        "a.txt": b"a" * 10,
        "sub/b.txt": b"b" * 20,
        "sub/deep/c.txt": b"c" * 30,
        "sub0/d.txt": b"d",  # 'sub0' sorts right after 'sub/' as bytes: not below 'sub'
        "subway.txt": b"e",
    }.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    os.symlink("a.txt", root / "link")
    return root


def test_files_below_a_folder_of_a_location(library, tmp_path):
    root = make_tree(tmp_path / "tree")
    loc = index_tree(library, root)
    everything = library.read_sync(lambda c: entry_listing.files_below(c, loc, b""))
    assert sorted(r[0] for r in everything) == [
        b"a.txt",
        b"sub/b.txt",
        b"sub/deep/c.txt",
        b"sub0/d.txt",
        b"subway.txt",
    ], "regular files only: no folders, no symlink"
    below = library.read_sync(lambda c: entry_listing.files_below(c, loc, b"sub"))
    assert sorted(r[0] for r in below) == [b"sub/b.txt", b"sub/deep/c.txt"]
    st = os.lstat(root / "sub" / "b.txt")
    (row,) = [r for r in below if r[0] == b"sub/b.txt"]
    assert row == (
        b"sub/b.txt",
        20,
        st.st_mtime_ns,
        st.st_ctime_ns,
        st.st_ino,
        st.st_dev,
        full_hash(root / "sub/b.txt"),
    )
    one = library.read_sync(lambda c: entry_listing.files_below(c, loc, b"sub/deep/c.txt"))
    assert [r[0] for r in one] == [b"sub/deep/c.txt"]
    assert library.read_sync(lambda c: entry_listing.files_below(c, loc + 1, b"")) == []


def test_hashed_files_of_a_device(library, tmp_path):
    hashed = make_tree(tmp_path / "hashed")
    index_tree(library, hashed)
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "x.bin").write_bytes(b"x")
    index_tree(library, plain, with_hashes=False)  # indexed without checksums: never taken
    dev = os.stat(hashed).st_dev
    files = {
        os.lstat(p).st_ino: p
        for p in (hashed / "a.txt", hashed / "sub/b.txt", hashed / "sub/deep/c.txt", hashed / "sub0/d.txt")
    } | {os.lstat(hashed / "subway.txt").st_ino: hashed / "subway.txt"}

    def expected(ino):
        st = os.lstat(files[ino])
        return (ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, full_hash(files[ino]))

    on_device = library.read_sync(lambda c: entry_listing.hashed_files_on_device(c, dev))
    assert sorted(on_device) == sorted(expected(ino) for ino in files)
    wanted = sorted(files)[:2] + [os.lstat(plain / "x.bin").st_ino, os.lstat(hashed / "sub").st_ino]
    by_inode = library.read_sync(lambda c: entry_listing.hashed_files_of_inodes(c, dev, wanted))
    assert sorted(by_inode) == sorted(expected(ino) for ino in sorted(files)[:2])
    assert library.read_sync(lambda c: entry_listing.count_hashed_on_device(c, dev, 100)) == 5
    assert library.read_sync(lambda c: entry_listing.count_hashed_on_device(c, dev, 3)) == 4
    assert library.read_sync(lambda c: entry_listing.any_on_device(c, dev)) is True
    assert library.read_sync(lambda c: entry_listing.any_on_device(c, dev + 12345)) is False
    assert library.read_sync(lambda c: entry_listing.hashed_files_on_device(c, dev + 12345)) == []

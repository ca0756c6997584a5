"""Incremental re-index: moves, renames, edits, deletions and kind changes are detected; only
changed files are re-hashed; the result equals a fresh index of the same tree."""

from __future__ import annotations

import os
import shutil

from sd_desktop.library import Library
from tests.indexing.helpers import index, index_path, snapshot, write

T0 = 1_600_000_000_000_000_000


def make_tree(root):
    write(root / "docs/a.txt", "alpha" * 100, T0)
    write(root / "docs/b.txt", "bravo" * 100, T0)
    write(root / "docs/keep/c.bin", os.urandom(200_000), T0)
    write(root / "photos/2020/p1.jpg", b"\xff\xd8\xff\xe0" + os.urandom(5000), T0)
    write(root / "photos/2020/p2.jpg", b"\xff\xd8\xff\xe0" + os.urandom(6000), T0)
    write(root / "photos/2021/p3.png", b"\x89PNG\r\n\x1a\n" + os.urandom(7000), T0)
    write(root / "old/gone.txt", "bye", T0)
    write(root / "old/sub/gone2.txt", "bye bye", T0)
    write(root / "edit.txt", "version one", T0)
    write(root / "touch.txt", "same bytes", T0)
    write(root / "becomes_dir", "i am a file", T0)
    write(root / "empty.txt", b"", T0)


def test_reindex_detects_changes_and_equals_fresh_index(tmp_path):
    root = tmp_path / "tree"
    make_tree(root)
    lib = Library.open(tmp_path / "lib1")
    try:
        first = index_path(lib, root)
        assert first.output["new"] == first.output["files"] + first.output["dirs"] + first.output["symlinks"]
        before = snapshot(lib, with_ids=True)
        c_id, c_cas = before[b"docs/keep/c.bin"][-1], before[b"docs/keep/c.bin"][12]
        p1_id = before[b"photos/2020/p1.jpg"][-1]
        a_id = before[b"docs/a.txt"][-1]

        os.rename(root / "docs/keep", root / "kept")  # folder rename: its file keeps id and cas_id
        os.rename(root / "photos/2020/p1.jpg", root / "photos/2021/p1-renamed.jpg")  # cross-folder move
        os.rename(root / "docs/a.txt", root / "docs/a2.txt")  # rename in place
        shutil.rmtree(root / "old")  # a folder with a subfolder: 4 entries gone
        write(root / "edit.txt", "version two, longer")  # modified (size)
        os.utime(root / "touch.txt", ns=(T0 + 10**9, T0 + 10**9))  # modified (mtime only)
        os.unlink(root / "becomes_dir")
        write(root / "becomes_dir/inner.txt", "now a folder")  # kind change
        write(root / "new/fresh.txt", "brand new")

        second = index(lib, {"location_id": 1})
        out = second.output
        assert out["moved"] == 3, out
        assert out["deleted"] == 4, out
        assert out["modified"] == 3, out  # edit.txt, touch.txt, becomes_dir (file -> folder)
        assert out["new"] == 3, out  # becomes_dir/inner.txt, new/, new/fresh.txt
        # only changed or new files were read again: edit, touch, inner, fresh
        assert out["hashed"] == 4, out

        after = snapshot(lib, with_ids=True)
        assert b"docs/keep/c.bin" not in after and b"old/gone.txt" not in after and b"old" not in after
        assert after[b"kept/c.bin"][-1] == c_id and after[b"kept/c.bin"][12] == c_cas
        assert after[b"kept/c.bin"][16] == b"kept"  # parent is the renamed folder
        assert after[b"photos/2021/p1-renamed.jpg"][-1] == p1_id
        assert after[b"photos/2021/p1-renamed.jpg"][16] == b"photos/2021"
        assert after[b"docs/a2.txt"][-1] == a_id and after[b"docs/a2.txt"][1] == "a2.txt"
        assert after[b"becomes_dir"][2] == 1
        assert after[b"edit.txt"][12] is not None and after[b"edit.txt"][12] != before[b"edit.txt"][12]
        assert after[b""][4] == sum(r[3] for r in after.values() if r[2] == 0)
        assert after[b"photos"][5] == 3 and after[b"photos/2020"][5] == 1 and after[b"photos/2021"][5] == 2

        reindexed = snapshot(lib)
    finally:
        lib.close()

    fresh_lib = Library.open(tmp_path / "lib2")
    try:
        index_path(fresh_lib, root)
        fresh = snapshot(fresh_lib)
    finally:
        fresh_lib.close()
    assert reindexed == fresh


def test_shallow_then_content_fills_missing_cas_ids_only(tmp_path):
    root = tmp_path / "tree"
    make_tree(root)
    lib = Library.open(tmp_path / "lib")
    try:
        shallow = index_path(lib, root, mode="shallow")
        assert shallow.output["hashed"] == 0
        assert all(r[12] is None for r in snapshot(lib).values())
        content = index(lib, {"location_id": 1})
        assert content.output["entries_written"] == 0  # nothing changed on disk
        non_empty = [r for r in snapshot(lib).values() if r[2] == 0 and r[3] > 0]
        assert content.output["hashed"] == len(non_empty)
        assert all(r[12] for r in non_empty)
        again = index(lib, {"location_id": 1, "mode": "deep"})
        files = [r for r in snapshot(lib).values() if r[2] == 0]
        assert again.output["hashed"] == len(files)  # deep adds integrity hashes, empty file included
        assert all(r[13] for r in files)
    finally:
        lib.close()


def test_subfolder_and_current_scope(tmp_path):
    root = tmp_path / "tree"
    make_tree(root)
    lib = Library.open(tmp_path / "lib")
    try:
        index_path(lib, root, mode="shallow")
        write(root / "photos/2020/p4.jpg", b"\xff\xd8\xff" + b"x" * 50)
        write(root / "docs/d.txt", "not seen by a photos-only index")
        os.unlink(root / "photos/2021/p3.png")
        out = index(lib, {"location_id": 1, "path": str(root / "photos"), "mode": "content"}).output
        assert (out["new"], out["deleted"]) == (1, 1)
        rows = snapshot(lib)
        assert b"photos/2020/p4.jpg" in rows and b"docs/d.txt" not in rows
        assert rows[b"photos/2020/p4.jpg"][12] is not None
        assert rows[b"docs/b.txt"][12] is None  # outside the indexed sub-folder: not hashed
        assert rows[b""][4] == sum(r[3] for r in rows.values() if r[2] == 0)

        write(root / "top.txt", "top")
        write(root / "docs/deeper/x.txt", "x")
        out = index(lib, {"location_id": 1, "scope": "current", "mode": "shallow"}).output
        rows = snapshot(lib)
        assert b"top.txt" in rows and b"docs/deeper" not in rows and b"docs/d.txt" not in rows
        assert out["new"] == 1
    finally:
        lib.close()

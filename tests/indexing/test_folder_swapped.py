"""A folder replaced by a file of the same name, or a file by a folder (FAULTS 13): between the walk and
the read of a file's content it is reported as vanished (one line, the job goes on), and the next
index records what is there now."""

from __future__ import annotations

import os
import shutil

from sd_desktop.library import Library
from sd_desktop.ops.indexing import identify
from tests.indexing.helpers import index, index_path, write


def test_a_folder_swapped_for_a_file_between_walk_and_read(tmp_path):
    tree = tmp_path / "tree"
    f = write(tree / "sub" / "f.txt", "content")
    st = os.lstat(f)
    candidates = [(1, b"sub/f.txt", st.st_size, st.st_mtime_ns, st.st_ino, None, None)]
    shutil.rmtree(tree / "sub")
    (tree / "sub").write_bytes(b"now a file")
    out = identify.identify_batch(os.fsencode(tree), candidates, deep=True)
    assert out.done == [] and out.processed == 1
    assert out.errors == [(b"sub/f.txt", "vanished before its content could be read")]


def test_reindex_after_a_folder_became_a_file_and_a_file_a_folder(tmp_path):
    tree = tmp_path / "tree"
    write(tree / "sub" / "f.txt", "f")
    write(tree / "sub" / "deeper" / "g.txt", "g")
    write(tree / "plain", "a file first")
    lib = Library.open(tmp_path / "lib")
    try:
        index_path(lib, tree, mode="content")
        shutil.rmtree(tree / "sub")
        write(tree / "sub", "now a file")
        os.unlink(tree / "plain")
        write(tree / "plain" / "inside.txt", "now a folder")
        result = index(lib, {"location_id": 1, "mode": "content"})
        assert result.status.value == "completed", (result.error, result.errors)
        assert result.errors == []
        kinds = lib.read_sync(lambda c: c.execute("SELECT path, kind FROM entry").fetchall())
        assert sorted((bytes(p), k) for p, k in kinds) == [
            (b"", 1),
            (b"plain", 1),
            (b"plain/inside.txt", 0),
            (b"sub", 0),
        ]
    finally:
        lib.close()


def test_files_identified_as_listed_are_read_from_the_folder_listed(tmp_path):
    """``identify_listed`` opens each file relative to its folder: a folder swapped for a symlink
    after the listing is not followed, and a file swapped in the folder is not identified."""
    from sd_desktop.ops.indexing.config import IndexerRules
    from sd_desktop.ops.indexing.resumable_walk import Walker
    from sd_desktop.ops.indexing.rules import RuleSet

    root = tmp_path / "loc"
    write(root / "d" / "a.txt", "listed content a")
    write(root / "e" / "b.txt", "listed content b")
    write(root / "e" / "c.txt", "listed content c")
    write(tmp_path / "elsewhere" / "a.txt", "listed content a")  # same name, size and text
    raw = os.fsencode(root)
    batch = Walker(raw, [(b"", 0)], None, RuleSet(IndexerRules(), root=raw)).batch(100)
    shutil.rmtree(root / "d")
    os.symlink(tmp_path / "elsewhere", root / "d")
    os.remove(root / "e" / "c.txt")
    write(root / "e" / "c.txt", "listed content c")  # the same bytes, another file

    identify.identify_listed(raw, batch)
    assert sorted(batch.identified) == [b"e/b.txt"]
    assert batch.identified[b"e/b.txt"][0] == identify.cas_id_of_bytes(b"listed content b")

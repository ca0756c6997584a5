"""A re-index recomputes folder totals only for the folders whose children changed and their
ancestors (set-based), and the totals still equal what find / du --apparent-size report after
edits, deletions, moves between folders and new deep folders. Content identities that no entry
refers to any more are collected at the end of the run."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections import defaultdict
from pathlib import Path

from sd_desktop.library import Library
from tests.indexing.helpers import find_truth, index, index_path, snapshot, write

SENTINEL = 12345  # a child_count no folder here has; a folder recomputed loses it


def expected_totals(tree: Path) -> dict[bytes, tuple[int, int, int]]:
    """(aggregate size, file count, child count) of every folder, from an independent lstat walk."""
    size: dict[bytes, int] = defaultdict(int)
    files: dict[bytes, int] = defaultdict(int)
    children: dict[bytes, int] = {}
    root = os.fsencode(tree)
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root) if dirpath != root else b""
        children[rel] = len(dirnames) + len(filenames)
        parts = rel.split(b"/") if rel else []
        for name in filenames:
            st = os.lstat(os.path.join(dirpath, name))
            if not stat.S_ISREG(st.st_mode):  # symlinks, FIFOs...: children, not files
                continue
            for i in range(len(parts) + 1):
                anc = b"/".join(parts[:i])
                size[anc] += st.st_size
                files[anc] += 1
    return {rel: (size[rel], files[rel], n) for rel, n in children.items()}


def folder_rows(lib: Library) -> dict[bytes, tuple[int, int, int]]:
    return {p: (r[4], r[5], r[6]) for p, r in snapshot(lib).items() if r[2] == 1}


def build(tree: Path) -> None:
    write(tree / "a/b/c/f1.txt", "one" * 10)
    write(tree / "a/b/f2.txt", "two" * 20)
    write(tree / "a/g.bin", b"g" * 500)
    write(tree / "x/y/z/f3.txt", "three")
    write(tree / "x/w/f4.txt", "four" * 7)
    write(tree / "t/gone.txt", "deleted with its folder")
    for i in range(6):  # untouched subtrees
        write(tree / f"u{i}/v/keep.txt", f"keep {i}" * (i + 1))
        write(tree / f"u{i}/k.txt", "k" * i)


def test_reindex_recomputes_only_changed_folders_and_matches_find(tmp_path):
    tree = tmp_path / "tree"
    build(tree)
    lib = Library.open(tmp_path / "lib")
    try:
        first = index_path(lib, tree, mode="shallow", all_entries=True)
        loc = first.output["location_id"]
        assert first.output["folders_aggregated"] == len(expected_totals(tree))  # a first index: all
        assert folder_rows(lib) == expected_totals(tree)

        # a child_count the next run must leave alone where nothing changed (the parent's totals never
        # read a child's child_count, so the sentinel cannot leak into other folders' figures)
        untouched = [b"u0", b"u0/v", b"u5/v"]
        lib.write_sync(
            lambda c: c.executemany(
                "UPDATE entry SET child_count = ? WHERE location_id = ? AND path = ?",
                [(SENTINEL, loc, p) for p in untouched],
            )
        )

        write(tree / "a/b/c/f1.txt", "edited, longer than before")  # size change
        (tree / "x/w/f4.txt").unlink()  # deletion
        os.rename(tree / "a/g.bin", tree / "x/y/g.bin")  # move between folders
        write(tree / "n1/n2/n3/n4/new.txt", "a new deep folder")  # new folders
        shutil.rmtree(tree / "t")  # a folder deleted with its file

        again = index(lib, {"location_id": loc, "mode": "shallow", "all_entries": True})
        out = again.output
        assert (out["moved"], out["deleted"]) == (1, 3), out  # f4, t and t/gone.txt
        # dirty: a/b/c (edit), x/w (deletion), a and x/y (the move), the root (n1 added, t gone) and
        # n1..n1/n2/n3 (a child each) and n1/n2/n3/n4 (its file); ancestors: a/b, x
        assert out["folders_aggregated"] == 11, out

        rows = folder_rows(lib)
        truth = expected_totals(tree)
        assert set(rows) == set(truth)
        for path in untouched:  # not recomputed, not rewritten
            assert rows[path][2] == SENTINEL, path
            rows[path] = (*rows[path][:2], truth[path][2])
        assert rows == truth  # everything else equals the lstat walk
        found = find_truth(tree)
        assert rows[b""][:2] == (found["bytes"], found["files"])  # find -type f, sizes summed
        du = int(
            subprocess.run(
                ["du", "-s", "-b", "--apparent-size", str(tree)], capture_output=True, check=True
            ).stdout.split()[0]
        )
        assert du == sum(r[3] for r in snapshot(lib).values())

        unchanged = index(lib, {"location_id": loc, "mode": "shallow", "all_entries": True})
        assert unchanged.output["folders_aggregated"] == 0
        assert unchanged.output["entries_written"] == 0
    finally:
        lib.close()


def test_orphaned_content_identities_are_collected(tmp_path):
    tree = tmp_path / "tree"
    write(tree / "edited.txt", "the first content of this file")
    write(tree / "deleted.txt", "content only this file had")
    write(tree / "twin1.txt", "shared content")
    write(tree / "twin2.txt", "shared content")
    write(tree / "sub/deep.txt", "goes away with its folder")
    write(tree / "stays.txt", "nothing happens to me")
    lib = Library.open(tmp_path / "lib")

    def identities() -> set[str]:
        return lib.read_sync(lambda c: {r[0] for r in c.execute("SELECT cas_id FROM content_identity")})

    def referenced() -> set[str]:
        return lib.read_sync(
            lambda c: {
                r[0]
                for r in c.execute("SELECT ci.cas_id FROM entry e JOIN content_identity ci ON ci.id = e.content_id")
            }
        )

    try:
        first = index_path(lib, tree, mode="content")
        loc = first.output["location_id"]
        before = identities()
        assert len(before) == 5 and before == referenced()
        # a thumbnail-like sidecar row of the deleted file's content goes with its identity
        lib.write_sync(
            lambda c: c.execute(
                "INSERT INTO sidecar (content_id, variant, format, path, created_at) "
                "SELECT content_id, 'small', 'webp', 'x/y.webp', 0 FROM entry WHERE path = ?",
                (b"deleted.txt",),
            )
        )

        write(tree / "edited.txt", "other content now, so another cas_id")
        (tree / "deleted.txt").unlink()
        (tree / "twin2.txt").unlink()  # its content stays: twin1 still has it
        shutil.rmtree(tree / "sub")
        again = index(lib, {"location_id": loc, "mode": "content"})
        assert again.output["orphans_removed"] == 3  # edited's old content, deleted's, deep's
        after = identities()
        assert after == referenced()
        assert len(after) == 3  # edited's new content, the shared one, stays.txt's
        assert lib.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM sidecar").fetchone()[0]) == 0

        # a run over a sub-folder that changed nothing does not scan the whole table
        write(tree / "sub2/a.txt", "a")
        lib.write_sync(
            lambda c: c.execute(
                "INSERT INTO content_identity (cas_id, size, created_at) VALUES ('ffffffffffffffff', 1, 0)"
            )
        )
        sub = index(lib, {"location_id": loc, "path": str(tree / "sub2"), "mode": "content"})
        assert sub.output["orphans_removed"] == 0
        whole = index(lib, {"location_id": loc, "mode": "content"})
        assert whole.output["orphans_removed"] == 1  # a whole-location run collects any orphan
        assert identities() == referenced()
    finally:
        lib.close()


def test_totals_are_right_after_a_reindex_killed_mid_walk(small_corpus, tmp_path):
    """The changed folders are recorded with the batches that change them: a re-index killed after
    some batches committed, then run again, still recomputes those folders (FAULTS 15). So does a
    later run with another configuration when the killed job is never resumed."""
    from tests.indexing.test_crash import kill_during, run

    tree = tmp_path / "tree"
    shutil.copytree(small_corpus / "tree", tree, symlinks=True)
    library = tmp_path / "lib"
    shallow = ("--mode", "shallow", "--all")
    code, _lines, err = run(library, "index", tree, *shallow, "--json")
    assert code == 0, err

    def change(step: int) -> None:
        files = sorted(p for p in tree.rglob("*") if p.is_file() and not p.is_symlink())
        for f in files[step::7]:  # edits and deletions spread over the whole walk
            f.write_bytes(b"edited " * step)
        for f in files[step + 3 :: 11]:
            f.unlink()
        write(tree / f"brand{step}/new/deep/folder/file.txt", "new")

    def totals_match() -> None:
        lib = Library.open(library)
        try:
            assert folder_rows(lib) == expected_totals(tree)
        finally:
            lib.close()

    change(1)
    killed = kill_during(library, tree, "discovery", 2, *shallow)
    code, lines, err = run(library, "index", tree, *shallow, "--json")
    assert code == 0, err
    assert lines[-1]["job_id"] == killed  # the same job went on
    totals_match()

    change(2)
    kill_during(library, tree, "discovery", 2, *shallow)
    code, lines, err = run(library, "index", tree, "--mode", "content", "--all", "--json")  # another job
    assert code == 0, err
    totals_match()

"""FileCopyJob on real trees: byte-for-byte copies, moves, conflicts, refusals, library updates."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from sd_desktop.library.locations import add_location
from sd_desktop.ops.files.copy import ConflictPolicy, CopyConfig
from tests.fileops.helpers import make_tree, outcomes, run_job, snapshot, temp_leftovers


def copy(lib, sources, dest, **kw):
    return run_job(lib, "file_copy", CopyConfig(sources=[Path(s) for s in sources], destination=Path(dest), **kw))


def test_copy_tree_byte_for_byte_with_times_modes_links_and_odd_names(library, tmp_path):
    src = make_tree(tmp_path / "src")
    os.mkfifo(src / "fifo")
    dest = tmp_path / "dest"
    info = copy(library, [src], dest)
    assert info.status.value == "completed_with_errors"  # the FIFO is reported, not copied
    assert any("fifo" in e["path"] and "FIFO" in e["message"] for e in info.errors)
    before, after = snapshot(src), snapshot(dest / "src")
    del before[b"fifo"]
    assert after == before  # content, mtime_ns and mode of every file; links as links; folders' mtimes
    assert stat.S_ISLNK(os.lstat(dest / "src" / "dangling").st_mode)
    row = outcomes(info)["src"]
    assert row["outcome"] == "copied" and row["target"] == str(dest / "src")
    assert info.output["files"] == 7 and info.output["symlinks"] == 2
    assert temp_leftovers(dest) == []


def test_copy_verified_single_files_into_existing_folder(library, tmp_path):
    (tmp_path / "one").write_bytes(os.urandom(2_000_000))
    (tmp_path / "two").write_bytes(b"2")
    dest = tmp_path / "dest"
    dest.mkdir()
    info = copy(library, [tmp_path / "one", tmp_path / "two"], dest, verify=True)
    assert info.status.value == "completed"
    assert (dest / "one").read_bytes() == (tmp_path / "one").read_bytes()
    assert {r["outcome"] for r in info.output["outcomes"]} == {"copied"}
    assert info.output["verified"] is True


def test_copy_into_itself_is_refused_before_writing(library, tmp_path):
    src = make_tree(tmp_path / "src")
    before = snapshot(src)
    info = copy(library, [src], src / "sub")
    assert info.status.value == "failed"
    assert "into itself" in info.error
    assert snapshot(src) == before


def test_same_file_is_refused(library, tmp_path):
    (tmp_path / "f").write_bytes(b"data")
    info = copy(library, [tmp_path / "f"], tmp_path, on_conflict=ConflictPolicy.OVERWRITE)
    assert info.status.value == "failed" and "same file" in info.error
    assert (tmp_path / "f").read_bytes() == b"data"
    (tmp_path / "d").mkdir()
    os.link(tmp_path / "f", tmp_path / "d" / "f")  # a hard link under the target name: same inode
    info = copy(library, [tmp_path / "f"], tmp_path / "d", on_conflict=ConflictPolicy.OVERWRITE)
    assert info.status.value == "failed" and "same file" in info.error
    assert (tmp_path / "d" / "f").read_bytes() == b"data"


def test_copy_onto_itself_with_keep_both_lands_beside_it_and_a_move_stays_refused(library, tmp_path):
    """A file or folder pasted into its own folder (the window's paste): "name (1).ext" beside it,
    the original untouched; moving a thing onto itself has no sense and stays refused."""
    (tmp_path / "f.txt").write_bytes(b"data")
    (tmp_path / "f (1).txt").write_bytes(b"older copy")
    make_tree(tmp_path / "d")
    info = copy(library, [tmp_path / "f.txt", tmp_path / "d"], tmp_path, on_conflict=ConflictPolicy.RENAME)
    assert info.status.value == "completed"
    assert (tmp_path / "f (2).txt").read_bytes() == b"data" and (tmp_path / "f (1).txt").read_bytes() == b"older copy"
    assert snapshot(tmp_path / "d (1)") == snapshot(tmp_path / "d")
    assert (tmp_path / "f.txt").read_bytes() == b"data"
    info = copy(library, [tmp_path / "f.txt"], tmp_path, on_conflict=ConflictPolicy.RENAME, move=True)
    assert info.status.value == "failed" and "same file" in info.error
    assert (tmp_path / "f.txt").read_bytes() == b"data"


def _conflict_setup(tmp_path):
    src, dest = tmp_path / "src", tmp_path / "dest"
    (src / "d").mkdir(parents=True)
    (dest / "d").mkdir(parents=True)
    (src / "d" / "new.txt").write_bytes(b"new")
    (src / "d" / "same.txt").write_bytes(b"from source")
    (dest / "d" / "same.txt").write_bytes(b"old target")
    (src / "d" / "older.txt").write_bytes(b"source newer")
    (dest / "d" / "older.txt").write_bytes(b"target older")
    os.utime(dest / "d" / "older.txt", ns=(1_000_000_000, 1_000_000_000))
    os.utime(src / "d" / "same.txt", ns=(1_000_000_000, 1_000_000_000))  # source older than its target
    return src, dest


@pytest.mark.parametrize(
    "policy, same, older",
    [
        ("skip", b"old target", b"target older"),
        ("overwrite", b"from source", b"source newer"),
        ("overwrite_if_older", b"old target", b"source newer"),
    ],
)
def test_conflict_policies(library, tmp_path, policy, same, older):
    src, dest = _conflict_setup(tmp_path)
    info = copy(library, [src / "d"], dest, on_conflict=ConflictPolicy(policy))
    assert info.status.value == "completed"
    assert (dest / "d" / "new.txt").read_bytes() == b"new"
    assert (dest / "d" / "same.txt").read_bytes() == same
    assert (dest / "d" / "older.txt").read_bytes() == older
    assert temp_leftovers(dest) == []


def test_conflict_rename_keeps_both(library, tmp_path):
    src, dest = _conflict_setup(tmp_path)
    info = copy(library, [src / "d"], dest, on_conflict=ConflictPolicy.RENAME)
    assert info.status.value == "completed"
    assert (dest / "d" / "same.txt").read_bytes() == b"old target"
    assert (dest / "d" / "same (1).txt").read_bytes() == b"from source"
    assert (dest / "d" / "older (1).txt").read_bytes() == b"source newer"
    assert info.output["renamed"] == 2
    (tmp_path / "x.txt").write_bytes(b"x")
    (dest / "x.txt").write_bytes(b"existing x")
    info = copy(library, [tmp_path / "x.txt"], dest, on_conflict=ConflictPolicy.RENAME)
    row = outcomes(info)["x.txt"]
    assert row["outcome"] == "renamed" and row["target"] == str(dest / "x (1).txt")


def test_conflict_abort_refuses_before_writing(library, tmp_path):
    src, dest = _conflict_setup(tmp_path)
    info = copy(library, [src / "d"], dest, on_conflict=ConflictPolicy.ABORT)
    assert info.status.value == "failed" and "abort" in info.error
    assert not (dest / "d" / "new.txt").exists()
    assert (dest / "d" / "same.txt").read_bytes() == b"old target"


def test_move_same_volume_is_a_rename(library, tmp_path):
    src = make_tree(tmp_path / "src")
    before = snapshot(src)
    inode = os.lstat(src / "sub" / "b.bin").st_ino
    dest = tmp_path / "dest"
    info = copy(library, [src], dest, move=True)
    assert info.status.value == "completed"
    assert not src.exists()
    assert snapshot(dest / "src") == before
    assert os.lstat(dest / "src" / "sub" / "b.bin").st_ino == inode
    assert outcomes(info)["src"]["outcome"] == "moved"


def test_move_same_volume_merge_into_existing_folder(library, tmp_path):
    src, dest = _conflict_setup(tmp_path)
    info = copy(library, [src / "d"], dest, move=True)  # skip: same.txt and older.txt stay in the source
    assert info.status.value == "completed_with_errors"
    assert any("source folder kept" in e["message"] for e in info.errors)
    assert (dest / "d" / "new.txt").read_bytes() == b"new"
    assert not (src / "d" / "new.txt").exists()
    assert (src / "d" / "same.txt").read_bytes() == b"from source"
    assert (dest / "d" / "same.txt").read_bytes() == b"old target"
    assert (src / "d").is_dir()  # not empty: kept


def test_move_across_devices_from_dev_shm(library, tmp_path):
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("/dev/shm is not a separate file system here")
    src_root = Path(os.fsdecode(subprocess.check_output(["mktemp", "-d", "-p", "/dev/shm"]).strip()))
    try:
        src = make_tree(src_root / "tree")
        before = snapshot(src)
        dest = tmp_path / "dest"
        info = copy(library, [src], dest, move=True)
        assert info.status.value == "completed", info.errors
        assert snapshot(dest / "tree") == before
        assert not src.exists()
        assert outcomes(info)["tree"]["outcome"] == "moved"
        assert info.output["verified"] is True
    finally:
        subprocess.run(["rm", "-rf", str(src_root)])


def test_move_keeps_sources_that_could_not_be_written(library, tmp_path):
    """FAULT 11: a file that cannot be created at the destination keeps its source."""
    shm = Path("/dev/shm")
    if os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("/dev/shm is not a separate file system here")
    src_root = Path(os.fsdecode(subprocess.check_output(["mktemp", "-d", "-p", "/dev/shm"]).strip()))
    dest = tmp_path / "dest"
    (dest / "tree" / "locked").mkdir(parents=True)
    if subprocess.run(["chattr", "+i", str(dest / "tree" / "locked")], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not supported here")
    try:
        (src_root / "tree" / "locked").mkdir(parents=True)
        (src_root / "tree" / "locked" / "blocked.txt").write_bytes(b"must survive")
        (src_root / "tree" / "free.txt").write_bytes(b"moves")
        info = copy(library, [src_root / "tree"], dest, move=True)
        assert info.status.value == "completed_with_errors"
        assert (src_root / "tree" / "locked" / "blocked.txt").read_bytes() == b"must survive"
        assert not (src_root / "tree" / "free.txt").exists()
        assert (dest / "tree" / "free.txt").read_bytes() == b"moves"
        row = outcomes(info)["tree"]
        assert row["outcome"] == "failed" and "blocked.txt" in row["reason"]
    finally:
        subprocess.run(["chattr", "-i", str(dest / "tree" / "locked")])
        subprocess.run(["rm", "-rf", str(src_root)])


def test_copy_into_a_location_updates_entries(library, tmp_path):
    loc = tmp_path / "loc"
    loc.mkdir()
    add_location(library, loc)
    src = make_tree(tmp_path / "src")
    info = copy(library, [src], loc)
    assert info.status.value == "completed"
    rows = library.read_sync(lambda c: {bytes(r[0]): r[1:] for r in c.execute("SELECT path, kind, size FROM entry")})
    assert rows[b"src"][0] == 1
    assert rows[b"src/sub/b.bin"] == (0, 300_000)
    assert rows[b"src/link-to-a"][0] == 2
    moved = copy(library, [loc / "src" / "a.txt"], tmp_path / "out", move=True)
    assert moved.status.value == "completed"
    rows = library.read_sync(lambda c: {bytes(r[0]) for r in c.execute("SELECT path FROM entry")})
    assert b"src/a.txt" not in rows and b"src/sub/b.bin" in rows


def test_cli_copy_prints_each_source_outcome(run_cli, tmp_path):
    (tmp_path / "f1").write_bytes(b"1")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "f2").write_bytes(b"2")
    dest = tmp_path / "dest"
    res = run_cli("copy", tmp_path / "f1", tmp_path / "dir", dest, "--json")
    assert res.returncode == 0, res.stderr
    rows = {Path(r["path"]).name: r for r in res.result["output"]["outcomes"]}
    assert rows["f1"]["outcome"] == "copied" and rows["dir"]["outcome"] == "copied"
    assert (dest / "dir" / "f2").read_bytes() == b"2"
    assert any(obj.get("event") == "progress" for obj in res.lines)
    bad = run_cli("copy", tmp_path / "missing", dest)
    assert bad.returncode == 2 and "no such file" in bad.stderr


def test_copy_keeps_extended_attributes(library, tmp_path):
    src = tmp_path / "tagged"
    src.write_bytes(b"with xattr")
    try:
        os.setxattr(src, "user.sd_test", b"kept")
    except OSError as exc:
        pytest.skip(f"user xattrs unsupported here: {exc}")
    info = copy(library, [src], tmp_path / "dest")
    assert info.status.value == "completed"
    assert os.getxattr(tmp_path / "dest" / "tagged", "user.sd_test") == b"kept"


def test_folder_onto_a_file_of_the_same_name(library, tmp_path):
    src = make_tree(tmp_path / "src")
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "src").write_bytes(b"a file in the way")
    skipped = copy(library, [src], dest)
    row = outcomes(skipped)["src"]
    assert row["outcome"] == "skipped" and "in the way" in row["reason"]
    assert (dest / "src").read_bytes() == b"a file in the way"
    renamed = copy(library, [src], dest, on_conflict=ConflictPolicy.RENAME)
    row = outcomes(renamed)["src"]
    assert row["outcome"] == "renamed" and row["target"] == str(dest / "src (1)")
    assert snapshot(dest / "src (1)") == snapshot(src)
    assert (dest / "src").read_bytes() == b"a file in the way"


def _totals_on_disk(root: Path) -> dict[bytes, tuple[int, int, int]]:
    """(bytes of the files below, files below, direct children) of every folder, by relative path."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(os.fsencode(root), topdown=False):
        size = files = 0
        for name in filenames:
            st = os.lstat(os.path.join(dirpath, name))
            if stat.S_ISREG(st.st_mode):
                size, files = size + st.st_size, files + 1
        for name in dirnames:
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                continue
            sub = out[os.path.relpath(full, os.fsencode(root))]
            size, files = size + sub[0], files + sub[1]
        rel = os.path.relpath(dirpath, os.fsencode(root))
        out[b"" if rel == b"." else rel] = (size, files, len(dirnames) + len(filenames))
    return out


def _totals_in_library(lib) -> dict[bytes, tuple[int, int, int]]:
    return lib.read_sync(
        lambda c: {
            bytes(r[0]): tuple(r[1:])
            for r in c.execute("SELECT path, aggregate_size, file_count, child_count FROM entry WHERE kind = 1")
        }
    )


def test_copy_move_and_delete_keep_folder_totals_right_without_a_reindex(library, tmp_path):
    """The browser and the sidebar read folder totals from the library: a copy into a location, a
    move out of it and a delete update them at once (no follow-up index runs here)."""
    from sd_desktop.ops.files.delete.config import DeleteConfig, DeleteMode
    from sd_desktop.ops.indexing.config import IndexerConfig, IndexMode

    loc = tmp_path / "loc"
    (loc / "old").mkdir(parents=True)
    (loc / "old" / "kept.txt").write_bytes(b"x" * 1234)
    loc_id = add_location(library, loc)
    assert run_job(library, "indexer", IndexerConfig(location_id=loc_id, mode=IndexMode.SHALLOW)).status.value == (
        "completed"
    )
    assert _totals_in_library(library) == _totals_on_disk(loc)

    info = copy(library, [make_tree(tmp_path / "src")], loc / "old")
    assert info.status.value == "completed"
    assert _totals_in_library(library) == _totals_on_disk(loc)
    assert _totals_in_library(library)[b""][1] == 8  # kept.txt + the tree's 7 files

    moved = copy(library, [loc / "old" / "src" / "sub"], tmp_path / "elsewhere", move=True)
    assert moved.status.value == "completed"
    assert _totals_in_library(library) == _totals_on_disk(loc)

    gone = run_job(
        library,
        "delete",
        DeleteConfig(targets=[loc / "old" / "src" / "a.txt"], mode=DeleteMode.PERMANENT, confirm=True),
    )
    assert gone.status.value == "completed"
    assert _totals_in_library(library) == _totals_on_disk(loc)

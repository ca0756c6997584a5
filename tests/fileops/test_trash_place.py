"""The trash as a place: every trash listed (home and a real tmpfs volume's), items restored to
their original paths (never over a file), deleted permanently with their records, and the delete
job refusing to trash what already is in a trash. Damaged trashes (an undecodable path in a
record, a missing parent folder, orphan records, items without records) are handled sanely."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from sd_desktop.ops.files.delete import DeleteConfig, DeleteMode
from sd_desktop.ops.files.delete.freedesktop_trash import home_trash, trash_holding
from sd_desktop.ops.files.trash import (
    OnConflict,
    RestoreConflict,
    RestoreError,
    TrashRestoreConfig,
    list_trash,
    newest_trashed,
    restore,
)
from tests.fileops.helpers import run_job

UID = os.getuid()


def trashed(library, *targets: Path) -> list[dict]:
    info = run_job(library, "delete", DeleteConfig(targets=list(targets)))
    return info.output["outcomes"]


def home_files() -> Path:
    return Path(os.fsdecode(home_trash())) / "files"


def home_info() -> Path:
    return Path(os.fsdecode(home_trash())) / "info"


def by_name(listing) -> dict[str, object]:
    return {i.name: i for i in listing.items}


def test_trash_records_where_each_item_went_and_the_listing_shows_it(library, tmp_path):
    folder = tmp_path / "docs"
    (folder / "album").mkdir(parents=True)
    (folder / "album" / "a.jpg").write_bytes(b"a" * 1000)
    (folder / "album" / "b.jpg").write_bytes(b"b" * 24)
    (folder / "note.txt").write_bytes(b"twelve bytes")
    rows = trashed(library, folder / "note.txt", folder / "album")
    assert [r["outcome"] for r in rows] == ["trashed", "trashed"]
    assert rows[0]["trash_path"] == str(home_files() / "note.txt")
    assert rows[0]["trashinfo"] == str(home_info() / "note.txt.trashinfo")
    assert rows[1]["trash_path"] == str(home_files() / "album")
    listing = list_trash()
    assert [t.path for t in listing.trashes][0] == home_trash()
    items = by_name(listing)
    assert sorted(items) == ["album", "note.txt"]
    note, album = items["note.txt"], items["album"]
    assert note.original_path == os.fsencode(folder / "note.txt")
    assert (note.size, note.is_dir, note.problem) == (12, False, None)
    assert (album.size, album.is_dir) == (1024, True)
    assert len(note.deleted_at) == 19 and note.deleted_at[10] == "T"
    assert listing.total_size == 1036 and listing.orphans == []
    assert note.to_json()["trash_path"] == rows[0]["trash_path"]


def test_restore_puts_items_back_and_removes_their_records(library, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "note.txt").write_bytes(b"note")
    [row] = trashed(library, folder / "note.txt")
    done = restore(row["trash_path"])
    assert done.restored_to == os.fsencode(folder / "note.txt") and not done.beside
    assert (folder / "note.txt").read_bytes() == b"note"
    assert os.listdir(home_files()) == [] and os.listdir(home_info()) == []
    assert list_trash().items == []


def test_a_conflict_restores_beside_or_is_skipped_never_over_the_file(library, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "report.txt").write_bytes(b"old report")
    [first] = trashed(library, folder / "report.txt")
    (folder / "report.txt").write_bytes(b"new report")
    with pytest.raises(RestoreConflict, match="already exists; left in the trash"):
        restore(first["trash_path"], "skip")
    assert (folder / "report.txt").read_bytes() == b"new report"
    assert os.path.exists(first["trash_path"]) and os.path.exists(first["trashinfo"])
    (folder / "report (restored).txt").write_bytes(b"in the way too")
    done = restore(first["trash_path"], "beside")
    assert done.restored_to == os.fsencode(folder / "report (restored 2).txt")
    assert (folder / "report (restored 2).txt").read_bytes() == b"old report"
    assert (folder / "report.txt").read_bytes() == b"new report"
    assert (folder / "report (restored).txt").read_bytes() == b"in the way too"
    assert not os.path.exists(first["trashinfo"])


def test_missing_parent_folders_are_recreated(library, tmp_path):
    deep = tmp_path / "projects" / "2024" / "q3"
    deep.mkdir(parents=True)
    (deep / "plan.txt").write_bytes(b"plan")
    [row] = trashed(library, deep / "plan.txt")
    shutil.rmtree(tmp_path / "projects" / "2024")
    done = restore(row["trash_path"])
    assert done.created_folders == [os.fsencode(tmp_path / "projects" / "2024"), os.fsencode(deep)]
    assert (deep / "plan.txt").read_bytes() == b"plan"


def test_a_parent_that_is_now_a_file_refuses_and_keeps_the_item(library, tmp_path):
    (tmp_path / "box").mkdir()
    (tmp_path / "box" / "x.txt").write_bytes(b"x")
    [row] = trashed(library, tmp_path / "box" / "x.txt")
    os.rmdir(tmp_path / "box")
    (tmp_path / "box").write_bytes(b"a file now")
    with pytest.raises(RestoreError, match=f"cannot restore: {tmp_path}/box is not a folder"):
        restore(row["trash_path"])
    assert os.path.exists(row["trash_path"]) and os.path.exists(row["trashinfo"])


def write_record(trash: Path, name: bytes, path_field: bytes, date: bytes = b"2024-05-01T10:20:30") -> None:
    (trash / "info").mkdir(parents=True, exist_ok=True)
    record = os.path.join(os.fsencode(trash / "info"), name + b".trashinfo")
    with open(record, "wb") as f:
        f.write(b"[Trash Info]\nPath=" + path_field + b"\nDeletionDate=" + date + b"\n")


def put_item(trash: Path, name: bytes, content: bytes = b"x") -> bytes:
    (trash / "files").mkdir(parents=True, exist_ok=True)
    path = os.path.join(os.fsencode(trash / "files"), name)
    with open(path, "wb") as f:
        f.write(content)
    return path


def test_undecodable_bytes_in_a_record_and_a_missing_parent(library, tmp_path):
    """FAULTS 3: the record percent-encodes raw bytes (\\xff) of a path whose folder is gone; another
    record (written by a careless program) carries the raw byte itself."""
    trash = Path(os.fsdecode(home_trash()))
    gone = os.fsencode(tmp_path) + b"/caf\xe9-folder"
    encoded = os.fsencode(tmp_path) + b"/caf%E9-folder/r%C3%A9sum%FF.txt"
    item = put_item(trash, b"resume.txt", b"cv")
    write_record(trash, b"resume.txt", encoded)
    raw_item = put_item(trash, b"raw.txt", b"raw")
    write_record(trash, b"raw.txt", gone + b"/raw\xfe.txt", b"2024-06-01T00:00:00")
    listing = list_trash()
    items = {i.trash_path: i for i in listing.items}
    assert items[item].original_path == gone + b"/r\xc3\xa9sum\xff.txt"
    assert items[item].name == "résum\\xff.txt"
    assert items[raw_item].original_path == gone + b"/raw\xfe.txt"
    assert [i.trash_path for i in listing.items] == [raw_item, item]  # newest deletion first
    done = restore(item)
    assert done.restored_to == gone + b"/r\xc3\xa9sum\xff.txt" and done.created_folders == [gone]
    with open(gone + b"/r\xc3\xa9sum\xff.txt", "rb") as f:
        assert f.read() == b"cv"
    assert restore(raw_item).restored_to == gone + b"/raw\xfe.txt"
    assert newest_trashed(gone + b"/raw\xfe.txt", list_trash()) is None


def test_orphan_record_and_item_without_record(library, tmp_path):
    trash = Path(os.fsdecode(home_trash()))
    write_record(trash, b"ghost.txt", os.fsencode(tmp_path / "ghost.txt"))
    lost = put_item(trash, b"lost.bin", b"12345")
    (trash / "info" / "garbled.txt.trashinfo").write_bytes(b"not a record at all")
    garbled = put_item(trash, b"garbled.txt", b"g")
    listing = list_trash()
    items = {i.trash_path: i for i in listing.items}
    assert sorted(items) == sorted([lost, garbled])
    assert listing.orphans == [os.fsencode(trash / "info" / "ghost.txt.trashinfo")]
    assert items[lost].original_path is None and items[lost].trashinfo is None
    assert items[lost].problem == "it has no .trashinfo record: where it came from is unknown"
    assert items[lost].name == "lost.bin" and items[lost].size == 5
    assert items[garbled].problem == (
        f"its .trashinfo record cannot be read: {trash}/info/garbled.txt.trashinfo has no Path in a [Trash Info] group"
    )
    with pytest.raises(RestoreError, match="cannot restore: it has no .trashinfo record"):
        restore(lost)
    assert os.path.exists(lost)
    # emptying: the delete job, permanently, of every item and orphan record
    targets = [i.trash_path for i in listing.items] + listing.orphans
    info = run_job(
        library,
        "delete",
        DeleteConfig(targets=[Path(os.fsdecode(t)) for t in targets], mode=DeleteMode.PERMANENT, confirm=True),
    )
    assert [r["outcome"] for r in info.output["outcomes"]] == ["deleted", "deleted", "deleted"]
    assert os.listdir(trash / "files") == [] and os.listdir(trash / "info") == []


def test_delete_permanently_from_the_trash_removes_the_record_too(library, tmp_path):
    (tmp_path / "a.txt").write_bytes(b"a")
    [row] = trashed(library, tmp_path / "a.txt")
    info = run_job(
        library, "delete", DeleteConfig(targets=[Path(row["trash_path"])], mode=DeleteMode.PERMANENT, confirm=True)
    )
    assert info.output["outcomes"][0]["outcome"] == "deleted"
    assert os.listdir(home_files()) == [] and os.listdir(home_info()) == []


def test_trashing_what_is_in_a_trash_is_refused(library, tmp_path):
    """The reported case: Delete on a trashed file moved it into the trash again, with a record
    whose Path is the trash itself. Also a file inside a trashed folder, and through a link."""
    (tmp_path / "a.txt").write_bytes(b"a")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "inner.txt").write_bytes(b"i")
    rows = trashed(library, tmp_path / "a.txt", tmp_path / "dir")
    os.symlink(home_files(), tmp_path / "shortcut")
    before = sorted(os.listdir(home_files())), sorted(os.listdir(home_info()))
    again = trashed(
        library, Path(rows[0]["trash_path"]), home_files() / "dir" / "inner.txt", tmp_path / "shortcut" / "a.txt"
    )
    assert [r["outcome"] for r in again] == ["failed", "failed", "failed"]
    assert again[0]["reason"] == (
        f"could not move to the trash: it is already in the trash ({home_trash().decode()}); restore it or delete "
        "it permanently there; nothing was deleted"
    )
    assert all(r["trash_path"] is None for r in again)
    assert (sorted(os.listdir(home_files())), sorted(os.listdir(home_info()))) == before
    assert (home_info() / "a.txt.trashinfo").read_text().startswith(f"[Trash Info]\nPath={tmp_path}/a.txt\n")
    assert trash_holding(home_files() / "a.txt") == home_trash()
    assert trash_holding(tmp_path / "files" / "x") is None


def test_restore_job_reports_each_item(library, tmp_path):
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_bytes(name.encode())
    rows = trashed(library, tmp_path / "a.txt", tmp_path / "b.txt")
    (tmp_path / "b.txt").write_bytes(b"new b")
    missing = home_files() / "never-there.txt"
    config = TrashRestoreConfig(
        items=[Path(rows[0]["trash_path"]), Path(rows[1]["trash_path"]), missing], on_conflict=OnConflict.SKIP
    )
    info = run_job(library, "trash_restore", config)
    out = info.output
    assert info.status.value == "completed_with_errors"
    assert [(r["outcome"], r["restored_to"]) for r in out["outcomes"]] == [
        ("restored", str(tmp_path / "a.txt")),
        ("skipped", None),
        ("failed", None),
    ]
    assert out["outcomes"][1]["reason"] == f"{tmp_path}/b.txt already exists; left in the trash"
    assert out["outcomes"][2]["reason"] == f"{missing} is not in the trash (any more)"
    assert (out["restored"], out["renamed"], out["skipped"], out["failed"]) == (1, 0, 1, 1)
    assert (tmp_path / "a.txt").read_bytes() == b"a.txt" and (tmp_path / "b.txt").read_bytes() == b"new b"


@pytest.fixture
def vol(mount_tmpfs) -> Path:
    if UID != 0:
        pytest.skip("needs root to mount a tmpfs")
    return mount_tmpfs("vol", "2m")


def test_a_volume_trash_is_listed_restored_and_emptied(library, vol):
    (vol / "photos").mkdir()
    (vol / "photos" / "cat.jpg").write_bytes(b"meow" * 10)
    (vol / "photos" / "dog.jpg").write_bytes(b"woof")
    rows = trashed(library, vol / "photos" / "cat.jpg", vol / "photos" / "dog.jpg")
    volume_trash = vol / f".Trash-{UID}"
    assert rows[0]["trash_path"] == str(volume_trash / "files" / "cat.jpg")
    # the record is relative to the volume's top folder, the listing makes it absolute again
    assert (volume_trash / "info" / "cat.jpg.trashinfo").read_text().startswith("[Trash Info]\nPath=photos/cat.jpg\n")
    listing = list_trash()
    assert os.fsencode(volume_trash) in [t.path for t in listing.trashes]
    items = by_name(listing)
    assert items["cat.jpg"].original_path == os.fsencode(vol / "photos" / "cat.jpg") and items["cat.jpg"].size == 40
    assert items["cat.jpg"].trash_dir == os.fsencode(volume_trash)
    shutil.rmtree(vol / "photos")
    assert restore(items["cat.jpg"].trash_path).restored_to == os.fsencode(vol / "photos" / "cat.jpg")
    assert (vol / "photos" / "cat.jpg").read_bytes() == b"meow" * 10
    info = run_job(
        library,
        "delete",
        DeleteConfig(targets=[Path(rows[1]["trash_path"])], mode=DeleteMode.PERMANENT, confirm=True),
    )
    assert info.output["outcomes"][0]["outcome"] == "deleted"
    assert os.listdir(volume_trash / "files") == [] and os.listdir(volume_trash / "info") == []


def test_a_planted_volume_trash_is_not_listed(vol):
    """FAULTS 19: a ``.Trash-$uid`` that is a link is not read (its items are not ours to restore)."""
    elsewhere = vol / "elsewhere"
    (elsewhere / "files").mkdir(parents=True)
    (elsewhere / "info").mkdir()
    put_item(elsewhere, b"bait.txt")
    write_record(elsewhere, b"bait.txt", b"/etc/bait.txt")
    os.symlink("elsewhere", vol / f".Trash-{UID}")
    assert [i for i in list_trash().items if i.name == "bait.txt"] == []

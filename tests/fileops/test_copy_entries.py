"""Copy, move and delete keep the library's entries right when paths go through linked folders,
and queue the re-index of the folder they touched (the destination as given, the moved source's
folder, or the location's root when neither is inside it)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

from sd_desktop.jobs import JobManager
from sd_desktop.library.locations import add_location
from sd_desktop.ops.files.copy import CopyConfig
from sd_desktop.ops.files.delete import DeleteConfig, DeleteMode
from tests.fileops.helpers import run_job


def _paths(library) -> set[bytes]:
    return library.read_sync(lambda c: {bytes(r[0]) for r in c.execute("SELECT path FROM entry")})


def _copy_and_followups(library, config: CopyConfig) -> list[tuple[int, str]]:
    """Run a copy; returns the (location id, folder) of the re-index jobs it queued."""

    async def go() -> list[tuple[int, str]]:
        manager = JobManager(library, run_queued=False)
        await manager.start()
        try:
            job_id = await manager.enqueue("file_copy", config)
            info = await manager.wait(job_id)
            assert info.status.value == "completed", info.error
            jobs = await manager.list()
        finally:
            await manager.shutdown()
        return sorted(
            (j.config["location_id"], os.fsdecode(j.config["path"]))
            for j in jobs
            if j.parent_id == job_id and j.name == "indexer"
        )

    return asyncio.run(go())


def test_copy_move_and_delete_through_a_linked_folder_keep_the_entries(library, tmp_path):
    loc = tmp_path / "loc"
    (loc / "in").mkdir(parents=True)
    add_location(library, loc)
    alias = tmp_path / "alias"
    alias.symlink_to(loc)
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "f").write_bytes(b"f")
    (src / "link").symlink_to(src / "sub")

    assert run_job(library, "file_copy", CopyConfig(sources=[src], destination=alias / "in")).status.value == (
        "completed"
    )
    assert _paths(library) >= {b"in/src", b"in/src/sub", b"in/src/sub/f", b"in/src/link"}
    kind = library.read_sync(lambda c: c.execute("SELECT kind FROM entry WHERE path = ?", (b"in/src/link",)).fetchone())
    assert kind == (2,)  # the copied link itself, not the folder it points to

    moved = run_job(
        library,
        "file_copy",
        CopyConfig(sources=[alias / "in" / "src" / "sub" / "f"], destination=tmp_path / "out", move=True),
    )
    assert moved.status.value == "completed"
    assert b"in/src/sub/f" not in _paths(library) and (tmp_path / "out" / "f").read_bytes() == b"f"

    gone = run_job(
        library,
        "delete",
        DeleteConfig(targets=[alias / "in" / "src" / "link"], mode=DeleteMode.PERMANENT, confirm=True),
    )
    assert gone.status.value == "completed"
    assert b"in/src/link" not in _paths(library) and b"in/src/sub" in _paths(library)
    assert (loc / "in" / "src" / "sub").is_dir()


def test_the_reindex_goes_to_the_destination_as_given(library, tmp_path):
    loc = tmp_path / "loc"
    (loc / "in").mkdir(parents=True)
    loc_id = add_location(library, loc)
    (tmp_path / "alias").symlink_to(loc)
    (tmp_path / "f").write_bytes(b"f")
    dest = tmp_path / "alias" / "in"
    assert _copy_and_followups(library, CopyConfig(sources=[tmp_path / "f"], destination=dest)) == [(loc_id, str(dest))]


def test_the_reindex_of_a_move_out_goes_to_the_sources_folder(library, tmp_path):
    loc = tmp_path / "loc"
    (loc / "in").mkdir(parents=True)
    (loc / "in" / "f").write_bytes(b"f")
    loc_id = add_location(library, loc)
    config = CopyConfig(sources=[loc / "in" / "f"], destination=tmp_path / "out", move=True)
    assert _copy_and_followups(library, config) == [(loc_id, str(loc / "in"))]


def test_the_reindex_goes_to_the_root_when_the_copy_merges_into_it(library, tmp_path):
    """A folder copied onto a location's root from outside: neither the destination nor the
    source's folder is inside the location, so its root is re-indexed."""
    loc = tmp_path / "dest" / "photos"
    loc.mkdir(parents=True)
    loc_id = add_location(library, loc)
    src = tmp_path / "src" / "photos"
    src.mkdir(parents=True)
    (src / "new.jpg").write_bytes(b"jpg")
    assert _copy_and_followups(library, CopyConfig(sources=[src], destination=tmp_path / "dest")) == [
        (loc_id, str(loc))
    ]
    assert _paths(library) >= {b"new.jpg"}


def test_copies_into_two_locations_reindex_each(library, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    (b / "deep").mkdir(parents=True)
    a_id, b_id = add_location(library, a), add_location(library, b)
    (b / "deep" / "f").write_bytes(b"f")
    config = CopyConfig(sources=[b / "deep" / "f"], destination=a, move=True)
    assert _copy_and_followups(library, config) == sorted([(a_id, str(a)), (b_id, str(b / "deep"))])
    assert Path(a / "f").read_bytes() == b"f"


def _tree_rows(db: Path) -> list[tuple[bytes, bytes | None, int]]:
    """(path, parent's path, kind) of every entry: the shape of the index, ids aside."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT e.path, p.path, e.kind FROM entry e LEFT JOIN entry p ON p.id = e.parent_id ORDER BY e.path"
        ).fetchall()
    finally:
        conn.close()
    return [(bytes(a), None if b is None else bytes(b), k) for a, b, k in rows]


def test_a_copy_into_folders_the_index_does_not_hold_yet_leaves_a_whole_index(tmp_path, run_cli, library_dir):
    """``copy --mkpath`` into an indexed location creates folders the index has never seen: the
    copied entries get those folders as parents (no orphan rows), so the re-index that follows
    finds them in place and completes (no traceback), and the index is what a fresh index of the
    same tree gives."""
    loc, src = tmp_path / "loc", tmp_path / "src"
    (loc / "sub").mkdir(parents=True)
    (src / "deeper").mkdir(parents=True)
    for name in ("f1", "f2", "deeper/f3"):
        (src / name).write_bytes(name.encode())
    assert run_cli("index", loc, "--json").returncode == 0
    res = run_cli("copy", src, loc / "sub" / "new" / "here", "--mkpath", "--json")
    assert (res.returncode, res.stderr) == (0, "")
    ends = [e["event"] for e in res.lines if e.get("name") == "indexer" and e["event"] in ("completed", "failed")]
    assert ends == ["completed"]
    assert {j["status"] for j in run_cli("jobs", "list", "--json").result["output"]["jobs"]} == {"completed"}
    fresh = tmp_path / "fresh"
    assert run_cli("index", loc, "--json", library=fresh).returncode == 0
    assert _tree_rows(library_dir / "library.db") == _tree_rows(fresh / "library.db")

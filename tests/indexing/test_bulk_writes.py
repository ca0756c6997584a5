"""How an index's walk writes: a first shallow index commits batches of 16,000 entries (the walk
lists them fast; each commit writes every index page its rows touched), and while any index walks,
the library's writer checkpoints its write-ahead log every ~40 MB instead of every 4 MB, back to
SQLite's default once the walk is over (the writer's connection serves the other jobs too)."""

from __future__ import annotations

from sd_desktop.library import Library
from sd_desktop.library.entries import WAL_PAGES_BULK, WAL_PAGES_DEFAULT
from sd_desktop.library.locations import add_location
from tests.indexing.helpers import index, write

CHECKPOINT = "UPDATE job SET state"


def tree_of(root, files: int):
    for d in range(files // 100):
        for i in range(100):
            write(root / f"d{d:03d}" / f"f{i:03d}.txt", "x" * (i % 5))
    return root


def traced(lib: Library) -> list[str]:
    statements: list[str] = []
    lib.write_sync(lambda conn: conn.set_trace_callback(statements.append))
    return statements


def autocheckpoint(lib: Library) -> int:
    return lib.write_sync(lambda conn: conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])


def test_first_shallow_index_commits_big_batches_with_fewer_checkpoints(tmp_path):
    tree = tree_of(tmp_path / "tree", 12_000)  # 12,121 entries: one batch of 16,000, three of 4,000
    with Library.open(tmp_path / "lib") as lib:
        loc = add_location(lib, tree)
        statements = traced(lib)
        info = index(lib, {"location_id": loc, "mode": "shallow", "all_entries": True})
        assert info.status.value == "completed", info.error
        assert info.output["entries_written"] == 12_121
        walk = statements[statements.index(f"PRAGMA wal_autocheckpoint = {WAL_PAGES_BULK}") :]
        walk = walk[: walk.index(f"PRAGMA wal_autocheckpoint = {WAL_PAGES_DEFAULT}")]
        assert sum(s.startswith(CHECKPOINT) for s in walk) == 1  # the one batch
        assert autocheckpoint(lib) == WAL_PAGES_DEFAULT


def test_content_index_walk_checkpoints_less_and_restores_the_default(tmp_path):
    tree = tree_of(tmp_path / "tree", 300)
    with Library.open(tmp_path / "lib") as lib:
        loc = add_location(lib, tree)
        statements = traced(lib)
        info = index(lib, {"location_id": loc, "mode": "content", "all_entries": True})
        assert info.status.value == "completed", info.error
        assert info.output["hashed"] == 240  # every file but the empty ones
        assert f"PRAGMA wal_autocheckpoint = {WAL_PAGES_BULK}" in statements
        assert statements[-1] != f"PRAGMA wal_autocheckpoint = {WAL_PAGES_BULK}"
        assert autocheckpoint(lib) == WAL_PAGES_DEFAULT

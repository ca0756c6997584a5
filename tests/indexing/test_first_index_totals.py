"""A first index counts folder totals while it inserts the rows and writes them without reading the
entries back; the totals are exactly those of the set-based SQL (``aggregates.aggregate_all``),
for a whole location and for a sub-folder indexed first (with the folders above it), beside
another location's entries. A resumed first index (its counts died with the process) and a first
index that deleted entries use the SQL."""

from __future__ import annotations

import os

from sd_desktop.library import Library
from sd_desktop.library.aggregates import aggregate_all
from sd_desktop.library.locations import add_location
from tests.indexing.helpers import index, write
from tests.indexing.test_incremental_totals import expected_totals


def build(tree):
    write(tree / "a/b/c/f1.txt", "one" * 10)
    write(tree / "a/b/f2.txt", "two" * 20)
    write(tree / "a/b/empty.txt", "")
    write(tree / "a/g.bin", b"g" * 500)
    (tree / "a/b/nothing").mkdir()
    write(tree / "x/y/z/f3.txt", "three")
    os.symlink("../a/g.bin", tree / "x/link")
    os.mkfifo(tree / "x/y/fifo")


def folder_totals(lib: Library, loc: int) -> dict[bytes, tuple[int, int, int]]:
    rows = lib.read_sync(
        lambda c: c.execute(
            "SELECT path, aggregate_size, file_count, child_count FROM entry WHERE location_id = ? AND kind = 1",
            (loc,),
        ).fetchall()
    )
    return {bytes(p): (s, f, n) for p, s, f, n in rows}


def recomputed_by_sql(lib: Library, loc: int) -> dict[bytes, tuple[int, int, int]]:
    """The totals ``aggregate_all`` gives from the stored rows (in a transaction rolled back after)."""
    out: dict = {}

    def tx(conn):
        conn.execute("UPDATE entry SET aggregate_size = -1, file_count = -1, child_count = -1 WHERE kind = 1")
        aggregate_all(conn, loc)
        out.update(folder_totals_of(conn, loc))
        raise _Rollback

    try:
        lib.write_sync(tx)
    except _Rollback:
        pass
    return out


class _Rollback(Exception):
    pass


def folder_totals_of(conn, loc: int) -> dict[bytes, tuple[int, int, int]]:
    rows = conn.execute(
        "SELECT path, aggregate_size, file_count, child_count FROM entry WHERE location_id = ? AND kind = 1", (loc,)
    ).fetchall()
    return {bytes(p): (s, f, n) for p, s, f, n in rows}


def traced(lib: Library) -> list[str]:
    """Every statement the library's writer connection runs from now on."""
    statements: list[str] = []
    lib.write_sync(lambda conn: conn.set_trace_callback(statements.append))
    return statements


def test_first_index_writes_counted_totals_equal_to_the_sql(tmp_path):
    tree = tmp_path / "tree"
    build(tree)
    other = tmp_path / "other"
    write(other / "o/p.txt", "other location")
    with Library.open(tmp_path / "lib") as lib:
        first = index(lib, {"location_id": add_location(lib, other), "mode": "shallow"})
        assert first.status.value == "completed"
        loc = add_location(lib, tree)
        statements = traced(lib)
        info = index(lib, {"location_id": loc, "mode": "content", "all_entries": True})
        assert info.status.value == "completed", info.error
        # the entries were not read back to sum them up
        assert [s for s in statements if "idx_agg" in s or "GROUP BY parent_id" in s] == []
        totals = folder_totals(lib, loc)
        assert totals == expected_totals(tree)
        assert totals == recomputed_by_sql(lib, loc)
        assert info.output["folders_aggregated"] == 8


def test_first_index_of_a_sub_folder_counts_the_folders_above_it(tmp_path):
    tree = tmp_path / "tree"
    build(tree)
    with Library.open(tmp_path / "lib") as lib:
        loc = add_location(lib, tree)
        info = index(lib, {"location_id": loc, "path": "a/b", "mode": "shallow", "all_entries": True})
        assert info.status.value == "completed", info.error
        totals = folder_totals(lib, loc)
        below = {p: t for p, t in expected_totals(tree / "a/b").items()}
        b = below[b""]
        assert totals == {
            b"": (b[0], b[1], 1),
            b"a": (b[0], b[1], 1),
            **{(b"a/b/" + p if p else b"a/b"): t for p, t in below.items()},
        }
        assert totals == recomputed_by_sql(lib, loc)


def test_a_reindex_still_uses_the_sql(tmp_path):
    tree = tmp_path / "tree"
    build(tree)
    with Library.open(tmp_path / "lib") as lib:
        loc = add_location(lib, tree)
        assert index(lib, {"location_id": loc, "mode": "shallow", "all_entries": True}).status.value == "completed"
        write(tree / "a/b/c/new.txt", "n" * 1000)
        statements = traced(lib)
        info = index(lib, {"location_id": loc, "mode": "shallow", "all_entries": True})
        assert info.status.value == "completed", info.error
        assert folder_totals(lib, loc) == expected_totals(tree)
        assert info.output["folders_aggregated"] == 4  # a/b/c and its ancestors
        assert any("idx_scope" in s for s in statements)

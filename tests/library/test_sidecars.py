"""Sidecar rows and thumbnail failure markers on a real library: what is stored is read back,
a newer row or marker replaces the older one, and orphans are exactly the rows no entry needs."""

from __future__ import annotations

import sqlite3

import pytest

from sd_desktop.library import sidecars
from sd_desktop.library.sidecars import SidecarRow, Stored


def _contents(library, cas_ids: list[str], with_entry: set[str] = frozenset()) -> dict[str, int]:
    """content_identity rows (and an entry for those in ``with_entry``); returns cas_id -> id."""

    def tx(conn: sqlite3.Connection) -> dict[str, int]:
        loc = conn.execute("INSERT INTO location (path, name, created_at) VALUES (x'2f74', 't', 0)").lastrowid
        ids = {}
        for i, cas in enumerate(cas_ids):
            ids[cas] = conn.execute(
                "INSERT INTO content_identity (cas_id, size, created_at) VALUES (?, 1, 0)", (cas,)
            ).lastrowid
            if cas in with_entry:
                conn.execute(
                    "INSERT INTO entry (location_id, path, name, kind, content_id) VALUES (?, ?, ?, 0, ?)",
                    (loc, f"f{i}".encode(), f"f{i}", ids[cas]),
                )
        return ids

    return library.write_sync(tx)


def _row(content_id: int, variant: str, path: str) -> SidecarRow:
    return SidecarRow(content_id, variant, "webp", path, 256, 192, 1000)


def test_stored_rows_come_back_per_content_and_variant(library):
    ids = _contents(library, ["aa01", "aa02", "bb03"])
    a, b = ids["aa01"], ids["aa02"]
    library.write_sync(
        lambda c: sidecars.store(c, [_row(a, "512", "aa/01/a_512.webp"), _row(a, "256", "aa/01/a_256.webp")], now=10.0)
    )
    library.write_sync(lambda c: sidecars.store(c, [_row(b, "256", "aa/02/b_256.webp")], now=11.0))
    # a newer row of the same content and variant replaces the older one
    library.write_sync(lambda c: sidecars.store(c, [_row(a, "256", "aa/01/a_256.png")], now=12.0))
    got = library.read_sync(lambda c: sidecars.existing(c, [a, b, ids["bb03"], a]))
    assert got == {
        a: {"512": Stored("aa/01/a_512.webp", 10.0), "256": Stored("aa/01/a_256.png", 12.0)},
        b: {"256": Stored("aa/02/b_256.webp", 11.0)},
    }
    assert library.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM sidecar").fetchone()[0]) == 3


def test_existing_reads_more_contents_than_one_query_takes(library):
    cas_ids = [f"{i:04x}" for i in range(sidecars.CHUNK * 2 + 7)]
    ids = _contents(library, cas_ids)
    library.write_sync(lambda c: sidecars.store(c, [_row(i, "256", f"p{i}") for i in ids.values()], now=1.0))
    got = library.read_sync(lambda c: sidecars.existing(c, ids.values()))
    assert got == {i: {"256": Stored(f"p{i}", 1.0)} for i in ids.values()}


def test_failures_count_only_for_their_decoder_version(library):
    library.write_sync(lambda c: sidecars.mark_failed(c, [("aa01", "broken"), ("aa02", "x" * 900)], "v1", now=5.0))
    library.write_sync(lambda c: sidecars.mark_failed(c, [("aa03", "truncated")], "v2"))
    assert library.read_sync(lambda c: sidecars.known_failures(c, ["aa01", "aa02", "aa03", "aa04"], "v1")) == {
        "aa01",
        "aa02",
    }
    assert library.read_sync(lambda c: sidecars.known_failures(c, ["aa01", "aa03"], "v2")) == {"aa03"}
    # a new failure of the same content replaces its marker (with the new decoder version)
    library.write_sync(lambda c: sidecars.mark_failed(c, [("aa01", "still broken")], "v2", now=6.0))
    assert library.read_sync(lambda c: sidecars.known_failures(c, ["aa01"], "v1")) == set()
    rows = library.read_sync(
        lambda c: c.execute(
            "SELECT cas_id, decoder_version, reason, created_at FROM thumbnail_failure ORDER BY cas_id"
        ).fetchall()
    )
    assert rows[0] == ("aa01", "v2", "still broken", 6.0)
    assert rows[1] == ("aa02", "v1", "x" * sidecars.REASON_CHARS, 5.0)
    library.write_sync(lambda c: sidecars.clear_failures(c, ["aa01", "aa03", "zz99"]))
    assert library.read_sync(lambda c: sidecars.known_failures(c, ["aa01", "aa02", "aa03"], "v2")) == set()
    assert library.read_sync(lambda c: sidecars.known_failures(c, ["aa01", "aa02", "aa03"], "v1")) == {"aa02"}


def test_orphans_are_the_rows_of_contents_no_entry_has(library):
    ids = _contents(library, ["aa01", "aa02", "bb03"], with_entry={"aa02"})
    rows = [_row(ids[c], v, f"{c}_{v}") for c in ids for v in ("512", "256")]
    library.write_sync(lambda c: sidecars.store(c, rows))
    dropped = library.write_sync(sidecars.drop_orphans)
    assert sorted(dropped) == ["aa01_256", "aa01_512", "bb03_256", "bb03_512"]
    assert library.read_sync(lambda c: sidecars.existing(c, ids.values())).keys() == {ids["aa02"]}
    assert library.write_sync(sidecars.drop_orphans) == []


def test_paths_with_prefix_are_exactly_that_shard(library):
    ids = _contents(library, ["aa01", "aa02", "aa1f", "ab00", "a9ff"])
    library.write_sync(lambda c: sidecars.store(c, [_row(i, "256", f"{cas}.webp") for cas, i in ids.items()]))
    assert sorted(library.read_sync(lambda c: sidecars.paths_with_prefix(c, "aa0"))) == ["aa01.webp", "aa02.webp"]
    assert sorted(library.read_sync(lambda c: sidecars.paths_with_prefix(c, "aa"))) == [
        "aa01.webp",
        "aa02.webp",
        "aa1f.webp",
    ]
    assert library.read_sync(lambda c: sidecars.paths_with_prefix(c, "ff")) == []
    for bad in ("", "AA", "a%", "zz"):
        with pytest.raises(ValueError, match="lowercase hex"):
            library.read_sync(lambda c, bad=bad: sidecars.paths_with_prefix(c, bad))

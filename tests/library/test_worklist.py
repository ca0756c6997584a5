"""The work-list functions on a real library: what a job stores is what it reads back, filters
select exactly their rows, and a column name from outside the table is refused."""

from __future__ import annotations

import pytest

from sd_desktop.enums import WorkStatus
from sd_desktop.library import worklist


@pytest.fixture
def job_id(library):
    def make(conn):
        return conn.execute(
            "INSERT INTO job (name, version, status, config, config_key, created_at, updated_at) "
            "VALUES ('t', 1, 'queued', x'80', 'k', 0, 0)"
        ).lastrowid

    return library.write_sync(make)


def test_rows_come_back_in_seq_order_with_their_columns(library, job_id):
    rows = [(seq, seq % 2, f"/src/{seq}".encode(), seq * 10, b"\x80") for seq in (3, 1, 2, 0)]
    library.write_sync(lambda c: worklist.add(c, job_id, rows))
    got = library.read_sync(lambda c: worklist.items(c, job_id, ("seq", "kind", "src", "size", "data", "status")))
    assert got == [(s, s % 2, f"/src/{s}".encode(), s * 10, b"\x80", WorkStatus.PENDING) for s in range(4)]
    desc = library.read_sync(lambda c: worklist.items(c, job_id, ("seq",), descending=True))
    assert desc == [(3,), (2,), (1,), (0,)]


def test_filters_select_exactly_their_rows(library, job_id):
    rows = [(seq, seq % 3, None, "conflict" if seq in (4, 7) else None) for seq in range(10)]
    library.write_sync(lambda c: worklist.add(c, job_id, rows, ("seq", "kind", "src", "outcome")))
    library.write_sync(
        lambda c: worklist.update(
            c, job_id, [(WorkStatus.DONE, "copied", None, 1), (WorkStatus.FAILED, "failed", "EIO", 2)]
        )
    )

    def read(**kw):
        return [r[0] for r in library.read_sync(lambda c: worklist.items(c, job_id, ("seq",), **kw))]

    assert read(kind=1) == [1, 4, 7]
    assert read(kinds=[0, 2]) == [0, 2, 3, 5, 6, 8, 9]
    assert read(status=WorkStatus.PENDING) == [0, 3, 4, 5, 6, 7, 8, 9]
    assert read(outcome="conflict") == [4, 7]
    assert read(seq_from=3, seq_to=5) == [3, 4, 5]
    assert read(status=WorkStatus.PENDING, limit=2) == [0, 3]
    assert [
        r[0] for r in library.read_sync(lambda c: worklist.pending(c, job_id, ("seq",), 10, outcome="conflict"))
    ] == [4, 7]
    assert library.read_sync(lambda c: worklist.count(c, job_id, status=WorkStatus.FAILED)) == 1
    assert library.read_sync(
        lambda c: worklist.items(c, job_id, ("status", "outcome", "reason"), seq_from=2, seq_to=2)
    ) == [(WorkStatus.FAILED, "failed", "EIO")]


def test_update_can_keep_a_stored_value_where_none_is_given(library, job_id):
    library.write_sync(
        lambda c: worklist.add(c, job_id, [(0, b"/a", b"/dst/a"), (1, b"/b", b"/dst/b")], ("seq", "src", "dst"))
    )
    library.write_sync(
        lambda c: worklist.update(
            c,
            job_id,
            [(WorkStatus.DONE, None, 0), (WorkStatus.DONE, b"/dst/b (2)", 1)],
            ("status", "dst"),
            keep_when_none=("dst",),
        )
    )
    assert library.read_sync(lambda c: worklist.items(c, job_id, ("dst",))) == [(b"/dst/a",), (b"/dst/b (2)",)]
    library.write_sync(lambda c: worklist.add_to_size(c, job_id, 1, 5))
    library.write_sync(lambda c: worklist.add_to_size(c, job_id, 1, 2))
    assert library.read_sync(lambda c: worklist.items(c, job_id, ("size",), seq_from=1)) == [(7,)]


def test_pending_clear_and_replace(library, job_id):
    library.write_sync(lambda c: worklist.add(c, job_id, [(s, 1) for s in range(3)], ("seq", "kind")))
    assert library.read_sync(lambda c: worklist.has_pending(c, job_id)) is True
    library.write_sync(lambda c: worklist.update(c, job_id, [(WorkStatus.DONE, s) for s in range(3)], ("status",)))
    assert library.read_sync(lambda c: worklist.has_pending(c, job_id)) is False
    library.write_sync(lambda c: worklist.replace(c, job_id, [(5, 2)], ("seq", "kind")))
    assert library.read_sync(lambda c: worklist.items(c, job_id, ("seq", "kind"))) == [(5, 2)]
    library.write_sync(lambda c: worklist.add(c, job_id, [(5, 9), (6, 2)], ("seq", "kind"), ignore_existing=True))
    assert library.read_sync(lambda c: worklist.items(c, job_id, ("seq", "kind"))) == [(5, 2), (6, 2)]
    library.write_sync(lambda c: worklist.clear(c, job_id, kind=2, status=WorkStatus.PENDING))
    assert library.read_sync(lambda c: worklist.count(c, job_id)) == 0


def test_a_column_outside_the_table_is_refused(library, job_id):
    with pytest.raises(ValueError, match="not among"):
        library.read_sync(lambda c: worklist.items(c, job_id, ("seq; DROP TABLE job",)))
    with pytest.raises(ValueError, match="need a seq"):
        library.write_sync(lambda c: worklist.add(c, job_id, [(1,)], ("kind",)))
    with pytest.raises(ValueError, match="not among"):
        library.write_sync(lambda c: worklist.update(c, job_id, [(1, 0)], ("seq",)))


def test_add_or_reopen_makes_a_handled_item_one_to_do_again(library, job_id):
    library.write_sync(lambda c: worklist.add(c, job_id, [(1, 1, b"/a"), (2, 1, b"/b")], ("seq", "kind", "src")))
    library.write_sync(
        lambda c: worklist.update(
            c, job_id, [(WorkStatus.DONE, "ok", None, 1), (WorkStatus.FAILED, "failed", "EIO", 2)]
        )
    )
    library.write_sync(lambda c: worklist.add_or_reopen(c, job_id, [(2, 3), (4, 3)], ("seq", "kind")))
    assert library.read_sync(
        lambda c: worklist.items(c, job_id, ("seq", "kind", "src", "status", "outcome", "reason"))
    ) == [
        (1, 1, b"/a", WorkStatus.DONE, "ok", None),
        (2, 3, b"/b", WorkStatus.PENDING, None, None),
        (4, 3, None, WorkStatus.PENDING, None, None),
    ]
    # a status given is kept, not reset
    library.write_sync(lambda c: worklist.add_or_reopen(c, job_id, [(1, WorkStatus.SKIPPED)], ("seq", "status")))
    assert library.read_sync(lambda c: worklist.items(c, job_id, ("status", "outcome"), seq_to=1)) == [
        (WorkStatus.SKIPPED, None)
    ]
    with pytest.raises(ValueError, match="need a seq"):
        library.write_sync(lambda c: worklist.add_or_reopen(c, job_id, [(1,)], ("kind",)))

"""A job's work list: the ``work_item`` rows a job plans once and then works through in batches.

Every job that has more to do than fits in its state (a copy's files, a delete's targets, a
validation's or duplicate search's candidates, thumbnail requests, the indexer's pending deletes)
keeps that list here, keyed by ``(job_id, seq)``. The state then only holds a cursor, so a
checkpoint costs the same for ten files as for a million; ``JobManager`` deletes the rows with the
job, and ``status`` (a ``WorkStatus``) says what became of each item.

The columns are generic and each job gives them its own meaning (``kind`` says which of a job's
lists a row belongs to, ``data`` is the job's msgpack). So the functions below name the columns
they read or write, chosen from ``COLUMNS``, and build their statement from that fixed set (never
from caller text): one place knows the table, jobs keep their own vocabulary.

Why raw ``executemany`` and not peewee: work lists are written and read in batches of thousands of
rows inside a checkpoint's transaction; peewee's ``insert_many`` measured about five times slower
than ``executemany`` for bulk inserts here, and its per-row model objects cost more than the rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from sd_desktop.enums import WorkStatus

COLUMNS = ("seq", "kind", "src", "dst", "size", "data", "status", "outcome", "reason")
_SETTABLE = frozenset(COLUMNS) - {"seq"}


def _checked(columns: Sequence[str], allowed: frozenset[str] | tuple[str, ...] = COLUMNS) -> tuple[str, ...]:
    columns = tuple(columns)
    bad = [c for c in columns if c not in allowed]
    if bad or not columns:
        raise ValueError(f"work_item columns {bad or '(none)'} not among {sorted(allowed)}")
    return columns


@lru_cache(maxsize=64)
def _insert_sql(columns: tuple[str, ...], ignore: bool) -> str:
    verb = "INSERT OR IGNORE" if ignore else "INSERT"
    marks = ", ".join("?" for _ in columns)
    return f"{verb} INTO work_item (job_id, {', '.join(columns)}) VALUES (?, {marks})"


def add(
    conn: sqlite3.Connection,
    job_id: int,
    rows: Iterable[Sequence[Any]],
    columns: Sequence[str] = ("seq", "kind", "src", "size", "data"),
    *,
    ignore_existing: bool = False,
) -> None:
    """Append ``rows`` (values in the order of ``columns``, which must include ``seq``) to the list.

    With ``ignore_existing`` a row whose ``seq`` is taken already is left out silently (for lists
    that may record the same item twice, such as the indexer's pending deletes)."""
    cols = _checked(columns)
    if "seq" not in cols:
        raise ValueError("work_item rows need a seq")
    sql = _insert_sql(cols, ignore_existing)
    conn.executemany(sql, ((job_id, *row) for row in rows))


@lru_cache(maxsize=64)
def _reopen_sql(columns: tuple[str, ...]) -> str:
    sets = [f"{c} = excluded.{c}" for c in columns if c != "seq"]
    sets += [f"{c} = {default}" for c, default in _REOPENED.items() if c not in columns]
    return f"{_insert_sql(columns, False)} ON CONFLICT (job_id, seq) DO UPDATE SET {', '.join(sets)}"


# what an item added anew has in the columns that say what became of it
_REOPENED = {"status": int(WorkStatus.PENDING), "outcome": "NULL", "reason": "NULL"}


def add_or_reopen(
    conn: sqlite3.Connection,
    job_id: int,
    rows: Iterable[Sequence[Any]],
    columns: Sequence[str] = ("seq", "kind"),
) -> None:
    """Append ``rows`` like ``add``; an item whose ``seq`` is there already becomes one to do again.

    Such an item takes the given columns' new values, and its ``status``, ``outcome`` and ``reason``
    go back to those of a new item (PENDING, none, none) unless given; its other columns stay."""
    cols = _checked(columns)
    if "seq" not in cols:
        raise ValueError("work_item rows need a seq")
    conn.executemany(_reopen_sql(cols), ((job_id, *row) for row in rows))


def replace(
    conn: sqlite3.Connection,
    job_id: int,
    rows: Iterable[Sequence[Any]],
    columns: Sequence[str] = ("seq", "kind", "src", "size", "data"),
) -> None:
    """The job's list becomes ``rows``: what an unfinished planning left behind goes first."""
    clear(conn, job_id)
    add(conn, job_id, rows, columns)


def _where(
    kind: int | None,
    kinds: Sequence[int] | None,
    status: int | None,
    outcome: str | None,
    seq_from: int | None,
    seq_to: int | None,
) -> tuple[str, list[Any]]:
    parts, args = [], []
    if kind is not None:
        parts.append("kind = ?")
        args.append(int(kind))
    if kinds is not None:
        parts.append(f"kind IN ({', '.join('?' for _ in kinds)})")
        args.extend(int(k) for k in kinds)
    if status is not None:
        parts.append("status = ?")
        args.append(int(status))
    if outcome is not None:
        parts.append("outcome = ?")
        args.append(outcome)
    if seq_from is not None:
        parts.append("seq >= ?")
        args.append(seq_from)
    if seq_to is not None:
        parts.append("seq <= ?")
        args.append(seq_to)
    return "".join(f" AND {p}" for p in parts), args


def items(
    conn: sqlite3.Connection,
    job_id: int,
    columns: Sequence[str],
    *,
    kind: int | None = None,
    kinds: Sequence[int] | None = None,
    status: int | None = None,
    outcome: str | None = None,
    seq_from: int | None = None,
    seq_to: int | None = None,
    descending: bool = False,
    limit: int | None = None,
) -> list[tuple]:
    """The job's rows (``columns`` of each) that match every filter given, in ``seq`` order.

    ``seq_from``/``seq_to`` are inclusive bounds; ``limit`` takes the first rows of that order."""
    cols = _checked(columns)
    where, args = _where(kind, kinds, status, outcome, seq_from, seq_to)
    sql = f"SELECT {', '.join(cols)} FROM work_item WHERE job_id = ?{where} ORDER BY seq{' DESC' if descending else ''}"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(int(limit))
    return conn.execute(sql, (job_id, *args)).fetchall()


def pending(
    conn: sqlite3.Connection, job_id: int, columns: Sequence[str], limit: int, *, outcome: str | None = None
) -> list[tuple]:
    """The next ``limit`` rows still to do (status PENDING), in ``seq`` order."""
    return items(conn, job_id, columns, status=WorkStatus.PENDING, outcome=outcome, limit=limit)


def has_pending(conn: sqlite3.Connection, job_id: int) -> bool:
    """Whether any row of the job is still to do."""
    row = conn.execute(
        "SELECT 1 FROM work_item WHERE job_id = ? AND status = ? LIMIT 1", (job_id, int(WorkStatus.PENDING))
    ).fetchone()
    return row is not None


def count(conn: sqlite3.Connection, job_id: int, *, status: int | None = None, kind: int | None = None) -> int:
    """How many rows of the job match."""
    where, args = _where(kind, None, status, None, None, None)
    return conn.execute(f"SELECT COUNT(*) FROM work_item WHERE job_id = ?{where}", (job_id, *args)).fetchone()[0]


@lru_cache(maxsize=64)
def _update_sql(columns: tuple[str, ...], keep_null: tuple[str, ...]) -> str:
    sets = ", ".join(f"{c} = COALESCE(?, {c})" if c in keep_null else f"{c} = ?" for c in columns)
    return f"UPDATE work_item SET {sets} WHERE job_id = ? AND seq = ?"


def update(
    conn: sqlite3.Connection,
    job_id: int,
    rows: Iterable[Sequence[Any]],
    columns: Sequence[str] = ("status", "outcome", "reason"),
    *,
    keep_when_none: Sequence[str] = (),
) -> None:
    """Set ``columns`` of items: each row is the new values in that order, then the item's ``seq``.

    A column named in ``keep_when_none`` keeps its stored value where the row gives ``None``."""
    cols = _checked(columns, _SETTABLE)
    keep = _checked(keep_when_none, cols) if keep_when_none else ()
    conn.executemany(_update_sql(cols, keep), ((*row[:-1], job_id, row[-1]) for row in rows))


def add_to_size(conn: sqlite3.Connection, job_id: int, seq: int, amount: int) -> None:
    """Add ``amount`` to an item's ``size`` (a running count kept with the item, e.g. files done)."""
    conn.execute("UPDATE work_item SET size = size + ? WHERE job_id = ? AND seq = ?", (amount, job_id, seq))


def clear(conn: sqlite3.Connection, job_id: int, *, kind: int | None = None, status: int | None = None) -> None:
    """Remove the job's rows (only those of ``kind`` and/or ``status`` when given)."""
    where, args = _where(kind, None, status, None, None, None)
    conn.execute(f"DELETE FROM work_item WHERE job_id = ?{where}", (job_id, *args))

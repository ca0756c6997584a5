"""Folder totals (``entry.aggregate_size``, ``file_count``, ``child_count``) in set-based SQL.

The indexer recomputes them after its walk; copy, move and delete after changing entries, so the
browser and the sidebar show the right totals at once.

``aggregate_all`` (a first index) recomputes every folder of a location: per-folder direct sums come
from one ``GROUP BY parent_id``; a recursive CTE then carries them up the folder chain (cost:
folders x depth, not files x depth). One ``UPDATE ... FROM`` writes the folders whose totals differ
from what is stored.

``aggregate_changed`` (a re-index) recomputes only the folders whose direct children changed
(``temp.idx_dirty``, filled by the caller: ``entries.stage_changed_folders`` for the indexer) and
their ancestors, the "scope": each scope folder's own part is its direct files plus the stored
totals of its child folders outside the scope (those did not change), and the parts are carried up
through the scope only. Cost: the children of scope folders plus scope x depth; folders outside the
scope are neither read for their subtrees nor written.
``aggregate_size`` sums regular files' sizes below a folder (what ``du --apparent-size`` counts
for files; each hard-link name counts, like ``find``); ``file_count`` counts those files;
``child_count`` counts direct children of every kind.
"""

from __future__ import annotations

import sqlite3

from sd_desktop.enums import EntryKind

# written into the statements' text (not bound), so SQLite plans them with the constant
_FILE, _DIR = EntryKind.FILE.value, EntryKind.DIR.value

_ALL = (
    "CREATE TEMP TABLE IF NOT EXISTS idx_agg (dir_id INTEGER PRIMARY KEY, s INTEGER NOT NULL, c INTEGER NOT NULL)",
    "CREATE TEMP TABLE IF NOT EXISTS idx_children (dir_id INTEGER PRIMARY KEY, n INTEGER NOT NULL)",
    "DELETE FROM temp.idx_agg",
    "DELETE FROM temp.idx_children",
    f"""
    INSERT INTO temp.idx_agg (dir_id, s, c)
    WITH RECURSIVE direct(dir_id, s, c) AS (
        SELECT parent_id, SUM(size), COUNT(*) FROM entry
        WHERE location_id = :loc AND kind = {_FILE} AND parent_id IS NOT NULL GROUP BY parent_id
    ), up(dir_id, s, c) AS (
        SELECT dir_id, s, c FROM direct
        UNION ALL
        SELECT e.parent_id, up.s, up.c FROM up JOIN entry e ON e.id = up.dir_id WHERE e.parent_id IS NOT NULL
    )
    SELECT dir_id, SUM(s), SUM(c) FROM up GROUP BY dir_id
    """,
    """
    INSERT INTO temp.idx_children (dir_id, n)
    SELECT parent_id, COUNT(*) FROM entry WHERE location_id = :loc AND parent_id IS NOT NULL GROUP BY parent_id
    """,
    f"""
    UPDATE entry SET aggregate_size = t.s, file_count = t.c, child_count = t.n
    FROM (
        SELECT d.id AS id, COALESCE(a.s, 0) AS s, COALESCE(a.c, 0) AS c, COALESCE(ch.n, 0) AS n
        FROM entry d
        LEFT JOIN temp.idx_agg a ON a.dir_id = d.id
        LEFT JOIN temp.idx_children ch ON ch.dir_id = d.id
        WHERE d.location_id = :loc AND d.kind = {_DIR}
    ) AS t
    WHERE entry.id = t.id
      AND (entry.aggregate_size != t.s OR entry.file_count != t.c OR entry.child_count != t.n)
    """,
)


def aggregate_all(conn: sqlite3.Connection, location_id: int) -> tuple[int, int]:
    """Recompute the totals of every folder of a location.

    Returns (folders recomputed, folder rows whose totals changed)."""
    changed = _run(conn, _ALL, location_id)
    conn.execute("DELETE FROM temp.idx_agg")
    conn.execute("DELETE FROM temp.idx_children")
    folders = conn.execute(f"SELECT COUNT(*) FROM entry WHERE location_id = ? AND kind = {_DIR}", (location_id,))
    return folders.fetchone()[0], changed


def store_totals(conn: sqlite3.Connection, totals: list[tuple[int, int, int, int]]) -> int:
    """Write folder totals counted elsewhere (a first index counts them as it inserts the rows):
    ``(aggregate size, file count, child count, id)`` per folder; returns how many folders."""
    conn.executemany("UPDATE entry SET aggregate_size = ?, file_count = ?, child_count = ? WHERE id = ?", totals)
    return len(totals)


_CHANGED = (
    "CREATE TEMP TABLE IF NOT EXISTS idx_dirty (id INTEGER PRIMARY KEY)",
    "CREATE TEMP TABLE IF NOT EXISTS idx_scope (id INTEGER PRIMARY KEY, parent INTEGER)",
    "CREATE TEMP TABLE IF NOT EXISTS idx_part (id INTEGER PRIMARY KEY, s INTEGER NOT NULL, c INTEGER NOT NULL, "
    "n INTEGER NOT NULL)",
    "DELETE FROM temp.idx_scope",
    "DELETE FROM temp.idx_part",
    # the dirty folders of this location and all their ancestors (UNION: each folder once)
    f"""
    INSERT INTO temp.idx_scope (id, parent)
    WITH RECURSIVE up(id) AS (
        SELECT id FROM temp.idx_dirty
        UNION
        SELECT e.parent_id FROM up JOIN entry e ON e.id = up.id WHERE e.parent_id IS NOT NULL
    )
    SELECT e.id, e.parent_id FROM up JOIN entry e ON e.id = up.id WHERE e.location_id = :loc AND e.kind = {_DIR}
    """,
    # each scope folder's own part: direct files, plus child folders outside the scope as stored
    f"""
    INSERT INTO temp.idx_part (id, s, c, n)
    SELECT sc.id,
           COALESCE(SUM(CASE WHEN ch.kind = {_FILE} THEN ch.size
                             WHEN ch.kind = {_DIR} AND deeper.id IS NULL THEN ch.aggregate_size ELSE 0 END), 0),
           COALESCE(SUM(CASE WHEN ch.kind = {_FILE} THEN 1
                             WHEN ch.kind = {_DIR} AND deeper.id IS NULL THEN ch.file_count ELSE 0 END), 0),
           COUNT(ch.id)
    FROM temp.idx_scope sc
    LEFT JOIN entry ch ON ch.parent_id = sc.id
    LEFT JOIN temp.idx_scope deeper ON deeper.id = ch.id
    GROUP BY sc.id
    """,
    # carry the parts up through the scope (a scope folder's parent is in the scope too)
    """
    UPDATE entry SET aggregate_size = t.s, file_count = t.c, child_count = t.n
    FROM (
        WITH RECURSIVE up(id, s, c) AS (
            SELECT id, s, c FROM temp.idx_part
            UNION ALL
            SELECT sc.parent, up.s, up.c FROM up JOIN temp.idx_scope sc ON sc.id = up.id
            JOIN temp.idx_scope p ON p.id = sc.parent
        )
        SELECT up.id AS id, SUM(up.s) AS s, SUM(up.c) AS c, part.n AS n
        FROM up JOIN temp.idx_part part ON part.id = up.id GROUP BY up.id
    ) AS t
    WHERE entry.id = t.id
      AND (entry.aggregate_size != t.s OR entry.file_count != t.c OR entry.child_count != t.n)
    """,
)


def aggregate_changed(conn: sqlite3.Connection, location_id: int) -> tuple[int, int]:
    """Recompute the folders listed in ``temp.idx_dirty`` and their ancestors.

    Returns (folders recomputed, folder rows whose totals changed)."""
    changed = _run(conn, _CHANGED, location_id)
    scope = conn.execute("SELECT COUNT(*) FROM temp.idx_scope").fetchone()[0]
    for table in ("idx_dirty", "idx_scope", "idx_part"):
        conn.execute(f"DELETE FROM temp.{table}")
    return scope, changed


def _run(conn: sqlite3.Connection, statements: tuple[str, ...], location_id: int) -> int:
    """Execute ``statements`` in order; returns the row count of the (last) UPDATE."""
    changed = 0
    for sql in statements:
        cur = conn.execute(sql, {"loc": location_id}) if ":loc" in sql else conn.execute(sql)
        if sql.lstrip().startswith("UPDATE"):
            changed = cur.rowcount
    return changed

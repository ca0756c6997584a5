"""Directory totals (aggregate_size, file_count, child_count) in set-based SQL.

Per-folder direct sums come from one ``GROUP BY parent_id``; a recursive CTE then carries them up
the folder chain (cost: folders x depth, not files x depth). One ``UPDATE ... FROM`` writes the
folders whose totals differ from what is stored, so an unchanged re-index writes nothing.
``aggregate_size`` sums regular files' sizes below a folder (what ``du --apparent-size`` counts
for files; each hard-link name counts, like ``find``); ``file_count`` counts those files;
``child_count`` counts direct children of every kind.
"""

from __future__ import annotations

import sqlite3

STATEMENTS = (
    "CREATE TEMP TABLE IF NOT EXISTS idx_agg (dir_id INTEGER PRIMARY KEY, s INTEGER NOT NULL, c INTEGER NOT NULL)",
    "CREATE TEMP TABLE IF NOT EXISTS idx_children (dir_id INTEGER PRIMARY KEY, n INTEGER NOT NULL)",
    "DELETE FROM temp.idx_agg",
    "DELETE FROM temp.idx_children",
    """
    INSERT INTO temp.idx_agg (dir_id, s, c)
    WITH RECURSIVE direct(dir_id, s, c) AS (
        SELECT parent_id, SUM(size), COUNT(*) FROM entry
        WHERE location_id = :loc AND kind = 0 AND parent_id IS NOT NULL GROUP BY parent_id
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
    """
    UPDATE entry SET aggregate_size = t.s, file_count = t.c, child_count = t.n
    FROM (
        SELECT d.id AS id, COALESCE(a.s, 0) AS s, COALESCE(a.c, 0) AS c, COALESCE(ch.n, 0) AS n
        FROM entry d
        LEFT JOIN temp.idx_agg a ON a.dir_id = d.id
        LEFT JOIN temp.idx_children ch ON ch.dir_id = d.id
        WHERE d.location_id = :loc AND d.kind = 1
    ) AS t
    WHERE entry.id = t.id
      AND (entry.aggregate_size != t.s OR entry.file_count != t.c OR entry.child_count != t.n)
    """,
)


def aggregate(conn: sqlite3.Connection, location_id: int) -> int:
    """Recompute the totals of every folder of a location; returns how many folder rows changed."""
    changed = 0
    for sql in STATEMENTS:
        cur = conn.execute(sql, {"loc": location_id}) if ":loc" in sql else conn.execute(sql)
        if sql.lstrip().startswith("UPDATE"):
            changed = cur.rowcount
    conn.execute("DELETE FROM temp.idx_agg")
    conn.execute("DELETE FROM temp.idx_children")
    return changed

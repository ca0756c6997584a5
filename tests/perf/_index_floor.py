"""The floor of the whole-process index benchmarks: the script anyone would write, one process.

    python _index_floor.py TREE DB [--cas]

An iterative ``os.scandir`` walk with ``DirEntry.stat(follow_symlinks=False)`` of every entry (and,
with ``--cas``, the sampled cas_id of every non-empty regular file, ``sd_desktop.cas.cas_id``),
the rows kept in memory, then one raw ``executemany`` into a fresh SQLite table with 3 indices
(location and path, parent, device and inode) in one transaction (WAL, ``synchronous=normal``).
Prints one JSON line: {"entries": N, "identified": M}."""

from __future__ import annotations

import json
import os
import sqlite3
import sys

from sd_desktop import cas

SCHEMA = """
CREATE TABLE entry (
    id INTEGER PRIMARY KEY, location_id INTEGER NOT NULL, parent_id INTEGER, path BLOB NOT NULL,
    name TEXT NOT NULL, kind INTEGER NOT NULL, size INTEGER, inode INTEGER, device INTEGER,
    mtime_ns INTEGER, ctime_ns INTEGER, mode INTEGER, hidden INTEGER, link_target BLOB, cas_id TEXT
);
CREATE UNIQUE INDEX entry_location_path ON entry(location_id, path);
CREATE INDEX entry_parent ON entry(parent_id);
CREATE INDEX entry_inode ON entry(device, inode);
"""


def main(tree: str, db: str, with_cas: bool) -> None:
    root = os.fsencode(tree)
    rows: list[tuple] = [(1, 1, None, b"", os.path.basename(tree), 1, 0, 0, 0, 0, 0, 0, 0, None, None)]
    next_id = 2
    identified = 0
    stack = [(b"", 1)]
    while stack:
        rel, pid = stack.pop()
        with os.scandir(root + b"/" + rel if rel else root) as it:
            for de in it:
                st = de.stat(follow_symlinks=False)
                child = rel + b"/" + de.name if rel else de.name
                is_dir = de.is_dir(follow_symlinks=False)
                link = os.readlink(de.path) if de.is_symlink() else None
                cas_id = None
                if with_cas and st.st_size and de.is_file(follow_symlinks=False):
                    cas_id = cas.cas_id(de.path, st.st_size)
                    identified += 1
                rows.append(
                    (
                        next_id,
                        1,
                        pid,
                        child,
                        de.name.decode("utf-8", "backslashreplace"),
                        1 if is_dir else 0,
                        st.st_size,
                        st.st_ino,
                        st.st_dev,
                        st.st_mtime_ns,
                        st.st_ctime_ns,
                        st.st_mode,
                        1 if de.name[:1] == b"." else 0,
                        link,
                        cas_id,
                    )
                )
                if is_dir:
                    stack.append((child, next_id))
                next_id += 1
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=normal")
    conn.executescript(SCHEMA)
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO entry VALUES ({', '.join('?' * 15)})", rows)
    conn.execute("COMMIT")
    conn.close()
    print(json.dumps({"entries": len(rows), "identified": identified}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], "--cas" in sys.argv[3:])

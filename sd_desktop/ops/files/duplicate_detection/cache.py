"""The full-hash cache: ``hash_cache`` rows keyed by (device, inode), trusted only when size, mtime_ns
and ctime_ns all match; an indexed entry's ``integrity_hash`` counts too under the same rule.

Any mismatch means "hash again": a file replaced by other content with the same size and mtime
gets a new inode or at least a new ctime, so it is never answered from the cache.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable

from sd_desktop.ops.files.duplicate_detection.scan import FileInfo

CHUNK = 500


def lookup(conn: sqlite3.Connection, infos: Iterable[FileInfo], use_entries: bool = True) -> dict[tuple[int, int], str]:
    """Known full hashes for the files whose identity and stat fields still match."""
    by_dev: dict[int, dict[int, FileInfo]] = defaultdict(dict)
    for info in infos:
        by_dev[info.device][info.inode] = info
    found: dict[tuple[int, int], str] = {}
    for dev, by_ino in by_dev.items():
        inodes = list(by_ino)
        # entries on this device at all? (an index probe; saves the per-chunk queries for paths outside locations)
        entries_here = use_entries and conn.execute("SELECT 1 FROM entry WHERE device = ? LIMIT 1", (dev,)).fetchone()
        for start in range(0, len(inodes), CHUNK):
            chunk = inodes[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT inode, size, mtime_ns, ctime_ns, hash FROM hash_cache WHERE device = ? AND inode IN ({marks})",
                (dev, *chunk),
            ).fetchall()
            if entries_here:
                rows += conn.execute(
                    f"SELECT inode, size, mtime_ns, ctime_ns, integrity_hash FROM entry WHERE device = ? "
                    f"AND inode IN ({marks}) AND kind = 0 AND integrity_hash IS NOT NULL",
                    (dev, *chunk),
                ).fetchall()
            for ino, size, mtime_ns, ctime_ns, digest in rows:
                info = by_ino[ino]
                if (size, mtime_ns, ctime_ns) == (info.size, info.mtime_ns, info.ctime_ns):
                    found[(dev, ino)] = digest
    return found


def store(conn: sqlite3.Connection, rows: list[tuple[int, int, int, int, int, str]]) -> None:
    """Remember full hashes: rows of (device, inode, size, mtime_ns, ctime_ns, hash)."""
    if rows:
        conn.executemany(
            "INSERT OR REPLACE INTO hash_cache (device, inode, size, mtime_ns, ctime_ns, hash) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )

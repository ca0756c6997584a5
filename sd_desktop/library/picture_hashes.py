"""Perceptual hashes of picture contents: one ``picture_hash`` row per content.

The hash is made while a picture is decoded (for its thumbnail, or by the similar-pictures job for
a picture that has none yet) and keyed by the content, so a renamed or copied picture is not
decoded again and a content that leaves the library takes its row with it (``ON DELETE CASCADE``).
SQLite integers are signed: the unsigned 64-bit hash is stored as its two's-complement value.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import NamedTuple

# ids per "IN (...)" query: well below SQLite's limit on bound parameters
CHUNK = 500
_SIGN = 1 << 63


class PictureHash(NamedTuple):
    """A picture content's 64-bit perceptual hash (unsigned) and its upright size in pixels."""

    content_id: int
    phash: int
    width: int
    height: int


def to_signed(value: int) -> int:
    """The unsigned 64-bit ``value`` as SQLite stores it."""
    return value - (1 << 64) if value >= _SIGN else value


def to_unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def store(conn: sqlite3.Connection, rows: Iterable[PictureHash]) -> None:
    """Record hashes, replacing an older row of the same content."""
    conn.executemany(
        "INSERT INTO picture_hash (content_id, phash, width, height) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (content_id) DO UPDATE SET phash = excluded.phash, width = excluded.width, "
        "height = excluded.height",
        ((r.content_id, to_signed(r.phash), r.width, r.height) for r in rows),
    )


def of_contents(conn: sqlite3.Connection, content_ids: Iterable[int]) -> dict[int, PictureHash]:
    """The stored hashes of these contents, by content id (contents without one are absent)."""
    ids = sorted(set(content_ids))
    found: dict[int, PictureHash] = {}
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        marks = ",".join("?" * len(chunk))
        for content_id, phash, width, height in conn.execute(
            f"SELECT content_id, phash, width, height FROM picture_hash WHERE content_id IN ({marks})", chunk
        ):
            found[content_id] = PictureHash(content_id, to_unsigned(phash), width, height)
    return found


class Indexed(NamedTuple):
    """What the library knows of a file at a path: its content and the stat it was indexed with."""

    content_id: int
    cas_id: str
    size: int
    mtime_ns: int | None


def indexed_at(conn: sqlite3.Connection, files: Iterable[bytes]) -> dict[bytes, Indexed]:
    """The indexed content of each of ``files`` (absolute raw paths) that a location holds with one."""
    roots = [(loc_id, bytes(root)) for loc_id, root in conn.execute("SELECT id, path FROM location")]
    roots.sort(key=lambda r: len(r[1]), reverse=True)  # the innermost location first
    found: dict[bytes, Indexed] = {}
    for path in files:
        for loc_id, root in roots:
            if path == root or path.startswith(root.rstrip(b"/") + b"/"):
                row = conn.execute(
                    "SELECT e.content_id, ci.cas_id, e.size, e.mtime_ns FROM entry e "
                    "JOIN content_identity ci ON ci.id = e.content_id WHERE e.location_id = ? AND e.path = ?",
                    (loc_id, path[len(root.rstrip(b"/")) + 1 :]),
                ).fetchone()
                if row is not None:
                    found[path] = Indexed(*row)
                break
    return found

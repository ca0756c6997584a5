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

"""Sidecar rows and thumbnail failure markers: what the library knows about its thumbnail cache.

A ``sidecar`` row names a file under ``<library>/sidecars`` made from one content (one row per
content and variant); a ``thumbnail_failure`` row says a content could not be decoded by a given
decoder version, so it is not tried again until the decoder changes. The files themselves (their
layout, writing and removal) belong to ``ops.media.thumbnail.sidecars``; this module only reads and
writes the rows.

Every function takes a whole batch (a job records its results once per batch of pictures, inside
the checkpoint's transaction), so writes are one ``executemany`` each and reads go in chunks of
``IN`` lists that stay below SQLite's limit on bound parameters.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator
from typing import NamedTuple

# ids per "IN (...)" query: well below SQLite's limit on bound parameters
CHUNK = 500
# a failure's reason is a decoder's message; it is kept for people, not for parsing
REASON_CHARS = 500


class SidecarRow(NamedTuple):
    """One written sidecar file; ``path`` is relative to the library's ``sidecars`` folder."""

    content_id: int
    variant: str
    format: str
    path: str
    width: int
    height: int
    size: int


class Stored(NamedTuple):
    """A sidecar row as found: where its file is and when it was recorded."""

    path: str
    created_at: float


def existing(conn: sqlite3.Connection, content_ids: Iterable[int]) -> dict[int, dict[str, Stored]]:
    """Sidecar rows of these contents: content id -> variant name -> row."""
    found: dict[int, dict[str, Stored]] = {}
    for chunk in _chunks(list(set(content_ids))):
        marks = ",".join("?" * len(chunk))
        for content_id, variant, path, created_at in conn.execute(
            f"SELECT content_id, variant, path, created_at FROM sidecar WHERE content_id IN ({marks})", chunk
        ):
            found.setdefault(content_id, {})[variant] = Stored(path, created_at)
    return found


def store(conn: sqlite3.Connection, rows: Iterable[SidecarRow], now: float | None = None) -> None:
    """Record written sidecars, replacing an older row of the same content and variant."""
    created_at = time.time() if now is None else now
    conn.executemany(
        "INSERT INTO sidecar (content_id, variant, format, path, width, height, size, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (content_id, variant) DO UPDATE SET "
        "format = excluded.format, path = excluded.path, width = excluded.width, height = excluded.height, "
        "size = excluded.size, created_at = excluded.created_at",
        ((*row, created_at) for row in rows),
    )


def known_failures(conn: sqlite3.Connection, cas_ids: Iterable[str], decoder_version: str) -> set[str]:
    """The cas_ids among these that failed with this very decoder version (trying again is pointless)."""
    failed: set[str] = set()
    for chunk in _chunks(list(set(cas_ids))):
        marks = ",".join("?" * len(chunk))
        failed.update(
            r[0]
            for r in conn.execute(
                f"SELECT cas_id FROM thumbnail_failure WHERE decoder_version = ? AND cas_id IN ({marks})",
                (decoder_version, *chunk),
            )
        )
    return failed


def mark_failed(
    conn: sqlite3.Connection, failures: Iterable[tuple[str, str]], decoder_version: str, now: float | None = None
) -> None:
    """Record ``(cas_id, reason)`` failures of this decoder version (replacing older markers)."""
    created_at = time.time() if now is None else now
    conn.executemany(
        "INSERT INTO thumbnail_failure (cas_id, decoder_version, reason, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (cas_id) DO UPDATE SET decoder_version = excluded.decoder_version, "
        "reason = excluded.reason, created_at = excluded.created_at",
        ((cas_id, decoder_version, reason[:REASON_CHARS], created_at) for cas_id, reason in failures),
    )


def clear_failures(conn: sqlite3.Connection, cas_ids: Iterable[str]) -> None:
    """Forget the failure markers of these contents (a thumbnail of them was made after all)."""
    conn.executemany("DELETE FROM thumbnail_failure WHERE cas_id = ?", ((cas_id,) for cas_id in cas_ids))


def drop_orphans(conn: sqlite3.Connection) -> list[str]:
    """Delete the sidecar rows of contents no entry has any more; returns their files' paths."""
    rows = conn.execute(
        "DELETE FROM sidecar WHERE NOT EXISTS (SELECT 1 FROM entry e WHERE e.content_id = sidecar.content_id) "
        "RETURNING path"
    ).fetchall()
    return [r[0] for r in rows]


def paths_with_prefix(conn: sqlite3.Connection, cas_prefix: str) -> list[str]:
    """Paths of the sidecars of every content whose cas_id starts with ``cas_prefix`` (lowercase hex).

    A range on the ``cas_id`` index, so the cleanup reads one shard folder's worth at a time."""
    if not cas_prefix or any(c not in "0123456789abcdef" for c in cas_prefix):
        raise ValueError(f"a cas_id prefix is lowercase hex, not {cas_prefix!r}")
    return [
        r[0]
        for r in conn.execute(
            "SELECT s.path FROM sidecar s JOIN content_identity ci ON ci.id = s.content_id "
            "WHERE ci.cas_id >= ? AND ci.cas_id < ?",
            (cas_prefix, cas_prefix + "g"),  # 'g' sorts after every hex digit
        )
    ]


def _chunks(items: list, n: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(items), n):
        yield items[i : i + n]

"""The sidecar cache on disk and in the ``sidecar`` table: paths, rows, failure markers, cleanup.

Layout: ``<library>/sidecars/<cas[0:2]>/<cas[2:4]>/<cas_id>_<variant>.<ext>`` — two levels of
hex prefixes keep every folder small (at most 256 sub-folders each). Files are written under a
temporary name beside the final one (``<final>.tmp-<token>``) and renamed into place.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sd_desktop.ops.media.thumbnail.generate import Made, Variant

EXTENSIONS = {"webp": "webp", "jpeg": "jpg", "png": "png"}
VARIANT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# what this module writes, and nothing else, is ever removed by the cleanup
OWN_FILE = re.compile(r"^[0-9a-f]{4,64}_[A-Za-z0-9_-]{1,32}\.(webp|jpg|png)(\.tmp-[0-9A-Za-z_-]+)?$")


TMP_TOKEN = re.compile(r"\.tmp-(\d+)-")


def relative_path(cas_id: str, variant: Variant) -> str:
    """Path of a sidecar relative to the library's ``sidecars/`` folder."""
    return f"{cas_id[0:2]}/{cas_id[2:4]}/{cas_id}_{variant.name}.{EXTENSIONS[variant.format]}"


def temporary_path(final: str, token: str) -> str:
    return f"{final}.tmp-{token}"


@dataclass
class Existing:
    path: str
    created_at: float


def existing(conn: sqlite3.Connection, content_ids: Iterable[int]) -> dict[int, dict[str, Existing]]:
    """Sidecar rows of these contents: content id -> variant name -> row."""
    ids = list(set(content_ids))
    found: dict[int, dict[str, Existing]] = {}
    for chunk in _chunks(ids, 500):
        marks = ",".join("?" * len(chunk))
        for content_id, variant, path, created_at in conn.execute(
            f"SELECT content_id, variant, path, created_at FROM sidecar WHERE content_id IN ({marks})", chunk
        ):
            found.setdefault(content_id, {})[variant] = Existing(path, created_at)
    return found


def known_failures(conn: sqlite3.Connection, cas_ids: Iterable[str], decoder_version: str) -> set[str]:
    """cas_ids that failed with this very decoder version (so trying again is pointless)."""
    ids = list(set(cas_ids))
    failed: set[str] = set()
    for chunk in _chunks(ids, 500):
        marks = ",".join("?" * len(chunk))
        failed.update(
            r[0]
            for r in conn.execute(
                f"SELECT cas_id FROM thumbnail_failure WHERE decoder_version = ? AND cas_id IN ({marks})",
                (decoder_version, *chunk),
            )
        )
    return failed


def store(conn: sqlite3.Connection, content_id: int, cas_id: str, made: list[Made], variants: dict[str, Variant]):
    """Record written sidecars (replacing older rows of the same variant) and clear a failure marker."""
    now = time.time()
    conn.executemany(
        "INSERT INTO sidecar (content_id, variant, format, path, width, height, size, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (content_id, variant) DO UPDATE SET "
        "format = excluded.format, path = excluded.path, width = excluded.width, height = excluded.height, "
        "size = excluded.size, created_at = excluded.created_at",
        [
            (
                content_id,
                m.variant,
                variants[m.variant].format,
                relative_path(cas_id, variants[m.variant]),
                m.width,
                m.height,
                m.size,
                now,
            )
            for m in made
        ],
    )
    conn.execute("DELETE FROM thumbnail_failure WHERE cas_id = ?", (cas_id,))


def mark_failed(conn: sqlite3.Connection, cas_id: str, decoder_version: str, reason: str) -> None:
    conn.execute(
        "INSERT INTO thumbnail_failure (cas_id, decoder_version, reason, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (cas_id) DO UPDATE SET decoder_version = excluded.decoder_version, "
        "reason = excluded.reason, created_at = excluded.created_at",
        (cas_id, decoder_version, reason[:500], time.time()),
    )


# -- cleanup ----------------------------------------------------------------------------------
def drop_orphan_rows(conn: sqlite3.Connection) -> list[str]:
    """Delete sidecar rows whose content no entry has any more; returns their file paths."""
    rows = conn.execute(
        "DELETE FROM sidecar WHERE NOT EXISTS (SELECT 1 FROM entry e WHERE e.content_id = sidecar.content_id) "
        "RETURNING path"
    ).fetchall()
    return [r[0] for r in rows]


def remove_files(sidecar_dir: str, rel_paths: Iterable[str]) -> int:
    removed = 0
    for rel in rel_paths:
        try:
            os.unlink(os.path.join(sidecar_dir, rel))
            removed += 1
        except FileNotFoundError:
            pass
    return removed


def sweep_unreferenced(conn: sqlite3.Connection, sidecar_dir: str, older_than: float, should_stop=None) -> int:
    """Remove sidecar files no row refers to (leftovers of crashes, rows dropped by cascades).

    Only files named the way this module names them, and only those last modified before
    ``older_than`` (the start of this job) or temporary files of a process that is gone, so a
    file another running job has just written and not yet recorded is never touched. Works one
    shard folder at a time with an indexed range query: memory stays bounded whatever the size
    of the cache.
    """
    removed = 0
    for top in _hex_dirs(sidecar_dir):
        for sub in _hex_dirs(os.path.join(sidecar_dir, top)):
            if should_stop is not None and should_stop():
                return removed
            folder = os.path.join(sidecar_dir, top, sub)
            prefix = top + sub
            referenced = {
                os.path.basename(r[0])
                for r in conn.execute(
                    "SELECT s.path FROM sidecar s JOIN content_identity ci ON ci.id = s.content_id "
                    "WHERE ci.cas_id >= ? AND ci.cas_id < ?",
                    (prefix, prefix + "g"),  # 'g' sorts after every hex digit
                )
            }
            with os.scandir(folder) as it:
                for de in it:
                    if de.name in referenced or not OWN_FILE.match(de.name) or not de.is_file(follow_symlinks=False):
                        continue
                    try:
                        if _from_dead_writer(de.name) or de.stat(follow_symlinks=False).st_mtime < older_than:
                            os.unlink(de.path)
                            removed += 1
                    except FileNotFoundError:
                        pass
    return removed


def _from_dead_writer(name: str) -> bool:
    """A temporary file of another process: only one engine process owns a library (its lock), so
    that process is gone and the file is a crash's leftover, however recent."""
    m = TMP_TOKEN.search(name)
    return m is not None and int(m.group(1)) != os.getpid()


def _hex_dirs(folder: str) -> list[str]:
    try:
        with os.scandir(folder) as it:
            return sorted(
                de.name
                for de in it
                if len(de.name) == 2 and all(c in "0123456789abcdef" for c in de.name) and de.is_dir()
            )
    except FileNotFoundError:
        return []


def _chunks(items: list, n: int) -> Iterable[list]:
    for i in range(0, len(items), n):
        yield items[i : i + n]

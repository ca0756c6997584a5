"""The sidecar cache on disk: where each thumbnail file goes, and the cleanup of files no row names.

The rows that record the files (and the failure markers) are ``sd_desktop.library.sidecars``.

Layout: ``<library>/sidecars/<cas[0:2]>/<cas[2:4]>/<cas_id>_<variant>.<ext>`` — two levels of
hex prefixes keep every folder small (at most 256 sub-folders each). Files are written under a
temporary name beside the final one (``<final>.tmp-<token>``) and renamed into place.

A file no row names is not always a leftover: the window keeps the thumbnails it makes of pictures
on a volume the library has not indexed here, unrecorded (``remote``), as a file manager's
thumbnail cache does. The sweep treats such files as a cache with an expiry: one goes only once
nobody wrote or showed it (its mtime: the window refreshes it when it shows one) for
``UNRECORDED_GRACE``. Thumbnails of contents the library knew and forgot go at once with their
rows (``library.sidecars.drop_orphans``), except those whose rows a re-index dropped by cascade
with the content: they look like the window's, and go once that long past their making.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable, Iterable

from sd_desktop.library import sidecars as sidecar_rows
from sd_desktop.library.sidecars import SidecarRow
from sd_desktop.ops.media.thumbnail.generate import Made, Variant

EXTENSIONS = {"webp": "webp", "jpeg": "jpg", "png": "png"}
VARIANT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# what this module writes, and nothing else, is ever removed by the cleanup
OWN_FILE = re.compile(r"^[0-9a-f]{4,64}_[A-Za-z0-9_-]{1,32}\.(webp|jpg|png)(\.tmp-[0-9A-Za-z_-]+)?$")
TMP_TOKEN = re.compile(r"\.tmp-(\d+)-")
# How long an unrecorded thumbnail stays unused before the sweep removes it. Long enough that a
# volume browsed now and then keeps its thumbnails (each one shown restarts its time), short enough
# that the thumbnails of contents forgotten by a re-index (their rows go by cascade, so the sweep
# cannot tell them from the window's) do not pile up: a few KB each, at most a month.
UNRECORDED_GRACE = 30 * 24 * 3600.0


def relative_path(cas_id: str, variant: Variant) -> str:
    """Path of a sidecar relative to the library's ``sidecars/`` folder."""
    return f"{cas_id[0:2]}/{cas_id[2:4]}/{cas_id}_{variant.name}.{EXTENSIONS[variant.format]}"


def temporary_path(final: str, token: str) -> str:
    """Where a sidecar is written before it is renamed to ``final``."""
    return f"{final}.tmp-{token}"


def rows_of(content_id: int, cas_id: str, made: list[Made], variants: dict[str, Variant]) -> list[SidecarRow]:
    """The sidecar rows to record for the files a worker made from one content."""
    return [
        SidecarRow(
            content_id,
            m.variant,
            variants[m.variant].format,
            relative_path(cas_id, variants[m.variant]),
            m.width,
            m.height,
            m.size,
        )
        for m in made
    ]


# -- cleanup ----------------------------------------------------------------------------------
def remove_files(sidecar_dir: str, rel_paths: Iterable[str]) -> int:
    """Remove these sidecar files (paths relative to ``sidecar_dir``); returns how many were there."""
    removed = 0
    for rel in rel_paths:
        try:
            os.unlink(os.path.join(sidecar_dir, rel))
            removed += 1
        except FileNotFoundError:
            pass
    return removed


def sweep_unreferenced(
    conn: sqlite3.Connection, sidecar_dir: str, older_than: float, should_stop: Callable[[], bool] | None = None
) -> int:
    """Remove sidecar files no row refers to (leftovers of crashes, rows dropped by cascades, the
    window's thumbnails of content the library does not hold, once unused for the grace period).

    Only files named the way this module names them: a temporary file of a process that is gone,
    or of this one from before ``older_than`` (the start of this job); a finished file only when
    it was last written or shown ``UNRECORDED_GRACE`` before ``older_than``, so neither a file
    another running job has just written and not yet recorded nor a thumbnail the window keeps is
    touched. Works one shard folder at a time with an indexed range query: memory stays bounded
    whatever the size of the cache.
    """
    expired = older_than - UNRECORDED_GRACE
    removed = 0
    for top in _hex_dirs(sidecar_dir):
        for sub in _hex_dirs(os.path.join(sidecar_dir, top)):
            if should_stop is not None and should_stop():
                return removed
            folder = os.path.join(sidecar_dir, top, sub)
            prefix = top + sub
            referenced = {os.path.basename(p) for p in sidecar_rows.paths_with_prefix(conn, prefix)}
            with os.scandir(folder) as it:
                for de in it:
                    if de.name in referenced or not OWN_FILE.match(de.name) or not de.is_file(follow_symlinks=False):
                        continue
                    temporary = ".tmp-" in de.name
                    try:
                        mtime = de.stat(follow_symlinks=False).st_mtime
                        if _from_dead_writer(de.name) or mtime < (older_than if temporary else expired):
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

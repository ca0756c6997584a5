"""Library entries written by hand, following library/migrations.py exactly (the indexer lives on another
branch): a location row via ``add_location``, the root entry (path b''), folder and file entries with
paths relative to the root as raw bytes, stat fields from disk and, optionally, the integrity hash."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sd_desktop import paths
from sd_desktop.cas import cas_id, full_hash
from sd_desktop.library.locations import add_location

ENTRY_SQL = (
    "INSERT INTO entry (location_id, parent_id, path, name, kind, size, inode, device, mtime_ns, ctime_ns, mode, "
    "hidden, cas_id, integrity_hash, link_target) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def index_tree(library, root: Path, with_hashes: bool = True) -> int:
    """Add ``root`` as a location and store an entry for everything below it; returns the location id."""
    loc_id = add_location(library, root)
    base = os.path.realpath(os.fsencode(root))
    rows: list[tuple] = []

    def entry_row(abs_path: bytes, rel: bytes) -> tuple:
        st = os.lstat(abs_path)
        kind = (
            1 if stat.S_ISDIR(st.st_mode) else 0 if stat.S_ISREG(st.st_mode) else 2 if stat.S_ISLNK(st.st_mode) else 3
        )
        name = os.path.basename(rel)
        is_file = kind == 0
        return (
            rel,
            paths.display(name),
            kind,
            st.st_size if is_file else 0,
            st.st_ino,
            st.st_dev,
            st.st_mtime_ns,
            st.st_ctime_ns,
            st.st_mode,
            int(name.startswith(b".")),
            cas_id(abs_path) if is_file and st.st_size else None,
            full_hash(abs_path) if is_file and with_hashes else None,
            os.readlink(abs_path) if kind == 2 else None,
        )

    rows.append(entry_row(base, b""))
    for dirpath, dirnames, filenames in os.walk(base):
        for name in sorted(dirnames) + sorted(filenames):
            abs_path = os.path.join(dirpath, name)
            rows.append(entry_row(abs_path, os.path.relpath(abs_path, base)))

    def write(conn) -> None:
        ids: dict[bytes, int] = {}
        for row in rows:
            rel = row[0]
            parent = None if rel == b"" else ids[os.path.dirname(rel)]
            cur = conn.execute(ENTRY_SQL, (loc_id, parent, *row))
            ids[rel] = cur.lastrowid

    library.write_sync(write)
    return loc_id

"""Test helpers: library rows for files (what a content index would write) and test pictures.

Tests insert entries with SQL (faster and more precise than running the indexer) that follows
``library/migrations.py``: a location via ``add_location``, a root entry (path b''), file entries
with paths relative to the root as raw bytes, and ``content_identity`` rows keyed by ``cas_id``.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from PIL import Image

from sd_desktop.cas import cas_id
from sd_desktop.library import Library
from sd_desktop.library.locations import add_location


def index_tree(lib: Library, root: Path) -> dict[str, int]:
    """Add ``root`` as a location and record every file and folder below it (content ids included).

    Returns {relative path (str): entry id} for the files.
    """
    loc_id = add_location(lib, root)
    root_b = os.fsencode(root.resolve())

    def tx(conn: sqlite3.Connection) -> dict[str, int]:
        now = time.time()
        st = os.stat(root_b)
        ids: dict[bytes, int] = {}
        cur = conn.execute(
            "INSERT INTO entry (location_id, parent_id, path, name, kind, inode, device, mtime_ns, mode) "
            "VALUES (?, NULL, x'', ?, 1, ?, ?, ?, ?)",
            (
                loc_id,
                os.path.basename(root_b).decode("utf-8", "backslashreplace"),
                st.st_ino,
                st.st_dev,
                st.st_mtime_ns,
                st.st_mode,
            ),
        )
        ids[b""] = cur.lastrowid
        files: dict[str, int] = {}
        for dirpath, dirnames, filenames in os.walk(root_b):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, root_b)
            rel_dir = b"" if rel_dir == b"." else rel_dir
            for name in sorted(dirnames) + sorted(filenames):
                full = os.path.join(dirpath, name)
                rel = os.path.join(rel_dir, name) if rel_dir else name
                st = os.lstat(full)
                is_dir = os.path.isdir(full) and not os.path.islink(full)
                kind = 1 if is_dir else (2 if os.path.islink(full) else 0)
                content_id = cas = None
                if kind == 0 and st.st_size > 0:
                    cas = cas_id(full)
                    conn.execute(
                        "INSERT OR IGNORE INTO content_identity (cas_id, size, kind, created_at) VALUES (?, ?, ?, ?)",
                        (cas, st.st_size, None, now),
                    )
                    content_id = conn.execute("SELECT id FROM content_identity WHERE cas_id = ?", (cas,)).fetchone()[0]
                cur = conn.execute(
                    "INSERT INTO entry (location_id, parent_id, path, name, kind, size, inode, device, mtime_ns, "
                    "ctime_ns, mode, cas_id, content_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        loc_id,
                        ids[rel_dir],
                        rel,
                        name.decode("utf-8", "backslashreplace"),
                        kind,
                        st.st_size if kind == 0 else 0,
                        st.st_ino,
                        st.st_dev,
                        st.st_mtime_ns,
                        st.st_ctime_ns,
                        st.st_mode,
                        cas,
                        content_id,
                    ),
                )
                if is_dir:
                    ids[rel] = cur.lastrowid
                elif kind == 0:
                    files[os.fsdecode(rel)] = cur.lastrowid
        return files

    return lib.write_sync(tx)


def picture(
    path: Path, size: tuple[int, int], mode: str = "RGB", fmt: str | None = None, seed: int = 0, **save
) -> Path:
    """A picture with structure (a gradient and a block) so decoders have real work; distinct per seed."""
    w, h = size
    grad = Image.linear_gradient("L").resize((w, h))
    im = Image.merge(
        "RGB", (grad, grad.transpose(Image.Transpose.ROTATE_90).resize((w, h)), Image.new("L", (w, h), seed % 256))
    )
    im.paste((255, seed % 256, 0), (0, 0, max(1, w // 4), max(1, h // 4)))
    if mode != "RGB":
        im = im.convert(mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, format=fmt, **save)
    return path

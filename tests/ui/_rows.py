"""Library rows for UI tests, written with SQL that follows library/migrations.py (these tests must
not depend on the indexer), for files and folders made on disk to match: the window lists the disk
and enriches it from the library, so a row without its file is not shown. Files are sparse (a
"734 MB" video costs nothing); each row holds its file's real inode, device, times and mode, so
the library is up to date and the window asks for no update of its own."""

from __future__ import annotations

import os
import time
from pathlib import Path

from PIL import Image

from sd_desktop.library import Library
from sd_desktop.library.locations import add_location

ENTRY_SQL = (
    "INSERT INTO entry (location_id, parent_id, path, name, kind, size, aggregate_size, file_count, child_count, "
    "inode, device, mtime_ns, hidden, content_id, mime, ctime_ns, mode) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def make_on_disk(path: bytes, kind: int, size: int, mtime_ns: int) -> os.stat_result:
    """The file (sparse, ``size`` bytes) or folder a row stands for, modified at ``mtime_ns``."""
    if kind == 1:
        os.makedirs(path, exist_ok=True)
    else:
        with open(path, "wb") as f:
            f.truncate(size)
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return os.lstat(path)


def add_indexed_location(lib: Library, folder: Path) -> tuple[int, int]:
    """A location for ``folder`` with its root entry; returns (location id, root entry id)."""
    folder.mkdir(parents=True, exist_ok=True)
    loc_id = add_location(lib, folder)

    def tx(conn):
        root = (loc_id, None, b"", folder.name, 1, 0, 0, 0, 0, None, None, None, 0, None, None, None, None)
        cur = conn.execute(ENTRY_SQL, root)
        conn.execute("UPDATE location SET last_indexed = ? WHERE id = ?", (time.time(), loc_id))
        return cur.lastrowid

    return loc_id, lib.write_sync(tx)


def add_entries(
    lib: Library,
    loc_id: int,
    parent_id: int,
    parent_rel: bytes,
    items: list[tuple[str, int, int]],
    *,
    mtime_ns: int = 1_700_000_000 * 10**9,
) -> list[int]:
    """Insert children (name, kind, size) under ``parent_id``, made on disk too; returns their ids in
    order. A folder's ``size`` is its total (``aggregate_size``), the folder itself is empty."""
    root = lib.read_sync(lambda c: bytes(c.execute("SELECT path FROM location WHERE id = ?", (loc_id,)).fetchone()[0]))
    rows = []
    for i, (name, kind, size) in enumerate(items):
        rel = os.path.join(parent_rel, name.encode()) if parent_rel else name.encode()
        st = make_on_disk(os.path.join(root, rel), kind, 0 if kind == 1 else size, mtime_ns + i)
        hidden = 1 if name.startswith(".") else 0
        agg = size if kind == 1 else 0
        rows.append(
            (
                loc_id,
                parent_id,
                rel,
                name,
                kind,
                0 if kind == 1 else size,
                agg,
                0,
                0,
                st.st_ino,
                st.st_dev,
                st.st_mtime_ns,
                hidden,
                None,
                None,
                st.st_ctime_ns,
                st.st_mode,
            )
        )

    def tx(conn):
        ids = []
        for row in rows:
            ids.append(conn.execute(ENTRY_SQL, row).lastrowid)
        conn.execute("UPDATE entry SET child_count = child_count + ? WHERE id = ?", (len(items), parent_id))
        return ids

    return lib.write_sync(tx)


def add_many_files(lib: Library, loc_id: int, parent_id: int, n: int) -> None:
    """``n`` file rows in one folder (and their sparse files), with executemany (for the
    100,000-entry cases)."""
    base = 1_700_000_000 * 10**9
    root = lib.read_sync(lambda c: bytes(c.execute("SELECT path FROM location WHERE id = ?", (loc_id,)).fetchone()[0]))
    rows = []
    for i in range(n):
        name = f"file-{i:06d}.dat"
        size = (i * 7919) % 10_000_000
        st = make_on_disk(os.path.join(root, name.encode()), 0, size, base + i)
        rows.append(
            (
                loc_id,
                parent_id,
                name.encode(),
                name,
                0,
                size,
                0,
                0,
                0,
                st.st_ino,
                st.st_dev,
                st.st_mtime_ns,
                0,
                None,
                None,
                st.st_ctime_ns,
                st.st_mode,
            )
        )
    lib.write_sync(lambda conn: conn.executemany(ENTRY_SQL, rows))


def add_thumbnail(lib: Library, entry_id: int, cas_id: str, color: tuple[int, int, int]) -> int:
    """A content identity for ``entry_id`` with a 256 sidecar image on disk; returns the content id."""
    rel = f"{cas_id[:2]}/{cas_id}.256.png"
    dest = lib.sidecar_dir / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    # a soft two-tone gradient, so screenshots look like photos rather than test cards
    light = tuple(min(255, c + 90) for c in color)
    mask = Image.linear_gradient("L").rotate(45, expand=True).resize((256, 192))
    Image.composite(Image.new("RGB", (256, 192), light), Image.new("RGB", (256, 192), color), mask).save(dest)

    def tx(conn):
        now = time.time()
        cid = conn.execute(
            "INSERT INTO content_identity (cas_id, size, kind, mime, created_at) "
            "VALUES (?, ?, 'image', 'image/jpeg', ?)",
            (cas_id, 1000, now),
        ).lastrowid
        conn.execute(
            "UPDATE entry SET content_id = ?, cas_id = ?, mime = 'image/jpeg' WHERE id = ?", (cid, cas_id, entry_id)
        )
        conn.execute(
            "INSERT INTO sidecar (content_id, variant, format, path, width, height, size, created_at) "
            "VALUES (?, '256', 'png', ?, 256, 192, ?, ?)",
            (cid, rel, dest.stat().st_size, now),
        )
        return cid

    return lib.write_sync(tx)


def set_content(lib: Library, entry_id: int, cas_id: str) -> int:
    """A content identity without any sidecar (a thumbnail not generated yet)."""

    def tx(conn):
        cid = conn.execute(
            "INSERT INTO content_identity (cas_id, size, kind, mime, created_at) "
            "VALUES (?, 1000, 'image', 'image/png', ?)",
            (cas_id, time.time()),
        ).lastrowid
        conn.execute("UPDATE entry SET content_id = ?, cas_id = ? WHERE id = ?", (cid, cas_id, entry_id))
        return cid

    return lib.write_sync(tx)


PALETTE = [(231, 76, 60), (46, 204, 113), (52, 152, 219), (241, 196, 15), (155, 89, 182), (26, 188, 156)]


def populate(lib: Library, root_dir: Path):
    """A location that looks like someone's: folders, documents and photos with thumbnails."""
    loc, root = add_indexed_location(lib, root_dir)
    folders = [("Documents", 1, 48_200_000), ("Music", 1, 3_400_000_000), ("Projects", 1, 912_000_000)]
    files = [
        ("Budget 2026.ods", 0, 48_213),
        ("notes.md", 0, 3_211),
        ("Holiday video.mp4", 0, 734_003_200),
        ("report-final-v3.pdf", 0, 2_480_112),
    ] + [(f"IMG_{4000 + i}.jpg", 0, 3_100_000 + i * 97_000) for i in range(6)]
    ids = add_entries(lib, loc, root, b"", folders + files)
    photos = ids[len(folders) + 4 :]
    for i, entry_id in enumerate(photos):
        add_thumbnail(lib, entry_id, f"{i:02x}cafe{i:026x}", PALETTE[i % len(PALETTE)])
    docs = add_entries(lib, loc, ids[0], b"Documents", [("letter.odt", 0, 21_000), ("cv.pdf", 0, 88_000)])
    return loc, root, ids, photos, docs

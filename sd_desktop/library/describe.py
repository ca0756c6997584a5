"""What the file system and the library know of one path: kind, size, entry, cas_id, integrity
hash, MIME, thumbnail sidecars, the location holding it (by id and name) and, for a folder, how
many files and folders are below it. The ``info`` command prints it; the window's Properties shows it."""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

from sd_desktop import paths
from sd_desktop.enums import EntryKind
from sd_desktop.library.locations import locate, normalize

if TYPE_CHECKING:
    from sd_desktop.library.library import Library
    from sd_desktop.library.reader import Reader


def _kind_of(st: os.stat_result) -> str:
    if stat.S_ISREG(st.st_mode):
        return "file"
    if stat.S_ISDIR(st.st_mode):
        return "dir"
    if stat.S_ISLNK(st.st_mode):
        return "symlink"
    return "other"


def describe(lib: Library | Reader | None, path: str) -> dict:
    """What is known of ``path`` (the output object of ``info``); a symlink is described as the link.
    ``lib`` None: there is no library, so only what the file system says."""
    st = os.lstat(path)
    out: dict = {
        "path": paths.display(os.path.abspath(path)),
        "kind": _kind_of(st),
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "indexed": False,
        "location_id": None,
        "location_name": None,
        "id": None,  # the entry's id: the same after a rename or move (history, thumbnails follow it)
        "entry_id": None,  # the same as ``id``, kept for scripts written before it
        "cas_id": None,
        "integrity_hash": None,
        "mime": None,
        "sidecars": [],
    }
    # resolve the parent, not the entry itself: a symlink is described as the link it is (its entry
    # in the location that holds the link, not whatever its target is). The name comes from the
    # absolute path, so that ``.`` names the folder itself; ``link/`` is the folder a link points
    # to, as for ``lstat`` above.
    raw = os.fsencode(path)
    if raw.endswith(tuple(os.fsencode(s) for s in (os.sep, os.altsep) if s)):
        real = normalize(raw)
    else:
        absolute = os.path.abspath(raw)
        real = os.path.join(normalize(os.path.dirname(absolute)), os.path.basename(absolute))

    def q(conn):
        where = locate(conn, real)
        if where is None:
            return None, None, None, [], None
        loc_id, rel, _root = where
        name = conn.execute("SELECT name FROM location WHERE id = ?", (loc_id,)).fetchone()
        row = conn.execute(
            "SELECT id, kind, size, cas_id, integrity_hash, mime, content_id, aggregate_size, file_count, "
            "child_count FROM entry WHERE location_id = ? AND path = ?",
            (loc_id, rel),
        ).fetchone()
        sidecars = []
        if row and row[6] is not None:
            sidecars = conn.execute(
                "SELECT variant, path, width, height, format, size FROM sidecar WHERE content_id = ? ORDER BY variant",
                (row[6],),
            ).fetchall()
        dirs = None
        if row and row[1] == EntryKind.DIR:
            # folders below, at any depth: for the root every other folder of the location; else the
            # paths between "rel/" and "rel0" ("0" follows "/"), a range of the (location_id, path) index
            below, args = ("path > ? AND path < ?", (rel + b"/", rel + b"0")) if rel else ("path != ?", (b"",))
            dirs = conn.execute(
                f"SELECT COUNT(*) FROM entry WHERE location_id = ? AND kind = ? AND {below}",
                (loc_id, int(EntryKind.DIR), *args),
            ).fetchone()[0]
        return loc_id, (name[0] if name else None), row, sidecars, dirs

    if lib is None:
        return out
    loc_id, location_name, row, sidecars, dirs = lib.read_sync(q)
    if loc_id is None:
        return out
    out["location_id"] = loc_id
    out["location_name"] = location_name
    if row is None:
        return out
    out.update(
        indexed=True,
        id=row[0],
        entry_id=row[0],
        cas_id=row[3],
        integrity_hash=row[4],
        mime=row[5],
        sidecars=[
            {
                "variant": s[0],
                "path": str(lib.sidecar_dir / s[1]),
                "width": s[2],
                "height": s[3],
                "format": s[4],
                "bytes": s[5],
            }
            for s in sidecars
        ],
    )
    if row[1] == 1:
        out.update(aggregate_size=row[7], file_count=row[8], child_count=row[9], dir_count=dirs)
    return out

"""Thumbnails of pictures on a network volume, for the window's remote folder view.

A picture small enough (``MAX_BYTES``) is read whole in one ranged request; its content id is
computed from those bytes (``cas.cas_id_of_samples``: the same id as on a local disk) and its
thumbnail kept in ``<library>/remote-thumbnails/<cas[0:2]>/<cas_id>_256.webp``, so the same content
is fetched once whatever its name or volume. When the library knows the file's content id already
(an indexed remote location, size and time unchanged), a cached thumbnail is used with no network
call at all. Larger pictures are left to their type icon: their thumbnail would cost a whole read.
"""

from __future__ import annotations

import io
import os
import sqlite3
from pathlib import Path

from sd_desktop.cas import cas_id_of_samples, sample_ranges
from sd_desktop.ops.media.thumbnail.generate import is_picture
from sd_desktop.volumes.blocking import read_files
from sd_desktop.volumes.remote import RemoteEntry, VolumeSpec

MAX_BYTES = 8 * 1024 * 1024
SIDE = 256
FOLDER = "remote-thumbnails"


def cache_path(library_dir: Path, cas_id: str) -> Path:
    return Path(library_dir) / FOLDER / cas_id[:2] / f"{cas_id}_{SIDE}.webp"


def wanted(entry: RemoteEntry) -> bool:
    """Whether the view should ask for ``entry``'s thumbnail at all."""
    return not entry.is_dir and 0 < entry.size <= MAX_BYTES and is_picture(None, entry.name)


def known_cas_ids(conn: sqlite3.Connection, volume_id: int, entries: list[RemoteEntry]) -> dict[str, str]:
    """Path -> the content id the library holds for it, for the entries whose size and time are
    as stored (an indexed remote location)."""
    from sd_desktop.library.remote_entries import entry_at
    from sd_desktop.library.volumes import locate_remote

    out: dict[str, str] = {}
    for entry in entries:
        found = locate_remote(conn, volume_id, entry.path)
        known = entry_at(conn, found[0], found[1].encode()) if found else None
        if known and known["cas_id"] and (known["size"], known["mtime_ns"]) == (entry.size, entry.mtime_ns):
            out[entry.path] = known["cas_id"]
    return out


def thumbnails(
    spec: VolumeSpec, entries: list[RemoteEntry], library_dir: Path, cas_ids: dict[str, str] | None = None
) -> dict[str, bytes | None]:
    """Path -> the WebP thumbnail of each picture of ``entries`` (None for one that is not a picture
    this build decodes, or could not be read); ``cas_ids``: content ids the library knows, so that a
    cached thumbnail is used before any network call. The others are read over one connection.
    Raises ``RemoteError`` when the volume cannot be reached."""
    out: dict[str, bytes | None] = {}
    fetch: list[RemoteEntry] = []
    for entry in entries:
        if not wanted(entry):
            out[entry.path] = None
            continue
        known = (cas_ids or {}).get(entry.path)
        cached = cache_path(library_dir, known) if known else None
        if cached is not None and cached.exists():
            out[entry.path] = cached.read_bytes()
        else:
            fetch.append(entry)
    if fetch:
        for entry, data in zip(fetch, read_files(spec, [(e.path, e.size) for e in fetch]), strict=True):
            out[entry.path] = _from_bytes(entry, data, library_dir)
    return out


def _from_bytes(entry: RemoteEntry, data: bytes | None, library_dir: Path) -> bytes | None:
    if data is None or len(data) != entry.size:  # gone, or changed since it was listed
        return None
    cas_id = cas_id_of_samples(entry.size, [data[o : o + n] for o, n in sample_ranges(entry.size)])
    path = cache_path(library_dir, cas_id)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    made = _make(data)
    if made is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        temp.write_bytes(made)
        os.replace(temp, path)  # whole or not at all
    return made


def _make(data: bytes) -> bytes | None:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            im = ImageOps.exif_transpose(im)
            im.thumbnail((SIDE, SIDE))
            im = im.convert("RGBA" if im.mode in ("RGBA", "LA", "P") else "RGB")
            out = io.BytesIO()
            im.save(out, "WEBP", quality=80)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None

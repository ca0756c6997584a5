"""Thumbnails of pictures on a network volume, for the window's content views.

They live in the one thumbnail store, the library's sidecars (``ops.media.thumbnail.sidecars``:
``sidecars/<cas[0:2]>/<cas[2:4]>/<cas_id>_<variant>.webp``), keyed by content id, as the thumbnail
job (``thumbnails NAME:/path``) stores them: a picture that job made shows at once, with no network
call, and one made here is a thumbnail the job finds done.

A picture small enough (``MAX_BYTES``) is read whole in one ranged request; its content id is
computed from those bytes (``cas.cas_id_of_samples``: the same id as on a local disk) and its
variants are made by the job's own code (``generate.make_thumbnails``, every default variant, so
they are byte for byte the job's). When the library holds that content the sidecars are recorded
with it; a content it does not hold yet keeps its files under the same names, unrecorded, as a
file manager's thumbnail cache: each one shown has its mtime refreshed, and the job's cleanup
removes one only once it went unused for ``sidecars.UNRECORDED_GRACE`` (a month), so browsing a
volume the library never indexed keeps its thumbnails; indexing the folder makes them the job's.
When the library knows the file's content id already (an indexed remote location, size and time
unchanged), a recorded thumbnail is used with no network call at all. Larger pictures are left to
their type icon: their thumbnail would cost a whole read.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import uuid

from sd_desktop.cas import cas_id_of_samples, sample_ranges
from sd_desktop.library import contents, picture_hashes
from sd_desktop.library import sidecars as sidecar_rows
from sd_desktop.ops.media.thumbnail import sidecars
from sd_desktop.ops.media.thumbnail.generate import (
    OK,
    Output,
    Result,
    Task,
    default_variants,
    is_picture,
    make_thumbnails,
)
from sd_desktop.volumes.blocking import read_files
from sd_desktop.volumes.remote import RemoteEntry, VolumeSpec

MAX_BYTES = 8 * 1024 * 1024
VARIANT = "256"  # the variant the views show (``ui.thumbnails.VARIANT``)


def sidecar_path(library, cas_id: str, variant: str = VARIANT) -> str:
    """Where the job stores ``variant`` of the content ``cas_id`` (absolute)."""
    found = {v.name: v for v in default_variants()}[variant]
    return os.path.join(os.fsdecode(library.sidecar_dir), sidecars.relative_path(cas_id, found))


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
    spec: VolumeSpec, entries: list[RemoteEntry], library, cas_ids: dict[str, str] | None = None
) -> dict[str, bytes | None]:
    """Path -> the WebP thumbnail of each picture of ``entries`` (None for one that is not a picture
    this build decodes, or could not be read); ``library`` holds the sidecars; ``cas_ids``: content
    ids the library knows, so that a stored thumbnail is used before any network call. The others
    are read over one connection. Raises ``RemoteError`` when the volume cannot be reached."""
    out: dict[str, bytes | None] = {}
    fetch: list[RemoteEntry] = []
    for entry in entries:
        if not wanted(entry):
            out[entry.path] = None
            continue
        known = (cas_ids or {}).get(entry.path)
        stored = _stored(library, known) if known else None
        if stored is not None:
            out[entry.path] = stored
        else:
            fetch.append(entry)
    if fetch:
        for entry, data in zip(fetch, read_files(spec, [(e.path, e.size) for e in fetch]), strict=True):
            out[entry.path] = _from_bytes(entry, data, library)
    return out


def _stored(library, cas_id: str) -> bytes | None:
    path = sidecar_path(library, cas_id)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:  # not made yet, or removed by the job's cleanup
        return None
    # shown now: the job's cleanup keeps an unrecorded thumbnail until it is unused for its grace
    # period (``sidecars.UNRECORDED_GRACE``), counted from its mtime; every variant, as they go together
    for v in default_variants():
        try:
            os.utime(sidecar_path(library, cas_id, v.name))
        except OSError:  # a read-only library, or a variant missing: it is still shown
            pass
    return data


def _from_bytes(entry: RemoteEntry, data: bytes | None, library) -> bytes | None:
    if data is None or len(data) != entry.size:  # gone, or changed since it was listed
        return None
    cas_id = cas_id_of_samples(entry.size, [data[o : o + n] for o, n in sample_ranges(entry.size)])
    stored = _stored(library, cas_id)
    if stored is not None:
        return stored
    result = _make(data, cas_id, library)
    if result is None:
        return None
    content_id = library.read_sync(lambda c: contents.content_id_of(c, cas_id))
    if content_id is not None:  # the library holds this content: the job finds it done (with its hash)
        variants = {v.name: v for v in default_variants()}
        rows = sidecars.rows_of(content_id, cas_id, result.made, variants)
        hashes = []
        if result.phash is not None:
            hashes.append(picture_hashes.PictureHash(content_id, result.phash, result.width, result.height))

        def record(conn: sqlite3.Connection) -> None:
            sidecar_rows.store(conn, rows)
            picture_hashes.store(conn, hashes)

        library.write_sync(record)
    return _stored(library, cas_id)


def _make(data: bytes, cas_id: str, library) -> Result | None:
    """Every default variant of the picture in ``data``, written where the job writes them, and its
    perceptual hash (made by the job's code from a private temporary copy); None when it cannot
    be decoded."""
    outputs = []
    for v in default_variants():
        final = sidecar_path(library, cas_id, v.name)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        outputs.append(Output(v, final, sidecars.temporary_path(final, f"{os.getpid()}-{uuid.uuid4().hex[:12]}")))
    fd, source = tempfile.mkstemp(prefix="sd-remote-thumb-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        result = make_thumbnails(Task(key=0, src=os.fsencode(source), cas_id=cas_id, outputs=outputs))
    finally:
        os.unlink(source)
    return result if result.outcome == OK and result.made else None

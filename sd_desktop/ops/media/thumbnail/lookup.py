"""What a browser may show of the library's thumbnails, and which missing ones are worth asking for.

Qt-free; the window calls it from its worker threads on a read connection of its own. A content is
*settled* when asking the thumbnail job again cannot help while the content stays the same: no
entry holding it is a picture this build decodes, or it failed with this very decoder (its
``thumbnail_failure`` marker). Changed bytes make a new content (a new id), which is asked for anew.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from sd_desktop import paths
from sd_desktop.library import sidecars as sidecar_rows
from sd_desktop.library.browse import content_kinds, thumbnail_files
from sd_desktop.ops.media.thumbnail.generate import decoder_version, is_picture


@dataclass
class LibraryThumbnails:
    files: list[tuple[int, bytes]] = field(default_factory=list)  # (content id, recorded thumbnail file)
    wanted: list[int] = field(default_factory=list)  # no thumbnail yet: the job can make one
    settled: list[int] = field(default_factory=list)  # not a picture, or a known failure: never ask


def library_thumbnails(
    conn: sqlite3.Connection, content_ids: list[int], variant: str, sidecar_dir: paths.PathLike
) -> LibraryThumbnails:
    """Sort ``content_ids`` into recorded thumbnails, ones worth asking for, and settled ones."""
    out = LibraryThumbnails(files=thumbnail_files(conn, content_ids, variant, sidecar_dir))
    have = {cid for cid, _ in out.files}
    rest = [cid for cid in content_ids if cid not in have]
    kinds = content_kinds(conn, rest)
    pictures = {cid for cid, (_, names) in kinds.items() if any(is_picture(m, n or "") for n, m in names)}
    failed = sidecar_rows.known_failures(conn, (kinds[cid][0] for cid in pictures), decoder_version())
    for cid in rest:
        if cid in pictures and kinds[cid][0] not in failed:
            out.wanted.append(cid)
        else:
            out.settled.append(cid)  # also a content gone from the library: nothing to ask for
    return out

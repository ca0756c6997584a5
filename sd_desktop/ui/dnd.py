"""Drag and drop: file URLs in mime data become copy/move job configs (``CopyConfig``), and items dragged out of
the app carry real file URLs.

The decision follows the desktop convention: Ctrl forces a copy, Shift forces a move, a plain
drop moves within one volume and copies between volumes (``volumes.same_volume``); when that
cannot be decided (Alt held, Ctrl+Shift together, sources on several volumes, an unreadable
device) the caller shows a "Copy here / Move here / Cancel" menu.
"""

from __future__ import annotations

import os
from enum import Enum
from urllib.parse import quote_from_bytes, unquote_to_bytes

from PySide6.QtCore import QMimeData, Qt, QUrl

from sd_desktop import paths
from sd_desktop.ops.files.copy.config import ConflictPolicy, CopyConfig
from sd_desktop.volumes import same_volume


class DropIntent(Enum):
    COPY = "copy"
    MOVE = "move"
    ASK = "ask"
    NONE = "none"  # nothing droppable, or a drop onto itself


def urls_to_paths(mime: QMimeData | None) -> list[bytes]:
    """Local file paths named by the mime data's URLs (raw bytes, absolute); other URLs are ignored."""
    if mime is None or not mime.hasUrls():
        return []
    found: list[bytes] = []
    for url in mime.urls():
        if url.isLocalFile():
            # the percent-encoded path keeps undecodable bytes: %XX escapes turn back into the raw bytes
            raw = unquote_to_bytes(url.path(QUrl.ComponentFormattingOption.FullyEncoded))
            if raw:
                found.append(os.path.abspath(raw))
    return found


def paths_to_mime(items: list[paths.PathLike]) -> QMimeData:
    """Mime data for dragging ``items`` out: ``text/uri-list`` with percent-encoded raw bytes
    (so file managers get the exact names) and a plain-text list."""
    mime = QMimeData()
    raws = [os.path.abspath(os.fsencode(p)) for p in items]
    mime.setUrls([QUrl.fromEncoded(b"file://" + quote_from_bytes(r, safe="/").encode("ascii")) for r in raws])
    mime.setText("\n".join(paths.display(r) for r in raws))
    return mime


def decide(sources: list[bytes], destination: bytes, modifiers: Qt.KeyboardModifier) -> DropIntent:
    """What a drop of ``sources`` onto the folder ``destination`` does, before asking anyone."""
    if not sources:
        return DropIntent.NONE
    dest = os.path.abspath(destination)
    # dropping a folder into itself (or its own parent, where it already is) does nothing
    if all(os.path.dirname(s) == dest or paths.is_within(dest, s) for s in sources):
        return DropIntent.NONE
    ctrl = bool(modifiers & Qt.KeyboardModifier.ControlModifier)
    shift = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
    alt = bool(modifiers & Qt.KeyboardModifier.AltModifier)
    if alt or (ctrl and shift):
        return DropIntent.ASK
    if ctrl:
        return DropIntent.COPY
    if shift:
        return DropIntent.MOVE
    try:
        same = {same_volume(s, dest) for s in sources}
    except OSError:
        return DropIntent.ASK
    if len(same) > 1:
        return DropIntent.ASK
    return DropIntent.MOVE if same.pop() else DropIntent.COPY


def copy_config(sources: list[bytes], destination: bytes, move: bool) -> CopyConfig:
    """The FileCopyJob config of a drop (or Copy to…, or an undo): conflicts are asked (the job
    waits for the answers)."""
    return CopyConfig(
        sources=[paths.to_path(s) for s in sources],
        destination=paths.to_path(destination),
        move=move,
        on_conflict=ConflictPolicy.ASK,
    )


# items of a network volume dragged out of the content views: its name and paths relative to its root
REMOTE_MIME = "application/x-sd-desktop-volume-items"


def remote_to_mime(volume: str, items: list[str]) -> QMimeData:
    """Mime data of remote items: ``{"volume", "paths"}`` as JSON, and ``NAME:/path`` lines as text
    (other programs cannot read a volume: they get no URLs)."""
    import json

    mime = QMimeData()
    mime.setData(REMOTE_MIME, json.dumps({"volume": volume, "paths": items}).encode())
    mime.setText("\n".join(f"{volume}:/{p}" for p in items))
    return mime


def mime_to_remote(mime: QMimeData | None) -> tuple[str, list[str]] | None:
    """``(volume, paths)`` of remote items dragged from this app, or None."""
    import json

    if mime is None or not mime.hasFormat(REMOTE_MIME):
        return None
    try:
        found = json.loads(bytes(mime.data(REMOTE_MIME).data()).decode())
        return str(found["volume"]), [str(p) for p in found["paths"]]
    except (ValueError, KeyError, TypeError):
        return None

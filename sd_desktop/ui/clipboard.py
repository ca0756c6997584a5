"""Files on the system clipboard, in the forms other file managers read and write, so a Copy in
Nautilus or Dolphin pastes here and the other way round:

- ``text/uri-list``: one ``file://`` URI per line (RFC 2483, CRLF), which every file manager reads;
- ``x-special/gnome-copied-files``: ``copy`` or ``cut``, then the URIs (Nautilus, Nemo, Caja, Thunar);
- ``application/x-kde-cutselection``: ``1`` for a cut, ``0`` for a copy (Dolphin);
- ``text/plain``: the paths, for pasting into a text field.

URIs carry the raw bytes of a path percent-encoded, so a name that is not valid UTF-8 comes back
byte for byte. Reading and writing here touch no file: the paths are only text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import quote_from_bytes, unquote_to_bytes

from PySide6.QtCore import QMimeData

from sd_desktop import paths

URI_LIST = "text/uri-list"
GNOME_COPIED = "x-special/gnome-copied-files"
KDE_CUT = "application/x-kde-cutselection"


@dataclass(frozen=True)
class ClipboardFiles:
    """Files found on the clipboard, and whether they were cut (a paste moves them) or copied."""

    paths: list[bytes]
    cut: bool


def file_uri(path: bytes) -> bytes:
    """``file://`` URI of an absolute raw path, every byte outside the URI's safe set percent-encoded."""
    return b"file://" + quote_from_bytes(path, safe="/").encode("ascii")


def path_of_uri(uri: bytes) -> bytes | None:
    """The raw local path of a ``file:`` URI (``file:///p``, ``file://localhost/p``, ``file:/p``);
    None for other schemes and hosts."""
    uri = uri.strip()
    if uri[:5].lower() != b"file:":
        return None
    rest = uri[5:]
    if rest.startswith(b"//"):
        host, slash, rest = rest[2:].partition(b"/")
        if host not in (b"", b"localhost") or not slash:
            return None  # a file on another machine is not ours to open
        rest = b"/" + rest
    if not rest.startswith(b"/"):
        return None
    rest = rest.split(b"#", 1)[0].split(b"?", 1)[0]
    return os.path.normpath(unquote_to_bytes(rest))


def files_to_mime(items: list[bytes], cut: bool) -> QMimeData:
    """Mime data naming ``items`` (absolute raw paths) in every form above."""
    uris = [file_uri(os.path.abspath(p)) for p in items]
    mime = QMimeData()
    mime.setData(URI_LIST, b"".join(u + b"\r\n" for u in uris))
    mime.setData(GNOME_COPIED, b"\n".join([b"cut" if cut else b"copy", *uris]))
    mime.setData(KDE_CUT, b"1" if cut else b"0")
    mime.setText("\n".join(paths.display(os.path.abspath(p)) for p in items))
    return mime


def files_from_mime(mime: QMimeData | None) -> ClipboardFiles | None:
    """The local files the mime data names (None when it names none): the GNOME form first (it
    says copy or cut itself), else the URI list with KDE's cut mark."""
    if mime is None:
        return None
    if mime.hasFormat(GNOME_COPIED):
        lines = bytes(mime.data(GNOME_COPIED).data()).splitlines()
        if lines and lines[0].strip() in (b"copy", b"cut"):
            found = _local_paths(lines[1:])
            if found:
                return ClipboardFiles(found, lines[0].strip() == b"cut")
    if mime.hasFormat(URI_LIST):
        lines = [ln for ln in bytes(mime.data(URI_LIST).data()).splitlines() if not ln.startswith(b"#")]
        found = _local_paths(lines)
        if found:
            return ClipboardFiles(found, bytes(mime.data(KDE_CUT).data()).strip() == b"1")
    return None


def has_files(mime: QMimeData | None) -> bool:
    """Whether the clipboard offers files at all (only its formats are looked at, not read)."""
    return mime is not None and (mime.hasFormat(GNOME_COPIED) or mime.hasFormat(URI_LIST))


def _local_paths(lines: list[bytes]) -> list[bytes]:
    found = []
    for line in lines:
        p = path_of_uri(line)
        if p is not None and p not in found:
            found.append(p)
    return found

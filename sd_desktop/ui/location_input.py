"""What a path typed into the location bar names: ``~`` and ``~user`` expanded, ``file://`` URIs
decoded to raw bytes, relative paths taken from the folder shown, ``\\xNN`` escapes (how names that
are not UTF-8 are shown) turned back into their bytes. Blocking (it looks at the disk): run it in a
worker thread."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from sd_desktop import paths
from sd_desktop.ui.clipboard import path_of_uri

_ESCAPE = re.compile(rb"\\x([0-9a-fA-F]{2})")


@dataclass(frozen=True)
class TypedLocation:
    path: bytes | None  # the folder to open, or None
    error: str | None = None  # why not, in one line


def resolve_typed_location(text: str, base: bytes | None) -> TypedLocation:
    """The folder ``text`` names (relative to ``base``), or why it names none."""
    typed = text.strip()
    if not typed:
        return TypedLocation(None, "Type the path of a folder")
    raw = os.fsencode(typed)
    if raw.lower().startswith(b"file:"):
        found = path_of_uri(raw)
        if found is None:
            return TypedLocation(None, f"Only local folders can be opened, not {typed}")
        raw = found
    raw = os.path.expanduser(raw)
    if not os.path.isabs(raw):
        raw = os.path.join(base or os.fsencode(os.path.expanduser("~")), raw)
    candidates = [os.path.normpath(raw)]
    unescaped = _ESCAPE.sub(lambda m: bytes.fromhex(m.group(1).decode()), raw)
    if unescaped != raw:
        candidates.append(os.path.normpath(unescaped))
    for candidate in candidates:
        if os.path.isdir(candidate):
            return TypedLocation(candidate)
    shown = paths.display(candidates[0])
    if any(os.path.lexists(c) for c in candidates):
        return TypedLocation(None, f"{shown} is not a folder")
    return TypedLocation(None, f"No folder at {shown}")

"""Lossless conversions between file-system paths, bytes and display text.

File names on POSIX are bytes. Python maps undecodable bytes to lone surrogates
(``surrogateescape``); those survive ``os.fsencode`` but not UTF-8 storage, so the library
keeps raw bytes as the truth and a display string for people.
"""

from __future__ import annotations

import os
from pathlib import Path

PathLike = str | bytes | os.PathLike


def to_bytes(path: PathLike) -> bytes:
    """The raw bytes of a path, exactly as the file system has them."""
    return os.fsencode(path)


def to_str(path: PathLike) -> str:
    """A path as a Python string (undecodable bytes become surrogates; round-trips)."""
    return os.fsdecode(path)


def to_path(path: PathLike) -> Path:
    return Path(os.fsdecode(path))


def display(path: PathLike) -> str:
    """Text safe to show or store as UTF-8: undecodable bytes appear as ``\\xNN`` escapes."""
    raw = os.fsencode(path)
    return raw.decode("utf-8", "backslashreplace")


def is_within(child: PathLike, parent: PathLike) -> bool:
    """True when ``child`` is ``parent`` or below it (by path components, not string prefix)."""
    c = os.path.normpath(os.fsencode(child))
    p = os.path.normpath(os.fsencode(parent))
    if c == p:
        return True
    sep = os.sep.encode()
    return c.startswith(p.rstrip(sep) + sep)

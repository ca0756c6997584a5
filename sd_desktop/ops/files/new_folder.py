"""Create a new, empty folder under a free name: "New Folder", else "New Folder 2", "New Folder 3"…
(the names Dolphin and Nautilus use). ``mkdir`` itself is the test of a free name, so two callers
racing for the same name never share one folder. The folder is made through the volume's backend."""

from __future__ import annotations

import errno
import os

from sd_desktop.volumes.local_writes import LOCAL_WRITES, WritableVolume

DEFAULT_NAME = "New Folder"
MAX_TRIES = 10_000


def folder_name(base: str, n: int) -> bytes:
    """The ``n``-th candidate name: ``base`` first, then ``base 2``, ``base 3``…"""
    return os.fsencode(base if n == 1 else f"{base} {n}")


def make_new_folder(parent: bytes, base: str = DEFAULT_NAME, vol: WritableVolume = LOCAL_WRITES) -> bytes:
    """Create the first free ``base``/``base N`` folder inside ``parent`` and return its path.

    Raises the ``OSError`` of ``mkdir`` when the folder cannot be made (no permission, read-only,
    ``parent`` gone), and ``FileExistsError`` when every name up to ``base 10000`` is taken."""
    for n in range(1, MAX_TRIES + 1):
        path = os.path.join(parent, folder_name(base, n))
        try:
            vol.mkdir(path)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(errno.EEXIST, f"every name from “{base}” to “{base} {MAX_TRIES}” is taken", parent)

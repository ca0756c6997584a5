"""Volume addresses: ``NAME:/path`` (rclone's convention) names a path on a registered volume rather
than on this machine's file system, and only when a volume of that name is registered in the
library: ``./x:/y`` or ``notes:/draft`` with no volume ``notes`` stays a local path.

The command line asks ``is_volume_path`` before it calls a first word an unknown command: the
window opens local folders only (it browses a volume from its sidebar), so ``sd-desktop NAME:/path``
says which commands take it.
"""

from __future__ import annotations

import os
from pathlib import Path


def registered_volume_names(library_dir: str | os.PathLike | None = None) -> frozenset[str]:
    """The names of the volumes registered in the library (none when there is no library to read)."""
    from sd_desktop.library.reader import open_reader
    from sd_desktop.library.volumes import volume_names

    try:
        reader = open_reader(Path(library_dir) if library_dir else None)
    except Exception:  # a library that cannot be read here is reported by the command that opens it
        return frozenset()
    if reader is None:
        return frozenset()
    try:
        return reader.read_sync(volume_names)
    except Exception:  # a library older than volumes
        return frozenset()
    finally:
        reader.close()


def is_volume_path(text: str, library_dir: str | os.PathLike | None = None) -> bool:
    """True when ``text`` is ``NAME:/path`` with NAME a registered volume."""
    from sd_desktop.library.volumes import split_address

    found = split_address(text)
    return found is not None and found[0] in registered_volume_names(library_dir)

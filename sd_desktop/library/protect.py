"""Never delete, trash or move the library in use (FAULTS 21).

A target endangers the library when it is the library folder or one of its ancestors. Identity is
(device, inode), never the path text: ``/a/../lib``, a bind mount, a path through a symlinked
folder and the library given through a symlink are all caught. A symlink that points at the
library (or at a folder holding it) is refused too: removing only the link would be harmless, but
someone who names it almost certainly means what it points to, and refusing loses nothing.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable

from sd_desktop import paths


def library_ancestry(library_folder: paths.PathLike) -> dict[tuple[int, int], bytes]:
    """(device, inode) of the library folder and of every folder above it, up to ``/``."""
    found: dict[tuple[int, int], bytes] = {}
    here = os.path.realpath(os.fsencode(library_folder))
    while True:
        try:
            st = os.stat(here)
        except OSError:
            pass  # a library that is not there yet (or an unreadable parent): nothing to protect there
        else:
            found[(st.st_dev, st.st_ino)] = here
        parent = os.path.dirname(here)
        if parent == here:
            return found
        here = parent


def endangers_library(
    target: paths.PathLike, library_folder: paths.PathLike, ancestry: dict[tuple[int, int], bytes] | None = None
) -> str | None:
    """Why deleting or moving ``target`` would take the library with it, or None when it would not."""
    ancestry = ancestry if ancestry is not None else library_ancestry(library_folder)
    raw = os.path.abspath(os.fsencode(target))
    try:
        st = os.lstat(raw)
    except OSError:
        return None  # gone (or unreachable): deleting it cannot touch the library
    key = (st.st_dev, st.st_ino)
    linked = False
    if key not in ancestry and stat.S_ISLNK(st.st_mode):
        try:
            pointed = os.stat(raw)
        except OSError:
            return None  # a dangling link points at nothing
        key, linked = (pointed.st_dev, pointed.st_ino), True
    if key not in ancestry:
        return None
    library = os.path.realpath(os.fsencode(library_folder))
    what = "the library in use" if ancestry[key] == library else "a folder holding the library in use"
    link = "a link to " if linked else ""
    return f"{paths.display(raw)} is {link}{what} ({paths.display(library)})"


def first_library_danger(targets: Iterable[paths.PathLike], library_folder: paths.PathLike) -> str | None:
    """The reason for the first of ``targets`` that is, holds or links to the library; None if none does."""
    ancestry = library_ancestry(library_folder)
    for target in targets:
        why = endangers_library(target, library_folder, ancestry)
        if why is not None:
            return why
    return None

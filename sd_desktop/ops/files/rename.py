"""Rename one item in its folder for the window (the Rename action, its undo and redo): through the
volume's backend, never over another item. The one rename allowed onto a taken name is a change of
letter case on a file system that ignores case, where the "other" item is this one."""

from __future__ import annotations

import os
from typing import Protocol

from sd_desktop import paths
from sd_desktop.volumes.local_writes import WritableVolume


class RenamingVolume(WritableVolume, Protocol):
    def lstat(self, path: paths.PathLike) -> os.stat_result: ...


def rename_item(vol: RenamingVolume, src: bytes, dst: bytes) -> None:
    """Rename ``src`` to ``dst`` (blocking: run it in a worker). ``FileExistsError`` when another
    item has that name (nothing changed); the ``OSError`` of the rename otherwise."""
    try:
        vol.rename(src, dst)
    except FileExistsError:
        try:
            same = os.path.samestat(vol.lstat(src), vol.lstat(dst))
        except OSError:
            same = False
        if not same:
            raise
        vol.rename(src, dst, replace=True)  # only the letter case changes: the name is this item's own

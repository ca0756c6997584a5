"""VolumeBackend: the file-system calls jobs make, so another backend (cloud, MTP) can stand in."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import BinaryIO, Protocol

from sd_desktop import paths
from sd_desktop.volumes.local_writes import LocalWrites


class VolumeBackend(Protocol):
    def scandir(self, path: paths.PathLike) -> Iterator[os.DirEntry]: ...
    def lstat(self, path: paths.PathLike) -> os.stat_result: ...
    def stat(self, path: paths.PathLike) -> os.stat_result: ...
    def open_read(self, path: paths.PathLike) -> BinaryIO: ...


class LocalBackend(LocalWrites):
    """The local file system. Never follows symlinks unless asked; never opens non-regular files."""

    def scandir(self, path: paths.PathLike) -> Iterator[os.DirEntry]:
        with os.scandir(os.fsencode(path)) as it:
            yield from it

    def lstat(self, path: paths.PathLike) -> os.stat_result:
        return os.lstat(path)

    def stat(self, path: paths.PathLike) -> os.stat_result:
        return os.stat(path)

    def open_read(self, path: paths.PathLike) -> BinaryIO:
        # O_NOFOLLOW | O_NONBLOCK: a symlink or a FIFO swapped in after the stat never blocks us
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(path, flags)
        try:
            import stat as st

            if not st.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(f"not a regular file: {paths.display(path)}")
            os.set_blocking(fd, True)
            return os.fdopen(fd, "rb", buffering=0)
        except BaseException:
            os.close(fd)
            raise

"""VolumeBackend: the file-system reads jobs make, so another backend (a remote volume) can stand in.

The jobs (and the helpers their worker threads and processes run) reach files only through a backend:
``ctx.backend`` in a job, a ``backend`` argument in a helper, ``LOCAL`` in a helper process (it is
created again by the import in each process; ``LocalBackend`` has no state, so it pickles too).

The protocol is synchronous and shaped like the ``os`` calls the read side makes, handles included
(an open folder for ``dir_fd``, an open file for ``pread``), so that ``LocalBackend`` can *be* those
calls: its methods are the ``os`` functions themselves, not wrappers, and a job's hot loop (the
indexer's walk, the fd-relative ``stat`` of the duplicate search's listing, the sampled ``cas_id``)
costs what it cost when it called ``os`` directly. The walkers (``ops/indexing/resumable_walk``,
``ops/files/file_listing``) are the listing-with-metadata of a local volume: they take the backend
and call its ``scandir`` and ``stat``.

A synchronous adapter over a ``volumes.remote.RemoteBackend`` (run on the job's worker thread, each
call awaited on the adapter's event loop) would map the methods so:

==========================  =========================================================================
``scandir``                 ``list(path)``: ``RemoteEntry`` rows wrapped as ``DirEntry``-likes whose
                            ``stat()`` is the listed metadata (no second round trip per entry)
``stat`` / ``lstat``        ``stat(path)`` (``dir_fd``: the path of the handle joined with the name)
``readlink``                the link target of ``stat(path)`` (SFTP: ``readlink``)
``realpath``                the path itself, normalized (remote paths have no symlinks to resolve)
``isdir`` / ``lexists``     ``stat(path)``; ``RemoteError`` NOT_FOUND is False
``access``                  the permission bits of ``stat(path)`` (SFTP: for the connecting user)
``ismount``                 True for the volume's root (the top of what the remote volume holds)
``open`` / ``close``        a handle naming the path and the size it had (no round trip)
``set_blocking``            nothing
``fstat``                   the size and times recorded by ``open`` (``stat(path)``)
``pread``                   ``read_ranges(path, [(offset, n)])``
``read`` / ``readv``        ``pread`` at the handle's recorded position (which it then moves on)
``preadv``                  ``read_ranges(path, [(offset, total)])`` split over the buffers
``exists``                  ``stat(path)`` following links; ``RemoteError`` NOT_FOUND is False
``will_need``               nothing (or a prefetch of the range into the adapter's cache)
``cas_id_of_fd``            ``read_ranges(path, cas.sample_ranges(size))``: one round trip for all
                            the samples, then ``cas.cas_id_of_samples``
``full_hash_of_fd``         ``read_ranges`` in chunks, hashed as they come
``open_read``               a file object over ``read_ranges`` (``volumes.reading``)
==========================  =========================================================================
"""

from __future__ import annotations

import os
import stat as st
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, BinaryIO, Protocol

from sd_desktop import cas, paths
from sd_desktop.volumes.local_writes import LocalWrites, WritableVolume

# open for reading, never through a symlink, never blocking on a FIFO swapped in after a listing
READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
# a folder opened to stat or open its entries by their names (``dir_fd``)
DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_advise = getattr(os, "posix_fadvise", None)  # not on every OS: the files are then simply read in turn
_WILLNEED = getattr(os, "POSIX_FADV_WILLNEED", 0)


class ScandirIterator(AbstractContextManager, Iterator[os.DirEntry], Protocol):
    """What ``scandir`` returns: ``os.DirEntry``s (or objects with its ``name``, ``path``,
    ``is_dir``, ``is_file``, ``is_symlink`` and ``stat``), closed by ``with`` or ``close()``."""

    def close(self) -> None: ...


class VolumeBackend(Protocol):
    """The read side of a volume, as the jobs call it. Paths are absolute (bytes or str, as ``os``
    takes them); handles are ints the backend hands out and takes back (``close``)."""

    # -- listing and metadata --------------------------------------------------------------
    def scandir(self, path: paths.PathLike) -> ScandirIterator: ...
    def stat(
        self, path: paths.PathLike, *, dir_fd: int | None = None, follow_symlinks: bool = True
    ) -> os.stat_result: ...
    def lstat(self, path: paths.PathLike, *, dir_fd: int | None = None) -> os.stat_result: ...
    def readlink(self, path: paths.PathLike, *, dir_fd: int | None = None) -> Any: ...
    def realpath(self, path: Any) -> Any: ...
    def isdir(self, path: paths.PathLike) -> bool: ...
    def exists(self, path: paths.PathLike) -> bool: ...
    def lexists(self, path: paths.PathLike) -> bool: ...
    def ismount(self, path: paths.PathLike) -> bool: ...
    def access(self, path: paths.PathLike, mode: int) -> bool: ...

    # -- reading ---------------------------------------------------------------------------
    def open(self, path: paths.PathLike, flags: int, *, dir_fd: int | None = None) -> int: ...
    def close(self, fd: int) -> None: ...
    def set_blocking(self, fd: int, blocking: bool) -> None: ...
    def fstat(self, fd: int) -> os.stat_result: ...
    def pread(self, fd: int, n: int, offset: int) -> bytes: ...
    def read(self, fd: int, n: int) -> bytes: ...
    def readv(self, fd: int, buffers: Any) -> int: ...
    def preadv(self, fd: int, buffers: Any, offset: int, flags: int = 0) -> int: ...
    def will_need(self, fd: int, offset: int, length: int) -> None:
        """A hint: these bytes will be read soon (never raises; a backend may ignore it)."""
        ...

    def cas_id_of_fd(self, fd: int, size: int) -> str | None: ...
    def full_hash_of_fd(self, fd: int, should_stop: Callable[[], bool] | None = None) -> str:
        """blake3 of the whole file (from its start); ``should_stop`` polled between chunks."""
        ...

    def open_read(self, path: paths.PathLike) -> BinaryIO: ...


class ReadWriteVolume(VolumeBackend, WritableVolume, Protocol):
    """A volume the write-side jobs both read (the checks before and after each write) and write."""


class LocalBackend(LocalWrites):
    """The local file system. The read methods are the ``os`` calls themselves (see the module's
    docstring: no wrapper in a hot loop); the writes are ``LocalWrites``'. Never follows symlinks
    unless asked; ``open_read`` never opens a non-regular file."""

    __slots__ = ()

    # builtins are no descriptors: as class attributes they come back as they are, the cheapest
    # attribute a call can look up (cheaper than a staticmethod, measured)
    scandir = os.scandir
    stat = os.stat
    lstat = os.lstat
    readlink = os.readlink
    access = os.access
    open = os.open
    close = os.close
    set_blocking = os.set_blocking
    fstat = os.fstat
    pread = os.pread
    read = os.read
    readv = os.readv
    preadv = os.preadv
    # Python functions would bind to the instance: these stay static
    realpath = staticmethod(os.path.realpath)
    isdir = staticmethod(os.path.isdir)
    exists = staticmethod(os.path.exists)
    lexists = staticmethod(os.path.lexists)
    ismount = staticmethod(os.path.ismount)
    cas_id_of_fd = staticmethod(cas.cas_id_of_fd)

    @staticmethod
    def will_need(fd: int, offset: int, length: int) -> None:
        # the kernel starts the reads and returns: by the time the file is read it is in the page cache
        if _advise is not None:
            try:
                _advise(fd, offset, length, _WILLNEED)
            except OSError:
                pass  # only a hint: some file systems refuse it

    def full_hash_of_fd(self, fd: int, should_stop: Callable[[], bool] | None = None) -> str:
        os.lseek(fd, 0, os.SEEK_SET)  # of the whole file, whatever read it before
        return cas.full_hash_of_fd(fd, should_stop)

    def open_read(self, path: paths.PathLike) -> BinaryIO:
        fd = os.open(path, READ_FLAGS)
        try:
            if not st.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(f"not a regular file: {paths.display(path)}")
            os.set_blocking(fd, True)
            return os.fdopen(fd, "rb", buffering=0)
        except BaseException:
            os.close(fd)
            raise

    def __reduce__(self) -> tuple[Callable[[], LocalBackend], tuple[()]]:
        return local, ()

    def __repr__(self) -> str:
        return "LocalBackend()"


LOCAL = LocalBackend()


def local() -> LocalBackend:
    """The module's local backend (a helper process unpickling one gets its own process's)."""
    return LOCAL

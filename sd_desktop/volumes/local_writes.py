"""The write side of a volume's backend: every change a job makes to files goes through it.

``WritableVolume`` is what a job may ask of a volume: write a file under a temporary name and
commit it by a rename, copy bytes within the volume, rename, delete a file, remove an empty folder,
make a folder, set times and mode. The local-only powers are explicit ``Capability`` values (the
trash, secure overwrite, hard links, reflinks, symlinks): a job asks ``supports()`` first, and a
backend without one raises ``NotSupported`` (one clear line, never half a change).

``LocalWrites`` is the local file system's implementation: thin calls onto ``os`` and the
descriptor-relative primitives of ``localfs`` (``renameat2(RENAME_NOREPLACE)``, ``syncfs``,
``copy_file_range``, ``FICLONE``), so routing a job through it costs a method call per step and
keeps every fast path. Paths are bytes; ``dir_fd`` arguments keep a job's descriptor-relative
walks (a folder checked through its descriptor is the one changed).

Each method's docstring names the ``RemoteBackend`` call (``volumes/remote.py``) a remote
backend maps it to: ``upload(path, chunks, temp, replace)`` for temp + commit, ``server_copy``
for a copy within one service, ``delete``, ``rmdir``, ``write`` (a whole small file at once).
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from enum import StrEnum
from typing import Protocol

# ``localfs`` (ctypes, secrets and hashlib with libcrypto) and ``freedesktop_trash`` (datetime,
# urllib) are imported by the writes that use them: a command that only reads (a search of an
# unchanged tree, ``duplicate_detection.unchanged``) imports this module through ``backend`` and
# would read them all from disk on a cold start (tests/perf/README.md)

FICLONE = 0x40049409  # ioctl: make a file share all of another's blocks
_CREATE = os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class Capability(StrEnum):
    """Powers only some volumes have; a remote service has none of these."""

    TRASH = "trash"  # the freedesktop.org trash (send2trash on Windows and macOS): a delete that can be undone
    SECURE_OVERWRITE = "secure_overwrite"  # overwrite a file's blocks in place before unlinking it
    HARDLINK = "hardlink"  # a second name for the same inode
    REFLINK = "reflink"  # a new file sharing another's blocks (FICLONE); refused per pair of devices
    SYMLINK = "symlink"  # create symbolic links
    METADATA = "metadata"  # keep mtime, mode and xattrs on what is written


class NotSupported(OSError):
    """The volume cannot do this (a remote volume has no trash, no hard links...); nothing changed."""

    def __init__(self, capability: Capability, volume: str = "this volume"):
        super().__init__(errno.EOPNOTSUPP, f"{volume} does not support {capability.value}; nothing was changed")
        self.capability = capability


class WritableVolume(Protocol):
    """The write operations a job may ask of a volume (see the module docstring)."""

    capabilities: frozenset[Capability]

    def supports(self, capability: Capability) -> bool: ...
    def temp_name(self, dst: bytes, job_id: int, seq: int, token: str = "") -> bytes: ...
    def create_temp(self, tmp: bytes, mode: int = 0o600, *, readable: bool = False) -> int: ...
    def open_resumable(self, part: bytes, mode: int = 0o644) -> int: ...
    def write(self, fd: int, data: bytes | memoryview) -> int: ...
    def pwrite_all(self, fd: int, data: bytes | memoryview, offset: int) -> None: ...
    def write_all(self, fd: int, data: bytes | memoryview) -> None: ...
    def truncate(self, fd: int, size: int) -> None: ...
    def fsync(self, fd: int) -> None: ...
    def fsync_dir(self, path: bytes | int) -> None: ...
    def syncfs(self, path: bytes) -> None: ...
    def commit(self, tmp: bytes, dst: bytes, *, replace: bool = False) -> None: ...
    def copy_chunk(self, src_fd: int, dst_fd: int, count: int) -> int: ...
    def rename(
        self,
        src: bytes | str,
        dst: bytes | str,
        *,
        replace: bool = False,
        src_dir_fd: int | None = None,
        dst_dir_fd: int | None = None,
    ) -> None: ...
    def unlink(self, path: bytes | str, *, dir_fd: int | None = None, missing_ok: bool = False) -> None: ...
    def rmdir(self, path: bytes | str, *, dir_fd: int | None = None) -> None: ...
    def mkdir(self, path: bytes | str, mode: int = 0o777, *, dir_fd: int | None = None) -> None: ...
    def makedirs(self, path: bytes | str, mode: int = 0o777) -> None: ...
    def set_times(self, target: bytes | int, atime_ns: int, mtime_ns: int, *, follow_symlinks: bool = True) -> None: ...
    def set_mode(self, target: bytes | int, mode: int) -> None: ...
    def set_owner(self, fd: int, uid: int, gid: int) -> None: ...
    def set_xattr(self, fd: int, name: str, value: bytes) -> None: ...
    def trash(self, path: bytes) -> bytes | None: ...
    def open_overwrite(self, name: bytes | str, *, dir_fd: int) -> int: ...
    def hardlink(self, src: bytes, dst: bytes) -> None: ...
    def clone(self, src_fd: int, dst_fd: int) -> None: ...
    def symlink(self, target: bytes, path: bytes) -> None: ...


class LocalWrites:
    """The local file system's write side. Never follows a symlink it did not create itself."""

    capabilities: frozenset[Capability] = frozenset(Capability)

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    # -- a file under a temporary name, committed by a rename ---------------------------------
    # remote: the whole sequence is one ``upload(path, chunks, temp, replace)``; a small file
    # written at once is ``write(path, data)``.
    def temp_name(self, dst: bytes, job_id: int, seq: int, token: str = "") -> bytes:
        """The temporary name beside ``dst`` a job writes to (found again on resume).
        Remote: the ``temp`` argument of ``upload``/``server_copy``."""
        from sd_desktop.volumes import localfs

        return localfs.temp_name(dst, job_id, seq, token)

    def create_temp(self, tmp: bytes, mode: int = 0o600, *, readable: bool = False) -> int:
        """Create ``tmp`` (it must not exist; a symlink there is refused) and return its descriptor.
        Remote: the opening of ``upload``'s temporary object."""
        return os.open(tmp, (os.O_RDWR if readable else os.O_WRONLY) | _CREATE, mode)

    def open_resumable(self, part: bytes, mode: int = 0o644) -> int:
        """Open a partial file for writing, creating it or finding the one an earlier run left (a
        download resumed inside a file); a symlink there is refused. Remote: not needed (a remote
        target is written by ``upload``, which starts over)."""
        return os.open(
            part, os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0), mode
        )

    def write(self, fd: int, data: bytes | memoryview) -> int:
        """One ``write``; returns how much was taken. Remote: a chunk of ``upload``."""
        return os.write(fd, data)

    def write_all(self, fd: int, data: bytes | memoryview) -> None:
        """Write all of ``data``. Remote: a chunk of ``upload``."""
        view, written = memoryview(data), 0
        while written < len(view):
            written += os.write(fd, view[written:])

    def pwrite_all(self, fd: int, data: bytes | memoryview, offset: int) -> None:
        """Write all of ``data`` at ``offset`` (the file position is left alone). Remote: a chunk
        of ``upload``."""
        view = memoryview(data)
        while view:
            n = os.pwrite(fd, view, offset)
            view, offset = view[n:], offset + n

    def truncate(self, fd: int, size: int) -> None:
        """Set an open file's size (the end of a sparse copy). Remote: not needed (uploads are whole)."""
        os.ftruncate(fd, size)

    def fsync(self, fd: int) -> None:
        """Make an open file's bytes durable. Remote: implied by ``upload`` finishing."""
        os.fsync(fd)

    def start_writeback(self, fd: int, offset: int, length: int) -> None:
        """Start writing a range to disk without waiting (so the final fsync is short). Remote: no-op."""
        from sd_desktop.volumes import localfs

        localfs.start_writeback(fd, offset, length)

    def fsync_dir(self, path: bytes | int) -> None:
        """Make a folder's renames and unlinks durable (a path, or an open folder's descriptor).
        Remote: no-op (the service commits each call)."""
        if isinstance(path, int):
            os.fsync(path)
        else:
            from sd_desktop.volumes import localfs

            localfs.fsync_dir(path)

    def syncfs(self, path: bytes) -> None:
        """Flush the whole file system holding ``path`` (one call for a batch of small files).
        Remote: no-op."""
        from sd_desktop.volumes import localfs

        localfs.syncfs(path)

    def commit(self, tmp: bytes, dst: bytes, *, replace: bool = False) -> None:
        """Give the finished ``tmp`` its name: atomically, and never over an existing ``dst``
        unless ``replace`` (``FileExistsError`` then). Remote: the end of ``upload(..., replace)``
        (``TargetExists`` for ``FileExistsError``)."""
        if replace:
            os.rename(tmp, dst)
        else:
            from sd_desktop.volumes import localfs

            localfs.rename_noreplace(tmp, dst)

    # -- copy within the volume ---------------------------------------------------------------
    def copy_chunk(self, src_fd: int, dst_fd: int, count: int) -> int:
        """Up to ``count`` bytes from one open file to another inside the kernel
        (``copy_file_range``: no bytes through Python; the file system may share blocks).
        Remote: the whole file is one ``server_copy(src, path, temp, replace)``."""
        return os.copy_file_range(src_fd, dst_fd, count)

    # -- rename / move within the volume --------------------------------------------------------
    def rename(
        self,
        src: bytes | str,
        dst: bytes | str,
        *,
        replace: bool = False,
        src_dir_fd: int | None = None,
        dst_dir_fd: int | None = None,
    ) -> None:
        """Rename within the volume; ``FileExistsError`` if ``dst`` exists unless ``replace``.
        With descriptors, names are relative to those open folders. Remote: SFTP's rename; on S3,
        ``server_copy`` to the new key then ``delete`` of the old one."""
        from sd_desktop.volumes import localfs

        if replace:
            os.rename(src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)
        elif src_dir_fd is None and dst_dir_fd is None:
            localfs.rename_noreplace(os.fsencode(src), os.fsencode(dst))
        elif src_dir_fd == dst_dir_fd:
            localfs.rename_noreplace_at(src_dir_fd, src, dst)
        else:
            localfs.rename_noreplace_between(
                localfs._AT_FDCWD if src_dir_fd is None else src_dir_fd,
                src,
                localfs._AT_FDCWD if dst_dir_fd is None else dst_dir_fd,
                dst,
            )

    # -- delete -------------------------------------------------------------------------------
    def unlink(self, path: bytes | str, *, dir_fd: int | None = None, missing_ok: bool = False) -> None:
        """Remove a file or a link (never a link's target). Remote: ``delete(path)``."""
        try:
            os.unlink(path, dir_fd=dir_fd)
        except FileNotFoundError:
            if not missing_ok:
                raise

    def rmdir(self, path: bytes | str, *, dir_fd: int | None = None) -> None:
        """Remove an empty folder. Remote: ``rmdir(path)``."""
        os.rmdir(path, dir_fd=dir_fd)

    # -- folders ------------------------------------------------------------------------------
    def mkdir(self, path: bytes | str, mode: int = 0o777, *, dir_fd: int | None = None) -> None:
        """Make one folder; ``FileExistsError`` if the name is taken (the test of a free name).
        Remote: none needed: ``upload``/``server_copy``/``write`` make the parents (SFTP
        ``makedirs``; S3 has no folders)."""
        os.mkdir(path, mode, dir_fd=dir_fd)

    def makedirs(self, path: bytes | str, mode: int = 0o777) -> None:
        """Make a folder and its missing parents (an existing folder is fine). Remote: as ``mkdir``."""
        os.makedirs(path, mode, exist_ok=True)

    # -- metadata (Capability.METADATA) -------------------------------------------------------
    def set_times(self, target: bytes | int, atime_ns: int, mtime_ns: int, *, follow_symlinks: bool = True) -> None:
        """Set access and modification times (a path or an open descriptor).
        Remote: not supported (a service stamps its own upload time)."""
        os.utime(target, ns=(atime_ns, mtime_ns), follow_symlinks=follow_symlinks)

    def set_mode(self, target: bytes | int, mode: int) -> None:
        """Set permission bits (a path or an open descriptor). Remote: not supported."""
        if isinstance(target, int):
            os.fchmod(target, mode)
        else:
            os.chmod(target, mode)

    def set_owner(self, fd: int, uid: int, gid: int) -> None:
        """Set an open file's owner and group (clears set-id bits: call before ``set_mode``).
        Remote: not supported."""
        os.fchown(fd, uid, gid)

    def set_xattr(self, fd: int, name: str, value: bytes) -> None:
        """Set one extended attribute on an open file. Remote: not supported."""
        os.setxattr(fd, name, value)

    # -- local capabilities -------------------------------------------------------------------
    def trash(self, path: bytes) -> bytes | None:
        """Move ``path`` (a link itself, never its target) to the trash; raises on any failure.
        Returns where it went on the free desktops; None where send2trash does not say.
        Remote: ``NotSupported`` (a service has no trash; a job offers a permanent delete)."""
        if sys.platform not in ("win32", "darwin"):
            from sd_desktop.volumes import freedesktop_trash

            return freedesktop_trash.trash(path).path
        from send2trash import send2trash  # recycle bin, macOS Trash

        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode) and not os.path.exists(path):
            raise OSError(
                errno.ENOENT, "a dangling link cannot go to the trash (send2trash refuses it); nothing deleted"
            )
        send2trash(path)
        if os.path.lexists(path):
            raise OSError(errno.EIO, "the trash did not take it; nothing deleted")
        return None

    def open_overwrite(self, name: bytes | str, *, dir_fd: int) -> int:
        """Open an existing file to overwrite its blocks in place (secure delete); never a link.
        Remote: ``NotSupported`` (a service writes a new object; the old bytes are its to keep)."""
        return os.open(name, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0), dir_fd=dir_fd)

    def hardlink(self, src: bytes, dst: bytes) -> None:
        """A second name ``dst`` for the file ``src`` (never a link's target); ``dst`` must not
        exist. Remote: ``NotSupported``."""
        os.link(src, dst, follow_symlinks=False)

    def clone(self, src_fd: int, dst_fd: int) -> None:
        """Make ``dst_fd`` share all of ``src_fd``'s blocks (btrfs, XFS with reflink...);
        ``OSError`` when the pair of devices cannot. Remote: ``server_copy`` is the nearest."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP)) from None
        fcntl.ioctl(dst_fd, FICLONE, src_fd)

    def symlink(self, target: bytes, path: bytes) -> None:
        """Create the symbolic link ``path`` -> ``target``. Remote: ``NotSupported``."""
        os.symlink(target, path)


LOCAL_WRITES = LocalWrites()  # for helpers called outside a job (the window, tests): the local file system

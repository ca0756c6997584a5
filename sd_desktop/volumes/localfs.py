"""Low-level steps of the local file system's write side, the primitives of the local backend
(``local_writes.LocalWrites``): a rename that never replaces, fsync of files, folders and whole
file systems, dropping a flushed file's cached pages, and the temporary names that sit beside a
target while it is written."""

from __future__ import annotations

import ctypes
import errno
import os
import secrets
import stat
import sys

# the process's own symbols, libc's among them: ``ctypes.util.find_library`` would run ``ldconfig -p``
# (a subprocess) in every command that imports this module
_libc = ctypes.CDLL(None, use_errno=True)
_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_renameat2 = getattr(_libc, "renameat2", None)
if _renameat2 is not None:
    _renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    _renameat2.restype = ctypes.c_int
_syncfs = getattr(_libc, "syncfs", None)
if _syncfs is not None:
    _syncfs.argtypes = [ctypes.c_int]
    _syncfs.restype = ctypes.c_int

_sync_file_range = getattr(_libc, "sync_file_range", None)
if _sync_file_range is not None:
    _sync_file_range.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    _sync_file_range.restype = ctypes.c_int
_SYNC_FILE_RANGE_WRITE = 2

TEMP_PREFIX = b".sd-desktop-"
TEMP_SUFFIX = b".part"


def temp_name(dst: bytes, job_id: int, seq: int, token: str = "") -> bytes:
    """The temporary path a work item is written to: beside its target, short whatever the
    target's name length, and derived from (job, its token, item) so a resumed or cancelled job
    finds it. The token is random per job: ids are reused when the library loses its newest
    transactions (a deleted ``-wal`` file), and a new job must never touch an older one's files.
    Jobs saved before tokens existed have none, and keep the names they wrote."""
    tag = f"{job_id}-{token}-{seq}" if token else f"{job_id}-{seq}"
    return os.path.join(os.path.dirname(dst), TEMP_PREFIX + tag.encode() + TEMP_SUFFIX)


def new_token() -> str:
    """A job's temp-name token (see ``temp_name``)."""
    return secrets.token_hex(4)


def rename_noreplace(src: bytes, dst: bytes) -> None:
    """Rename ``src`` to ``dst``; ``FileExistsError`` if ``dst`` exists (atomic where the kernel can)."""
    if _renameat2 is not None:
        if _renameat2(_AT_FDCWD, src, _AT_FDCWD, dst, _RENAME_NOREPLACE) == 0:
            return
        err = ctypes.get_errno()
        if err not in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            raise OSError(err, os.strerror(err), os.fsdecode(src), None, os.fsdecode(dst))
    # No renameat2 on this file system: a hard link never replaces; folders get check-then-rename.
    if not stat.S_ISDIR(os.lstat(src).st_mode):
        try:
            os.link(src, dst, follow_symlinks=False)
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                raise
        else:
            os.unlink(src)
            return
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), os.fsdecode(dst))
    os.rename(src, dst)


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing a range to disk now (without waiting), so the final fsync
    of a big file finds most of it already written instead of flushing it all at the end."""
    if _sync_file_range is not None:
        _sync_file_range(fd, offset, length, _SYNC_FILE_RANGE_WRITE)


_F_NOCACHE = 48  # macOS fcntl: reads on this descriptor bypass the unified buffer cache


def read_from_device(fd: int) -> None:
    """Make the next reads of ``fd`` come from the device rather than from the page cache, so a
    verify pass re-reads what the disk stored, not what the program wrote into memory.

    Call it after the file was flushed (fsync/syncfs): the kernel drops only clean pages. Advisory
    and best effort: pages mapped by another process stay, a drive's own cache may still answer,
    and network or FUSE file systems may answer from a cache of their own.
    """
    if hasattr(os, "posix_fadvise"):  # Linux and the BSDs
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        except OSError:
            pass  # advice refused (a pipe, an odd file system): the read goes on from the cache
    elif sys.platform == "darwin":  # no posix_fadvise on macOS; F_NOCACHE on the reading descriptor
        import fcntl  # not at the top: fcntl does not exist on Windows, where delete uses this module too

        try:
            fcntl.fcntl(fd, _F_NOCACHE, 1)
        except OSError:
            pass
    # Windows would need a reopen with FILE_FLAG_NO_BUFFERING (sector-aligned reads): not done yet


def fsync_dir(path: bytes) -> None:
    """Make a folder's entries (renames, unlinks) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def syncfs(path: bytes) -> None:
    """Flush everything dirty on the file system holding ``path`` (one call for many small files)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if _syncfs is None or _syncfs(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


def unlink_quietly(path: bytes) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def free_name(dst: bytes) -> bytes:
    """The first "name (N).ext" beside ``dst`` that does not exist yet (for the rename policy)."""
    folder, name = os.path.split(dst)
    base, ext = os.path.splitext(name)
    if base.startswith(b".") and not ext:
        base, ext = name, b""
    n = 1
    while True:
        suffix = f" ({n})".encode()
        room = 255 - len(suffix) - len(ext)
        candidate = os.path.join(folder, base[:room] + suffix + ext)
        if not os.path.lexists(candidate):
            return candidate
        n += 1


def rename_noreplace_at(dir_fd: int, src: str | bytes, dst: str | bytes) -> None:
    """``rename_noreplace`` of two names inside one open folder."""
    if _renameat2 is not None:
        if _renameat2(dir_fd, os.fsencode(src), dir_fd, os.fsencode(dst), _RENAME_NOREPLACE) == 0:
            return
        err = ctypes.get_errno()
        if err not in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            raise OSError(err, os.strerror(err), os.fsdecode(src), None, os.fsdecode(dst))
    os.link(src, dst, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
    os.unlink(src, dir_fd=dir_fd)


def rename_noreplace_between(src_dir_fd: int, src: str | bytes, dst_dir_fd: int, dst: str | bytes) -> None:
    """Rename ``src`` in one open folder to ``dst`` in another; ``FileExistsError`` if ``dst`` exists.

    Relative to descriptors, so a folder checked through its descriptor is the one written to."""
    if _renameat2 is not None:
        if _renameat2(src_dir_fd, os.fsencode(src), dst_dir_fd, os.fsencode(dst), _RENAME_NOREPLACE) == 0:
            return
        err = ctypes.get_errno()
        if err not in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            raise OSError(err, os.strerror(err), os.fsdecode(src), None, os.fsdecode(dst))
    # No RENAME_NOREPLACE on this file system (EINVAL can also mean "into itself": the plain
    # rename below reports that again): check, then rename.
    try:
        os.lstat(dst, dir_fd=dst_dir_fd)
    except FileNotFoundError:
        os.rename(src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)
    else:
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), os.fsdecode(dst))

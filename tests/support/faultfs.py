"""A small FUSE file system that passes everything through to a backing folder, except the faults
the tests ask for — real EIO from the kernel's point of view, so the code under test meets them in
``read``/``write``/``copy_file_range`` exactly as it would meet a failing disk or a dropped network share.

Faults (given as JSON on the command line):

* ``read_eio``: ``{name: n}`` — reading the file called ``name`` (any folder) past byte ``n``
  fails with EIO (unreadable sectors on the source).
* ``write_eio``: ``n`` — a file whose first bytes as written are ``WRITE_EIO_MARK`` fails every
  write past byte ``n`` with EIO (a failing destination). Marked by content because the code under
  test writes to temporary names it picks itself.
* ``list_eio``: ``[name, ...]`` — listing a folder called ``name`` (any depth) fails with EIO (a
  damaged directory, a share that drops while it is walked).
* ``flip``: ``n`` — a file whose first bytes are ``FLIP_MARK`` silently gets byte ``n`` inverted
  when it is stored (a destination that corrupts without an error; what ``verify`` is for).
* ``page_cache``: ``true`` — mount with the kernel's page cache kept across opens (``kernel_cache``,
  no ``direct_io``), as a local disk behaves: what was written stays in memory as the program
  wrote it, so only a read that reaches this process (the "device") sees what ``flip`` stored.

Run: ``python -m tests.support.faultfs BACKING MOUNTPOINT '{"read_eio": {"bad.bin": 1048576}}'``
(foreground; unmount with ``umount MOUNTPOINT``). Tests use ``mount_faultfs`` in tests/fileops/helpers.py.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import threading

from fuse import FUSE, FuseOSError, Operations

WRITE_EIO_MARK = b"EIO-WRITE!"
FLIP_MARK = b"FLIP-BYTE!"


class FaultFS(Operations):
    def __init__(self, root: str, faults: dict):
        self.root = root
        self.read_eio: dict[str, int] = faults.get("read_eio", {})
        self.write_eio: int | None = faults.get("write_eio")
        self.flip: int | None = faults.get("flip")
        self.list_eio: set[str] = set(faults.get("list_eio", []))
        self.marked: dict[int, bytes] = {}  # fh -> the mark its first write carried
        self._mutex = threading.Lock()  # not "lock": that name is a FUSE operation

    def _full(self, path: str) -> str:
        return os.path.join(self.root, path.lstrip("/"))

    def __call__(self, op, path, *args):
        try:
            return super().__call__(op, path, *args)
        except OSError as exc:
            if isinstance(exc, FuseOSError):
                raise
            raise FuseOSError(exc.errno or errno.EIO) from None

    # -- metadata -----------------------------------------------------------------------------
    def getattr(self, path, fh=None):
        st = os.lstat(self._full(path))
        keys = ("st_mode", "st_nlink", "st_uid", "st_gid", "st_size", "st_atime", "st_mtime", "st_ctime")
        found = {k: getattr(st, k) for k in keys}
        found.update(st_atime=st.st_atime_ns / 1e9, st_mtime=st.st_mtime_ns / 1e9, st_ctime=st.st_ctime_ns / 1e9)
        return found

    def readdir(self, path, fh):
        if os.path.basename(path) in self.list_eio:
            raise FuseOSError(errno.EIO)
        return [".", "..", *os.listdir(self._full(path))]

    def readlink(self, path):
        return os.readlink(self._full(path))

    def statfs(self, path):
        sv = os.statvfs(self._full(path))
        keys = ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files", "f_flag", "f_frsize")
        return {k: getattr(sv, k) for k in keys} | {"f_namemax": sv.f_namemax}

    def chmod(self, path, mode):
        os.chmod(self._full(path), mode)

    def chown(self, path, uid, gid):
        os.lchown(self._full(path), uid, gid)

    def utimens(self, path, times=None):
        os.utime(self._full(path), times, follow_symlinks=False)

    def mkdir(self, path, mode):
        os.mkdir(self._full(path), mode)

    def rmdir(self, path):
        os.rmdir(self._full(path))

    def unlink(self, path):
        os.unlink(self._full(path))

    def symlink(self, target, source):
        os.symlink(source, self._full(target))

    def link(self, target, source):
        os.link(self._full(source), self._full(target))

    def rename(self, old, new):
        os.rename(self._full(old), self._full(new))

    def truncate(self, path, length, fh=None):
        os.truncate(self._full(path), length)

    # extended attributes: none here (the code under test reports what it could not keep)
    def listxattr(self, path):
        return []

    def getxattr(self, path, name, position=0):
        raise FuseOSError(errno.ENODATA)

    # -- data ---------------------------------------------------------------------------------
    def open(self, path, flags):
        return os.open(self._full(path), flags)

    def create(self, path, mode, fi=None):
        return os.open(self._full(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)

    def read(self, path, size, offset, fh):
        limit = self.read_eio.get(os.path.basename(path))
        if limit is not None and offset + size > limit:
            raise FuseOSError(errno.EIO)
        return os.pread(fh, size, offset)

    def write(self, path, data, offset, fh):
        with self._mutex:
            if offset == 0 and data.startswith((WRITE_EIO_MARK, FLIP_MARK)):
                self.marked[fh] = data[: len(WRITE_EIO_MARK)]
            mark = self.marked.get(fh)
        if mark == WRITE_EIO_MARK and self.write_eio is not None and offset + len(data) > self.write_eio:
            raise FuseOSError(errno.EIO)
        if mark == FLIP_MARK and self.flip is not None and offset <= self.flip < offset + len(data):
            at = self.flip - offset
            data = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]
        return os.pwrite(fh, data, offset)

    def flush(self, path, fh):
        return 0

    def fsync(self, path, datasync, fh):
        os.fsync(fh)
        return 0

    def release(self, path, fh):
        with self._mutex:
            self.marked.pop(fh, None)
        os.close(fh)
        return 0


def main(argv: list[str]) -> None:
    backing, mountpoint, faults = argv[0], argv[1], json.loads(argv[2] if len(argv) > 2 else "{}")
    # direct_io (the default here): every read and write reaches this process (no page cache hiding
    # a fault); page_cache: the kernel keeps pages across opens, so a read is served from memory
    # unless the pages were dropped
    caching = {"kernel_cache": True} if faults.get("page_cache") else {"direct_io": True}
    FUSE(FaultFS(os.path.abspath(backing), faults), mountpoint, foreground=True, nothreads=True, **caching)


if __name__ == "__main__":
    main(sys.argv[1:])

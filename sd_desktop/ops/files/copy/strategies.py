"""How one file's bytes travel: a clone where the file system offers it, ``copy_file_range`` in
chunks, or a read/hash/write loop when the bytes must be hashed as they are read (verify, moves).

Every strategy writes into an already-open temporary file descriptor, polls ``should_stop``
between chunks (so a pause does not wait for a 50 GB file) and reports bytes as they go.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Callable

import blake3

CHUNK = 8 * 1024 * 1024
FICLONE = 0x40049409
_FALLBACK_ERRNOS = {errno.ENOSYS, errno.EXDEV, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EBADF}


class CopyInterrupted(Exception):  # noqa: N818 - control flow
    """A pause or cancel stopped the copy of one file; its temporary file is removed."""


class Throttle:
    """Keeps the average rate under ``limit`` bytes per second (0 = no limit)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.start = time.monotonic()
        self.sent = 0

    def __call__(self, n: int, should_stop: Callable[[], bool]) -> None:
        if not self.limit:
            return
        self.sent += n
        while True:
            ahead = self.sent / self.limit - (time.monotonic() - self.start)
            if ahead <= 0 or should_stop():
                return
            time.sleep(min(ahead, 0.05))


def try_clone(src_fd: int, dst_fd: int) -> bool:
    """Share the source's blocks (btrfs, xfs, bcachefs...). False where the file system cannot."""
    try:
        fcntl.ioctl(dst_fd, FICLONE, src_fd)
        return True
    except OSError:
        return False


def copy_range(
    src_fd: int, dst_fd: int, size: int, on_bytes: Callable[[int], None], should_stop: Callable[[], bool], throttle
) -> int:
    """Kernel-side copy in chunks (no bytes through Python); falls back to read/write where refused."""
    done = 0
    use_range = True
    while True:
        if should_stop():
            raise CopyInterrupted()
        want = CHUNK if done < size else 1024 * 1024  # past the stat size: the file grew, keep reading
        if use_range:
            try:
                n = os.copy_file_range(src_fd, dst_fd, want)
            except OSError as exc:
                if exc.errno not in _FALLBACK_ERRNOS or done:
                    raise
                use_range = False
                continue
        else:
            n = _read_write(src_fd, dst_fd, want, None)
        if n == 0:
            return done
        done += n
        on_bytes(n)
        throttle(n, should_stop)


def copy_hashing(
    src_fd: int, dst_fd: int, on_bytes: Callable[[int], None], should_stop: Callable[[], bool], throttle
) -> tuple[int, str]:
    """Read, hash and write: the hash is of the bytes as read from the source."""
    big = os.fstat(src_fd).st_size >= CHUNK
    h = blake3.blake3(max_threads=blake3.blake3.AUTO) if big else blake3.blake3()
    buf = bytearray(CHUNK)
    done = 0
    while True:
        if should_stop():
            raise CopyInterrupted()
        n = _read_write(src_fd, dst_fd, CHUNK, h, buf)
        if n == 0:
            return done, h.hexdigest()
        done += n
        on_bytes(n)
        throttle(n, should_stop)


def _read_write(src_fd: int, dst_fd: int, want: int, h, buf: bytearray | None = None) -> int:
    if buf is None:
        buf = bytearray(want)
    n = os.readv(src_fd, [memoryview(buf)[:want]])
    if n == 0:
        return 0
    view = memoryview(buf)[:n]
    if h is not None:
        h.update(view)
    written = 0
    while written < n:
        written += os.write(dst_fd, view[written:])
    return n

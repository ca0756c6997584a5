"""How one file's bytes travel: a clone where the file system offers it, ``copy_file_range`` in
chunks, or — when the bytes must be hashed as they are read (verify, moves) — the same kernel copy
with the source hashed on a helper thread meanwhile (big files), or a read/hash/write loop (small).

Every strategy writes into an already-open temporary file descriptor, polls ``should_stop``
between chunks (so a pause does not wait for a 50 GB file) and reports bytes as they go.
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import blake3

from sd_desktop.ops.files.copy.fsops import start_writeback

CHUNK = 8 * 1024 * 1024
FICLONE = 0x40049409
_HASHER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sd-copy-hash")
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
        want = CHUNK
        if use_range:
            try:
                n = os.copy_file_range(src_fd, dst_fd, want)
            except OSError as exc:
                if exc.errno == errno.EIO:
                    # the kernel does not say which side failed: redo this chunk through user
                    # space, which names it (and goes on if the error does not come back)
                    n = _read_write(src_fd, dst_fd, want, None)
                elif exc.errno not in _FALLBACK_ERRNOS or done:
                    raise
                else:
                    use_range = False
                    continue
        else:
            n = _read_write(src_fd, dst_fd, want, None)
        if n == 0:
            return done
        start_writeback(dst_fd, done, n)
        done += n
        on_bytes(n)
        throttle(n, should_stop)
        if done == size:
            return done  # a file that grew meanwhile is caught by the caller's stat comparison


def hash_source(src_fd: int, should_stop: Callable[[], bool], cancel: threading.Event) -> tuple[int, str]:
    """blake3 of the source as read through ``pread`` (its own offset: the kernel copy's is untouched).

    Reads until end of file, so a source that grew is seen as a byte-count mismatch by the caller.
    """
    h = blake3.blake3()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    offset = 0
    while True:
        if cancel.is_set() or should_stop():
            raise CopyInterrupted()
        try:
            n = os.preadv(src_fd, [buf], offset)
        except OSError as exc:
            raise side_error(exc, READING) from exc
        if n == 0:
            return offset, h.hexdigest()
        h.update(view[:n])
        offset += n


def copy_kernel_hashing(
    src_fd: int,
    dst_fd: int,
    size: int,
    on_bytes: Callable[[int], None],
    should_stop: Callable[[], bool],
    throttle,
    clone: bool,
) -> tuple[int, str]:
    """The unverified path's kernel copy (clone or ``copy_file_range``) while a helper thread hashes
    the source (blake3 releases the GIL; the pages come from the cache the copy reads too).

    The hash is of the source as read by us, not by the kernel: the caller compares it with a
    re-read of the written file, so bytes that changed between the two reads fail the check, and a
    source whose size or mtime changed fails the file. Returns (bytes copied, source digest).
    """
    cancel = threading.Event()
    hashing = _HASHER.submit(hash_source, src_fd, should_stop, cancel)
    try:
        if clone and size and try_clone(src_fd, dst_fd):
            copied = size
            on_bytes(size)
        else:
            copied = copy_range(src_fd, dst_fd, size, on_bytes, should_stop, throttle)
    except BaseException:
        cancel.set()
        try:
            hashing.result()
        except (CopyInterrupted, OSError):
            pass
        raise
    hashed, digest = hashing.result()  # raises the read error (EIO...) the hashing thread met
    if hashed != copied:
        raise OSError(errno.EAGAIN, "the source changed while it was being copied; not copied")
    return copied, digest


def copy_hashing(
    src_fd: int, dst_fd: int, on_bytes: Callable[[int], None], should_stop: Callable[[], bool], throttle
) -> tuple[int, str]:
    """Read, hash and write (small files): the hash is of the bytes as read from the source.

    Big files take ``copy_kernel_hashing`` instead; here the per-file cost is what counts, so the
    buffer is the thread's own, reused (a fresh 8 MiB buffer per file cost ~0.5 ms to map and fault).
    """
    h = blake3.blake3()
    done = 0
    while True:
        if should_stop():
            raise CopyInterrupted()
        n = _read_write(src_fd, dst_fd, CHUNK, h)
        if n == 0:
            return done, h.hexdigest()
        done += n
        on_bytes(n)
        throttle(n, should_stop)


_local = threading.local()


def _buffer() -> bytearray:
    """This thread's read buffer (CHUNK bytes), made once."""
    buf = getattr(_local, "buf", None)
    if buf is None:
        buf = _local.buf = bytearray(CHUNK)
    return buf


def _read_write(src_fd: int, dst_fd: int, want: int, h) -> int:
    buf = _buffer()
    n = _read(src_fd, memoryview(buf)[:want])
    if n == 0:
        return 0
    view = memoryview(buf)[:n]
    if h is not None:
        h.update(view)
    _write_all(dst_fd, view)
    return n


READING = "reading the source"
WRITING = "writing the copy"


def side_error(exc: OSError, side: str) -> OSError:
    """The same error, its message saying which side of the copy failed (the errno is kept)."""
    return OSError(exc.errno, f"{side}: {exc.strerror or exc}")


def _read(fd: int, buf) -> int:
    try:
        return os.readv(fd, [buf])
    except OSError as exc:
        raise side_error(exc, READING) from exc


def _write_all(fd: int, view: memoryview) -> None:
    written = 0
    try:
        while written < len(view):
            written += os.write(fd, view[written:])
    except OSError as exc:
        raise side_error(exc, WRITING) from exc

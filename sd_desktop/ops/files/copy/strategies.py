"""How one file's bytes travel: a clone where the file system offers it, ``copy_file_range`` in
chunks, or — when the bytes must be hashed as they are read (verify, moves) — the same kernel copy
with the source hashed on a helper thread meanwhile (big files), or a read/hash/write loop (small).

Every strategy writes into an already-open temporary file descriptor, polls ``should_stop``
between chunks (so a pause does not wait for a 50 GB file) and reports bytes as they go. The writes
go through the destination volume's backend (``vol``: ``copy_chunk``, ``clone``, ``write_all``...).
"""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import blake3

from sd_desktop.volumes.backend import ReadWriteVolume

CHUNK = 8 * 1024 * 1024
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


class Cloner:
    """FICLONE (share the source's blocks: btrfs, xfs with reflink, bcachefs, ocfs2, NFS 4.2, SMB3...),
    learnt by trying rather than from the file system's name.

    The first refusal that means "these two devices cannot share blocks" is remembered for the
    job (keyed by source and destination device: EXDEV depends on both), so a copy of many files
    onto ext4 or tmpfs pays one failed ioctl, not one per file. Any other error is not remembered:
    the fallback copy meets it again and names it.
    """

    REFUSED = frozenset({errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EINVAL, errno.ENOTTY, errno.ENOSYS})

    def __init__(self, vol: ReadWriteVolume, enabled: bool = True):
        self.vol = vol
        self.enabled = enabled
        self.refused: set[tuple[int, int]] = set()  # (source st_dev, destination st_dev)

    def __call__(self, src_fd: int, dst_fd: int, src_dev: int, dst_dev: int) -> bool:
        """True when ``dst_fd`` now shares all of ``src_fd``'s blocks; False: copy the bytes instead."""
        if not self.enabled or (src_dev, dst_dev) in self.refused:
            return False
        try:
            self.vol.clone(src_fd, dst_fd)
            return True
        except OSError as exc:
            if exc.errno in self.REFUSED:
                self.refused.add((src_dev, dst_dev))
            return False


def copy_range(
    vol: ReadWriteVolume,
    src_fd: int,
    dst_fd: int,
    size: int,
    on_bytes: Callable[[int], None],
    should_stop: Callable[[], bool],
    throttle,
    sparse: bool = False,
) -> int:
    """Kernel-side copy in chunks (no bytes through Python); falls back to read/write where refused.

    ``sparse`` (the source has fewer blocks than its size): only the data ranges are copied
    (``SEEK_DATA``/``SEEK_HOLE``) and the holes stay holes — ``copy_file_range`` on ext4 would
    write them out as zeros. Holes count as bytes done. Returns the bytes copied or skipped as holes;
    a source that shrank returns fewer than ``size`` (the caller's check fails the file).
    """
    mode = {"range": True}
    if not sparse:
        return _copy_span(vol, src_fd, dst_fd, 0, size, on_bytes, should_stop, throttle, mode)
    done = 0
    for start, end in _data_spans(src_fd, size):
        on_bytes(start - done)  # the hole before this range
        os.lseek(src_fd, start, os.SEEK_SET)
        os.lseek(dst_fd, start, os.SEEK_SET)
        n = _copy_span(vol, src_fd, dst_fd, start, end - start, on_bytes, should_stop, throttle, mode)
        done = start + n
        if n < end - start:
            return done  # shrank while being copied
    on_bytes(size - done)  # the hole at the end
    vol.truncate(dst_fd, size)
    return size


def _data_spans(fd: int, size: int):
    """(start, end) of each range of ``fd`` that holds data, below ``size``; one range where the
    file system cannot tell holes."""
    pos = 0
    while pos < size:
        try:
            start = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno == errno.ENXIO:
                return  # nothing but a hole up to the end
            if exc.errno in (errno.EINVAL, errno.EOPNOTSUPP) and pos == 0:
                yield 0, size
                return
            raise
        if start >= size:
            return
        end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        yield start, end
        pos = end


def _copy_span(
    vol: ReadWriteVolume,
    src_fd: int,
    dst_fd: int,
    offset: int,
    length: int,
    on_bytes: Callable[[int], None],
    should_stop: Callable[[], bool],
    throttle,
    mode: dict,
) -> int:
    """Copy ``length`` bytes from both descriptors' current offsets (``offset`` is where that is)."""
    done = 0
    while done < length:
        if should_stop():
            raise CopyInterrupted()
        want = min(CHUNK, length - done)
        if mode["range"]:
            try:
                n = vol.copy_chunk(src_fd, dst_fd, want)
            except OSError as exc:
                if exc.errno == errno.EIO:
                    # the kernel does not say which side failed: redo this chunk through user
                    # space, which names it (and goes on if the error does not come back)
                    n = _read_write(vol, src_fd, dst_fd, want, None)
                elif exc.errno not in _FALLBACK_ERRNOS or done:
                    raise
                else:
                    mode["range"] = False
                    continue
        else:
            n = _read_write(vol, src_fd, dst_fd, want, None)
        if n == 0:
            return done
        vol.start_writeback(dst_fd, offset + done, n)
        done += n
        on_bytes(n)
        throttle(n, should_stop)
    return done  # a file that grew meanwhile is caught by the caller's stat comparison


def hash_source(
    vol: ReadWriteVolume, src_fd: int, should_stop: Callable[[], bool], cancel: threading.Event, throttle=None
) -> tuple[int, str]:
    """blake3 of the source as read through ``pread`` (its own offset: the kernel copy's is untouched).

    Reads until end of file, so a source that grew is seen as a byte-count mismatch by the caller.
    """
    h = blake3.blake3()
    buf = _buffer()  # the hashing thread's own
    view = memoryview(buf)
    offset = 0
    while True:
        if cancel.is_set() or should_stop():
            raise CopyInterrupted()
        try:
            n = vol.preadv(src_fd, [buf], offset)
        except OSError as exc:
            raise side_error(exc, READING) from exc
        if n == 0:
            return offset, h.hexdigest()
        h.update(view[:n])
        offset += n
        if throttle is not None:
            throttle(n, should_stop)


def copy_kernel_hashing(
    vol: ReadWriteVolume,
    src_fd: int,
    dst_fd: int,
    size: int,
    on_bytes: Callable[[int], None],
    should_stop: Callable[[], bool],
    throttle,
    clone: Callable[[], bool] | None,
    sparse: bool = False,
) -> tuple[int, str]:
    """The unverified path's kernel copy (clone or ``copy_file_range``) while a helper thread hashes
    the source (blake3 releases the GIL; the pages come from the cache the copy reads too).
    ``clone()``, when given, tries a clone of the two files first (True: cloned).

    The hash is of the source as read by us, not by the kernel: the caller compares it with a
    re-read of the written file, so bytes that changed between the two reads fail the check, and a
    source whose size or mtime changed fails the file. Returns (bytes copied, source digest).
    """
    cancel = threading.Event()
    # the hashing reads keep to the bandwidth limit too (on a cold cache they are the first reads)
    hashing = _HASHER.submit(hash_source, vol, src_fd, should_stop, cancel, Throttle(throttle.limit))
    try:
        if clone is not None and size and clone():
            copied = size
            on_bytes(size)
        else:
            copied = copy_range(vol, src_fd, dst_fd, size, on_bytes, should_stop, throttle, sparse)
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
    vol: ReadWriteVolume,
    src_fd: int,
    dst_fd: int,
    on_bytes: Callable[[int], None],
    should_stop: Callable[[], bool],
    throttle,
) -> tuple[int, str]:
    """Read, hash and write (small files): the hash is of the bytes as read from the source.

    Big files take ``copy_kernel_hashing`` instead; here the per-file cost is what counts, so the
    buffer is the thread's own, reused: mapping and faulting in a fresh 8 MiB buffer for each file
    cost several times the copy of a small file (see tests/perf/README.md, "File copy").
    """
    h = blake3.blake3()
    done = 0
    while True:
        if should_stop():
            raise CopyInterrupted()
        n = _read_write(vol, src_fd, dst_fd, CHUNK, h)
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


def _read_write(vol: ReadWriteVolume, src_fd: int, dst_fd: int, want: int, h) -> int:
    buf = _buffer()
    n = _read(vol, src_fd, memoryview(buf)[:want])
    if n == 0:
        return 0
    view = memoryview(buf)[:n]
    if h is not None:
        h.update(view)
    _write_all(vol, dst_fd, view)
    return n


READING = "reading the source"
WRITING = "writing the copy"


def side_error(exc: OSError, side: str) -> OSError:
    """The same error, its message saying which side of the copy failed (the errno is kept)."""
    return OSError(exc.errno, f"{side}: {exc.strerror or exc}")


def _read(vol: ReadWriteVolume, fd: int, buf) -> int:
    try:
        return vol.readv(fd, [buf])
    except OSError as exc:
        raise side_error(exc, READING) from exc


def _write_all(vol: ReadWriteVolume, fd: int, view: memoryview) -> None:
    try:
        vol.write_all(fd, view)
    except OSError as exc:
        raise side_error(exc, WRITING) from exc

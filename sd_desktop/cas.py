"""Content ids and checksums.

* ``cas_id``: Spacedrive-compatible sampled blake3 — a *candidate* key for "probably the same
  content" (cheap: reads at most 56 KiB of a large file). Never proof of equality.
* ``full_hash``: blake3 of every byte — the integrity hash and the proof for duplicates.
"""

from __future__ import annotations

import os

import blake3

SAMPLE_COUNT = 4
SAMPLE_SIZE = 10 * 1024
HEADER_OR_FOOTER_SIZE = 8 * 1024
MINIMUM_FILE_SIZE = 100 * 1024
CAS_ID_HEX_CHARS = 16
READ_CHUNK = 1024 * 1024
MMAP_THRESHOLD = 8 * 1024 * 1024


def sample_ranges(size: int) -> list[tuple[int, int]]:
    """(offset, length) pairs the cas_id reads from a file of ``size`` bytes."""
    if size <= MINIMUM_FILE_SIZE:
        return [(0, size)]
    step = (size - 2 * HEADER_OR_FOOTER_SIZE) // SAMPLE_COUNT
    ranges = [(0, HEADER_OR_FOOTER_SIZE)]
    ranges += [(HEADER_OR_FOOTER_SIZE + i * step, SAMPLE_SIZE) for i in range(SAMPLE_COUNT)]
    ranges.append((size - HEADER_OR_FOOTER_SIZE, HEADER_OR_FOOTER_SIZE))
    return ranges


def cas_id_of_fd(fd: int, size: int) -> str | None:
    """The cas_id of an open file whose size is ``size`` (``None`` for empty files)."""
    if size <= 0:
        return None
    h = blake3.blake3(size.to_bytes(8, "little"))
    for offset, length in sample_ranges(size):
        data = os.pread(fd, length, offset)
        if len(data) != length:
            raise ChangedWhileReading(f"file shrank while reading (expected {length} bytes at {offset})")
        h.update(data)
    return h.hexdigest()[:CAS_ID_HEX_CHARS]


def cas_id_of_samples(size: int, samples: list[bytes]) -> str | None:
    """The cas_id of a file of ``size`` bytes from the bytes of its ``sample_ranges``, read
    elsewhere (a remote volume's ranged reads): the same bytes give the same cas_id anywhere."""
    if size <= 0:
        return None
    h = blake3.blake3(size.to_bytes(8, "little"))
    for (offset, length), data in zip(sample_ranges(size), samples, strict=True):
        if len(data) != length:
            raise ChangedWhileReading(f"file shrank while reading (expected {length} bytes at {offset})")
        h.update(data)
    return h.hexdigest()[:CAS_ID_HEX_CHARS]


def cas_id(path: str | bytes | os.PathLike, size: int | None = None) -> str | None:
    """The cas_id of the file at ``path`` (opened without following symlinks)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        if size is None:
            size = os.fstat(fd).st_size
        return cas_id_of_fd(fd, size)
    finally:
        os.close(fd)


def full_hash_of_fd(fd: int, should_stop=None) -> str:
    """blake3 of every byte of an open file, read in 1 MiB chunks (the GIL is released while hashing).

    ``should_stop`` (a callable) is polled between chunks; when it returns true, ``Interrupted``
    is raised so a pause does not wait for a 10 GB file.
    """
    size = os.fstat(fd).st_size
    if size <= READ_CHUNK:
        # small files: one read, no buffer to allocate and zero (most files in a home folder)
        data = os.read(fd, READ_CHUNK + 1)
        h = blake3.blake3(data)
        while len(data) > READ_CHUNK:  # it grew since the stat: read the rest too
            data = os.read(fd, READ_CHUNK)
            if not data:
                break
            h.update(data)
        return h.hexdigest()
    h = blake3.blake3(max_threads=blake3.blake3.AUTO) if size >= MMAP_THRESHOLD else blake3.blake3()
    buf = bytearray(READ_CHUNK)
    view = memoryview(buf)
    while True:
        n = os.readv(fd, [buf])
        if n == 0:
            break
        h.update(view[:n])
        if should_stop is not None and should_stop():
            raise HashInterrupted()
    return h.hexdigest()


def full_hash(path: str | bytes | os.PathLike, should_stop=None) -> str:
    """Full-content blake3 hex digest of the file at ``path`` (never follows a symlink)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        return full_hash_of_fd(fd, should_stop)
    finally:
        os.close(fd)


class ChangedWhileReading(OSError):
    """The file changed under us (shrank, or its stat changed) while it was being read."""


class HashInterrupted(Exception):  # noqa: N818
    """A pause or cancel stopped a long hash; nothing was stored."""

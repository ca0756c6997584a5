"""Block sharing between files: ``FICLONE`` (make a file share all of another's blocks: btrfs, XFS
with reflink, bcachefs, ...) and ``FIEMAP`` (where a file's bytes lie on the device), so a clone can
be made, and a pair of files already sharing every block recognised, without reading them.

Linux only; elsewhere ``clone`` raises ``OSError(EOPNOTSUPP)`` and ``physical_extents`` returns None.
"""

from __future__ import annotations

import errno
import os
import struct

from sd_desktop.volumes.backend import LOCAL, ReadWriteVolume, VolumeBackend

FICLONE = 0x40049409
FS_IOC_FIEMAP = 0xC020660B
_FIEMAP_FLAG_SYNC = 0x1  # flush delayed allocations first, so every extent has its real place
_EXTENT_LAST = 0x1
# extents whose physical address says nothing about sharing: not placed yet, packed with other
# files' tails, stored inside the inode, or encoded (compressed/encrypted: their address is a guess)
_EXTENT_UNSURE = 0x2 | 0x4 | 0x8 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800
_EXTENT_INLINE = 0x200
_HEAD = struct.Struct("=QQLLLL")  # struct fiemap: start, length, flags, mapped, count, reserved
_EXTENT = struct.Struct("=QQQQQLLLL")  # struct fiemap_extent: logical, physical, length, 2 reserved, flags, 3 reserved
_BATCH = 256
# ioctl errors that mean "this file system cannot share blocks between these two files"
NO_CLONE_ERRNOS = frozenset({errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EINVAL, errno.ENOTTY, errno.ENOSYS})


def clone(src_fd: int, dst_fd: int) -> None:
    """Make ``dst_fd`` share all of ``src_fd``'s blocks (its size too). ``OSError`` when refused:
    an errno in ``NO_CLONE_ERRNOS`` means the file system (or the pair of devices) cannot."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP)) from None
    fcntl.ioctl(dst_fd, FICLONE, src_fd)


def _fiemap(fd: int) -> list[tuple[int, int, int, int]] | None:
    """(logical offset, physical offset, length, flags) of every extent of the open file, or None
    where FIEMAP is not answered."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    found: list[tuple[int, int, int, int]] = []
    start = 0
    while True:
        buf = bytearray(_HEAD.size + _EXTENT.size * _BATCH)
        _HEAD.pack_into(buf, 0, start, 2**64 - 1 - start, _FIEMAP_FLAG_SYNC, 0, _BATCH, 0)
        try:
            fcntl.ioctl(fd, FS_IOC_FIEMAP, buf)
        except OSError:
            return None
        mapped = _HEAD.unpack_from(buf, 0)[3]
        if mapped == 0:
            return found
        last = False
        for i in range(mapped):
            logical, physical, length, _r1, _r2, flags, *_ = _EXTENT.unpack_from(buf, _HEAD.size + i * _EXTENT.size)
            found.append((logical, physical, length, flags))
            last = bool(flags & _EXTENT_LAST)
            start = logical + length
        if last:
            return found


def physical_extents(fd: int) -> list[tuple[int, int, int]] | None:
    """(logical offset, physical offset, length) of every extent of the open file, or None when
    they cannot be told (no FIEMAP here, or an extent whose address proves nothing)."""
    found = _fiemap(fd)
    if found is None or any(flags & _EXTENT_UNSURE for *_e, flags in found):
        return None
    return [(logical, physical, length) for logical, physical, length, _flags in found]


def stored_inline(path: bytes, backend: VolumeBackend = LOCAL) -> bool:
    """Whether the file's bytes live inside its metadata (btrfs and ext4 keep small files so): no
    block to share, so a clone of it gives nothing back."""
    try:
        fd = backend.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        found = _fiemap(fd)
    finally:
        backend.close(fd)
    return bool(found) and any(flags & _EXTENT_INLINE for *_e, flags in found)


def share_all_blocks(a: bytes, b: bytes, backend: VolumeBackend = LOCAL) -> bool:
    """Whether the regular files ``a`` and ``b`` (not one inode) hold their bytes in the very same
    blocks: a reflink of one another, all of it. False when it cannot be told (better to clone again,
    which is harmless, than to skip a copy that takes space of its own)."""
    fds = []
    try:
        for path in (a, b):
            fds.append(backend.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)))
        if backend.fstat(fds[0]).st_size != backend.fstat(fds[1]).st_size:
            return False
        ea, eb = physical_extents(fds[0]), physical_extents(fds[1])
    except OSError:
        return False
    finally:
        for fd in fds:
            backend.close(fd)
    # an empty list (no data blocks at all) proves nothing either
    return bool(ea) and _merged(ea) == _merged(eb or [])


def _merged(extents: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Adjacent extents joined: two files sharing blocks may report them split differently."""
    out: list[list[int]] = []
    for logical, physical, length in extents:
        if out and out[-1][0] + out[-1][2] == logical and out[-1][1] + out[-1][2] == physical:
            out[-1][2] += length
        else:
            out.append([logical, physical, length])
    return [tuple(e) for e in out]


def can_clone(src: bytes, folder: bytes, backend: ReadWriteVolume = LOCAL) -> bool:
    """Whether a file in ``folder`` can share ``src``'s blocks: learnt by trying (a clone of ``src``
    under a hidden temporary name there, removed at once), not from the file system's name (XFS
    made without reflink has the same name as XFS made with it)."""
    import secrets

    probe = os.path.join(folder, b".sd-desktop-probe-" + secrets.token_hex(4).encode() + b".part")
    try:
        src_fd = backend.open(src, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        dst_fd = backend.create_temp(probe, 0o600)
    except OSError:
        backend.close(src_fd)
        return False
    try:
        clone(src_fd, dst_fd)
        return True
    except OSError:
        return False
    finally:
        os.close(dst_fd)
        backend.close(src_fd)
        try:
            backend.unlink(probe)
        except OSError:
            pass

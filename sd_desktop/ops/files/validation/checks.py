"""Checking one item: existence and stat against the library (basic), full blake3 against the stored
integrity hash (integrity), content against its name (corruption), and read permission.

Severities: ``critical`` data is probably damaged (content changed while size and mtime did not,
read errors); ``error`` something is wrong (missing, corrupt, does not decode); ``warning`` likely
a problem (size changed, extension mismatch); ``info`` worth knowing (modified, new, moved).
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field

import blake3

from sd_desktop.cas import HashInterrupted
from sd_desktop.ops.files.corruption import check_file
from sd_desktop.ops.files.validation.listing import Item
from sd_desktop.volumes.backend import LOCAL, READ_FLAGS, VolumeBackend

FAT_TOLERANCE_NS = 2_000_000_000  # FAT stores modification times with 2-second resolution
SMALL_READ = 1024 * 1024
OPEN_FLAGS = READ_FLAGS


@dataclass
class Modes:
    basic: bool
    integrity: bool
    corruption: bool
    permissions: bool


@dataclass
class ItemResult:
    issues: list[dict] = field(default_factory=list)
    missing: dict | None = None  # an indexed file that is gone (maybe moved)
    new: dict | None = None  # a file on disk the library does not know (with its hash when a move is possible)
    checked: bool = False
    not_hashed: bool = False
    bytes_read: int = 0


def issue(path: bytes, type_: str, severity: str, message: str, action: str) -> dict:
    return {"path": path, "type": type_, "severity": severity, "message": message, "suggested_action": action}


def hash_fd(fd: int, size: int, should_stop=None, fs: VolumeBackend = LOCAL) -> str:
    """Full-content blake3 (the same digest as ``cas.full_hash``); small files in one read."""
    if size <= SMALL_READ:
        data = fs.pread(fd, size + 1, 0)
        if len(data) == size:
            return blake3.blake3(data).hexdigest()
    return fs.full_hash_of_fd(fd, should_stop)


def _mtime_close(a: int | None, b: int | None) -> bool:
    return a is not None and b is not None and abs(a - b) <= FAT_TOLERANCE_NS


def open_item(item: Item, fs: VolumeBackend = LOCAL) -> int:
    """Open a listed file for its check (the caller may do it ahead of time: ``readahead``)."""
    if item.disk is None:
        raise NotListed(item.path)
    return fs.open(item.path, OPEN_FLAGS)


class NotListed(OSError):
    """An entry the walk did not find as a regular file: nothing to open."""


def check_item(
    item: Item,
    modes: Modes,
    should_stop=None,
    opened: int | OSError | None = None,
    fs: VolumeBackend = LOCAL,
) -> ItemResult:
    """Check one item, its file read through ``fs``. ``opened``: what ``open_item`` gave for it, when
    it was opened ahead (the fd stays open: its opener closes it); by default the file is opened (and
    closed) here."""
    res = ItemResult()
    path = item.path
    entry = item.entry
    if item.disk is None:
        try:
            st = fs.lstat(path)
        except (FileNotFoundError, NotADirectoryError):  # gone, or a folder above it is a file now
            res.missing = {"path": path, "size": entry[0], "hash": entry[5]}
            return res
        except OSError as exc:
            res.issues.append(issue(path, "unreadable", "error", f"cannot check: {exc.strerror}", "check permissions"))
            return res
        if not stat.S_ISREG(st.st_mode):
            what = "a folder" if stat.S_ISDIR(st.st_mode) else "a link or special file"
            res.issues.append(
                issue(path, "type_changed", "warning", f"indexed as a file, now {what}", "re-index the location")
            )
        return res
    try:
        if opened is None:
            fd = fs.open(path, OPEN_FLAGS)
        elif isinstance(opened, OSError):
            raise opened
        else:
            fd = opened
    except (FileNotFoundError, NotADirectoryError):  # gone since the walk, or a folder above it is a file now
        if entry is not None:
            res.missing = {"path": path, "size": entry[0], "hash": entry[5]}
        return res
    except PermissionError:
        res.issues.append(
            issue(path, "unreadable", "error", "permission denied: cannot read this file", "fix its permissions")
        )
        return res
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # O_NOFOLLOW met a symlink: the file was replaced by one since the walk
            res.issues.append(
                issue(path, "type_changed", "warning", "listed as a file, now a link", "re-index the location")
            )
        else:
            res.issues.append(
                issue(path, "unreadable", "error", f"cannot open: {exc.strerror or exc}", "check the file")
            )
        return res
    try:
        st = fs.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return res
        fs.set_blocking(fd, True)
        res.checked = True
        _check_open(fd, st, item, modes, res, should_stop, fs)
    except HashInterrupted:
        raise
    except OSError as exc:
        res.issues.append(
            issue(
                path,
                "read_error",
                "critical",
                f"reading failed: {exc.strerror or exc}",
                "the disk may be failing: copy what you can elsewhere and check the disk's health",
            )
        )
    finally:
        if opened is None:
            fs.close(fd)
    return res


def _check_open(
    fd: int, st: os.stat_result, item: Item, modes: Modes, res: ItemResult, should_stop, fs: VolumeBackend
) -> None:
    path, entry = item.path, item.entry
    size = st.st_size
    if modes.permissions:
        if not fs.access(path, os.R_OK):
            res.issues.append(issue(path, "unreadable", "error", "not readable by this user", "fix its permissions"))
        elif not st.st_mode & stat.S_IRUSR:  # readable here only thanks to privileges (root)
            res.issues.append(
                issue(
                    path,
                    "permissions",
                    "warning",
                    f"its owner has no read permission (mode {stat.filemode(st.st_mode)})",
                    "fix its permissions (chmod u+r)",
                )
            )
    digest = None
    wants_move_hash = item.indexed and entry is None and item.hash_for_move and modes.integrity
    if wants_move_hash or (modes.integrity and entry is not None and entry[5] is not None):
        digest = hash_fd(fd, size, should_stop, fs)
        res.bytes_read += size
    judge(item, modes, res, size, st.st_mtime_ns, digest)
    if modes.corruption:
        for f in check_file(fd, path, size, fs):
            res.issues.append(issue(path, f.type, f.severity, f.message, f.suggested_action))


def judge(item: Item, modes: Modes, res: ItemResult, size: int, mtime_ns: int | None, digest: str | None) -> None:
    """The findings of the basic and integrity checks of a listed file from its size, time and full
    hash (``digest``: None where none was made), whether it was read from a local disk or a volume."""
    path, entry = item.path, item.entry
    if item.indexed and entry is None:
        res.new = {"path": path, "size": size, "hash": digest}
    modified = False
    if modes.integrity and entry is not None:
        if entry[5] is None:
            res.not_hashed = True
        elif digest != entry[5]:
            modified = True
            if size == entry[0] and _mtime_close(mtime_ns, entry[1]):
                res.issues.append(
                    issue(
                        path,
                        "content_changed_mtime_same",
                        "critical",
                        "content differs from the stored checksum although size and modification time "
                        "did not change: likely corruption (bit rot, a bad sector or a failed write)",
                        "restore this file from a backup and check the disk's health",
                    )
                )
            else:
                res.issues.append(
                    issue(
                        path,
                        "modified",
                        "info",
                        "changed since it was indexed (new size or modification time)",
                        "re-index the location to record the new content",
                    )
                )
    if modes.basic and entry is not None and not modified:
        if size != entry[0]:
            res.issues.append(
                issue(
                    path,
                    "size_changed",
                    "warning",
                    f"size is {size} bytes on disk, {entry[0]} in the library",
                    "re-index the location; if nobody changed the file, restore it from a backup",
                )
            )
        elif entry[1] is not None and not _mtime_close(mtime_ns, entry[1]):
            res.issues.append(
                issue(
                    path,
                    "mtime_changed",
                    "info",
                    "modification time differs from the library's",
                    "re-index the location",
                )
            )

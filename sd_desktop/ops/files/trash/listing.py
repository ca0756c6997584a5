"""Every trash the user has and what is in it (freedesktop.org Trash specification), read-only.

The trashes are the home trash (``$XDG_DATA_HOME/Trash``) and, on each mounted volume,
``$topdir/.Trash/$uid`` and ``$topdir/.Trash-$uid``. A volume's trash is read only when it would be
used for trashing: this user's own real folder (not a link), under a ``.Trash`` that is a real
folder with the sticky bit; a planted folder is not listed (FAULTS 19). Nothing is created here.

An item is an entry of ``files/`` with its record ``info/<name>.trashinfo`` (original path,
deletion date). An item without a record is listed with its problem (its origin is unknown); a
record without an item (an orphan) is not an item, but is returned so emptying removes it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil

from sd_desktop import paths
from sd_desktop.ops.files.delete.freedesktop_trash import (
    INFO_SUFFIX,
    home_trash,
    read_trashinfo,
    trash_holding,
    trashinfo_of,
)
from sd_desktop.volumes.backend import LOCAL, VolumeBackend
from sd_desktop.volumes.manager import PSEUDO_FS


@dataclass(frozen=True)
class TrashDir:
    path: bytes  # the trash folder (holds files/ and info/)
    topdir: bytes | None  # the volume's top folder its records are relative to; None: the home trash


@dataclass
class TrashItem:
    trash_path: bytes  # <trash>/files/<name>
    trashinfo: bytes | None  # <trash>/info/<name>.trashinfo; None when the item has no record
    original_path: bytes | None  # absolute; None when unknown (no record, or one that cannot be read)
    deleted_at: str | None  # as recorded: YYYY-MM-DDThh:mm:ss, local time
    size: int  # bytes; a folder: the files below it
    is_dir: bool
    trash_dir: bytes
    problem: str | None = None  # why it cannot be restored (no or bad record)
    recorded_ns: int = 0  # when its record was written: orders deletions within one second

    @property
    def name(self) -> str:
        """The name it had (the item's name in the trash when its origin is unknown)."""
        return paths.display(os.path.basename(self.original_path or self.trash_path))

    def to_json(self) -> dict:
        show = paths.display
        return {
            "name": self.name,
            "original_path": show(self.original_path) if self.original_path is not None else None,
            "deleted_at": self.deleted_at,
            "size": self.size,
            "is_dir": self.is_dir,
            "trash_path": show(self.trash_path),
            "trashinfo": show(self.trashinfo) if self.trashinfo is not None else None,
            "problem": self.problem,
        }


@dataclass
class TrashListing:
    items: list[TrashItem] = field(default_factory=list)  # newest deletion first
    orphans: list[bytes] = field(default_factory=list)  # .trashinfo files whose item is gone
    trashes: list[TrashDir] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # trash folders that could not be read

    @property
    def total_size(self) -> int:
        return sum(i.size for i in self.items)


def trash_dirs(backend: VolumeBackend = LOCAL) -> list[TrashDir]:
    """The trashes of this user that exist now: the home trash first, then one per volume."""
    found: list[TrashDir] = []
    seen: set[tuple[int, int]] = set()

    def add(path: bytes, topdir: bytes | None) -> None:
        try:
            st = backend.stat(path)
        except OSError:
            return
        if stat.S_ISDIR(st.st_mode) and (st.st_dev, st.st_ino) not in seen:
            seen.add((st.st_dev, st.st_ino))
            found.append(TrashDir(path, topdir))

    add(home_trash(), None)
    uid = str(os.getuid()).encode()
    for top in _mount_points():
        shared = os.path.join(top, b".Trash")
        if _is_real_dir(backend, shared, sticky=True) and _is_own_dir(backend, os.path.join(shared, uid)):
            add(os.path.join(shared, uid), top)
        if _is_own_dir(backend, os.path.join(top, b".Trash-" + uid)):
            add(os.path.join(top, b".Trash-" + uid), top)
    return found


def list_trash(
    dirs: list[TrashDir] | None = None,
    *,
    sizes: bool = True,
    should_stop: Callable[[], bool] | None = None,
    backend: VolumeBackend = LOCAL,
) -> TrashListing:
    """Every item of ``dirs`` (default: every trash), newest deletion first (undated ones last)."""
    listing = TrashListing(trashes=trash_dirs(backend) if dirs is None else dirs)
    for trash in listing.trashes:
        files, info = os.path.join(trash.path, b"files"), os.path.join(trash.path, b"info")
        try:
            names = _names(backend, files)
        except OSError as exc:
            listing.problems.append(f"cannot read {paths.display(files)}: {exc.strerror or exc}")
            continue
        for name in names:
            if should_stop is not None and should_stop():
                return listing
            listing.items.append(_item(backend, trash, name, sizes))
        try:
            records = _names(backend, info)
        except OSError:
            records = set()
        for record in records:
            if record.endswith(INFO_SUFFIX) and record[: -len(INFO_SUFFIX)] not in names:
                listing.orphans.append(os.path.join(info, record))
    listing.items.sort(
        key=lambda i: (i.deleted_at is not None, i.deleted_at or "", i.recorded_ns, i.trash_path), reverse=True
    )
    return listing


def read_item(trash_path: paths.PathLike, *, size: bool = False, backend: VolumeBackend = LOCAL) -> TrashItem:
    """One item, ``<trash>/files/<name>``, with its record. Raises ``ValueError`` when the path is
    not an item of a trash, ``FileNotFoundError`` when it is not (or no longer) there."""
    raw = os.path.normpath(os.path.abspath(os.fsencode(trash_path)))
    holder = trash_holding(raw)
    files, name = os.path.split(raw)
    if holder is None or files != os.path.join(holder, b"files"):
        raise ValueError(f"{paths.display(raw)} is not an item of a trash (<trash>/files/<name>)")
    if not backend.lexists(raw):
        raise FileNotFoundError(f"{paths.display(raw)} is not in the trash (any more)")
    return _item(backend, TrashDir(holder, topdir_of(holder)), name, size)


def newest_trashed(original: paths.PathLike, listing: TrashListing) -> TrashItem | None:
    """The item most recently trashed from ``original`` (an absolute path), or None."""
    raw = os.path.normpath(os.path.abspath(os.fsencode(original)))
    return next((i for i in listing.items if i.original_path == raw), None)  # the listing is newest first


def topdir_of(trash_dir: bytes) -> bytes | None:
    """The volume top folder of a ``.Trash-$uid`` or ``.Trash/$uid`` trash; None for the home trash."""
    parent, name = os.path.split(os.path.normpath(trash_dir))
    if name.startswith(b".Trash-"):
        return parent
    if os.path.basename(parent) == b".Trash":
        return os.path.dirname(parent)
    return None


def _item(backend: VolumeBackend, trash: TrashDir, name: bytes, sizes: bool) -> TrashItem:
    path = os.path.join(trash.path, b"files", name)
    record = trashinfo_of(path)
    try:
        st = backend.lstat(path)
    except OSError:
        st = None
    is_dir = st is not None and stat.S_ISDIR(st.st_mode)
    size = 0
    if st is not None and sizes:
        size = _tree_size(backend, path) if is_dir else st.st_size
    item = TrashItem(path, record, None, None, size, is_dir, trash.path)
    try:
        info = read_trashinfo(record)
    except FileNotFoundError:
        item.trashinfo = None
        item.problem = "it has no .trashinfo record: where it came from is unknown"
        return item
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        item.problem = f"its .trashinfo record cannot be read: {reason}"
        return item
    item.deleted_at = info.deletion_date or None
    try:
        item.recorded_ns = backend.stat(record).st_mtime_ns
    except OSError:
        pass
    if os.path.isabs(info.path):
        item.original_path = os.path.normpath(info.path)
    elif trash.topdir is not None:
        item.original_path = os.path.normpath(os.path.join(trash.topdir, info.path))
    else:
        item.problem = "its .trashinfo record has a relative path in the home trash: where it came from is unknown"
    return item


def _names(backend: VolumeBackend, folder: bytes) -> set[bytes]:
    with backend.scandir(folder) as it:
        return {e.name for e in it}


def _tree_size(backend: VolumeBackend, top: bytes) -> int:
    """Bytes of the regular files below ``top`` (links not followed, unreadable folders skipped)."""
    total, stack = 0, [top]
    while stack:
        try:
            with backend.scandir(stack.pop()) as it:
                for e in it:
                    try:
                        st = e.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if stat.S_ISDIR(st.st_mode):
                        stack.append(e.path)
                    elif stat.S_ISREG(st.st_mode):
                        total += st.st_size
        except OSError:
            continue
    return total


def _mount_points() -> list[bytes]:
    """Mounted file systems that may hold a trash (pseudo file systems left out), each once."""
    try:
        parts = psutil.disk_partitions(all=True)
    except (OSError, RuntimeError):
        return []
    tops: list[bytes] = []
    for part in parts:
        top = os.fsencode(part.mountpoint)
        if part.fstype not in PSEUDO_FS and top not in tops:
            tops.append(top)
    return tops


def _is_real_dir(backend: VolumeBackend, path: bytes, *, sticky: bool = False) -> bool:
    try:
        st = backend.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and (not sticky or bool(st.st_mode & stat.S_ISVTX))


def _is_own_dir(backend: VolumeBackend, path: bytes) -> bool:
    try:
        st = backend.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid()

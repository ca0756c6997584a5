"""How one path is deleted: to the trash, permanently, or securely (overwrite first).

The trash is ``freedesktop_trash`` on Linux and the other free desktops (send2trash cannot be
trusted with the choice of trash folder there: FAULTS 19) and send2trash on Windows and macOS.

Symlinks are never followed: folders are walked through descriptors opened with ``O_NOFOLLOW``
relative to their parent, so a folder swapped for a link mid-way cannot redirect the deletion.
Every removal, overwrite and rename goes through the volume's backend (``vol``); the trash and the
secure overwrite are its capabilities.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Callable
from dataclasses import dataclass, field

from sd_desktop.volumes import freedesktop_trash
from sd_desktop.volumes.backend import LOCAL, ReadWriteVolume
from sd_desktop.volumes.local_writes import Capability, NotSupported, WritableVolume

OVERWRITE_CHUNK = 1024 * 1024
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class DeleteInterrupted(Exception):  # noqa: N818 - control flow
    """A pause or cancel stopped the deletion of a folder part-way; what is left is deleted on resume."""


class Refused(Exception):  # noqa: N818
    """A safety rule kept this file (for example: secure delete of a file with other hard links)."""


@dataclass
class Tally:
    """Counters shared with the progress ticker (written on the worker thread)."""

    files: int = 0
    bytes: int = 0
    current: bytes = b""
    overwritten: int = 0  # secure mode: files whose content was overwritten (the caveat is about them)
    problems: list[tuple[bytes, str]] = field(default_factory=list)


def trash(path: bytes, vol: WritableVolume = LOCAL) -> bytes | None:
    """Move ``path`` (a link itself, never its target) to the volume's trash; raises on any failure
    (``NotSupported`` where the volume has no trash: nothing is deleted).

    Returns where it went (``<trash>/files/<name>``, its record beside in ``info/``) on the free
    desktops; None where send2trash does not say (Windows, macOS)."""
    if not vol.supports(Capability.TRASH):
        raise NotSupported(Capability.TRASH)
    return vol.trash(path)


def forget_trash_record(path: bytes, vol: WritableVolume = LOCAL) -> None:
    """After ``path``, an item of a trash's ``files/``, was deleted (or found gone): remove its
    ``.trashinfo`` too, as the trash specification asks, so no orphan record is left."""
    item = os.path.normpath(os.path.abspath(path))
    holder = freedesktop_trash.trash_holding(item)
    if holder is None or os.path.dirname(item) != os.path.join(holder, b"files"):
        return  # not an item of the trash itself (something inside a trashed folder, or no trash)
    vol.unlink(freedesktop_trash.trashinfo_of(item), missing_ok=True)


@dataclass
class Remover:
    """Permanent (``passes == 0``) or secure (``passes >= 1``) deletion of files and folder trees."""

    passes: int
    force_hardlinks: bool
    should_stop: Callable[[], bool]
    tally: Tally
    scramble_prefix: str = ".sd-desktop-shred-"  # the job sets one per item, so a resume finds leftovers
    vol: ReadWriteVolume = LOCAL  # the volume's backend: every removal (and the look before it) goes through it

    def delete(self, path: bytes) -> None:
        """Delete ``path``; raises OSError/Refused when the top path itself stays."""
        parent, name = os.path.split(path)
        pfd = self.vol.open(parent or b".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            st = self.vol.lstat(name, dir_fd=pfd)
            if stat.S_ISDIR(st.st_mode):
                self._tree(pfd, name, path)
            else:
                self._leaf(pfd, name, st, path)
        finally:
            self.vol.close(pfd)

    def _leaf(self, dir_fd: int, name: bytes | str, st: os.stat_result, shown: bytes) -> None:
        self.tally.current = shown
        if self.passes and stat.S_ISREG(st.st_mode):
            self._overwrite(dir_fd, name, shown)
            name = self._scramble_name(dir_fd, name)
        self.vol.unlink(name, dir_fd=dir_fd)
        if stat.S_ISREG(st.st_mode):
            self.tally.files += 1
            self.tally.bytes += st.st_size

    def _overwrite(self, dir_fd: int, name: bytes | str, shown: bytes) -> None:
        fd = self.vol.open_overwrite(name, dir_fd=dir_fd)
        try:
            st = self.vol.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise Refused("no longer a regular file; not overwritten")
            if st.st_nlink > 1 and not self.force_hardlinks:
                raise Refused(
                    f"refused: this file has {st.st_nlink} hard links; overwriting it would destroy the content "
                    "under its other names too (force_hardlinks to do it anyway)"
                )
            for _ in range(self.passes):
                os.lseek(fd, 0, os.SEEK_SET)
                left = st.st_size
                while left > 0:
                    if self.should_stop():
                        raise DeleteInterrupted()
                    chunk = os.urandom(min(OVERWRITE_CHUNK, left))
                    self.vol.write_all(fd, chunk)
                    left -= len(chunk)
                self.vol.fsync(fd)
            if st.st_size:
                self.tally.overwritten += 1
        finally:
            os.close(fd)

    def _scramble_name(self, dir_fd: int, name: bytes | str) -> str:
        """Rename to a random name so the old name does not linger in the folder's blocks."""
        while True:
            new = self.scramble_prefix + secrets.token_hex(8)
            try:
                self.vol.rename(name, new, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            except FileExistsError:
                continue
            self.vol.fsync_dir(dir_fd)
            return new

    def _tree(self, pfd: int, name: bytes | str, shown: bytes) -> None:
        fd = self._open_dir(pfd, name)
        device = self.vol.fstat(fd).st_dev
        stack = [(fd, _list(self.vol, fd), pfd, name, shown)]
        try:
            while stack:
                fd, names, parent_fd, dname, dshown = stack[-1]
                if names:
                    if self.should_stop():
                        raise DeleteInterrupted()
                    child = names.pop()
                    child_shown = os.path.join(dshown, os.fsencode(child))
                    try:
                        st = self.vol.lstat(child, dir_fd=fd)
                        if stat.S_ISDIR(st.st_mode) and st.st_dev != device:
                            self.tally.problems.append(
                                (child_shown, "another file system is mounted here: not entered, nothing deleted")
                            )
                        elif stat.S_ISDIR(st.st_mode):
                            cfd = self._open_dir(fd, child)
                            stack.append((cfd, _list(self.vol, cfd), fd, child, child_shown))
                        else:
                            self._leaf(fd, child, st, child_shown)
                    except FileNotFoundError:
                        pass
                    except (OSError, Refused) as exc:
                        self.tally.problems.append((child_shown, _reason(exc)))
                    continue
                stack.pop()
                self.vol.close(fd)
                try:
                    self.vol.rmdir(dname, dir_fd=parent_fd)
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    if not stack:
                        raise
                    self.tally.problems.append((dshown, _reason(exc)))
        finally:
            for fd, *_ in stack:
                self.vol.close(fd)

    def _open_dir(self, parent_fd: int, name: bytes | str) -> int:
        before = self.vol.lstat(name, dir_fd=parent_fd)
        fd = self.vol.open(name, _DIR_FLAGS, dir_fd=parent_fd)
        st = self.vol.fstat(fd)
        if (st.st_dev, st.st_ino) != (before.st_dev, before.st_ino):
            self.vol.close(fd)
            raise OSError(errno.EAGAIN, "the folder was replaced while being deleted")
        return fd


def remove_scrambled(folder: bytes, prefix: str, vol: ReadWriteVolume = LOCAL) -> int:
    """Unlink files a killed secure delete left under its scrambled names (already overwritten)."""
    removed = 0
    raw = os.fsencode(prefix)
    try:
        with vol.scandir(folder) as it:
            names = [e.name for e in it if e.name.startswith(raw)]
    except OSError:
        return 0
    for name in names:
        try:
            vol.unlink(os.path.join(folder, name))
            removed += 1
        except OSError:
            pass
    return removed


def _list(vol: ReadWriteVolume, fd: int) -> list[str]:
    with vol.scandir(fd) as it:
        return [e.name for e in it]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOTEMPTY:
            return "folder not empty: some of its contents could not be deleted"
        return exc.strerror or str(exc)
    return str(exc)


def secure_delete_caveat(fstype: str | None, *, copy_on_write: bool, network: bool) -> str:
    """What a secure delete can promise on this file system (said plainly, never overstated)."""
    base = (
        "secure delete overwrote the file's blocks as the file system exposes them; on SSDs and flash storage "
        "wear levelling can keep old copies, so nothing is guaranteed there"
    )
    if copy_on_write:
        return (
            f"{base}; this is a copy-on-write file system ({fstype}): overwrites go to new blocks and the old "
            "data may remain (snapshots too) — no guarantee"
        )
    if network:
        return (
            f"{base}; this is a network file system ({fstype}): the server decides what is overwritten — no guarantee"
        )
    if fstype == "tmpfs":
        return f"{base}; tmpfs lives in memory and may have been swapped out"
    return base

"""The lint walk of one unit of work (blocking): a root's own entries, or one folder and all below it.

Never follows a symlink and never opens anything but a regular file whose extension the validator
checks (its first 4 KiB, opened without following links and without blocking, so a FIFO put in a
file's place cannot hang the walk). A folder that cannot be listed is reported through
``on_error`` and is not empty (nobody can say), nor is any folder above it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field

from sd_desktop import paths
from sd_desktop.ops.files import lint_rules as rules
from sd_desktop.ops.files.corruption import FAMILY_OF, HEAD_BYTES, extension_of, mislabelled
from sd_desktop.volumes.backend import LOCAL, VolumeBackend

OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)

Finding = tuple[bytes, str, str, int, int]  # (path, type, message, size, mtime_ns)


class ScanInterrupted(Exception):
    """``should_stop`` said so; the unit is walked again on resume."""


@dataclass
class _Frame:
    path: bytes
    subdirs: list[bytes] = field(default_factory=list)
    empty: bool = True  # nothing but (empty) folders seen so far
    empty_subdirs: list[bytes] = field(default_factory=list)


def entry_finding(path: bytes, st: os.stat_result, fs: VolumeBackend = LOCAL) -> Finding | None:
    """The finding for one entry that is not a folder (None: nothing wrong with it)."""
    name = os.path.basename(path)
    if stat.S_ISLNK(st.st_mode):
        if rules.is_broken_link(path, fs):
            target = paths.display(fs.readlink(path)) if _readable_link(path, fs) else "?"
            return (path, rules.BROKEN_SYMLINK, f"broken link: {target} does not exist", 0, st.st_mtime_ns)
        return None
    if not stat.S_ISREG(st.st_mode):
        return None  # FIFOs, sockets, devices: never opened
    if rules.is_temporary_name(name):
        return (path, rules.TEMPORARY_FILE, "temporary file", st.st_size, st.st_mtime_ns)
    if st.st_size == 0:
        return (path, rules.EMPTY_FILE, "empty file (0 bytes)", 0, st.st_mtime_ns)
    if extension_of(path) in FAMILY_OF:
        try:
            fd = fs.open(path, OPEN_FLAGS)
        except OSError:
            return None  # replaced or unreadable since the listing: nothing to say about its content
        try:
            if not stat.S_ISREG(fs.fstat(fd).st_mode):
                return None
            head = fs.pread(fd, HEAD_BYTES, 0)
        except OSError:
            return None
        finally:
            fs.close(fd)
        lie = mislabelled(path, head)
        if lie is not None:
            return (path, rules.WRONG_EXTENSION, f"{lie.message}: {lie.suggested_action}", st.st_size, st.st_mtime_ns)
    return None


def _readable_link(path: bytes, fs: VolumeBackend) -> bool:
    try:
        fs.readlink(path)
    except OSError:
        return False
    return True


def scan_entry(path: bytes, on_error: Callable[[bytes, str], None], fs: VolumeBackend = LOCAL) -> list[Finding]:
    """A root that is not a folder: its own finding, if any."""
    try:
        st = fs.lstat(path)
    except OSError as exc:
        on_error(path, f"cannot read: {exc.strerror or exc}")
        return []
    found = entry_finding(path, st, fs)
    return [found] if found else []


def scan_folder(
    folder: bytes,
    on_error: Callable[[bytes, str], None],
    should_stop: Callable[[], bool] | None = None,
    *,
    recursive: bool = True,
    report_self: bool = True,
    fs: VolumeBackend = LOCAL,
) -> list[Finding]:
    """Findings in ``folder`` (and below it when ``recursive``). With ``report_self`` the folder
    itself is reported when it holds only empty folders (a search root is not: it was asked about)."""
    found: list[Finding] = []
    stack = [_list(folder, found, on_error, recursive, fs)]
    while stack:
        if should_stop is not None and should_stop():
            raise ScanInterrupted
        top = stack[-1]
        if top.subdirs:
            stack.append(_list(top.subdirs.pop(), found, on_error, recursive, fs))
            continue
        stack.pop()
        if stack:
            parent = stack[-1]
            if top.empty:
                parent.empty_subdirs.append(top.path)
            else:
                parent.empty = False
        if not top.empty or (not stack and report_self):
            # the highest empty folders: those whose parent is not empty (or the unit's own folder)
            heads = [top.path] if top.empty else sorted(top.empty_subdirs)
            for path in heads:
                try:
                    mtime = fs.lstat(path).st_mtime_ns
                except OSError:
                    continue
                found.append((path, rules.EMPTY_FOLDER, "empty folder", 0, mtime))
    return found


def _list(
    folder: bytes, found: list[Finding], on_error: Callable[[bytes, str], None], recursive: bool, fs: VolumeBackend
) -> _Frame:
    frame = _Frame(folder)
    try:
        it = fs.scandir(folder)
    except OSError as exc:
        on_error(folder, f"cannot list folder: {exc.strerror or exc}")
        frame.empty = False
        return frame
    with it:
        try:
            for entry in it:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if recursive:
                            frame.subdirs.append(entry.path)
                        else:
                            frame.empty = False
                        continue
                    frame.empty = False
                    hit = entry_finding(entry.path, entry.stat(follow_symlinks=False), fs)
                except FileNotFoundError:
                    continue  # vanished mid-walk
                except OSError as exc:
                    frame.empty = False
                    on_error(entry.path, f"cannot stat: {exc.strerror or exc}")
                    continue
                if hit is not None:
                    found.append(hit)
        except OSError as exc:
            frame.empty = False
            on_error(folder, f"error while listing folder: {exc.strerror or exc}")
    frame.subdirs.sort(reverse=True)  # popped from the end: name order
    return frame

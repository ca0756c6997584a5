"""Planning a copy: the checks that refuse a job before anything is written, and the expansion
of sources into the per-file work list (stored in the library's ``work_item`` table)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from sd_desktop import paths
from sd_desktop.enums import EntryKind, WorkStatus
from sd_desktop.ops.files.fsops import free_name
from sd_desktop.volumes import LOCAL, VolumeBackend, same_volume

# A skip the conflict policy asked for counts as done; one the engine imposed (a target that
# appeared mid-way, a file that is not a regular file) counts as failed: it did not do what was asked.
TARGET_EXISTS = "the target already exists"
TARGET_NOT_OLDER = "the target is as new or newer"
IN_THE_WAY = "of that name is in the way at the destination; not replaced"


def asked_skip(reason: str | None, policy: str) -> bool:
    """Was a skip with this reason what the conflict policy asked for?"""
    if reason in (TARGET_EXISTS, TARGET_NOT_OLDER):
        return True
    return policy == "skip" and reason is not None and reason.endswith(IN_THE_WAY)


class PlanRefused(Exception):
    """The job must not start: the message says why, and nothing was written."""


@dataclass
class PlanItem:
    top: int  # index of the source this item belongs to
    kind: int
    src: bytes
    dst: bytes
    size: int = 0
    mtime_ns: int = 0
    conflict: bool = False  # the target existed when planned
    rename: bool = False  # same-volume move: a rename, no bytes copied
    mode: int | None = None  # folders: the mode to give the created target at the end
    existed: bool = False  # folders: the target folder existed when planned (merged into)
    status: int = WorkStatus.PENDING
    reason: str | None = None
    inode: tuple[int, int] | None = None  # files with other hard links: (device, inode)


@dataclass
class Source:
    path: bytes
    target: bytes
    st: os.stat_result


def check_sources(
    sources: list, destination, policy: str, move: bool = False, backend: VolumeBackend = LOCAL
) -> tuple[bytes, list[Source]]:
    """Refuse impossible or dangerous requests up front; returns (destination, sources). A copy onto
    itself (pasted into its own folder) with the ``rename`` policy lands beside it, "name (1).ext"."""
    if not sources:
        raise PlanRefused("nothing to copy: no sources given")
    dest = os.path.abspath(os.fsencode(destination))
    if backend.lexists(dest) and not backend.isdir(dest):
        raise PlanRefused(f"the destination {paths.display(dest)} exists and is not a folder")
    probe = dest
    while not backend.exists(probe):
        probe = os.path.dirname(probe)
    if not backend.access(probe, os.W_OK | os.X_OK):
        raise PlanRefused(f"cannot write into {paths.display(probe)}: permission denied")
    real_dest = backend.realpath(dest)
    found: list[Source] = []
    names: dict[bytes, bytes] = {}
    for raw in sources:
        src = os.path.abspath(os.fsencode(raw))
        name = os.path.basename(src)
        if not name:
            raise PlanRefused(f"cannot copy the root folder {paths.display(src)}")
        try:
            st = backend.lstat(src)
        except FileNotFoundError:
            raise PlanRefused(f"no such file or folder: {paths.display(src)}") from None
        except OSError as exc:
            raise PlanRefused(f"cannot read {paths.display(src)}: {exc.strerror}") from None
        if name in names:
            raise PlanRefused(
                f"two sources have the same name {paths.display(name)} ({paths.display(names[name])} and "
                f"{paths.display(src)}): they would land on one target"
            )
        names[name] = src
        real_src = os.path.join(backend.realpath(os.path.dirname(src)), name)
        if stat.S_ISDIR(st.st_mode) and paths.is_within(real_dest, real_src):
            raise PlanRefused(f"cannot copy the folder {paths.display(src)} into itself ({paths.display(dest)})")
        target = os.path.join(dest, name)
        try:
            tst = backend.lstat(target)
        except FileNotFoundError:
            tst = None
        except NotADirectoryError:
            tst = None
        if tst is not None and (tst.st_dev, tst.st_ino) == (st.st_dev, st.st_ino):
            if policy == "rename" and not move:
                found.append(Source(src, free_name(target), st))
                continue
            raise PlanRefused(f"{paths.display(src)} and {paths.display(target)} are the same file")
        if tst is not None and policy == "abort":
            raise PlanRefused(f"{paths.display(target)} already exists (conflict policy: abort)")
        found.append(Source(src, target, st))
    return dest, found


def expand(
    sources: list[Source], dest: bytes, move: bool, policy: str, should_stop, backend: VolumeBackend = LOCAL
) -> Iterator[PlanItem]:
    """Yield the work list, parents before children. Raises ``PlanRefused`` for ``abort``."""
    for top, source in enumerate(sources):
        st, src, dst = source.st, source.path, source.target
        is_dir = stat.S_ISDIR(st.st_mode)
        rename = move and same_volume(src, dest)
        try:
            tst = backend.lstat(dst)
        except (FileNotFoundError, NotADirectoryError):
            tst = None
        if tst is not None and stat.S_ISDIR(tst.st_mode) != is_dir:
            if policy == "rename":
                dst, tst = free_name(dst), None
            else:
                what = "folder" if stat.S_ISDIR(tst.st_mode) else "file"
                yield PlanItem(
                    top,
                    EntryKind.of_mode(st.st_mode),
                    src,
                    dst,
                    status=WorkStatus.SKIPPED,
                    reason=f"a {what} {IN_THE_WAY}",
                )
                continue
        if rename and (tst is None or not is_dir):
            yield PlanItem(
                top, EntryKind.of_mode(st.st_mode), src, dst, st.st_size, st.st_mtime_ns, tst is not None, True
            )
            continue
        if not is_dir:
            yield _leaf(top, st, src, dst, tst is not None, rename)
            continue
        # an existing folder is merged into, not a conflict (its files may be)
        yield PlanItem(top, EntryKind.DIR, src, dst, 0, st.st_mtime_ns, False, mode=st.st_mode, existed=tst is not None)
        yield from _walk(top, src, dst, tst is not None, rename, should_stop, backend)


def _leaf(top: int, st: os.stat_result, src: bytes, dst: bytes, conflict: bool, rename: bool) -> PlanItem:
    kind = EntryKind.of_mode(st.st_mode)
    if kind == EntryKind.OTHER:
        return PlanItem(
            top,
            kind,
            src,
            dst,
            status=WorkStatus.SKIPPED,
            reason="not a regular file (FIFO, socket or device): not copied",
        )
    size = st.st_size if kind == EntryKind.FILE else 0
    item = PlanItem(top, kind, src, dst, size, st.st_mtime_ns, conflict, rename and kind != EntryKind.DIR)
    if kind == EntryKind.FILE and st.st_nlink > 1 and not item.rename:
        item.inode = (st.st_dev, st.st_ino)
    return item


def _walk(
    top: int, root: bytes, root_dst: bytes, root_exists: bool, rename: bool, should_stop, backend: VolumeBackend
) -> Iterator[PlanItem]:
    stack = [(root, root_dst, root_exists)]
    while stack:
        if should_stop():
            raise InterruptedError("planning interrupted")
        folder, target, target_exists = stack.pop()
        try:
            with backend.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            yield PlanItem(
                top,
                EntryKind.OTHER,
                folder,
                target,
                status=WorkStatus.FAILED,
                reason=f"cannot read this folder: {exc.strerror}; its contents were not copied",
            )
            continue
        subdirs = []
        for entry in entries:
            dst = os.path.join(target, entry.name)
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                yield PlanItem(
                    top,
                    EntryKind.OTHER,
                    entry.path,
                    dst,
                    status=WorkStatus.FAILED,
                    reason=f"vanished or unreadable: {exc.strerror}",
                )
                continue
            exists = target_exists and backend.lexists(dst)
            if stat.S_ISDIR(st.st_mode):
                mode = st.st_mode
                yield PlanItem(top, EntryKind.DIR, entry.path, dst, 0, st.st_mtime_ns, False, mode=mode, existed=exists)
                subdirs.append((entry.path, dst, exists and backend.isdir(dst)))
            else:
                yield _leaf(top, st, entry.path, dst, exists, rename)
        stack.extend(reversed(subdirs))

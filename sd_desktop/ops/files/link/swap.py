"""One path's swap, run in a worker thread: re-verify, link (or clone, or copy back) to a
temporary name beside it, verify that, then ``rename`` it over the path.

The path is never missing: until the rename it is the old file, after it the new one (a rename
within a folder replaces atomically). A kill leaves at most the temporary name, which holds no
bytes of its own worth keeping (a link or clone of the kept file, or a partial copy of it) and is
removed when the job resumes or is cancelled. Every change goes through the volume's backend
(``vol``): hard links and reflinks are its capabilities.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field

from sd_desktop import paths
from sd_desktop.cas import full_hash, full_hash_of_fd
from sd_desktop.ops.files.extents import NO_CLONE_ERRNOS, share_all_blocks, stored_inline
from sd_desktop.ops.files.link.config import LinkMethod, LinkTarget
from sd_desktop.volumes.backend import LOCAL, ReadWriteVolume

_COPY_CHUNK = 1024 * 1024


@dataclass
class Result:
    outcome: str  # linked | already | restored | skipped | failed
    reason: str | None = None
    before: dict = field(default_factory=dict)  # the path's own metadata before the swap (for an undo)
    saved: int = 0  # bytes that came back (or, for an undo, are taken again)


def _lstat(vol: ReadWriteVolume, path: bytes) -> os.stat_result | None:
    try:
        return vol.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _meta(st: os.stat_result) -> dict:
    return {
        "mode": stat.S_IMODE(st.st_mode),
        "uid": st.st_uid,
        "gid": st.st_gid,
        "atime_ns": st.st_atime_ns,
        "mtime_ns": st.st_mtime_ns,
    }


def _open_nofollow(vol: ReadWriteVolume, path: bytes) -> int:
    return vol.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))


class Swapper:
    """Swaps paths for one job; remembers which kept files it verified, by identity, size, mtime and
    ctime (no program can set a ctime back: any write since the hash moves it), so a group of many
    copies reads its kept file once where nothing touched it (a hard link moves the ctime too, so
    each hard link is preceded by a fresh hash of the kept file)."""

    def __init__(
        self,
        method: LinkMethod,
        ignore_metadata: bool,
        should_stop: Callable[[], bool],
        vol: ReadWriteVolume = LOCAL,
    ):
        self.vol = vol  # the volume's backend: every change (and every look and read) goes through it
        self.method = method
        self.ignore_metadata = ignore_metadata
        self.should_stop = should_stop
        self._verified: dict[tuple[int, int, int, int, int], str] = {}

    def _keeper_hash(self, path: bytes, st: os.stat_result) -> str | None:
        key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        if key not in self._verified:
            try:
                self._verified[key] = full_hash(path, self.should_stop)
            except OSError:
                return None
        return self._verified[key]

    def swap(self, t: LinkTarget, temp: bytes) -> Result:
        """The outcome for one target; ``temp`` is its temporary name (beside the path)."""
        path, keeper = os.fsencode(t.path), os.fsencode(t.keeper)
        self.vol.unlink(temp, missing_ok=True)  # a leftover of a killed run: a link, clone or partial copy
        kst, pst = _lstat(self.vol, keeper), _lstat(self.vol, path)
        if kst is None:
            return Result("skipped", f"the kept copy {paths.display(keeper)} is gone")
        if not stat.S_ISREG(kst.st_mode):
            return Result("skipped", f"the kept copy {paths.display(keeper)} is not a regular file")
        if pst is None:
            return Result("skipped", "gone since the search")
        if not stat.S_ISREG(pst.st_mode):
            return Result("skipped", "no longer a regular file")
        same_inode = (kst.st_dev, kst.st_ino) == (pst.st_dev, pst.st_ino)
        if self.method is LinkMethod.COPY:
            return self._restore(t, path, keeper, kst, pst, temp, same_inode)
        if same_inode:
            return Result("already", "already the same file as the kept copy (one inode)")
        if kst.st_dev != pst.st_dev:
            return Result(
                "skipped", "on another file system than the kept copy (hard links and reflinks need one file system)"
            )
        if self.method is LinkMethod.HARDLINK and not self.ignore_metadata:
            if (kst.st_uid, kst.st_gid) != (pst.st_uid, pst.st_gid):
                return Result(
                    "skipped",
                    f"another owner ({pst.st_uid}:{pst.st_gid}) than the kept copy ({kst.st_uid}:{kst.st_gid}): "
                    "a hard link would give it the kept copy's (--ignore-metadata links it anyway)",
                )
            if stat.S_IMODE(kst.st_mode) != stat.S_IMODE(pst.st_mode):
                return Result(
                    "skipped",
                    f"another mode ({stat.S_IMODE(pst.st_mode):o}) than the kept copy "
                    f"({stat.S_IMODE(kst.st_mode):o}): a hard link would give it the kept copy's "
                    "(--ignore-metadata links it anyway)",
                )
        if pst.st_size != t.size or pst.st_mtime_ns != t.mtime_ns:
            return Result("skipped", "changed since the search (size or modification time); left as it is")
        if self.method is LinkMethod.REFLINK and share_all_blocks(keeper, path, self.vol):
            return Result("already", "already shares all its blocks with the kept copy (a reflink)")
        if self.method is LinkMethod.REFLINK and stored_inline(keeper, self.vol):
            # its bytes sit in the kept file's metadata: a clone copies them, it cannot share them
            return Result("already", "too small to share blocks (stored inline with its metadata): nothing comes back")
        content = t.hash.lower()
        if self._keeper_hash(keeper, kst) != content:
            return Result("skipped", f"the kept copy {paths.display(keeper)} changed since the search")
        try:
            if full_hash(path, self.should_stop) != content:
                return Result("skipped", "its content changed since the search; left as it is")
        except OSError as exc:
            return Result("failed", f"cannot read it: {exc.strerror or exc}")
        before = _meta(pst)
        # the copy's blocks come back with its last name (its other names are targets too), unless
        # they were the kept file's already (a reflink being hard-linked)
        frees = pst.st_nlink == 1 and (
            self.method is LinkMethod.REFLINK or not share_all_blocks(keeper, path, self.vol)
        )
        try:
            if self.method is LinkMethod.HARDLINK:
                made = self._hardlink(keeper, kst, temp)
            else:
                made = self._reflink(keeper, pst, temp, content)
            if made is not None:
                self.vol.unlink(temp, missing_ok=True)
                return Result("skipped", made, before)
            # the path as it was verified, right up to the swap (a writer since then keeps its file)
            now = _lstat(self.vol, path)
            if now is None or (now.st_ino, now.st_size, now.st_mtime_ns) != (pst.st_ino, pst.st_size, pst.st_mtime_ns):
                self.vol.unlink(temp, missing_ok=True)
                return Result("skipped", "changed while it was being linked; left as it is", before)
            self.vol.commit(temp, path, replace=True)
        except OSError as exc:
            self.vol.unlink(temp, missing_ok=True)
            return Result("failed", f"{exc.strerror or exc}; left as it is", before)
        self.vol.fsync_dir(os.path.dirname(path) or b".")
        return Result("linked", None, before, t.size if frees else 0)

    def _hardlink(self, keeper: bytes, kst: os.stat_result, temp: bytes) -> str | None:
        self.vol.hardlink(keeper, temp)
        tst = self.vol.lstat(temp)
        if (tst.st_dev, tst.st_ino) != (kst.st_dev, kst.st_ino):
            return "the kept copy was replaced while it was being linked"
        kst_now = self.vol.lstat(keeper)
        if (kst_now.st_size, kst_now.st_mtime_ns) != (kst.st_size, kst.st_mtime_ns):
            return "the kept copy changed while it was being linked"
        return None

    def _reflink(self, keeper: bytes, pst: os.stat_result, temp: bytes, content: str) -> str | None:
        src = _open_nofollow(self.vol, keeper)
        try:
            dst = self.vol.create_temp(temp, 0o600)
            try:
                try:
                    self.vol.clone(src, dst)
                except OSError as exc:
                    if exc.errno in NO_CLONE_ERRNOS:
                        return "no reflink support on this file system (it cannot share blocks between files)"
                    raise
                _give_metadata(self.vol, dst, _meta(pst))
                self.vol.fsync(dst)
            finally:
                os.close(dst)
        finally:
            self.vol.close(src)
        fd = _open_nofollow(self.vol, temp)
        try:
            if full_hash_of_fd(fd, self.should_stop) != content:
                return "the clone does not hold the kept copy's bytes; left as it is"
        finally:
            self.vol.close(fd)
        return None

    def _restore(
        self,
        t: LinkTarget,
        path: bytes,
        keeper: bytes,
        kst: os.stat_result,
        pst: os.stat_result,
        temp: bytes,
        same_inode: bool,
    ) -> Result:
        """Undo: give a path that still is (or still shares all blocks with) the kept file bytes of
        its own again, with the metadata it had before it was linked."""
        if not same_inode and not (kst.st_dev == pst.st_dev and share_all_blocks(keeper, path, self.vol)):
            return Result("skipped", f"no longer linked to {paths.display(keeper)}; left as it is")
        content = t.hash.lower()
        meta = {
            "mode": t.mode if t.mode is not None else stat.S_IMODE(pst.st_mode),
            "uid": t.uid if t.uid is not None else pst.st_uid,
            "gid": t.gid if t.gid is not None else pst.st_gid,
            "atime_ns": t.atime_ns if t.atime_ns is not None else pst.st_atime_ns,
            "mtime_ns": t.mtime_ns,
        }
        try:
            src = _open_nofollow(self.vol, keeper)
            try:
                dst = self.vol.create_temp(temp, 0o600, readable=True)
                try:
                    # read and write, never copy_file_range: on btrfs and XFS that may share blocks again
                    while chunk := self.vol.read(src, _COPY_CHUNK):
                        self.vol.write_all(dst, chunk)
                        if self.should_stop():
                            raise InterruptedError(errno.EINTR, "stopped")
                    self.vol.fsync(dst)
                    os.lseek(dst, 0, os.SEEK_SET)
                    if full_hash_of_fd(dst, self.should_stop) != content:
                        self.vol.unlink(temp, missing_ok=True)
                        return Result("skipped", "the kept copy changed since it was linked; left linked")
                    _give_metadata(self.vol, dst, meta)
                finally:
                    os.close(dst)
            finally:
                self.vol.close(src)
            self.vol.commit(temp, path, replace=True)
        except InterruptedError:
            self.vol.unlink(temp, missing_ok=True)
            raise
        except OSError as exc:
            self.vol.unlink(temp, missing_ok=True)
            return Result("failed", f"{exc.strerror or exc}; left linked")
        self.vol.fsync_dir(os.path.dirname(path) or b".")
        return Result("restored", None, {}, t.size)


def _give_metadata(vol: ReadWriteVolume, fd: int, meta: dict) -> None:
    """Owner, mode and times of ``meta`` on the open file (owner first: chown clears set-id bits)."""
    if hasattr(os, "fchown"):
        try:
            vol.set_owner(fd, meta["uid"], meta["gid"])
        except PermissionError:
            if (vol.fstat(fd).st_uid, vol.fstat(fd).st_gid) != (meta["uid"], meta["gid"]):
                raise
    vol.set_mode(fd, meta["mode"])
    vol.set_times(fd, meta["atime_ns"], meta["mtime_ns"])

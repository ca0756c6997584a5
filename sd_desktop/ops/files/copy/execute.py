"""Carrying out a batch of copy work items on a worker thread.

Each file goes to a temporary name beside its target, is flushed to disk (fsync for big files,
one ``syncfs`` for a batch of small ones), checked (size; blake3 of the source as read against a
re-read of the written file with ``verify`` and for every cross-volume move), given the
source's mtime, mode and xattrs, and only then renamed into place — with a rename that never
replaces unless the conflict policy says so; a name the rename policy picks ("name (N)") is journaled
with the temporary file's identity before that rename (``journal``), so a resume after a kill
between the rename and the batch's record finds that very file there and does not make a second
one (FAULTS 24). The folders are fsynced, and only after that does a
move delete its source, and only if the source did not change meanwhile. Every change to the
destination (and a move's removal of its source) goes through the volume's backend (``vol``).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from sd_desktop import paths
from sd_desktop.cas import full_hash, full_hash_of_fd
from sd_desktop.enums import EntryKind, WorkStatus
from sd_desktop.ops.files.copy import strategies
from sd_desktop.ops.files.copy.plan import TARGET_EXISTS, TARGET_NOT_OLDER
from sd_desktop.volumes.backend import LOCAL, ReadWriteVolume
from sd_desktop.volumes.localfs import free_name, read_from_device

SMALL_FILE = 1024 * 1024  # below this, one syncfs per batch instead of an fsync per file
# a move that copied a file but kept its source did not move it (the item counts as failed)
SOURCE_CHANGED = "the source changed during the move; it was copied and kept"
SOURCE_NOT_REMOVED = "copied, but the source could not be removed"


def source_kept(reason: str | None) -> bool:
    """Does a done item's reason say a move kept the source?"""
    return reason is not None and (reason == SOURCE_CHANGED or reason.startswith(SOURCE_NOT_REMOVED))


_CHECKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sd-copy-check")


@dataclass
class Item:
    seq: int
    kind: int
    src: bytes
    dst: bytes
    size: int
    mtime_ns: int
    conflict: bool
    rename: bool
    top: int
    answer: str | None
    inflight: bool = False  # was in the batch that ran when the job was interrupted
    existed: bool = False  # folders: the target folder existed when planned
    placed_as: list | None = None  # [name, inode, size, mtime_ns] journaled before a "name (N)" rename


@dataclass
class Result:
    seq: int
    status: int
    outcome: str
    reason: str | None = None
    dst: bytes | None = None
    target_stat: os.stat_result | None = None
    src_removed: bool = False
    kind: int = EntryKind.FILE
    src: bytes = b""


class AbortJob(Exception):  # noqa: N818
    """The ``abort`` conflict policy met an existing target."""


@dataclass
class _Staged:
    item: Item
    tmp: bytes
    decision: str  # new | replace | rename
    src_stat: os.stat_result | None
    digest: str | None
    link: bytes | None = None
    checked: Future | None = None  # the re-read check, started on the checker thread


class BatchRunner:
    """Runs work items; thread-side. ``bytes_done``/``current`` are read by the progress ticker."""

    def __init__(
        self,
        job_id: int,
        *,
        move: bool,
        verify: bool,
        policy: str,
        dest_root: bytes,
        should_stop: Callable[[], bool],
        add_error: Callable[[bytes, str], None],
        bwlimit: int = 0,
        clone: bool = True,
        want_stats: bool = True,
        temp_token: str = "",
        vol: ReadWriteVolume = LOCAL,
        journal: Callable[[int, list], None] | None = None,
    ):
        # commits an item's placed_as before its rename to a name of its own ("name (N)")
        self.journal = journal
        self.vol = vol  # the destination volume's backend: every write goes through it
        self.cloner = strategies.Cloner(vol, clone)  # FICLONE first where the two devices allow it
        self.want_stats = want_stats  # lstat placed targets for the library's entries
        self.job_id = job_id
        self.temp_token = temp_token  # see fsops.temp_name
        self.move = move
        self.verify = verify
        self.policy = policy
        self.dest_root = dest_root
        self.should_stop = should_stop
        self.add_error = add_error
        self.throttle = strategies.Throttle(bwlimit)
        self.bytes_done = 0
        self.current: bytes = b""

    # -- the batch --------------------------------------------------------------------------
    def run(self, items: list[Item]) -> tuple[list[Result], str | None]:
        """Results for the items handled (a prefix of ``items`` if interrupted), and an abort message."""
        results: list[Result] = []
        staged: list[_Staged] = []
        big: _Staged | None = None  # the last big file, placed once the next one is written
        abort: str | None = None
        for item in items:
            if self.should_stop():
                break
            self.current = item.src
            try:
                if item.kind == EntryKind.DIR and not item.rename:
                    results.append(self._make_dir(item))
                elif item.rename:
                    results.append(self._rename_move(item))
                else:
                    out = self._stage(item)
                    if isinstance(out, Result):
                        results.append(out)
                    elif out.link is None and out.src_stat.st_size >= SMALL_FILE:
                        # already fsynced: its re-read check runs while the next file is copied,
                        # then it is placed (written -> fsynced -> checked -> renamed, per file)
                        if out.digest is not None:
                            out.checked = _CHECKER.submit(self._check, out)
                        if big is not None:
                            results.extend(self._finalize([big]))
                        big = out
                    else:
                        staged.append(out)
            except strategies.CopyInterrupted:
                break
            except AbortJob as exc:
                abort = str(exc)
                break
            except OSError as exc:
                results.append(self._failed(item, _why(exc)))
        if big is not None:
            results.extend(self._finalize([big]))
        results.extend(self._finalize(staged))
        return results, abort

    # -- decisions --------------------------------------------------------------------------
    def _policy_for(self, item: Item) -> str:
        if self.policy == "ask":
            return item.answer or "ask"
        return self.policy

    def _decide(self, item: Item, tst: os.stat_result) -> str | Result:
        """What to do about an existing target: a decision (replace, rename) or a final Result."""
        policy = self._policy_for(item)
        if policy == "skip":
            return self._result(item, WorkStatus.SKIPPED, "skipped", TARGET_EXISTS)
        if policy == "abort":
            raise AbortJob(f"{paths.display(item.dst)} already exists (conflict policy: abort)")
        if policy == "ask":
            return self._result(
                item, WorkStatus.SKIPPED, "skipped", "the target appeared after the conflicts were answered"
            )
        if policy == "rename":
            return "rename"
        if stat.S_ISDIR(tst.st_mode):
            return self._failed(item, "a folder of that name is in the way; not replaced")
        if policy == "overwrite_if_older" and tst.st_mtime_ns >= item.mtime_ns:
            return self._result(item, WorkStatus.SKIPPED, "skipped", TARGET_NOT_OLDER)
        return "replace"

    # -- steps ------------------------------------------------------------------------------
    def _make_dir(self, item: Item) -> Result:
        try:
            self.vol.mkdir(item.dst, 0o700)
            return self._result(item, WorkStatus.DONE, "created", dst=item.dst, tst=self.vol.lstat(item.dst))
        except FileExistsError:
            tst = self.vol.lstat(item.dst)
            if stat.S_ISDIR(tst.st_mode):
                # made by the run that was interrupted: still ours to give its mode and mtime
                outcome = "created" if item.inflight and not item.existed else "merged"
                return self._result(item, WorkStatus.DONE, outcome, dst=item.dst, tst=tst)
            return self._failed(item, "a file of that name is in the way; the folder was not created")

    def _rename_move(self, item: Item) -> Result:
        """Same-volume move: one rename; the bytes never move."""
        tst = _lstat(self.vol, item.dst)
        if tst is not None:
            src_st = _lstat(self.vol, item.src)
            if src_st is None and item.inflight:
                return self._result(
                    item, WorkStatus.DONE, "moved", "finished before the interruption", dst=item.dst, tst=tst
                )
            if src_st is not None and (src_st.st_dev, src_st.st_ino) == (tst.st_dev, tst.st_ino):
                return self._failed(item, "source and target are the same file")
            decision = self._decide(item, tst)
            if isinstance(decision, Result):
                return decision
        else:
            decision = "new"
        dst = self._place(item.src, item.dst, decision, item, rename=True)
        if dst is None:
            return self._result(item, WorkStatus.SKIPPED, "skipped", "the target appeared during the move")
        self.vol.fsync_dir(os.path.dirname(dst))
        outcome = "renamed" if dst != item.dst else "moved"
        return self._result(item, WorkStatus.DONE, outcome, dst=dst, tst=_lstat(self.vol, dst), src_removed=True)

    def _stage(self, item: Item) -> _Staged | Result:
        if item.inflight and item.placed_as is not None:
            name, *identity = item.placed_as
            there = _lstat(self.vol, name)
            if there is not None and list(_identity(there)) == identity:
                return self._recover(item, there, _lstat(self.vol, item.src), name)
        tst = _lstat(self.vol, item.dst)
        decision = "new"
        if tst is not None:
            src_st = _lstat(self.vol, item.src)
            if src_st is not None and (src_st.st_dev, src_st.st_ino) == (tst.st_dev, tst.st_ino):
                return self._failed(item, "source and target are the same file")
            if item.inflight and not item.conflict and _matches(tst, item):
                return self._recover(item, tst, src_st)
            decision = self._decide(item, tst)
            if isinstance(decision, Result):
                return decision
        tmp = self.vol.temp_name(item.dst, self.job_id, item.seq, self.temp_token)
        if item.inflight:
            self.vol.unlink(tmp, missing_ok=True)  # a leftover of the interrupted run
        if item.kind == EntryKind.SYMLINK:
            link = self.vol.readlink(item.src)
            st = self.vol.lstat(item.src)
            self.vol.symlink(link, tmp)
            try:
                self.vol.set_times(tmp, st.st_atime_ns, st.st_mtime_ns, follow_symlinks=False)
            except OSError as exc:
                self.add_error(item.dst, f"the link's time could not be kept: {exc.strerror}")
            return _Staged(item, tmp, decision, st, None, link)
        if item.kind != EntryKind.FILE:
            return self._result(item, WorkStatus.SKIPPED, "skipped", "not a regular file: not copied")
        try:
            st, digest = self._write_temp(item, tmp)
        except BaseException:
            self.vol.unlink(tmp, missing_ok=True)
            raise
        return _Staged(item, tmp, decision, st, digest)

    def _recover(
        self, item: Item, tst: os.stat_result, src_st: os.stat_result | None, renamed: bytes | None = None
    ) -> Result:
        """The target (``renamed``: the name of its own it was given) was finished by the run that
        was killed (its result was not committed)."""
        dst = renamed or item.dst
        if not self.move or src_st is None:
            outcome = "renamed" if renamed else "moved" if self.move else "copied"
            return self._result(item, WorkStatus.DONE, outcome, "finished before the interruption", dst=dst, tst=tst)
        stop = self.should_stop_hash
        if item.kind == EntryKind.FILE and full_hash(item.src, stop) != full_hash(dst, stop):
            return self._failed(item, "an interrupted move left a target that differs from its source; both kept")
        self.vol.unlink(item.src)
        outcome = "renamed" if renamed else "moved"
        return self._result(
            item, WorkStatus.DONE, outcome, "finished after the interruption", dst=dst, tst=tst, src_removed=True
        )

    def _write_temp(self, item: Item, tmp: bytes) -> tuple[os.stat_result, str | None]:
        sfd = self.vol.open(item.src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            st = self.vol.fstat(sfd)
            if not stat.S_ISREG(st.st_mode):
                raise OSError(errno.EINVAL, "no longer a regular file")
            # O_NONBLOCK only guarded the open against a FIFO; it has no effect on regular files
            dfd = self.vol.create_temp(tmp, 0o600)
            try:
                hashing = self.verify or self.move
                digest = None

                def clone() -> bool:
                    return self.cloner(sfd, dfd, st.st_dev, self.vol.fstat(dfd).st_dev)

                sparse = st.st_size >= SMALL_FILE and st.st_blocks * 512 < st.st_size
                if hashing and st.st_size >= SMALL_FILE:
                    copied, digest = strategies.copy_kernel_hashing(
                        self.vol, sfd, dfd, st.st_size, self._on_bytes, self.should_stop, self.throttle, clone, sparse
                    )
                elif hashing:
                    copied, digest = strategies.copy_hashing(
                        self.vol, sfd, dfd, self._on_bytes, self.should_stop, self.throttle
                    )
                elif st.st_size and clone():
                    copied = st.st_size
                    self._on_bytes(copied)
                else:
                    copied = strategies.copy_range(
                        self.vol, sfd, dfd, st.st_size, self._on_bytes, self.should_stop, self.throttle, sparse
                    )
                after = self.vol.fstat(sfd)
                if (after.st_size, after.st_mtime_ns) != (st.st_size, st.st_mtime_ns) or copied != st.st_size:
                    raise OSError(errno.EAGAIN, "the source changed while it was being copied; not copied")
                self.vol.set_mode(dfd, stat.S_IMODE(st.st_mode))
                self._copy_xattrs(sfd, dfd, item.dst)
                self.vol.set_times(dfd, st.st_atime_ns, st.st_mtime_ns)
                if st.st_size >= SMALL_FILE:
                    try:
                        self.vol.fsync(dfd)
                    except OSError as exc:
                        raise strategies.side_error(exc, "flushing the copy to disk") from exc
            finally:
                os.close(dfd)
        finally:
            self.vol.close(sfd)
        return st, digest

    def _copy_xattrs(self, sfd: int, dfd: int, dst: bytes) -> None:
        try:
            names = os.listxattr(sfd)
        except OSError:
            return
        lost = []
        for name in names:
            try:
                self.vol.set_xattr(dfd, name, os.getxattr(sfd, name))
            except OSError:
                lost.append(name)
        if lost:
            self.add_error(dst, f"extended attributes not kept (the target file system refused): {', '.join(lost)}")

    def _on_bytes(self, n: int) -> None:
        self.bytes_done += n

    # -- finishing: flush, check, rename, fsync folders, then (moves) delete sources ----------
    def _finalize(self, staged: list[_Staged]) -> list[Result]:
        results: list[Result] = []
        if not staged:
            return results
        if any(s.link is not None or (s.src_stat and s.src_stat.st_size < SMALL_FILE) for s in staged):
            try:
                self.vol.syncfs(self.dest_root if self.vol.isdir(self.dest_root) else os.path.dirname(staged[0].tmp))
            except OSError as exc:
                for s in staged:
                    self.vol.unlink(s.tmp, missing_ok=True)
                return [self._failed(s.item, f"could not flush to disk: {exc.strerror}") for s in staged]
        placed: list[tuple[_Staged, bytes]] = []
        folders: set[bytes] = set()
        for s in staged:
            try:
                if s.checked is not None:
                    s.checked.result()  # raises what the check raised
                else:
                    self._check(s)
                dst = self._place(s.tmp, s.item.dst, s.decision, s.item)
            except OSError as exc:
                self.vol.unlink(s.tmp, missing_ok=True)
                results.append(self._failed(s.item, _why(exc)))
                continue
            except strategies.CopyInterrupted:
                self.vol.unlink(s.tmp, missing_ok=True)
                continue  # stays pending: copied again on resume
            if dst is None:
                self.vol.unlink(s.tmp, missing_ok=True)
                results.append(
                    self._result(s.item, WorkStatus.SKIPPED, "skipped", "the target appeared during the copy")
                )
                continue
            placed.append((s, dst))
            folders.add(os.path.dirname(dst))
        self._flush_folders(folders, self.dest_root)
        src_folders: set[bytes] = set()
        for s, dst in placed:
            outcome = "renamed" if dst != s.item.dst else ("moved" if self.move else "copied")
            removed, reason = False, None
            if self.move:
                removed, reason = self._remove_source(s)
                if removed:
                    src_folders.add(os.path.dirname(s.item.src))
                elif outcome != "renamed":
                    outcome = "copied"
            tst = _lstat(self.vol, dst) if self.want_stats else None
            results.append(
                self._result(s.item, WorkStatus.DONE, outcome, reason, dst=dst, tst=tst, src_removed=removed)
            )
        if src_folders:
            self._flush_folders(src_folders, next(iter(src_folders)))
        return results

    def _flush_folders(self, folders: set[bytes], root: bytes) -> None:
        """Make renames durable: an fsync per folder, or one syncfs when a batch touched many
        (each folder fsync is a journal commit; one syncfs commits them all)."""
        if len(folders) > 4:
            try:
                self.vol.syncfs(root if self.vol.isdir(root) else next(iter(folders)))
                return
            except OSError:
                pass
        for folder in folders:
            try:
                self.vol.fsync_dir(folder)
            except OSError as exc:
                self.add_error(folder, f"could not flush the folder: {exc.strerror}")

    def _check(self, s: _Staged) -> None:
        if s.link is not None:
            if self.vol.readlink(s.tmp) != s.link:
                raise OSError(errno.EIO, "the written link differs from the source")
            return
        if s.digest is not None:
            try:
                # the copy is flushed by now (fsync or syncfs): drop its pages so the hash is of
                # what the device stored, not of what this process wrote into memory
                fd = self.vol.open(s.tmp, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
                try:
                    read_from_device(fd)
                    again = full_hash_of_fd(fd, self.should_stop_hash)
                finally:
                    self.vol.close(fd)
            except OSError as exc:
                raise strategies.side_error(exc, "re-reading the written copy") from exc
            if again != s.digest:
                raise OSError(errno.EIO, "verification failed: the written copy differs from the source as read")

    def should_stop_hash(self) -> bool:
        if self.should_stop():
            raise strategies.CopyInterrupted()
        return False

    def _remove_source(self, s: _Staged) -> tuple[bool, str | None]:
        now = _lstat(self.vol, s.item.src)
        was = s.src_stat
        if now is None:
            return False, "the source vanished during the move"
        same = (now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns) == (
            was.st_dev,
            was.st_ino,
            was.st_size,
            was.st_mtime_ns,
        )
        if not same or (s.link is None and now.st_ctime_ns != was.st_ctime_ns):
            return False, SOURCE_CHANGED
        try:
            self.vol.unlink(s.item.src)
        except OSError as exc:
            return False, f"{SOURCE_NOT_REMOVED}: {exc.strerror}"
        return True, None

    def _place(self, tmp: bytes, dst: bytes, decision: str, item: Item, *, rename: bool = False) -> bytes | None:
        """Rename into place per decision; None when a target appeared and the policy keeps it.
        ``tmp`` is a finished temporary file (committed), or with ``rename`` a move's source."""
        place = self.vol.rename if rename else self.vol.commit
        if decision == "replace":
            place(tmp, dst, replace=True)
            return dst
        if decision == "new":
            try:
                place(tmp, dst)
                return dst
            except FileExistsError:
                tst = _lstat(self.vol, dst)
                decision = self._decide(item, tst) if tst is not None else "new"
                if isinstance(decision, Result):
                    return None
                return self._place(tmp, dst, decision, item, rename=rename)
        while True:  # rename policy: the next free "name (N)"
            candidate = free_name(dst)
            if self.journal is not None and not rename:
                self.journal(item.seq, [candidate, *_identity(self.vol.lstat(tmp))])
            try:
                place(tmp, candidate)
                return candidate
            except FileExistsError:
                continue

    # -- results ----------------------------------------------------------------------------
    def _result(
        self,
        item: Item,
        status: int,
        outcome: str,
        reason: str | None = None,
        *,
        dst: bytes | None = None,
        tst: os.stat_result | None = None,
        src_removed: bool = False,
    ) -> Result:
        return Result(item.seq, status, outcome, reason, dst, tst, src_removed, item.kind, item.src)

    def _failed(self, item: Item, reason: str) -> Result:
        self.add_error(item.src, reason)
        return self._result(item, WorkStatus.FAILED, "failed", reason)


def _lstat(vol: ReadWriteVolume, path: bytes) -> os.stat_result | None:
    try:
        return vol.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _identity(st: os.stat_result) -> tuple[int, int, int]:
    """What tells a file from another of the same size and mtime: its inode (within 63 bits, as
    the work list stores it), which a rename keeps."""
    return st.st_ino & (2**63 - 1), st.st_size, st.st_mtime_ns


def _matches(tst: os.stat_result, item: Item) -> bool:
    if item.kind == EntryKind.SYMLINK:
        return stat.S_ISLNK(tst.st_mode)
    return stat.S_ISREG(tst.st_mode) and tst.st_size == item.size and tst.st_mtime_ns == item.mtime_ns


def _why(exc: OSError) -> str:
    text = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        return "no space left on the destination; the file was not copied and any old target is intact"
    if exc.errno == errno.EIO and exc.strerror and exc.strerror.startswith(("verification", "the written")):
        return exc.strerror
    if exc.errno == errno.EIO:
        return f"{text} (a damaged disk or a lost connection?); the file was not copied and any old target is intact"
    return text

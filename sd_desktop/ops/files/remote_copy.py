"""Copy from a remote volume to a local folder, resumable inside each file.

Planning lists the remote tree (one checkpoint per folder) into the job's work list. Each file is
then read in ranged requests into a temporary file beside its target; after each chunk the written
bytes are flushed to disk and the offset committed with the job's state, so a pause, a kill or a
lost connection continues from the last confirmed byte rather than from the start of the file.
Large files of a volume that logs in with a key are fetched by OpenSSH's own ``sftp`` client
instead (``volumes/openssh.py``: about twice asyncssh's speed); the job watches the partial file
grow and confirms an offset every ``COMMIT_EVERY`` bytes, and asyncssh takes over from the last
confirmed byte when that client stops.
A finished file gets its name under the job's ``on_conflict``: ``skip`` (the default) and ``rename``
use a rename that fails rather than replace a file that is there (so one that appeared meanwhile is
skipped, or the next free ``name (N).ext`` is taken); ``overwrite`` renames over it, so the old file
stays whole until the new one, complete and flushed, takes its name. Every skip is listed in the
output's ``outcomes`` with its reason.
The name a finished file is about to get is committed with the state just before the rename
(``Placing``: the name, the outcome, the part's inode, size and mtime; one for each of the small
files in flight at once, dropped with its outcome), so a job killed between the rename and the
record of it finds, when resumed, that file under that name (it is the same file: same inode, size
and mtime) and records it as the first run would have, without reading it again or placing a
second copy (FAULTS 24). A file there that is not that one (the user removed or
replaced it meanwhile) is never taken for it: the file is copied again.
Every local change (the folder, the partial file, its flushes, its placing) goes through the local
volume's write side, ``ctx.backend`` (``volumes/local_writes.py``): the destination is local.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import posixpath
import stat
import time
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING

from sd_desktop import paths
from sd_desktop.enums import WorkStatus
from sd_desktop.jobs import Job, JobContext, JobError, register
from sd_desktop.jobs.errors import JobPaused
from sd_desktop.jobs.in_flight import cancel_all, first_done
from sd_desktop.library import volumes, worklist
from sd_desktop.ops.files.fsops import free_name
from sd_desktop.volumes.backend import ReadWriteVolume, VolumeBackend
from sd_desktop.volumes.local_writes import WritableVolume

if TYPE_CHECKING:  # the remote backends load on first use: a local copy never needs them
    from sd_desktop.volumes.remote import RemoteReader

CHUNK = 16 * 1024 * 1024  # bytes per ranged read, and between two confirmed offsets
BATCH = 200  # work items read per batch
COMMIT_EVERY = 64 * 1024 * 1024  # bytes between two confirmed offsets while OpenSSH's client reads
POLL = 0.25  # seconds between two looks at the partial file OpenSSH's client writes
EARLY_FILES = 8  # files after the one being copied whose reads start early (small files only:)
EARLY_BYTES = 16 * 1024 * 1024  # the bytes of those and the one being copied, at most
AT_ONCE = 8  # files of one chunk copied at the same time
INO_BITS = 2**63 - 1  # an inode as the state stores it (within SQLite's integers)


class Item(IntEnum):
    FILE = 0


POLICIES = ("skip", "overwrite", "rename")  # as an upload's: what a target that exists gets
EXISTS = "the target exists"
OUTCOMES_LISTED = 1000  # of each kind in the output (the counts are exact): a huge tree stays a small record


@dataclass
class RemoteCopyConfig:
    volume: str
    source: str  # a file or folder on the volume, relative to its root
    destination: str  # a local folder that exists: SOURCE lands in it under its own name
    on_conflict: str = "skip"  # a target that exists: skip it, overwrite it, or rename (keep both)


@dataclass
class Placing:
    """A finished part file about to be given its name, as committed just before the rename."""

    target: bytes  # the name it is given
    outcome: str  # what the item is then: copied, replaced or renamed
    ino: int  # the part's identity, which the rename keeps (the inode within 63 bits)
    size: int
    mtime_ns: int


@dataclass
class RemoteCopyState:
    phase: str = "plan"
    frontier: list[str] = field(default_factory=list)  # remote folders still to list (planning)
    next_seq: int = 0
    current: int = -1  # the file copied alone (larger than a chunk), -1 for none
    confirmed: int = 0  # bytes of it on disk, flushed, as of the last checkpoint
    # seq -> the name a finished part is being given: one for each file in flight (several small
    # ones at once), added before its rename, dropped with the item's outcome
    placing: dict[int, Placing] = field(default_factory=dict)
    files_done: int = 0
    files_failed: int = 0
    skipped: int = 0
    replaced: int = 0
    renamed: int = 0
    bytes_done: int = 0
    started_at: float = 0.0
    pause_reason: str = ""


@dataclass
class RemoteCopyOutput:
    items_done: int = 0
    items_failed: int = 0
    files: int = 0  # copied
    skipped: int = 0  # the target existed
    failed: int = 0
    replaced: int = 0  # copied over a file that was there (on_conflict overwrite)
    renamed: int = 0  # copied beside one, as "name (N).ext" (on_conflict rename)
    bytes: int = 0
    seconds: float = 0.0
    outcomes: list[dict] = field(default_factory=list)  # skipped, failed, replaced, renamed files (1000 of each)


def part_name(target: bytes) -> bytes:
    """The temporary file a target is written to (the same on every run, so a resume finds it)."""
    head, tail = os.path.split(target)
    return os.path.join(head, b"." + tail + b".sd-part")


@register
class RemoteCopyJob(Job):
    NAME = "remote_copy"
    VERSION = 1
    RESUMABLE = True
    DESCRIPTION = "Copy files from a remote volume to a local folder, resumable inside each file"
    Config = RemoteCopyConfig
    State = RemoteCopyState
    Output = RemoteCopyOutput
    _no_openssh = False  # OpenSSH's client failed to start reading in this run: asyncssh reads all

    def target(self) -> str:
        return f"{self.config.volume}:/{self.config.source} → {self.config.destination}"

    async def on_resume(self, ctx: JobContext) -> None:
        reason = self.state.pause_reason
        if reason:
            ctx.forget_errors(reason)
            self.state.pause_reason = ""

    async def on_cancel(self, ctx: JobContext) -> None:
        st = self.state
        if st.current >= 0:
            rows = await ctx.library.read(
                lambda c: worklist.items(c, ctx.job_id, ("dst",), seq_from=st.current, seq_to=st.current)
            )
            for (dst,) in rows:
                ctx.backend.unlink(part_name(bytes(dst)), missing_ok=True)
        # small files that were in flight at once are among the first pending ones
        job_id = ctx.job_id
        for (dst,) in await ctx.library.read(lambda c: worklist.pending(c, job_id, ("dst",), AT_ONCE)):
            ctx.backend.unlink(part_name(bytes(dst)), missing_ok=True)

    async def run(self, ctx: JobContext) -> RemoteCopyOutput:
        from sd_desktop.volumes.remote import RemoteError, backend_for
        from sd_desktop.volumes.specs import spec_of

        c, st = self.config, self.state
        row = await ctx.library.read(lambda conn: volumes.find_volume(conn, c.volume))
        if row is None:
            raise JobError(f"no volume named {c.volume!r} (it was removed?)")
        if not ctx.backend.isdir(c.destination):
            raise JobError(f"the destination folder is gone: {c.destination}")
        if c.on_conflict not in POLICIES:
            raise JobError(f"on_conflict must be one of {', '.join(POLICIES)}, not {c.on_conflict!r}")
        backend = backend_for(spec_of(row, ctx.library.folder))
        if not st.started_at:
            st.started_at = time.time()
        try:
            if st.phase == "plan":
                await self._plan(ctx, backend)
            if st.phase == "copy":
                await self._copy_all(ctx, backend)
        except RemoteError as exc:
            st.pause_reason = str(exc)
            ctx.add_non_critical_error(f"{c.volume}:/{c.source}", st.pause_reason)
            await ctx.checkpoint()
            raise JobPaused() from None
        finally:
            await backend.close()
        job_id = ctx.job_id
        noted = await ctx.library.read(
            lambda conn: [
                r
                for outcome in ("skipped", "failed", "replaced", "renamed")
                for r in worklist.items(
                    conn, job_id, ("src", "dst", "outcome", "reason"), outcome=outcome, limit=OUTCOMES_LISTED
                )
            ]
        )
        return RemoteCopyOutput(
            items_done=st.files_done + st.skipped,
            items_failed=st.files_failed,
            files=st.files_done,
            skipped=st.skipped,
            failed=st.files_failed,
            replaced=st.replaced,
            renamed=st.renamed,
            bytes=st.bytes_done,
            seconds=round(time.time() - st.started_at, 3),
            outcomes=[
                {
                    "outcome": outcome,
                    "path": f"{c.volume}:/{bytes(src).decode()}",
                    "target": os.fsdecode(bytes(dst)),
                    "reason": reason,
                }
                for src, dst, outcome, reason in noted
            ],
        )

    # -- planning: list the remote tree into the work list --------------------------------------
    def _local(self, remote: str) -> bytes:
        """The local target of a remote path at or below the source."""
        source = self.config.source.strip("/")
        below = remote[len(source) :].strip("/") if source else remote
        name = posixpath.basename(source) if source else ""
        parts = [p for p in (name, below) if p]
        return (
            os.fsencode(os.path.join(self.config.destination, *parts))
            if parts
            else os.fsencode(self.config.destination)
        )

    async def _plan(self, ctx: JobContext, backend) -> None:
        from sd_desktop.volumes.remote import NOT_FOUND, RemoteError

        st, source = self.state, self.config.source.strip("/")
        if not st.frontier:
            try:
                top = await backend.stat(source)
            except RemoteError as exc:
                if exc.kind == NOT_FOUND:
                    raise JobError(str(exc)) from None
                raise
            if not top.is_dir:
                await self._add(ctx, [(source, top.size)])
                st.phase = "copy"
                await ctx.checkpoint()
                return
            st.frontier = [source]
        while st.frontier:
            await ctx.check_interrupt()
            folder = st.frontier[-1]
            listing = await backend.list(folder)
            files = [(e.path, e.size) for e in sorted(listing, key=lambda e: e.path) if not e.is_dir]
            subfolders = [e.path for e in sorted(listing, key=lambda e: e.path, reverse=True) if e.is_dir]
            st.frontier.pop()
            st.frontier.extend(subfolders)
            await self._add(ctx, files)
            ctx.progress(phase="listing", done=st.next_seq, message=folder)
        st.phase = "copy"
        await ctx.checkpoint()

    async def _add(self, ctx: JobContext, files: list[tuple[str, int]]) -> None:
        st = self.state
        rows = []
        for path, size in files:
            rows.append((st.next_seq, int(Item.FILE), path.encode(), self._local(path), size))
            st.next_seq += 1
        job_id = ctx.job_id
        await ctx.checkpoint(lambda conn: worklist.add(conn, job_id, rows, ("seq", "kind", "src", "dst", "size")))

    # -- copying ----------------------------------------------------------------------------------
    async def _copy_all(self, ctx: JobContext, backend) -> None:
        job_id = ctx.job_id
        while True:
            batch = await ctx.library.read(lambda c: worklist.pending(c, job_id, ("seq", "src", "dst", "size"), BATCH))
            if not batch:
                return
            # the next small files' readers are opened (and their reads sent) while this one is
            # written, flushed and committed, and up to AT_ONCE small files (one chunk each: no
            # confirmed offset inside them) are copied at once, so their flushes and commits
            # overlap; a larger file goes alone, confirming its chunks in the job's state
            early: dict[int, asyncio.Future[RemoteReader]] = {}
            running: dict[asyncio.Task, bytes] = {}
            at_once = 1 if self.config.on_conflict == "rename" else AT_ONCE  # as an upload: names picked apart
            try:
                for i, (seq, src, dst, size) in enumerate(batch):
                    budget = EARLY_BYTES
                    for nseq, nsrc, _dst, nsize in batch[i : i + 1 + EARLY_FILES]:
                        budget -= nsize
                        if budget < 0:
                            break
                        if (
                            nseq not in early
                            and 0 < nsize
                            and self.state.current != nseq
                            and nseq not in self.state.placing
                        ):
                            early[nseq] = asyncio.ensure_future(backend.open_reader(bytes(nsrc).decode(), 0, nsize))
                    await ctx.check_interrupt()
                    target = bytes(dst)
                    alone = size > CHUNK or self.state.current == seq or at_once == 1
                    while running and (len(running) >= at_once or target in running.values() or alone):
                        await first_done(running)
                    copy = self._copy_one(ctx, backend, seq, bytes(src).decode(), target, size, early.pop(seq, None))
                    if alone:
                        await copy
                    else:
                        running[asyncio.ensure_future(copy)] = target
                while running:
                    await first_done(running)
            finally:
                await cancel_all(running)
                for future in early.values():
                    await _drop_early(future)

    async def _finish_item(
        self, ctx: JobContext, seq: int, status: WorkStatus, outcome: str, reason: str | None
    ) -> None:
        st, job_id = self.state, ctx.job_id
        if st.current == seq:
            st.current, st.confirmed = -1, 0
        st.placing.pop(seq, None)
        await ctx.checkpoint(lambda c: worklist.update(c, job_id, [(int(status), outcome, reason, seq)]))

    async def _copy_one(
        self,
        ctx: JobContext,
        backend,
        seq: int,
        src: str,
        dst: bytes,
        size: int,
        early: asyncio.Future[RemoteReader] | None = None,
    ) -> None:
        """Copy one item; ``early``: its reader of the whole file, opened ahead (dropped here)."""
        from sd_desktop.volumes import openssh
        from sd_desktop.volumes.remote import NOT_FOUND, RemoteError

        st, policy = self.state, self.config.on_conflict
        shown = f"{self.config.volume}:/{src}"
        local: ReadWriteVolume = ctx.backend
        part = part_name(dst)
        offset = st.confirmed if st.current == seq else 0
        # kept until the item's outcome commits (or another name is committed for it): a second
        # kill meanwhile finds it again
        placing = st.placing.get(seq)
        if placing is not None:
            # killed after the rename that gave the part its name: the item is done
            if await ctx.run_blocking(_is_file, local, placing.target, placing):
                await _drop_early(early)
                await self._placed(ctx, seq, shown, placing, " (before the interruption)")
                return
            if await ctx.run_blocking(_is_file, local, part, placing):  # killed before the rename
                offset = placing.size  # finished and flushed: placed without reading it again
            else:  # renamed, then removed or replaced: read again, its bytes counted once
                del st.placing[seq]  # with the bytes it counted: the two commit together
                st.bytes_done -= placing.size
                offset = 0
                if st.current == seq:
                    st.current, st.confirmed = -1, 0
        if ctx.backend.lexists(dst) and policy == "skip":
            await _drop_early(early)
            if st.current == seq or placing is not None:  # a part the interrupted run wrote: not wanted now
                local.unlink(part, missing_ok=True)
            await self._skip(ctx, seq, shown, dst)
            return
        if policy == "overwrite" and _is_folder_itself(ctx.backend, dst):
            await _drop_early(early)
            why = "a folder of that name is there: a file does not replace a folder"
            ctx.add_non_critical_error(shown, why)
            st.files_failed += 1
            await self._finish_item(ctx, seq, WorkStatus.FAILED, "failed", why)
            return
        local.makedirs(os.path.dirname(dst))
        fd = -1
        # the reader keeps reading ahead while a chunk is written and confirmed: the network and
        # the disk work at once (measured: about half the time of a 1 GiB copy was one waiting
        # for the other); a small file's reader may have been opened while the files before it
        # were written (``_copy_all``)
        reader: RemoteReader | None = None
        last = 0  # bytes of the last chunk, counted with the name the file is given (``_place``)
        try:
            # on a worker thread: creating a file costs ~0.3 ms that the loop would spend blocked
            fd = await ctx.run_blocking(local.open_resumable, part)
            if local.fstat(fd).st_size < offset:  # placed just before a kill (or removed): read it all again
                offset = 0
            local.truncate(fd, offset)  # bytes past the last confirmed offset may be torn: read them again
            if size - offset >= openssh.MIN_SIZE and not self._no_openssh and openssh.usable(backend.spec):
                offset = await self._with_openssh(ctx, backend, seq, src, part, fd, offset, size)
                local.truncate(fd, offset)  # what it wrote past its last confirmed byte is read again
            vanished = False
            if offset < size:
                try:
                    if early is not None and offset == 0:
                        reader, early = await early, None
                    else:
                        reader = await backend.open_reader(src, offset, size - offset)
                except RemoteError as exc:
                    if exc.kind != NOT_FOUND:
                        raise
                    vanished = True
            while offset < size:
                await ctx.check_interrupt()
                data = b""
                if reader is not None:
                    try:
                        data = await reader.read(CHUNK)
                    except RemoteError as exc:
                        if exc.kind != NOT_FOUND:
                            raise
                        vanished = True
                if not data:
                    why = "vanished" if vanished else f"shrank to {offset} bytes while copying"
                    ctx.add_non_critical_error(shown, why)
                    st.files_failed += 1
                    os.close(fd)
                    fd = -1
                    local.unlink(part)
                    await self._finish_item(ctx, seq, WorkStatus.FAILED, "failed", why)
                    return
                data = data[: size - offset]  # never past the size it was listed with
                await ctx.run_blocking(_write_all, local, fd, data, offset)
                offset += len(data)
                if offset < size:
                    st.current, st.confirmed = seq, offset
                    st.bytes_done += len(data)
                    ctx.progress(phase="copying", done=st.files_done, bytes_done=st.bytes_done, message=src)
                    await ctx.checkpoint()
                else:
                    # the last chunk commits with the name the file is given (``_place``): a kill
                    # before that reads it again (a small file: its only chunk, so small files in
                    # flight at once never share the state's one confirmed offset)
                    last = len(data)
            if not last:  # no chunk written here (``_write_all`` flushes each): the truncate, if any
                await ctx.run_blocking(local.fsync, fd)
        finally:
            if early is not None:  # read ahead for a resume that starts further on, or interrupted
                await _drop_early(early)
            if reader is not None:  # done, or interrupted: what it read ahead is not wanted
                await reader.close()
            if fd >= 0:
                os.close(fd)
        placed = await self._place(ctx, local, seq, part, dst, last)
        if placed is None:  # a file of that name appeared while this one was read
            await self._skip(ctx, seq, shown, dst)
            return
        await self._placed(ctx, seq, shown, placed)

    async def _placed(self, ctx: JobContext, seq: int, shown: str, placed: Placing, when: str = "") -> None:
        """Record the item as done: its file was given its name as ``placed`` says."""
        st, outcome, reason = self.state, placed.outcome, None
        if outcome == "replaced":
            reason = "the file that was there was replaced"
            st.replaced += 1
        elif outcome == "renamed":
            reason = f"kept both: saved as {os.path.basename(os.fsdecode(placed.target))}"
            st.renamed += 1
        st.files_done += 1
        ctx.log(f"copied {shown} to {paths.display(placed.target)}{when}")
        await self._finish_item(ctx, seq, WorkStatus.DONE, outcome, reason)

    async def _skip(self, ctx: JobContext, seq: int, shown: str, dst: bytes) -> None:
        self.state.skipped += 1
        ctx.log(f"skipped {shown}: {paths.display(dst)} exists (on_conflict {self.config.on_conflict})")
        await self._finish_item(ctx, seq, WorkStatus.SKIPPED, "skipped", EXISTS)

    async def _place(
        self, ctx: JobContext, local: ReadWriteVolume, seq: int, part: bytes, dst: bytes, last: int
    ) -> Placing | None:
        """Give the finished ``part`` its name under the policy: what it became, or None when it
        was skipped (``part`` is then removed). Each name is committed with the state before the
        rename that gives it (see ``Placing``), and with it the ``last`` bytes written (the file's
        last chunk, not confirmed as an offset): a record in the state says its whole file is counted."""
        st, policy = self.state, self.config.on_conflict
        info = await ctx.run_blocking(local.lstat, part)
        st.bytes_done += last
        target = dst
        while True:
            there = local.lexists(target)
            if there and policy == "rename":
                target, there = free_name(dst), False
            outcome = "replaced" if there and policy == "overwrite" else "renamed" if target != dst else "copied"
            placing = st.placing[seq] = Placing(target, outcome, *_identity(info))
            await ctx.checkpoint()
            try:
                # overwrite: atomic, the old file stays whole until this one takes its name; else
                # never over a file: one that appeared meanwhile stays
                await ctx.run_blocking(local.commit, part, target, replace=policy == "overwrite")
                return placing
            except FileExistsError:
                if policy != "rename":
                    local.unlink(part)
                    return None

    async def _confirm(self, ctx: JobContext, seq: int, fd: int, old: int, new: int) -> int:
        """Flush the partial file, then commit ``new`` as its confirmed offset (was ``old``)."""
        await ctx.run_blocking(ctx.backend.fsync, fd)
        st = self.state
        st.current, st.confirmed = seq, new
        st.bytes_done += new - old
        await ctx.checkpoint()
        return new

    async def _with_openssh(
        self, ctx: JobContext, backend, seq: int, src: str, part: bytes, fd: int, offset: int, size: int
    ) -> int:
        """Let OpenSSH's ``sftp`` append ``src`` to ``part`` from ``offset``; the confirmed offset it
        reached (``size`` when it finished). When it never got going (no login, no such program) the
        rest of this run reads through asyncssh, which logged in already."""
        from sd_desktop.volumes import openssh

        st, shown, start = self.state, f"{self.config.volume}:/{src}", offset
        try:
            proc = await openssh.start(backend.spec, backend.server_path(src), part)
        except (ValueError, OSError) as exc:  # a line break in a name; no sftp after all
            self._no_openssh = True
            ctx.log(f"reading {shown} through asyncssh: OpenSSH's sftp cannot: {exc}")
            return offset
        assert proc.stderr is not None
        errors = asyncio.ensure_future(proc.stderr.read())
        exited = asyncio.ensure_future(proc.wait())
        try:
            while not exited.done():
                await asyncio.wait({exited}, timeout=POLL)
                await ctx.check_interrupt()
                have = ctx.backend.fstat(fd).st_size
                ctx.progress(
                    phase="copying", done=st.files_done, bytes_done=st.bytes_done + max(0, have - offset), message=src
                )
                if min(size, have - openssh.IN_FLIGHT) - offset >= COMMIT_EVERY:
                    offset = await self._confirm(ctx, seq, fd, offset, min(size, have - openssh.IN_FLIGHT))
        finally:
            if not exited.done():  # paused, cancelled or failed here: the client stops (and its ssh)
                proc.terminate()
                try:
                    await asyncio.wait_for(asyncio.shield(exited), 5)
                except TimeoutError:
                    proc.kill()
                    await exited
            stderr = await errors
        have = ctx.backend.fstat(fd).st_size
        if proc.returncode == 0 and have == size:
            return await self._confirm(ctx, seq, fd, offset, size)
        if min(size, have - openssh.IN_FLIGHT) > offset:
            offset = await self._confirm(ctx, seq, fd, offset, min(size, have - openssh.IN_FLIGHT))
        why = openssh.reason(stderr, proc.returncode)
        if proc.returncode == 0:
            why = f"it is {have} bytes now, {size} when listed"
        if offset == start:
            self._no_openssh = True
        ctx.log(f"OpenSSH's sftp stopped reading {shown} ({why}); asyncssh continues from byte {offset}")
        return offset


async def _drop_early(early: asyncio.Future[RemoteReader] | None) -> None:
    """Close a reader opened ahead (or stop its opening): its file is not read after all."""
    if early is None:
        return
    if not early.done():
        early.cancel()
    with contextlib.suppress(BaseException):
        reader = await early
        await reader.close()


def _identity(info: os.stat_result) -> tuple[int, int, int]:
    return info.st_ino & INO_BITS, info.st_size, info.st_mtime_ns


def _is_file(local: VolumeBackend, path: bytes, placing: Placing) -> bool:
    """Is ``path`` the part file ``placing`` describes (the same inode, size and mtime)?"""
    try:
        info = local.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    return stat.S_ISREG(info.st_mode) and _identity(info) == (placing.ino, placing.size, placing.mtime_ns)


def _is_folder_itself(backend: VolumeBackend, path: bytes) -> bool:
    """A folder, not a link to one (``isdir`` and not ``islink``, from one ``lstat``)."""
    try:
        return stat.S_ISDIR(backend.lstat(path).st_mode)
    except (OSError, ValueError):
        return False


def _write_all(local: WritableVolume, fd: int, data: bytes, offset: int) -> None:
    local.pwrite_all(fd, data, offset)
    local.fsync(fd)  # the offset committed next must be on disk

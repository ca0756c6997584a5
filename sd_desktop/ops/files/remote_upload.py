"""Copy onto a remote volume: local files and folders, or files of another (or the same) volume.

Planning walks the sources (a local folder with ``scandir``, a remote one by listings; one
checkpoint per folder) into the work list. Each file is then streamed to a temporary name beside
its target on the volume and renamed into place (a plain PUT on an object store, which shows the
whole object or none), every request with the volume's deadline. A file is the unit of resumption:
OpenDAL's Python API exposes no multipart upload id to continue from, so a resumed job writes the
interrupted file again (to the same temporary name) and skips the ones done. Between two volumes
the bytes stream through this machine (ranged reads, 4 MiB at a time), unless both paths are on the
same volume and its service copies by itself (S3, WebDAV; SFTP with OpenSSH's ``copy-data``).

Where each file goes is committed with the state before it is sent (``Sending``, one for each of
the files in flight at once, dropped with its outcome). A job killed after a file got its name and
before that was recorded finds, when resumed, that target holding the source's bytes (the
temporary name gone, the size and a full blake3 of both sides equal: a volume has no inode to tell
one file from another) and records it as done without sending it again or storing a second copy
(FAULTS 24); a target that is not that file is never taken for it.

With ``verify`` a last phase reads every stored file back through the volume (ranged reads, full
blake3) and compares it with the hash of the bytes that were sent. A server that goes away pauses
the job (the reason shown); ``jobs resume`` continues where it stopped.
"""

from __future__ import annotations

import asyncio
import os
import posixpath
import stat
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import IntEnum

import blake3

from sd_desktop.cas import full_hash_of_fd
from sd_desktop.enums import WorkStatus
from sd_desktop.jobs import Job, JobContext, JobError, register
from sd_desktop.jobs.errors import JobPaused
from sd_desktop.jobs.in_flight import cancel_all, first_done
from sd_desktop.library import volumes, worklist

CHUNK = 4 * 1024 * 1024  # bytes per read of the source, per write request and per verifying read
AT_ONCE = 8  # at most this many files in flight at once (a cancel removes their temporary names)
BATCH = 200  # work items read per batch
POLICIES = ("skip", "overwrite", "rename")


class Item(IntEnum):
    FILE = 0


class SourceFailed(Exception):
    """The source of one file could not be read (a local error, or it vanished): that file fails,
    the job goes on. Not an ``OSError``, so a backend never takes it for a lost connection."""


@dataclass
class RemoteUploadConfig:
    volume: str  # the destination volume
    destination: str  # a folder on it, relative to its root ('' = the root): each source lands in it
    sources: list[str]  # absolute local paths, or paths on ``source_volume`` relative to its root
    source_volume: str = ""  # '' when the sources are local
    verify: bool = False
    on_conflict: str = "skip"  # skip | overwrite | rename


@dataclass
class Sending:
    """A file being sent, as committed before it was: where it goes."""

    target: str
    size: int


@dataclass
class RemoteUploadState:
    phase: str = "plan"  # plan, copy, verify
    source_index: int = 0  # the source being planned
    frontier: list[str] = field(default_factory=list)  # its folders still to list
    next_seq: int = 0
    verified_to: int = -1  # the last seq the verify phase has checked
    # seq -> where a file in flight goes (several small ones at once): added before it is sent,
    # dropped with the item's outcome
    sending: dict[int, Sending] = field(default_factory=dict)
    files_done: int = 0
    files_failed: int = 0
    skipped: int = 0
    bytes_done: int = 0
    server_copies: int = 0
    started_at: float = 0.0
    pause_reason: str = ""


@dataclass
class RemoteUploadOutput:
    items_done: int = 0
    items_failed: int = 0
    files: int = 0  # copied (and verified, with verify)
    skipped: int = 0  # the target existed (skip)
    failed: int = 0
    bytes: int = 0  # bytes sent over the network (a server-side copy sends none)
    server_copies: int = 0  # files the service copied by itself
    verified: bool = False
    seconds: float = 0.0


def temp_name(path: str, job_id: int) -> str:
    """The temporary name a target is written to: the same on every run of the job, so a resumed
    upload overwrites what the interrupted one left rather than leaving a second copy."""
    head, tail = posixpath.split(path)
    return posixpath.join(head, f".{tail}.sd-part-{job_id}")


def renamed(path: str, n: int) -> str:
    """``a/b (n).txt`` for ``a/b.txt``: the name tried for the n-th conflict under ``rename``."""
    head, tail = posixpath.split(path)
    stem, ext = posixpath.splitext(tail)
    if not stem:  # a dot file
        stem, ext = tail, ""
    return posixpath.join(head, f"{stem} ({n}){ext}")


@register
class RemoteUploadJob(Job):
    NAME = "remote_upload"
    VERSION = 1
    RESUMABLE = True
    DESCRIPTION = "Copy local files, or files of a volume, onto a remote volume (each file resumable from its start)"
    Config = RemoteUploadConfig
    State = RemoteUploadState
    Output = RemoteUploadOutput

    def target(self) -> str:
        c = self.config
        where = f"{c.source_volume}:/" if c.source_volume else ""
        return f"{', '.join(where + s for s in c.sources)} → {c.volume}:/{c.destination}"

    async def on_resume(self, ctx: JobContext) -> None:
        reason = self.state.pause_reason
        if reason:
            ctx.forget_errors(reason)
            self.state.pause_reason = ""

    async def run(self, ctx: JobContext) -> RemoteUploadOutput:
        from sd_desktop.volumes.remote import RemoteError, backend_for
        from sd_desktop.volumes.specs import spec_of

        c, st = self.config, self.state
        if c.on_conflict not in POLICIES:
            raise JobError(f"on_conflict must be one of {', '.join(POLICIES)}, not {c.on_conflict!r}")

        async def backend_of(name: str):
            row = await ctx.library.read(lambda conn: volumes.find_volume(conn, name))
            if row is None:
                raise JobError(f"no volume named {name!r} (it was removed?)")
            return backend_for(spec_of(row, ctx.library.folder))

        dest = await backend_of(c.volume)
        source = None
        if c.source_volume:
            source = dest if c.source_volume == c.volume else await backend_of(c.source_volume)
        if not st.started_at:
            st.started_at = time.time()
        try:
            if st.phase == "plan":
                await self._plan(ctx, source)
            if st.phase == "copy":
                await self._copy_all(ctx, dest, source)
                st.phase = "verify" if c.verify else "done"
                await ctx.checkpoint()
            if st.phase == "verify":
                await self._verify_all(ctx, dest)
                st.phase = "done"
                await ctx.checkpoint()
        except RemoteError as exc:
            st.pause_reason = str(exc)
            ctx.add_non_critical_error(f"{c.volume}:/{c.destination}", st.pause_reason)
            await ctx.checkpoint()
            raise JobPaused() from None
        finally:
            await dest.close()
            if source is not None and source is not dest:
                await source.close()
        return RemoteUploadOutput(
            items_done=st.files_done + st.skipped,
            items_failed=st.files_failed,
            files=st.files_done,
            skipped=st.skipped,
            failed=st.files_failed,
            bytes=st.bytes_done,
            server_copies=st.server_copies,
            verified=c.verify,
            seconds=round(time.time() - st.started_at, 3),
        )

    # -- planning ---------------------------------------------------------------------------------
    def _target_of(self, root: str, path: str) -> str:
        """The path on the destination volume of ``path`` (at or below the source ``root``)."""
        below = path[len(root) :].strip("/")
        return posixpath.join(self.config.destination.strip("/"), posixpath.basename(root.rstrip("/")), below).strip(
            "/"
        )

    async def _plan(self, ctx: JobContext, source) -> None:
        st, c = self.state, self.config
        while st.source_index < len(c.sources):
            root = c.sources[st.source_index]
            if not st.frontier:
                files, folders = await self._top(ctx, source, root)
                await self._add(ctx, root, files)
                st.frontier = folders
            while st.frontier:
                await ctx.check_interrupt()
                folder = st.frontier[-1]
                files, subfolders = await self._list(ctx, source, folder)
                st.frontier.pop()
                st.frontier.extend(sorted(subfolders, reverse=True))
                await self._add(ctx, root, files)
                ctx.progress(phase="listing", done=st.next_seq, message=folder)
            st.source_index += 1
            await ctx.checkpoint()
        st.phase = "copy"
        await ctx.checkpoint()

    async def _top(self, ctx: JobContext, source, root: str) -> tuple[list[tuple[str, int]], list[str]]:
        """A source itself: ``([(path, size)], [])`` for a file, ``([], [root])`` for a folder."""
        from sd_desktop.volumes.remote import NOT_FOUND, RemoteError

        if source is None:
            try:
                info = ctx.backend.lstat(root)
            except OSError as exc:
                raise JobError(f"cannot read {root}: {exc.strerror}") from None
            if stat.S_ISDIR(info.st_mode):
                return [], [root]
            if not stat.S_ISREG(info.st_mode):
                raise JobError(f"not a regular file or folder: {root}")
            return [(root, info.st_size)], []
        try:
            top = await source.stat(root)
        except RemoteError as exc:
            if exc.kind == NOT_FOUND:
                raise JobError(str(exc)) from None
            raise
        return ([], [root]) if top.is_dir else ([(root, top.size)], [])

    async def _list(self, ctx: JobContext, source, folder: str) -> tuple[list[tuple[str, int]], list[str]]:
        if source is not None:
            listing = await source.list(folder)
            files = sorted((e.path, e.size) for e in listing if not e.is_dir)
            return files, [e.path for e in listing if e.is_dir]

        def scan() -> tuple[list[tuple[str, int]], list[str], list[str]]:
            files, folders, others = [], [], []
            with ctx.backend.scandir(folder) as it:
                for e in it:
                    if e.is_dir(follow_symlinks=False):
                        folders.append(e.path)
                    elif e.is_file(follow_symlinks=False):
                        files.append((e.path, e.stat(follow_symlinks=False).st_size))
                    else:
                        others.append(e.path)
            return sorted(files), folders, others

        try:
            files, folders, others = await ctx.run_blocking(scan)
        except OSError as exc:
            ctx.add_non_critical_error(folder, f"cannot list it: {exc.strerror}")
            return [], []
        for path in others:  # links, devices, sockets: a volume stores plain files
            ctx.add_non_critical_error(path, "not a regular file (links and special files are not copied)")
        return files, folders

    async def _add(self, ctx: JobContext, root: str, files: list[tuple[str, int]]) -> None:
        st = self.state
        rows = []
        for path, size in files:
            src = os.fsencode(path) if not self.config.source_volume else path.encode()
            dst = self._target_of(root, path).encode("utf-8", "surrogateescape")
            rows.append((st.next_seq, int(Item.FILE), src, dst, size))
            st.next_seq += 1
        job_id = ctx.job_id
        await ctx.checkpoint(lambda conn: worklist.add(conn, job_id, rows, ("seq", "kind", "src", "dst", "size")))

    # -- copying ----------------------------------------------------------------------------------
    async def _copy_all(self, ctx: JobContext, dest, source) -> None:
        """Every pending file; on a volume that allows it (SFTP: ``CONCURRENT_FILES``) several
        small ones at a time over the one connection (a small file costs round trips: a look for
        the target, open, write, close, rename), a large one alone (its writes already fill the
        connection). Under ``rename`` one at a time: the name a conflict gets is not known before
        the look, so two could pick the same one. Each file commits its own target before it is sent
        and its own outcome; a kill redoes the ones in flight that were not stored yet (same
        temporary names) and recognises those that were (``Sending``)."""
        job_id = ctx.job_id
        at_once = (
            1 if self.config.on_conflict == "rename" else max(1, min(AT_ONCE, getattr(dest, "CONCURRENT_FILES", 1)))
        )
        while True:
            batch = await ctx.library.read(lambda c: worklist.pending(c, job_id, ("seq", "src", "dst", "size"), BATCH))
            if not batch:
                return
            running: dict[asyncio.Task, str] = {}
            try:
                for seq, src, dst, size in batch:
                    await ctx.check_interrupt()
                    target = bytes(dst).decode("utf-8", "surrogateescape")
                    alone = size > CHUNK or at_once == 1
                    # a free slot, no file of the same target in flight, and a large file alone
                    while running and (len(running) >= at_once or target in running.values() or alone):
                        await first_done(running)
                    task = asyncio.ensure_future(self._copy_one(ctx, dest, source, seq, bytes(src), target, size))
                    running[task] = target
                    if alone:
                        await first_done(running)
                while running:
                    await first_done(running)
            finally:
                await cancel_all(running)

    def _shown(self, src: bytes) -> str:
        c = self.config
        return f"{c.source_volume}:/{src.decode()}" if c.source_volume else os.fsdecode(src)

    async def _finish(
        self, ctx: JobContext, seq: int, status: WorkStatus, outcome: str, reason: str | None, dst: str, digest: str
    ) -> None:
        job_id = ctx.job_id
        self.state.sending.pop(seq, None)
        row = (int(status), outcome, reason, dst.encode("utf-8", "surrogateescape"), digest.encode(), seq)
        await ctx.checkpoint(
            lambda c: worklist.update(c, job_id, [row], ("status", "outcome", "reason", "dst", "data"))
        )

    async def _fail(self, ctx: JobContext, seq: int, src: bytes, dst: str, why: str) -> None:
        ctx.add_non_critical_error(self._shown(src), why)
        self.state.files_failed += 1
        await self._finish(ctx, seq, WorkStatus.FAILED, "failed", why, dst, "")

    async def _copy_one(self, ctx: JobContext, dest, source, seq: int, src: bytes, dst: str, size: int) -> None:
        from sd_desktop.volumes.remote import FAILED, NOT_FOUND, RemoteError, TargetExists

        c, st = self.config, self.state
        try:
            dst.encode()
        except UnicodeEncodeError:
            await self._fail(ctx, seq, src, dst, "the name is not valid UTF-8, which the volume needs")
            return
        before = st.sending.get(seq)
        if before is not None:
            digest = await self._sent_before(ctx, dest, source, src, before)
            if digest:  # killed after it got its name, before that was recorded
                st.files_done += 1
                if source is not dest:  # within one volume the service may have copied it: none sent
                    st.bytes_done += before.size
                ctx.log(f"copied {self._shown(src)} to {c.volume}:/{before.target} (before the interruption)")
                await self._finish(ctx, seq, WorkStatus.DONE, "copied", None, before.target, digest)
                return
        target, n, races = dst, 0, 0
        # bytes sent, added to the state with this file's own outcome (files in flight at once
        # would otherwise count each other's bytes in their checkpoints)
        sent = [0]
        while True:
            exists = await self._exists(dest, target)
            if exists and c.on_conflict == "skip":
                st.skipped += 1
                st.bytes_done += sent[0]
                await self._finish(ctx, seq, WorkStatus.SKIPPED, "skipped", "the target exists", target, "")
                return
            if exists and c.on_conflict == "rename":
                n += 1
                target = renamed(dst, n)
                continue
            replace = c.on_conflict == "overwrite"
            hasher = blake3.blake3()
            st.sending[seq] = Sending(target, size)  # this file's own: the others in flight keep theirs
            await ctx.checkpoint()
            try:
                copied = await self._send(ctx, dest, source, src, size, target, replace, hasher, sent)
            except TargetExists as exc:  # it appeared since the look: the policy again
                races += 1
                if races > 3:  # something keeps putting it back: give up on this one
                    st.bytes_done += sent[0]
                    await self._fail(ctx, seq, src, target, str(exc))
                    return
                continue
            except SourceFailed as exc:
                st.bytes_done += sent[0]
                await self._fail(ctx, seq, src, target, str(exc))
                return
            except RemoteError as exc:
                if exc.kind not in (NOT_FOUND, FAILED):
                    raise  # the server is gone or refuses us: pause
                st.bytes_done += sent[0]
                await self._fail(ctx, seq, src, target, str(exc))
                return
            break
        st.bytes_done += sent[0]
        st.files_done += 1
        ctx.log(f"copied {self._shown(src)} to {c.volume}:/{target}")
        ctx.progress(phase="copying", done=st.files_done, bytes_done=st.bytes_done, message=target)
        await self._finish(ctx, seq, WorkStatus.DONE, "copied", None, target, "" if copied else hasher.hexdigest())

    async def _sent_before(self, ctx: JobContext, dest, source, src: bytes, sent: Sending) -> str:
        """The blake3 of the source when ``sent.target`` holds it as the interrupted run left it
        (its temporary name gone: the rename happened), else ''."""
        from sd_desktop.volumes.remote import NOT_FOUND, RemoteError

        if await self._exists(dest, temp_name(sent.target, ctx.job_id)):
            return ""
        try:
            there = await dest.stat(sent.target)
        except RemoteError as exc:
            if exc.kind == NOT_FOUND:
                return ""
            raise
        if there.is_dir or there.size != sent.size:
            return ""
        if source is None:
            try:
                with ctx.backend.open_read(src) as f:
                    digest = await ctx.run_blocking(full_hash_of_fd, f.fileno())
            except OSError:
                return ""  # sent again, which says what is wrong with it
        else:
            digest = await self._hash(source, src.decode())
        return digest if await self._hash(dest, sent.target) == digest else ""

    async def _exists(self, backend, path: str) -> bool:
        from sd_desktop.volumes.remote import NOT_FOUND, RemoteError

        try:
            await backend.stat(path)
        except RemoteError as exc:
            if exc.kind == NOT_FOUND:
                return False
            raise
        return True

    async def _send(
        self, ctx: JobContext, dest, source, src: bytes, size: int, target: str, replace: bool, hasher, sent: list[int]
    ) -> bool:
        """Write one file to ``target``; True when the service copied it by itself (no hash then).
        ``sent[0]`` counts the bytes sent."""
        from sd_desktop.volumes.remote import NOT_FOUND, RemoteError

        temp = temp_name(target, ctx.job_id)
        if source is dest and await dest.server_copy(src.decode(), target, temp, replace):
            self.state.server_copies += 1
            return True

        async def chunks() -> AsyncIterator[bytes]:
            if source is None:
                try:
                    # never through a link or into a FIFO put there since the listing
                    f = ctx.backend.open_read(src)
                except OSError as exc:
                    raise SourceFailed(f"cannot read it: {exc.strerror or exc}") from None
                try:
                    while True:
                        await ctx.check_interrupt()
                        try:
                            data = await ctx.run_blocking(f.read, CHUNK)
                        except OSError as exc:
                            raise SourceFailed(f"cannot read it: {exc.strerror}") from None
                        if not data:
                            return
                        hasher.update(data)
                        sent[0] += len(data)
                        yield data
                finally:
                    f.close()
            path, offset = src.decode(), 0
            while offset < size:  # as listed: a range past the end is an error on some services
                await ctx.check_interrupt()
                try:
                    (data,) = await source.read_ranges(path, [(offset, min(CHUNK, size - offset))])
                except RemoteError as exc:
                    if exc.kind == NOT_FOUND:
                        raise SourceFailed("vanished while it was copied") from None
                    raise
                if not data:
                    raise SourceFailed(f"shrank to {offset} bytes while it was copied")
                offset += len(data)
                hasher.update(data)
                sent[0] += len(data)
                yield data

        try:
            await dest.upload(target, chunks(), temp, replace)
        except SourceFailed:
            try:  # the part sent so far
                await dest.delete(temp)
            except RemoteError:
                pass
            raise
        return False

    # -- verifying --------------------------------------------------------------------------------
    async def _verify_all(self, ctx: JobContext, dest) -> None:
        st, job_id = self.state, ctx.job_id
        while True:
            start = st.verified_to + 1
            batch = await ctx.library.read(
                lambda c, start=start: worklist.items(
                    c, job_id, ("seq", "src", "dst", "data"), status=WorkStatus.DONE, seq_from=start, limit=BATCH
                )
            )
            if not batch:
                return
            for seq, src, dst, data in batch:
                await ctx.check_interrupt()
                expected = bytes(data or b"").decode()
                target = bytes(dst).decode()
                if not expected:  # a server-side copy: hash its source now
                    expected = await self._hash(dest, bytes(src).decode())
                got = await self._hash(dest, target)
                if got != expected:
                    why = f"verify: the stored file {self.config.volume}:/{target} differs from the source"
                    st.files_done -= 1
                    await self._fail(ctx, seq, bytes(src), target, why)
                st.verified_to = seq
                ctx.progress(phase="verifying", done=seq + 1, total=st.next_seq, message=target)
                await ctx.checkpoint()

    async def _hash(self, backend, path: str) -> str:
        """Full blake3 of a stored file, by ranged reads up to the size the service gives."""
        from sd_desktop.volumes.remote import NOT_FOUND, RemoteError

        try:
            size = (await backend.stat(path)).size
        except RemoteError as exc:
            if exc.kind == NOT_FOUND:
                return "(gone)"
            raise
        h, offset = blake3.blake3(), 0
        while offset < size:
            (data,) = await backend.read_ranges(path, [(offset, min(CHUNK, size - offset))])
            if not data:
                break
            h.update(data)
            offset += len(data)
        return h.hexdigest()

    async def on_cancel(self, ctx: JobContext) -> None:
        """Remove the temporary name of the file that was being sent (best effort: the server may
        be the reason for the cancel)."""
        from sd_desktop.volumes.remote import NOT_FOUND, RemoteError, backend_for
        from sd_desktop.volumes.specs import spec_of

        job_id = ctx.job_id
        # the files that were in flight are among the first pending ones
        rows = await ctx.library.read(lambda c: worklist.pending(c, job_id, ("dst",), AT_ONCE))
        row = await ctx.library.read(lambda conn: volumes.find_volume(conn, self.config.volume))
        if not rows or row is None:
            return
        backend = backend_for(spec_of(row, ctx.library.folder))
        try:
            for (dst,) in rows:
                try:
                    await backend.delete(temp_name(bytes(dst).decode(), job_id))
                except RemoteError as exc:
                    if exc.kind != NOT_FOUND:
                        raise
                except UnicodeDecodeError:
                    pass
        except RemoteError:
            pass
        finally:
            await backend.close()

"""Delete files and folders on a remote volume, permanently (a volume has no trash to move them to).

Planning lists each target (a folder's tree by listings, one checkpoint per folder) into the work
list with the size and time each file is expected to have: the indexed ones where the library has
the file, else the ones listed now. Just before each deletion the file is looked at again (one
stat) and left alone when it differs, so a file changed since it was listed or indexed is never
deleted unseen. Files go first, then the folders, deepest first; a folder that is not empty by then
(something skipped or new in it) stays. The library forgets each deleted entry in the same
checkpoint. A server that goes away pauses the job; ``jobs resume`` continues it.

A duplicate chosen from search results comes with its kept copies (``guards``, FAULTS 5): just
before it goes, it is read in full and one of its kept copies (a local file, or ``NAME:/path`` on
any volume) must still be there with its size and the same full hash (the hashing of
``cross_duplicates``), and then the target is looked at once more and must be as before its read
(size, time, and the ETag where the service gives one: an S3 object replaced within the same
second keeps its size and time); otherwise it stays, with the reason ("kept copy gone", "kept copy
changed", "target changed"). A kill or a lost connection before its row is committed leaves it
pending, so the check is made again on resume.
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING

import msgpack

from sd_desktop import cas
from sd_desktop.enums import WorkStatus
from sd_desktop.jobs import Job, JobContext, JobError, register
from sd_desktop.jobs.errors import JobPaused
from sd_desktop.library import volumes, worklist
from sd_desktop.library.remote_entries import entry_at, remove_entry

if TYPE_CHECKING:
    from sd_desktop.volumes.remote import RemoteEntry

BATCH = 200
KEPT_GONE = "kept copy gone"
KEPT_CHANGED = "kept copy changed"
TARGET_CHANGED = "target changed"


class Item(IntEnum):
    FILE = 0
    DIR = 1


@dataclass
class KeptCopies:
    """A duplicate on the volume and the copies of its content that stay (from search results)."""

    path: str  # relative to the volume's root, as in ``paths``
    keepers: list[str]  # absolute local paths or NAME:/path; one must still hold the content
    hash: str = ""  # the full blake3 the search saw ('': the target is compared with its keepers only)


@dataclass
class RemoteDeleteConfig:
    volume: str
    paths: list[str]  # relative to the volume's root, never '' (the root itself)
    confirm: bool = False  # the command's --yes: nothing is deleted without it
    guards: list[KeptCopies] = field(default_factory=list)  # a path listed here goes only if a kept copy is sound


@dataclass
class RemoteDeleteState:
    phase: str = "plan"  # plan, files, folders
    target_index: int = 0
    frontier: list[str] = field(default_factory=list)
    next_seq: int = 0
    files_deleted: int = 0
    folders_deleted: int = 0
    bytes_deleted: int = 0
    skipped: int = 0
    failed: int = 0
    started_at: float = 0.0
    pause_reason: str = ""


@dataclass
class RemoteDeleteOutput:
    items_done: int = 0
    items_failed: int = 0
    files_deleted: int = 0
    folders_deleted: int = 0
    bytes_deleted: int = 0
    skipped: int = 0  # changed since listed or indexed, or a folder not empty: left as it is
    failed: int = 0
    outcomes: list[dict] = field(default_factory=list)  # the skipped and failed ones
    seconds: float = 0.0


def _expected(size: int, mtime_ns: int | None, indexed: bool) -> bytes:
    return msgpack.packb([size, mtime_ns, indexed])


@register
class RemoteDeleteJob(Job):
    NAME = "remote_delete"
    VERSION = 1
    RESUMABLE = True
    DESCRIPTION = "Delete files and folders on a remote volume, each re-checked just before"
    Config = RemoteDeleteConfig
    State = RemoteDeleteState
    Output = RemoteDeleteOutput

    def target(self) -> str:
        return ", ".join(f"{self.config.volume}:/{p}" for p in self.config.paths)

    async def on_resume(self, ctx: JobContext) -> None:
        reason = self.state.pause_reason
        if reason:
            ctx.forget_errors(reason)
            self.state.pause_reason = ""

    async def run(self, ctx: JobContext) -> RemoteDeleteOutput:
        from sd_desktop.volumes.remote import RemoteError, backend_for
        from sd_desktop.volumes.specs import spec_of

        c, st = self.config, self.state
        if not c.confirm:
            raise JobError("a deletion on a volume cannot be undone: confirm it (--yes)")
        if any(not p.strip("/") for p in c.paths):
            raise JobError(f"refusing to delete the root of the volume {c.volume}")
        self._volume = await ctx.library.read(lambda conn: volumes.find_volume(conn, c.volume))
        if self._volume is None:
            raise JobError(f"no volume named {c.volume!r} (it was removed?)")
        backend = backend_for(spec_of(self._volume, ctx.library.folder))
        # the guards' reads: this volume's backend, and any other volume a kept copy is on
        self._backends = {c.volume: backend}
        self._guards = {g.path.strip("/"): g for g in c.guards}
        self._doomed = {f"{c.volume}:/{p.strip('/')}" for p in c.paths}
        if not st.started_at:
            st.started_at = time.time()
        try:
            if st.phase == "plan":
                await self._plan(ctx, backend)
            if st.phase == "files":
                await self._delete_all(ctx, backend, Item.FILE)
                st.phase = "folders"
                await ctx.checkpoint()
            if st.phase == "folders":
                await self._delete_all(ctx, backend, Item.DIR)
                st.phase = "done"
                await ctx.checkpoint()
        except RemoteError as exc:
            st.pause_reason = str(exc)
            ctx.add_non_critical_error(f"{c.volume}:/", st.pause_reason)
            await ctx.checkpoint()
            raise JobPaused() from None
        finally:
            for opened in self._backends.values():
                await opened.close()
        job_id = ctx.job_id
        left = await ctx.library.read(
            lambda conn: (
                worklist.items(conn, job_id, ("src", "outcome", "reason"), status=WorkStatus.FAILED)
                + worklist.items(conn, job_id, ("src", "outcome", "reason"), status=WorkStatus.SKIPPED)
            )
        )
        return RemoteDeleteOutput(
            items_done=st.files_deleted + st.folders_deleted,
            items_failed=st.skipped + st.failed,
            files_deleted=st.files_deleted,
            folders_deleted=st.folders_deleted,
            bytes_deleted=st.bytes_deleted,
            skipped=st.skipped,
            failed=st.failed,
            outcomes=[
                {"path": f"{c.volume}:/{bytes(p).decode()}", "outcome": o, "reason": r} for p, o, r in left[:1000]
            ],
            seconds=round(time.time() - st.started_at, 3),
        )

    # -- planning ---------------------------------------------------------------------------------
    async def _indexed(self, ctx: JobContext, paths: list[str]) -> dict[str, tuple[int, int | None]]:
        """Size and time of those of ``paths`` the library has indexed."""
        volume_id = self._volume.id

        def read(conn) -> dict[str, tuple[int, int | None]]:
            found = {}
            for path in paths:
                where = volumes.locate_remote(conn, volume_id, path)
                entry = entry_at(conn, where[0], where[1].encode()) if where else None
                if entry is not None:
                    found[path] = (entry["size"], entry["mtime_ns"])
            return found

        return await ctx.library.read(read)

    async def _plan(self, ctx: JobContext, backend) -> None:
        from sd_desktop.volumes.remote import NOT_FOUND, RemoteError

        st, c = self.state, self.config
        while st.target_index < len(c.paths):
            path = c.paths[st.target_index].strip("/")
            if not st.frontier:
                try:
                    top = await backend.stat(path)
                except RemoteError as exc:
                    if exc.kind != NOT_FOUND:
                        raise
                    await self._add(ctx, [(Item.FILE, path, 0, None)], status=WorkStatus.FAILED, reason=str(exc))
                    st.failed += 1
                    st.target_index += 1
                    continue
                if top.is_dir and path in self._guards:  # a duplicate file that became a folder
                    why = f"{TARGET_CHANGED}: it is a folder now; left as it is"
                    await self._add(ctx, [(Item.FILE, path, 0, None)], status=WorkStatus.SKIPPED, reason=why)
                    st.skipped += 1
                    st.target_index += 1
                    continue
                if top.is_dir:
                    await self._add(ctx, [(Item.DIR, path, 0, None)])
                    st.frontier = [path]
                else:
                    await self._add(ctx, [(Item.FILE, path, top.size, top.mtime_ns)])
            while st.frontier:
                await ctx.check_interrupt()
                folder = st.frontier.pop()
                listing = sorted(await backend.list(folder), key=lambda e: e.path)
                await self._add(
                    ctx, [(Item.DIR if e.is_dir else Item.FILE, e.path, e.size, e.mtime_ns) for e in listing]
                )
                st.frontier.extend(e.path for e in listing if e.is_dir)
                ctx.progress(phase="listing", done=st.next_seq, message=folder)
            st.target_index += 1
            await ctx.checkpoint()
        st.phase = "files"
        await ctx.checkpoint()

    async def _add(
        self, ctx: JobContext, rows: list[tuple], status: WorkStatus = WorkStatus.PENDING, reason: str | None = None
    ) -> None:
        st = self.state
        indexed = await self._indexed(ctx, [p for kind, p, _, _ in rows if kind == Item.FILE])
        out = []
        for kind, path, size, mtime_ns in rows:
            known = indexed.get(path)
            if known is not None:
                size, mtime_ns = known
            outcome = {WorkStatus.FAILED: "failed", WorkStatus.SKIPPED: "skipped"}.get(status)
            out.append(
                (
                    st.next_seq,
                    int(kind),
                    path.encode(),
                    size,
                    _expected(size, mtime_ns, known is not None),
                    int(status),
                    outcome,
                    reason,
                )
            )
            st.next_seq += 1
        job_id, columns = ctx.job_id, ("seq", "kind", "src", "size", "data", "status", "outcome", "reason")
        await ctx.checkpoint(lambda conn: worklist.add(conn, job_id, out, columns))

    # -- deleting ---------------------------------------------------------------------------------
    async def _delete_all(self, ctx: JobContext, backend, kind: Item) -> None:
        job_id = ctx.job_id
        while True:
            # folders deepest first: in the listing order a folder comes before everything in it
            batch = await ctx.library.read(
                lambda c: worklist.items(
                    c,
                    job_id,
                    ("seq", "src", "data"),
                    kind=int(kind),
                    status=WorkStatus.PENDING,
                    descending=kind == Item.DIR,
                    limit=BATCH,
                )
            )
            if not batch:
                return
            for seq, src, data in batch:
                await ctx.check_interrupt()
                await self._delete_one(ctx, backend, kind, seq, bytes(src).decode(), *msgpack.unpackb(bytes(data)))

    async def _done(
        self, ctx: JobContext, seq: int, path: str, status: WorkStatus, outcome: str, reason: str | None
    ) -> None:
        job_id, volume_id = ctx.job_id, self._volume.id

        def tx(conn) -> None:
            worklist.update(conn, job_id, [(int(status), outcome, reason, seq)])
            if status != WorkStatus.DONE:
                return
            where = volumes.locate_remote(conn, volume_id, path)
            if where is None:
                return
            remove_entry(conn, where[0], where[1].encode())

        await ctx.checkpoint(tx)

    async def _delete_one(
        self,
        ctx: JobContext,
        backend,
        kind: Item,
        seq: int,
        path: str,
        size: int,
        mtime_ns: int | None,
        indexed: bool,
    ) -> None:
        from sd_desktop.volumes.remote import NOT_FOUND, RemoteError

        st, shown = self.state, f"{self.config.volume}:/{path}"
        try:
            now = await backend.stat(path)
        except RemoteError as exc:
            if exc.kind != NOT_FOUND:
                raise
            st.skipped += 1
            await self._done(ctx, seq, path, WorkStatus.SKIPPED, "skipped", "gone already")
            return
        if kind == Item.FILE and (
            now.is_dir or now.size != size or (mtime_ns is not None and now.mtime_ns != mtime_ns)
        ):
            why = (
                "changed since it was indexed (size or time differ); left as it is (index it again to delete it)"
                if indexed
                else "changed since it was listed (size or time differ); left as it is"
            )
            ctx.add_non_critical_error(shown, why)
            st.skipped += 1
            await self._done(ctx, seq, path, WorkStatus.SKIPPED, "skipped", why)
            return
        guard = self._guards.get(path) if kind == Item.FILE else None
        why = await self._unsafe(ctx, guard, path, size) if guard is not None else None
        if guard is not None and why is None:
            why = await self._replaced(backend, path, now)
        if why is not None:
            ctx.add_non_critical_error(shown, why)
            st.skipped += 1
            await self._done(ctx, seq, path, WorkStatus.SKIPPED, "skipped", why)
            return
        try:
            if kind == Item.FILE:
                await backend.delete(path)
            else:
                if await backend.list(path):
                    why = "not empty (something in it was left or is new); left as it is"
                    ctx.add_non_critical_error(shown, why)
                    st.skipped += 1
                    await self._done(ctx, seq, path, WorkStatus.SKIPPED, "skipped", why)
                    return
                await backend.rmdir(path)
        except RemoteError as exc:
            if exc.kind not in (NOT_FOUND, "failed"):
                raise
            ctx.add_non_critical_error(shown, str(exc))
            st.failed += 1
            await self._done(ctx, seq, path, WorkStatus.FAILED, "failed", str(exc))
            return
        if kind == Item.FILE:
            st.files_deleted += 1
            st.bytes_deleted += size
        else:
            st.folders_deleted += 1
        ctx.log(f"deleted {shown}")
        ctx.progress(phase="deleting", done=st.files_deleted + st.folders_deleted, message=path)
        await self._done(ctx, seq, path, WorkStatus.DONE, "deleted", None)

    # -- the guard of a duplicate: a kept copy with the same content, now -------------------------
    async def _hash(self, ctx: JobContext, address: str, size: int) -> str:
        from sd_desktop.ops.files.cross_duplicates import full_hash

        try:
            return await full_hash(ctx, self._backends, os.fsencode(address), size)
        except cas.HashInterrupted:
            await ctx.check_interrupt()  # a pause or cancel: the row stays pending
            raise

    async def _unsafe(self, ctx: JobContext, guard: KeptCopies, path: str, size: int) -> str | None:
        """Why the duplicate ``path`` (``size`` bytes, as just looked at) must stay, or None when
        one of its kept copies still holds its content. A lost connection raises (the job pauses)."""
        from sd_desktop.volumes.remote import AUTH_FAILED, OFFLINE, RemoteError

        try:
            digest = await self._hash(ctx, f"{self.config.volume}:/{path}", size)
        except OSError as exc:
            if isinstance(exc, RemoteError) and exc.kind in (OFFLINE, AUTH_FAILED):
                raise
            return f"{TARGET_CHANGED}: it could not be read in full ({exc}); left as it is"
        if guard.hash and digest != guard.hash.lower():
            return f"{TARGET_CHANGED}: its content is not what the search found; left as it is"
        reasons: list[str] = []
        for keeper in guard.keepers:
            why = await self._kept_differs(ctx, keeper, size, digest)
            if why is None:
                return None
            reasons.append(why)
        if not reasons:
            return f"{KEPT_GONE}: no kept copy was given; left as it is"
        # one reason for all of them: "gone" only when no kept copy is there at all
        return next((r for r in reasons if r.startswith(KEPT_CHANGED)), reasons[0])

    async def _replaced(self, backend, path: str, before: RemoteEntry) -> str | None:
        """Why the target must stay because it changed while its kept copies were read, or None.

        There is no delete-if-unchanged to call (S3's conditional DeleteObject and the others' are
        not offered through OpenDAL's binding; SFTP has none), so the target is looked at once more,
        as late as can be: on S3 and WebDAV its ETag tells a replacement of the same size within
        the same second (their times are whole seconds), over SFTP its size and time."""
        from sd_desktop.volumes.remote import NOT_FOUND, RemoteError

        try:
            now = await backend.stat(path)
        except RemoteError as exc:
            if exc.kind != NOT_FOUND:
                raise
            return f"{TARGET_CHANGED}: it was deleted while its kept copy was read; left as it is"
        if (now.is_dir, now.size, now.mtime_ns, now.etag) != (before.is_dir, before.size, before.mtime_ns, before.etag):
            return f"{TARGET_CHANGED}: it was replaced while its kept copy was read; left as it is"
        return None

    async def _kept_differs(self, ctx: JobContext, keeper: str, size: int, digest: str) -> str | None:
        """None when ``keeper`` is there, a file of ``size`` bytes whose full hash is ``digest``."""
        from sd_desktop.ops.files.cross_duplicates import volume_backend
        from sd_desktop.volumes.backend import LOCAL
        from sd_desktop.volumes.remote import AUTH_FAILED, NOT_FOUND, OFFLINE, RemoteError

        address = volumes.split_address(keeper) if not keeper.startswith("/") else None
        if address is not None:
            keeper = f"{address[0]}:/{address[1].strip('/')}"
        if keeper in self._doomed:
            return f"{KEPT_GONE}: its kept copy {keeper} is being deleted too; left as it is"
        try:
            if address is None:
                found = LOCAL.lstat(keeper)  # a kept copy on the local disk
                is_file, found_size = stat.S_ISREG(found.st_mode), found.st_size
            else:
                backend = await volume_backend(ctx, self._backends, address[0])
                found = await backend.stat(address[1].strip("/"))
                is_file, found_size = not found.is_dir, found.size
        except (FileNotFoundError, NotADirectoryError):
            return f"{KEPT_GONE}: {keeper} is no longer there; left as it is"
        except OSError as exc:
            if isinstance(exc, RemoteError) and exc.kind in (OFFLINE, AUTH_FAILED):
                raise
            if isinstance(exc, RemoteError) and exc.kind == NOT_FOUND:
                return f"{KEPT_GONE}: {keeper} is no longer there; left as it is"
            return f"{KEPT_CHANGED}: {keeper} could not be looked at ({exc}); left as it is"
        if not is_file or found_size != size:
            return f"{KEPT_CHANGED}: {keeper} is not a file of the same size now; left as it is"
        try:
            kept = await self._hash(ctx, keeper, size)
        except OSError as exc:
            if isinstance(exc, RemoteError) and exc.kind in (OFFLINE, AUTH_FAILED):
                raise
            return f"{KEPT_CHANGED}: {keeper} could not be read in full ({exc}); left as it is"
        if kept != digest:
            return f"{KEPT_CHANGED}: {keeper} no longer has this content; left as it is"
        return None

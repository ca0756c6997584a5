"""Duplicates across local and remote locations, from what the indexers stored.

Files of the searched folders (indexed locations, local or on a volume) are grouped by size, then by
content id; only the members of such candidate groups are read in full (blake3 of every byte): a
local file from disk, a remote one through its volume's backend in ranged reads. Equal full hashes
make a group. The candidates are the job's work list and each one's hash is committed as it is
made, so a pause, a kill or a lost connection re-reads nothing already hashed.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import blake3

from sd_desktop import cas, paths
from sd_desktop.enums import WorkStatus
from sd_desktop.jobs import Job, JobContext, JobError, register
from sd_desktop.jobs.errors import JobPaused
from sd_desktop.library import locations, remote_entries, volumes, worklist

READ = 4 * 1024 * 1024  # bytes per remote ranged read while hashing
BATCH = 100


@dataclass
class CrossDuplicatesConfig:
    roots: list[str]  # local folders (absolute) and NAME:/path on volumes, each inside an indexed location
    min_size: int = 1


@dataclass
class CrossDuplicatesState:
    planned: bool = False
    candidates: int = 0
    hashed: int = 0
    remote_bytes_read: int = 0
    started_at: float = 0.0
    pause_reason: str = ""


@dataclass
class CrossDuplicatesOutput:
    groups: list[dict] = field(default_factory=list)  # {"size", "hash", "paths"}
    search_paths: list[str] = field(default_factory=list)  # the roots searched (a results view names them)
    verified: bool = True  # every group is equal full hashes, not candidates
    files_searched: int = 0
    candidates: int = 0
    hashed: int = 0
    remote_bytes_read: int = 0
    wasted_bytes: int = 0
    items_done: int = 0
    items_failed: int = 0
    seconds: float = 0.0


@register
class CrossDuplicatesJob(Job):
    NAME = "cross_duplicates"
    VERSION = 1
    RESUMABLE = True
    DESCRIPTION = "Find duplicate files across local and remote locations (size, content id, then full hash)"
    Config = CrossDuplicatesConfig
    State = CrossDuplicatesState
    Output = CrossDuplicatesOutput

    def target(self) -> str:
        return ", ".join(self.config.roots)

    async def on_resume(self, ctx: JobContext) -> None:
        reason = self.state.pause_reason
        if reason:
            ctx.forget_errors(reason)
            self.state.pause_reason = ""

    async def run(self, ctx: JobContext) -> CrossDuplicatesOutput:
        from sd_desktop.volumes.remote import RemoteError

        st = self.state
        if not st.started_at:
            st.started_at = time.time()
        searched = await ctx.library.read(self._files)
        if not st.planned:
            await self._plan(ctx, searched)
        backends: dict[str, object] = {}
        try:
            await self._hash_all(ctx, backends)
        except RemoteError as exc:
            st.pause_reason = str(exc)
            ctx.add_non_critical_error(None, st.pause_reason)
            await ctx.checkpoint()
            raise JobPaused() from None
        finally:
            for backend in backends.values():
                await backend.close()
        return await self._output(ctx, len(searched))

    # -- which files: the stored entries below each root ------------------------------------------
    def _files(self, conn) -> dict[bytes, tuple[int, str]]:
        """{path: (size, cas_id)} of every identified file below the roots: a local file by its raw
        absolute path, a remote one as ``NAME:/path`` (UTF-8)."""
        found: dict[bytes, tuple[int, str]] = {}
        for root in self.config.roots:
            address = volumes.split_address(root)
            volume = volumes.find_volume(conn, address[0]) if address else None
            if volume is not None:
                where = volumes.locate_remote(conn, volume.id, address[1])
                if where is None:
                    raise JobError(f"{root} is in no location: index it first (sd-desktop index {root})")
                location_id, below = where[0], where[1].encode()
                prefix = "/".join(p for p in (volume.name + ":", volumes.remote_location(conn, location_id).path) if p)
                base = prefix.encode() + b"/"
            else:
                located = locations.locate(conn, root)
                if located is None:
                    raise JobError(f"{root} is in no location: index it first (sd-desktop index {root})")
                location_id, below, base = located.location_id, located.relative, located.root.rstrip(b"/") + b"/"
            for rel, size, cas_id in remote_entries.identified_files(conn, location_id, below, self.config.min_size):
                found[base + rel] = (size, cas_id)
        return found

    async def _plan(self, ctx: JobContext, searched: dict[bytes, tuple[int, str]]) -> None:
        groups: dict[tuple[int, str], list[bytes]] = defaultdict(list)
        for shown, key in searched.items():
            groups[key].append(shown)
        rows = []
        for (size, cas_id), members in sorted(groups.items()):
            if len(members) < 2:
                continue
            for shown in sorted(members):
                rows.append((len(rows), 0, shown, size, cas_id.encode()))
        st, job_id = self.state, ctx.job_id
        st.planned, st.candidates = True, len(rows)
        await ctx.checkpoint(lambda c: worklist.add(c, job_id, rows, ("seq", "kind", "src", "size", "data")))

    # -- full hashes of the candidates ---------------------------------------------------------------
    async def _hash_all(self, ctx: JobContext, backends: dict) -> None:
        job_id, st = ctx.job_id, self.state
        while True:
            batch = await ctx.library.read(lambda c: worklist.pending(c, job_id, ("seq", "src", "size"), BATCH))
            if not batch:
                return
            for seq, src, size in batch:
                await ctx.check_interrupt()
                src = bytes(src)
                shown = paths.display(src)
                try:
                    digest = await self._full_hash(ctx, backends, src, size)
                    row = (int(WorkStatus.DONE), digest, None, seq)
                except (OSError, cas.HashInterrupted) as exc:
                    from sd_desktop.volumes.remote import AUTH_FAILED, OFFLINE, RemoteError

                    if isinstance(exc, RemoteError) and exc.kind in (OFFLINE, AUTH_FAILED):
                        raise
                    if isinstance(exc, cas.HashInterrupted):
                        await ctx.check_interrupt()
                    why = str(exc) if isinstance(exc, RemoteError) else (exc.strerror or str(exc))
                    ctx.add_non_critical_error(shown, why)
                    row = (int(WorkStatus.FAILED), None, why, seq)
                st.hashed += 1
                ctx.progress(phase="hashing", done=st.hashed, total=st.candidates, message=shown)
                await ctx.checkpoint(lambda c, r=row: worklist.update(c, job_id, [r]))

    async def _full_hash(self, ctx: JobContext, backends: dict, src: bytes, size: int) -> str:
        def count(n: int) -> None:
            self.state.remote_bytes_read += n

        return await full_hash(ctx, backends, src, size, count)

    async def _output(self, ctx: JobContext, searched: int) -> CrossDuplicatesOutput:
        job_id, st = ctx.job_id, self.state
        rows = await ctx.library.read(lambda c: worklist.items(c, job_id, ("src", "size", "outcome", "status")))
        by_hash: dict[tuple[int, str], list[str]] = defaultdict(list)
        failed = 0
        for src, size, digest, status in rows:
            if status == WorkStatus.DONE:
                by_hash[(size, digest)].append(paths.display(bytes(src)))
            else:
                failed += 1
        groups = [
            {"size": size, "hash": digest, "paths": sorted(members)}
            for (size, digest), members in sorted(by_hash.items(), key=lambda kv: (-kv[0][0], kv[1]))
            if len(members) > 1
        ]
        return CrossDuplicatesOutput(
            groups=groups,
            search_paths=list(self.config.roots),
            files_searched=searched,
            candidates=st.candidates,
            hashed=st.hashed,
            remote_bytes_read=st.remote_bytes_read,
            wasted_bytes=sum(g["size"] * (len(g["paths"]) - 1) for g in groups),
            items_done=len(rows) - failed,
            items_failed=failed,
            seconds=round(time.time() - st.started_at, 3),
        )


async def volume_backend(ctx: JobContext, backends: dict, name: str):
    """The backend of the volume ``name``, made once per job (``backends`` holds them; the job closes them)."""
    backend = backends.get(name)
    if backend is not None:
        return backend
    volume = await ctx.library.read(lambda c: volumes.find_volume(c, name))
    if volume is None:
        raise OSError(f"the volume {name} was removed")
    from sd_desktop.volumes.remote import backend_for
    from sd_desktop.volumes.specs import spec_of

    backend = backends[name] = backend_for(spec_of(volume, ctx.library.folder))
    return backend


async def full_hash(
    ctx: JobContext, backends: dict, src: bytes, size: int, counted: Callable[[int], None] | None = None
) -> str:
    """blake3 of every byte of ``src``: a local file (absolute path) from disk, ``NAME:/path`` through
    its volume's backend in ranged reads of its first ``size`` bytes (the caller checked the size);
    ``counted`` is told how many bytes came from a volume."""
    address = None if src.startswith(b"/") else volumes.split_address(src.decode("utf-8", "replace"))
    if address is None:  # a local file
        return await ctx.run_blocking(cas.full_hash, src, lambda: ctx.interrupt_requested)
    backend = await volume_backend(ctx, backends, address[0])
    path = address[1].strip("/")  # NAME:/path is relative to the volume's root, as its backend takes it
    h = blake3.blake3()
    offset = 0
    while offset < size:
        await ctx.check_interrupt()
        (data,) = await backend.read_ranges(path, [(offset, min(READ, size - offset))])
        if not data:
            raise cas.ChangedWhileReading(f"shrank to {offset} bytes while hashing")
        h.update(data)
        offset += len(data)
        if counted is not None:
            counted(len(data))
    return h.hexdigest()

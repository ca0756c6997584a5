"""SimilarPicturesJob: group the pictures under some paths that look alike.

1. **plan**: list the regular files under the paths (links not followed), keep the pictures this
   build decodes, and write them to the job's work list in one checkpoint.
2. **hash**: in batches, each picture gets its 64-bit perceptual hash (``ops.media.phash``). A
   picture the library indexed, unchanged since (same size and mtime), reuses the hash stored with
   its content (the ThumbnailJob makes it while decoding the thumbnail); one without a stored hash
   is decoded in the thumbnail worker processes (same bomb, truncation and time-limit safety) and
   its hash stored by content. A picture outside every location is hashed and not stored. Each
   batch's hashes go in the work items' ``data`` in one checkpoint, so a resumed job goes on from
   the next batch.
3. **group**: the hashes are grouped with multi-index hashing around centres (``grouping``).

The decoding modules are the thumbnail job's (``thumbnail.generate``, ``thumbnail.workers``): one
decode path for both, so a hash made here equals the one a thumbnail run makes.
"""

from __future__ import annotations

import os
import sqlite3

import msgpack

from sd_desktop import paths
from sd_desktop.enums import WorkStatus
from sd_desktop.jobs import Job, JobContext, JobError, register
from sd_desktop.library import picture_hashes, worklist
from sd_desktop.ops.files.file_listing import ScanFilter, resolve_roots, walk
from sd_desktop.ops.media.similar.config import SimilarConfig, SimilarOutput, SimilarState
from sd_desktop.ops.media.thumbnail.generate import OK, Task, is_picture
from sd_desktop.ops.media.thumbnail.workers import WorkerStartError, make_workers
from sd_desktop.volumes.backend import VolumeBackend


def _list_pictures(roots: list[bytes], on_error, fs: VolumeBackend) -> list[tuple[bytes, int]]:
    """(path, size) of every picture below ``roots``, sorted by path."""
    found = [
        (f.path, f.size)
        for f in walk(roots, ScanFilter(), [], on_error, backend=fs)
        if is_picture(None, os.path.basename(f.path))
    ]
    found.sort()
    return found


def _stat(path: bytes, fs: VolumeBackend) -> os.stat_result | None:
    try:
        return fs.lstat(path)
    except OSError:
        return None


@register
class SimilarPicturesJob(Job):
    NAME = "similar_pictures"
    VERSION = 1
    RESUMABLE = True
    DESCRIPTION = "Find pictures that look alike (resized, re-encoded, rotated, retouched copies)"
    Config = SimilarConfig
    State = SimilarState
    Output = SimilarOutput

    def target(self) -> str:
        ps = self.config.paths
        return paths.display(ps[0]) if len(ps) == 1 else f"{len(ps)} folders"

    async def run(self, ctx: JobContext) -> SimilarOutput:
        if not self.config.paths:
            raise JobError("no paths given: name the folders to search for similar pictures")
        if self.state.phase == "plan":
            await self._plan(ctx)
        if self.state.phase == "hash":
            await self._hash(ctx)
        return await self._group(ctx)

    async def _plan(self, ctx: JobContext) -> None:
        ctx.progress(phase="listing", message="listing pictures")
        roots = resolve_roots([os.fsencode(p) for p in self.config.paths], ctx.backend)
        found = await ctx.run_blocking(_list_pictures, roots, ctx.add_non_critical_error, ctx.backend)
        rows = [(seq, path, size) for seq, (path, size) in enumerate(found)]
        self.state.total = len(rows)
        self.state.phase = "hash"
        await ctx.checkpoint(lambda c: worklist.add(c, ctx.job_id, rows, ("seq", "src", "size")))

    def _report(self, ctx: JobContext) -> None:
        s = self.state
        ctx.progress(
            phase="hashing",
            done=s.hashed + s.reused + s.failed,
            total=s.total,
            message=f"{s.hashed} decoded, {s.reused} known, {s.failed} failed",
        )

    async def _hash(self, ctx: JobContext) -> None:
        cfg, lib = self.config, ctx.library
        workers = None
        try:
            while True:
                await ctx.check_interrupt()
                self._report(ctx)
                rows = await lib.read(lambda c: worklist.pending(c, ctx.job_id, ("seq", "src"), cfg.batch_size))
                if not rows:
                    break
                files = {seq: bytes(src) for seq, src in rows}
                stats = await ctx.run_blocking(lambda f=files: {seq: _stat(p, ctx.backend) for seq, p in f.items()})
                known = await lib.read(lambda c, f=files, s=stats: self._known(c, f, s))
                # seq -> (phash, width, height, mtime_ns): the mtime lets a removal re-check the file later
                done: dict[int, tuple[int, int, int, int]] = {}
                mtimes = {seq: st.st_mtime_ns if st is not None else 0 for seq, st in stats.items()}
                to_store: list[picture_hashes.PictureHash] = []
                tasks, content_of = [], {}
                for seq, path in files.items():
                    hit = known.get(seq)
                    if isinstance(hit, picture_hashes.PictureHash):
                        done[seq] = (hit.phash, hit.width, hit.height, mtimes[seq])
                        continue
                    cas_id = None
                    if isinstance(hit, picture_hashes.Indexed):
                        cas_id, content_of[seq] = hit.cas_id, hit.content_id
                    tasks.append(Task(seq, path, cas_id, [], max_pixels=cfg.max_pixels, backend=ctx.backend))
                reused = len(done)
                results = {}
                if tasks:
                    if workers is None:
                        workers = await ctx.run_blocking(make_workers, cfg.max_concurrency, cfg.time_limit)
                    try:
                        results = await ctx.run_blocking(workers.run, tasks, lambda: ctx.interrupt_requested)
                    except WorkerStartError as exc:
                        raise JobError(f"{exc}; no picture can be decoded now; run the search again later") from exc
                    if len(results) < len(tasks):
                        await ctx.check_interrupt()  # stopped halfway: this batch is done again on resume
                failed: list[tuple[int, str]] = []
                for seq, res in results.items():
                    if res.outcome == OK and res.phash is not None:
                        done[seq] = (res.phash, res.width, res.height, mtimes[seq])
                        if seq in content_of:
                            to_store.append(
                                picture_hashes.PictureHash(content_of[seq], res.phash, res.width, res.height)
                            )
                    else:
                        failed.append((seq, res.reason or res.outcome))
                        ctx.add_non_critical_error(files[seq], f"not compared: {res.reason or res.outcome}")
                self.state.reused += reused
                self.state.hashed += len(done) - reused
                self.state.failed += len(failed)

                def record(conn: sqlite3.Connection, done=done, failed=failed, to_store=to_store) -> None:
                    worklist.update(
                        conn,
                        ctx.job_id,
                        [(WorkStatus.DONE, msgpack.packb(list(v)), seq) for seq, v in done.items()],
                        ("status", "data"),
                    )
                    worklist.update(
                        conn,
                        ctx.job_id,
                        [(WorkStatus.FAILED, reason, seq) for seq, reason in failed],
                        ("status", "reason"),
                    )
                    if to_store:
                        picture_hashes.store(conn, to_store)

                await ctx.checkpoint(record)
        finally:
            if workers is not None:
                await ctx.run_blocking(workers.close)
        self.state.phase = "group"
        await ctx.checkpoint()

    def _known(
        self, conn: sqlite3.Connection, files: dict[int, bytes], stats: dict[int, os.stat_result | None]
    ) -> dict[int, picture_hashes.PictureHash | picture_hashes.Indexed]:
        """Per item: its stored hash, or its indexed content (to store the hash by), when the library
        knows the file unchanged since it was indexed."""
        indexed = picture_hashes.indexed_at(conn, files.values())
        current: dict[int, picture_hashes.Indexed] = {}
        for seq, path in files.items():
            hit, st = indexed.get(path), stats.get(seq)
            if hit is not None and st is not None and hit.size == st.st_size and hit.mtime_ns == st.st_mtime_ns:
                current[seq] = hit
        stored = picture_hashes.of_contents(conn, (h.content_id for h in current.values()))
        return {seq: stored.get(h.content_id, h) for seq, h in current.items()}

    async def _group(self, ctx: JobContext) -> SimilarOutput:
        ctx.progress(phase="grouping", message="grouping similar pictures")
        rows = await ctx.library.read(
            lambda c: worklist.items(c, ctx.job_id, ("src", "size", "data"), status=WorkStatus.DONE)
        )
        out = await ctx.run_blocking(self._groups_of, rows)
        await ctx.check_interrupt()
        return out

    def _groups_of(self, rows: list[tuple]) -> SimilarOutput:
        # numpy only now: loading it costs every command that loads the jobs (index, copy ...) ~40 ms
        import numpy as np

        from sd_desktop.ops.media.similar.grouping import group

        cfg, st = self.config, self.state
        decoded = [msgpack.unpackb(data) for _src, _size, data in rows]
        hashes = np.array([d[0] for d in decoded], dtype=np.uint64)
        pixels = np.array([d[1] * d[2] for d in decoded], dtype=np.float64)
        sizes = np.array([size for _src, size, _data in rows], dtype=np.float64)
        # the largest picture (then the largest file) is the natural centre of its group
        priority = pixels + sizes / (sizes.max() + 1.0) if len(rows) else pixels
        groups = []
        for g in group(hashes, cfg.threshold, priority):
            groups.append(
                {
                    "paths": [os.fsdecode(bytes(rows[i][0])) for i in g.members],
                    "distances": g.distances,
                    "sizes": [int(rows[i][1]) for i in g.members],
                    "widths": [int(decoded[i][1]) for i in g.members],
                    "heights": [int(decoded[i][2]) for i in g.members],
                    # 0: hashed by a build that did not keep it (a resumed job)
                    "mtimes_ns": [int(decoded[i][3]) if len(decoded[i]) > 3 else 0 for i in g.members],
                }
            )
        groups.sort(key=lambda g: (-len(g["paths"]), g["paths"][0]))
        return SimilarOutput(
            groups=groups,
            group_count=len(groups),
            similar_files=sum(len(g["paths"]) - 1 for g in groups),
            pictures=st.total,
            hashed=st.hashed,
            reused=st.reused,
            failed=st.failed,
            threshold=cfg.threshold,
            paths=[os.fsdecode(p) for p in cfg.paths],
            items_done=st.hashed + st.reused,
            items_failed=st.failed,
        )

"""The ThumbnailJob's work for a path outside every location: thumbnails into the per-user
freedesktop cache (``freedesktop``), the ones the window shows there and other file managers share.

The files at or below the path are listed once, sorted, without following symbolic links; the
state's ``cursor`` counts the files done, so a resumed job lists them again and goes on from there
(a thumbnail written just before a pause is found valid and counted as present). Failures are
recorded under the cache's ``fail/`` folder, as the standard asks; nothing goes into the library.
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

from sd_desktop.ops.media.thumbnail import freedesktop
from sd_desktop.ops.media.thumbnail.generate import FAILED, OK
from sd_desktop.volumes.backend import LOCAL, VolumeBackend

if TYPE_CHECKING:
    from sd_desktop.jobs import JobContext
    from sd_desktop.ops.media.thumbnail.job import ThumbnailJob

FLAVOR = "large"  # 256 px, what the window's grid reads first


def files_below(path: bytes, fs: VolumeBackend = LOCAL) -> list[bytes]:
    """Regular files at or below ``path`` (itself if it is one), sorted, links not followed; a
    folder that cannot be listed is left out."""
    try:
        st = fs.lstat(path)
    except OSError:
        return []
    if stat.S_ISREG(st.st_mode):
        return [path]
    found: list[bytes] = []
    todo = [path]
    while todo:  # depth first, each folder's files then its sub-folders in name order
        folder = todo.pop()
        try:
            with fs.scandir(folder) as it:
                entries = list(it)
        except OSError:
            continue
        files, subdirs = [], []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    subdirs.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    files.append(entry.path)
            except OSError:
                pass
        found += sorted(files)
        todo += sorted(subdirs, reverse=True)
    return found


async def generate_outside(job: ThumbnailJob, ctx: JobContext, workers) -> None:
    """Make the missing freedesktop thumbnails of the pictures at or below the job's path."""
    cfg, st = job.config, job.state
    root = freedesktop.cache_root()
    fs = ctx.backend
    files = await ctx.run_blocking(files_below, os.path.abspath(os.fsencode(cfg.path)), fs)
    job._total, job._total_bytes = len(files), 0
    await ctx.run_blocking(freedesktop.prepare, root, FLAVOR)
    job._report(ctx)
    while st.cursor < len(files):
        await ctx.check_interrupt()
        start = st.cursor
        batch = files[start : start + cfg.batch_size]
        found = await ctx.run_blocking(lambda b=batch: [freedesktop.find(f, (FLAVOR,), root, fs) for f in b])
        tasks, sources = [], {}
        for i, hit in enumerate(found):
            if hit.source is None or hit.settled in (
                "not a picture",
                "not a regular file",
                "inside the thumbnail cache",
            ):
                st.skipped += 1
            elif hit.data is not None and not cfg.regenerate:
                st.already_present += 1
            elif hit.settled == "failed before" and not cfg.regenerate:
                st.previously_failed += 1
            else:
                tasks.append(freedesktop.task_for(start + i, hit.source, FLAVOR, root, fs))
                sources[start + i] = hit.source
        results = await ctx.run_blocking(workers.run, tasks, lambda: ctx.interrupt_requested)
        if len(results) < len(tasks):
            await ctx.check_interrupt()  # stopped halfway: the batch is done again on resume
        for key, res in sorted(results.items()):
            source = sources[key]
            if res.outcome == OK:
                st.generated += 1
                st.bytes += res.source_bytes
                st.sidecar_bytes += sum(m.size for m in res.made)
                continue
            st.failed += 1
            if res.outcome == FAILED:
                await ctx.run_blocking(freedesktop.record_failure, source, res.mtime, res.source_bytes, root)
            ctx.add_non_critical_error(source.path, f"no thumbnail: {res.reason}")
        st.bytes_seen += sum(s.size for s in sources.values())
        st.cursor = start + len(batch)
        await ctx.checkpoint()
        job._report(ctx)

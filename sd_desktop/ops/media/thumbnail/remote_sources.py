"""Pictures on remote volumes for the thumbnail workers: each is fetched whole, in ranged reads,
into a private temporary file, which the same workers then decode as a local picture.

Whole files, not the first part of a JPEG: the EXIF thumbnail a camera embeds is 160 px wide or
so, smaller than the 256 px variant, so it could not make the thumbnails the library keeps; and a
picture's full bytes let the worker check them against the indexed content id, as it does for a
local file. The sidecars are keyed by content id, so a local copy of the same bytes shares them.

A task whose source is ``NAME:/path`` (the entry's location is on volume NAME) is fetched just
before its turn, a few at a time (the pool's size), so the temporary files on disk stay few. The
wrapper runs on the job's blocking thread; the backend's calls are awaited on the job's event loop.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from sd_desktop.library import volumes
from sd_desktop.ops.media.thumbnail.generate import SKIPPED, VANISHED, Result, Task

# a picture larger than this is not fetched from a volume for a thumbnail (a scan or a panorama
# of this size would cost more network than its thumbnail is worth): skipped, said why
MAX_FETCH_BYTES = 256 * 1024 * 1024


class Unreachable(OSError):
    """The volume went away or refused us while pictures were fetched: the job pauses."""

    def __init__(self, where: str, message: str):
        super().__init__(message)
        self.where = where

    def __str__(self) -> str:
        return self.args[0]


class RemoteSources:
    """The worker pool ``inner``, able to take tasks whose source is on a volume."""

    def __init__(self, inner, library_dir: Path, rows: dict[str, volumes.VolumeRow], loop: asyncio.AbstractEventLoop):
        self.inner = inner
        self.count = inner.count
        self.library_dir = library_dir
        self.rows = rows  # the volumes by name
        self.loop = loop
        self.backends: dict[str, object] = {}
        self.fetched_bytes = 0

    def _address(self, task: Task) -> tuple[str, str] | None:
        found = volumes.split_address(task.src.decode("utf-8", "replace"))
        return found if found is not None and found[0] in self.rows else None

    def run(
        self, tasks: list[Task], should_stop: Callable[[], bool], on_result: Callable[[Result], None] | None = None
    ) -> dict[int, Result]:
        local = [t for t in tasks if self._address(t) is None]
        results = self.inner.run(local, should_stop, on_result) if local else {}
        remote = [t for t in tasks if self._address(t) is not None]
        folder = tempfile.mkdtemp(prefix="sd-thumbnail-sources-")
        try:
            for start in range(0, len(remote), self.count):
                if should_stop():
                    break
                ready = []
                for task in remote[start : start + self.count]:
                    got = self._fetch(task, folder)
                    if isinstance(got, Result):
                        results[task.key] = got
                        if on_result is not None:
                            on_result(got)
                    else:
                        ready.append(got)
                results.update(self.inner.run(ready, should_stop, on_result))
                for task in ready:
                    _unlink(task.src)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return results

    def _fetch(self, task: Task, folder: str) -> Task | Result:
        """The task with its source fetched into ``folder``, or the result it has without a decode."""
        return asyncio.run_coroutine_threadsafe(self._fetch_async(task, folder), self.loop).result()

    async def _fetch_async(self, task: Task, folder: str) -> Task | Result:
        from sd_desktop.volumes.reading import full_hash
        from sd_desktop.volumes.remote import NOT_FOUND, RemoteError, backend_for
        from sd_desktop.volumes.specs import spec_of

        name, path = self._address(task)
        backend = self.backends.get(name)
        if backend is None:
            backend = self.backends[name] = backend_for(spec_of(self.rows[name], self.library_dir))
        where = task.src.decode("utf-8", "replace")
        try:
            size = (await backend.stat(path.strip("/"))).size
            if size > MAX_FETCH_BYTES:
                return Result(task.key, SKIPPED, f"too large to fetch from a volume ({size} bytes)")
            fd, local = tempfile.mkstemp(dir=folder, suffix=os.path.splitext(path)[1])
            with os.fdopen(fd, "wb") as f:
                await full_hash(backend, path.strip("/"), size, f.write)
        except RemoteError as exc:
            if exc.kind == NOT_FOUND:
                return Result(task.key, VANISHED, "the file is gone")
            if exc.kind in ("offline", "auth_failed"):
                raise Unreachable(where, str(exc)) from None
            return Result(task.key, VANISHED, str(exc))
        except OSError as exc:  # shrank while read, or the temporary file could not be written
            return Result(task.key, VANISHED, f"could not be fetched: {exc}")
        self.fetched_bytes += size
        return replace(task, src=os.fsencode(local))

    def close(self) -> None:
        try:
            self.inner.close()
        finally:
            for backend in self.backends.values():
                asyncio.run_coroutine_threadsafe(backend.close(), self.loop).result()
            self.backends.clear()


def _unlink(path: bytes) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def wrap(inner, library_dir: Path, rows: dict[str, volumes.VolumeRow], loop: asyncio.AbstractEventLoop):
    """``inner`` as it is when no location is on a volume, else wrapped to fetch remote pictures."""
    return RemoteSources(inner, library_dir, rows, loop) if rows else inner

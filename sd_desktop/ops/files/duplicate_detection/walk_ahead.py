"""The walk of an unchanged-tree check (``unchanged.check``), started before the rest of the check is
imported or read.

Cold, a search of an unchanged tree waits on the disk twice: for the inodes of every folder and
file (the walk) and for the modules the check imports and the library it reads (tests/perf/README.md,
"Duplicates: the unchanged tree, cold"). One after the other they add up; ``WalkAhead`` lists the
tree in a thread of its own while the caller imports and reads, so they overlap. It walks as the
check walks (``file_listing.walk_threaded``, each folder's digest as a walker makes it) for the
plain search only: the default filter, no reference folder. ``unchanged.check`` takes its folders
when they are what its settings ask for (``settings``), and walks again itself otherwise.

Imported before anything heavy: this module imports ``threading`` and ``queue``; the thread imports
the listing's modules itself.
"""

from __future__ import annotations

import queue
import threading

THREADS = 4  # listing at once, as ``unchanged.THREADS``
_END = None


class WalkAhead:
    """A walk of ``search_paths`` running in a thread from the moment it is made."""

    def __init__(self, search_paths: list[str]):
        self._paths = search_paths
        # (filter fields, roots, references) once the thread resolved them; None if it failed first
        self.settings: tuple[list, list[bytes], list[bytes]] | None = None
        self.failed: list[bytes] = []  # folders or files the walk could not read
        self.broken = False  # the walk itself raised: the check must not take it
        self._listed: queue.SimpleQueue[tuple[bytes, bytes] | None] = queue.SimpleQueue()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="sd-walk-ahead", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            import contextlib

            import msgpack

            from sd_desktop.ops.files.file_listing import (
                ScanFilter,
                digest_of,
                filter_fields,
                resolve_roots,
                walk_threaded,
            )

            flt = ScanFilter()
            roots = resolve_roots(self._paths)
            self.settings = (filter_fields(flt), roots, [])
            walk = walk_threaded(roots, flt, [], self._on_error, self._stop_now, THREADS)
            packb = msgpack.packb
            with contextlib.closing(walk):
                for folder, rows in walk:
                    # a walker packs a folder's rows so, and digests what it packed (``listing_processes``)
                    self._listed.put((folder, digest_of(packb(rows))))
        except BaseException:  # noqa: BLE001 - whatever it was, the check walks again or the job runs
            self.broken = True
        finally:
            self._listed.put(_END)

    def _on_error(self, path: bytes, message: str) -> None:
        self.failed.append(path)  # reported by the job, which runs the walk again

    def _stop_now(self) -> bool:
        return self._stopped or bool(self.failed)

    def folders(self):
        """Each folder listed and the digest of its files, as they come, until the walk ends."""
        while (item := self._listed.get()) is not _END:
            yield item

    def stop(self) -> None:
        """End the walk (the folders being listed are finished first) and wait for its thread: a
        command that goes on to start processes must not fork while it runs."""
        self._stopped = True
        self._thread.join()

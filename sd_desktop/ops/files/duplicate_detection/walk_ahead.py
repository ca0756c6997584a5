"""The walk of an unchanged-tree check (``unchanged.check``), started before the rest of the check is
imported or read.

Cold, a search of an unchanged tree waits on the disk twice: for the inodes of every folder and
file (the walk) and for the modules the check imports and the library it reads; warm, both are CPU
(tests/perf/README.md, "Duplicates: the unchanged tree as a whole process"). One after the other
they add up. ``WalkAhead`` lists the tree in a process of its own, forked at the start while this
one is still single-threaded and small, so the two overlap on the disk and on two cores: threads
of this process would share its GIL, and the walk's threads (each ``stat`` gives the GIL up and
asks for it back) starved the check's imports and queries of it (warm: a 2 ms query took 0.19 s).

It walks as the check walks (``file_listing.walk_threaded``, each folder's digest as a walker makes
it) for the plain search only: the default filter, no reference folder. It sends over a pipe the
settings it walked with, then each folder and its digest, then the paths it could not read; the
check takes its folders when those settings are its own (``settings``) and walks itself otherwise.
Where there is no ``fork``, nothing is walked ahead (``start`` gives None).

Imported before anything heavy: this module imports only what the interpreter has loaded at
start-up, and the walk's own modules (the listing's and ``msgpack``, which the check imports too)
just before the fork.
"""

from __future__ import annotations

import os

THREADS = 4  # listing at once, as ``unchanged.THREADS``
PIPE_BYTES = 1 << 20  # the pipe's buffer: the walk seldom waits for a reader busy importing
BATCH = 256  # folders a write


def start(search_paths: list[str]) -> WalkAhead | None:
    """A walk of ``search_paths`` under way in a process of its own; None where processes cannot be
    forked (the check then walks itself)."""
    if not hasattr(os, "fork"):
        return None
    return WalkAhead(search_paths)


class WalkAhead:
    """A walk of ``search_paths`` running in a forked process from the moment it is made."""

    def __init__(self, search_paths: list[str]):
        # (filter fields, roots, references) the walk used, once read
        self.settings: tuple[list, list[bytes], list[bytes]] | None = None
        self.failed: list[bytes] = []  # folders or files the walk could not read
        self.broken = False  # the walk ended without saying it was done: the check must not take it
        self._unpacker = None
        self._read, write = os.pipe()
        try:
            import fcntl

            fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except (ImportError, AttributeError, OSError):
            pass  # the default buffer: the walk waits for the reader sooner, nothing else changes
        # what the walk and the check both import, imported once (before the fork: not again in each)
        import msgpack  # noqa: F401

        import sd_desktop.ops.files.file_listing  # noqa: F401

        self._pid = os.fork()
        if self._pid == 0:  # the walking process: it never returns to the caller's code
            code = 1
            try:
                os.close(self._read)
                _walk(search_paths, write)
                code = 0
            finally:
                os._exit(code)
        os.close(write)

    def _items(self):
        """Each message the walk sent, as it comes; at the end of the pipe, ``broken`` says whether
        the walk said it was done."""
        import msgpack

        if self._unpacker is None:
            self._unpacker = msgpack.Unpacker(raw=False, use_list=True)
        while True:
            yield from self._unpacker
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                return
            self._unpacker.feed(chunk)

    def read_settings(self) -> tuple[list, list[bytes], list[bytes]] | None:
        """The settings the walk used (the first message); None when it sent none."""
        if self.settings is None and not self.broken:
            for item in self._items():
                fields, roots, references = item
                self.settings = (fields, roots, references)
                break
            else:
                self.broken = True
        return self.settings

    def folders(self):
        """Each folder listed and the digest of its files, as they come, until the walk ends (read
        ``settings`` first); then ``failed`` and ``broken`` are set."""
        self.read_settings()
        if self.broken:
            return
        for item in self._items():
            if isinstance(item, dict):  # the end: what could not be read
                self.failed = item["failed"]
                return
            yield from item
        self.broken = True  # the pipe ended without the end message

    def stop(self) -> None:
        """End the walk if it still runs and reap its process: a command that goes on to start
        processes of its own must not leave one behind."""
        import signal

        try:
            os.kill(self._pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self._pid, 0)
        os.close(self._read)


def _walk(search_paths: list[str], out: int) -> None:
    """The walking process's work: the messages ``WalkAhead`` reads, written to ``out``."""
    import contextlib

    import msgpack

    from sd_desktop.ops.files.file_listing import ScanFilter, digest_of, filter_fields, resolve_roots, walk_threaded

    packb = msgpack.packb
    failed: list[bytes] = []

    def send(obj) -> None:
        data = memoryview(packb(obj))
        while data:
            data = data[os.write(out, data) :]

    def on_error(path: bytes, message: str) -> None:
        failed.append(path)  # reported by the job, which runs the walk again

    flt = ScanFilter()
    roots = resolve_roots(search_paths)
    send([filter_fields(flt), roots, []])
    batch: list[tuple[bytes, bytes]] = []
    walk = walk_threaded(roots, flt, [], on_error, lambda: bool(failed), THREADS)
    with contextlib.closing(walk):
        for folder, rows in walk:
            # a walker packs a folder's rows so, and digests what it packed (``listing_processes``)
            batch.append((folder, digest_of(packb(rows))))
            if len(batch) >= BATCH:
                send(batch)
                batch = []
    if batch:
        send(batch)
    send({"failed": failed})

"""The indexer's walk (``resumable_walk.Walker``) continued in a helper process while the job's
writer thread inserts what it already listed.

In one process a walker thread and the writer thread hand the GIL back and forth: ``os.scandir``,
every ``lstat`` and every row SQLite steps release and retake it, so each costs a hand-off while the
other thread runs Python (on a first index of 200,000 entries more time went to those hand-offs than
to the walk itself: tests/perf/README.md). In its own process the walk runs on the other core and
the writer keeps the GIL to itself.

A batch comes back whole: its rows, counts, errors and the frontier after it, exactly what
``Walker.batch`` gives in this process, so a checkpoint still stores the rows and the frontier that
covers them. The helper only runs ahead of the writer (by about one batch: it waits on its pipe);
what it listed beyond the last committed batch is listed again after a pause or a crash, as before.
In a first content index the helper also identifies each batch's files (``identify.identify_listed``).

The first batch is listed in this process while the helper starts (a fresh interpreter that imports
the walk alone, about 0.05 s), so a walk of one batch never waits for it. Nothing is lost when it
goes wrong:

* it cannot start, or dies half-way (killed, out of memory, garbage on its pipe): the walk goes on in
  the job's thread from the frontier of the last batch received;
* the job stops (pause, cancel, an error): the helper is killed at once;
* the app dies: the helper's next write fails (its pipe is closed) and it exits.

It is a ``subprocess`` (fork + exec), never a bare fork of the app, which has threads.
``SD_DESKTOP_INDEX_WALKER=inprocess`` keeps every walk in the job's thread.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import marshal
import os
import struct
import subprocess
import sys
import threading
from typing import IO

from sd_desktop.ops.indexing.config import IndexerRules
from sd_desktop.ops.indexing.resumable_walk import ScannedDir, WalkBatch, Walker

log = logging.getLogger(__name__)

MODE_ENV = "SD_DESKTOP_INDEX_WALKER"  # "inprocess": no helper process
_LENGTH = struct.Struct("<Q")
_PIPE_BYTES = 1 << 20  # a batch in few reads (Linux caps a pipe at /proc/sys/fs/pipe-max-size)
_F_SETPIPE_SZ = 1031


class _HelperLost(Exception):
    """The helper process went away or sent something unreadable."""


class ListedWalk:
    """``Walker.batch`` (plus the identification of a first content index), after the first batch
    from a helper process when ``helper`` is true. Its ``batch`` is called from one thread at a
    time; ``close`` from any."""

    def __init__(
        self, walker: Walker, rules: IndexerRules, all_entries: bool, identify_files: bool, helper: bool
    ) -> None:
        self.walker = walker
        self.rules = rules
        self.all_entries = all_entries
        self.identify_files = identify_files
        self.helper = helper and os.environ.get(MODE_ENV, "") != "inprocess"
        self._process: subprocess.Popen | None = None
        self._handed = False  # the helper was given the frontier: batches come from it
        self._frontier = walker.frontier  # after the last batch returned
        self._closed = threading.Event()

    @property
    def done(self) -> bool:
        return not self._frontier

    def batch(self, size: int) -> WalkBatch:
        if self._closed.is_set():
            return WalkBatch(frontier=list(self._frontier))
        if self._handed:
            try:
                batch = self._receive()
            except _HelperLost as exc:
                if self._closed.is_set():  # killed by ``close``: the job drops this batch anyway
                    return WalkBatch(frontier=list(self._frontier))
                log.warning("the walker process was lost (%s); the walk goes on in the job's thread", exc)
                self._stop_process()
                self._handed = self.helper = False  # no second helper: this one may fail again
                self.walker.frontier = [(bytes(p), d) for p, d in self._frontier]
                return self.batch(size)
            self._frontier = batch.frontier
            return batch
        if self.helper and self._process is None:
            self._start()  # it starts while the first batch is listed here
        batch = self.walker.batch(size)
        if self.identify_files:
            from sd_desktop.ops.indexing import identify

            identify.identify_listed(self.walker.root, batch)
        self._frontier = batch.frontier
        if self._process is not None and not self._handed:
            if batch.frontier and not self._closed.is_set():
                self._hand_over(size)
            else:
                self._stop_process()
        return batch

    def close(self) -> None:
        """Stop the helper (the job unwinds or the walk ended)."""
        self._closed.set()
        self._stop_process()

    # -- the parent's side -----------------------------------------------------------------
    def _start(self) -> None:
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", __name__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                close_fds=True,
            )
        except OSError as exc:
            log.warning("no walker process (%s): the walk runs in the job's thread", exc)
            self.helper = False
            return
        with contextlib.suppress(OSError):
            import fcntl

            fcntl.fcntl(self._process.stdout.fileno(), _F_SETPIPE_SZ, _PIPE_BYTES)

    def _hand_over(self, size: int) -> None:
        walker = self.walker
        rules = walker.rules
        request = (
            walker.root,
            [(p, d) for p, d in self._frontier],
            walker.max_depth,
            dataclasses.asdict(self.rules),
            self.all_entries,
            [tuple(i) for i in rules.skip_ids],
            size,
            self.identify_files,
        )
        process = self._process
        try:
            _write_frame(process.stdin, marshal.dumps(request))
            process.stdin.close()
        except (OSError, ValueError) as exc:
            log.warning("the walker process could not be reached (%s); the walk runs in the job's thread", exc)
            self._stop_process()
            return
        self._handed = True

    def _receive(self) -> WalkBatch:
        process = self._process
        if process is None:
            raise _HelperLost("it was stopped")
        try:
            frame = _read_frame(process.stdout)
            if frame is None:
                raise _HelperLost(f"it ended early (exit code {process.poll()})")
            return _unpack(marshal.loads(frame))
        except (OSError, ValueError, EOFError, TypeError) as exc:
            raise _HelperLost(str(exc)) from exc

    def _stop_process(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            process.kill()
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            process.wait(5)
        for pipe in (process.stdin, process.stdout):
            with contextlib.suppress(OSError, ValueError):
                if pipe is not None:
                    pipe.close()


def _pack(batch: WalkBatch) -> tuple:
    return (
        [(d.rel, d.depth, d.rows) for d in batch.dirs],
        batch.frontier,
        batch.entries,
        batch.files,
        batch.dir_count,
        batch.symlinks,
        batch.others,
        batch.bytes,
        batch.skipped,
        batch.errors,
        batch.vanished,
        batch.identified,
        batch.hashed_bytes,
    )


def _unpack(packed: tuple) -> WalkBatch:
    dirs, frontier, entries, files, dir_count, symlinks, others, size, skipped, errors, vanished, identified, hashed = (
        packed
    )
    return WalkBatch(
        dirs=[ScannedDir(rel, depth, rows) for rel, depth, rows in dirs],
        frontier=frontier,
        entries=entries,
        files=files,
        dir_count=dir_count,
        symlinks=symlinks,
        others=others,
        bytes=size,
        skipped=skipped,
        errors=errors,
        vanished=vanished,
        identified=identified,
        hashed_bytes=hashed,
    )


def _write_frame(out: IO[bytes], payload: bytes) -> None:
    out.write(_LENGTH.pack(len(payload)))
    out.write(payload)
    out.flush()


def _read_frame(inp: IO[bytes]) -> bytes | None:
    head = inp.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(head)
    payload = inp.read(length)
    if len(payload) != length:
        return None
    return payload


# -- the helper process ---------------------------------------------------------------------
def _serve() -> None:
    """Read the one request (where to walk from), then list batch after batch onto stdout."""
    import signal

    from sd_desktop.ops.indexing.rules import RuleSet

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C pauses the job; the job stops us
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames on the pipe
    request = _read_frame(sys.stdin.buffer)
    if request is None:  # the job ended (or listed everything) before handing the walk over
        return
    root, frontier, max_depth, rules, all_entries, skip_ids, size, identify_files = marshal.loads(request)
    ruleset = RuleSet(
        IndexerRules(**rules), all_entries=all_entries, root=root, skip_ids=frozenset(map(tuple, skip_ids))
    )
    walker = Walker(root, frontier, max_depth, ruleset)
    identify_listed = None
    if identify_files:
        from sd_desktop.ops.indexing.identify import identify_listed
    while not walker.done:
        batch = walker.batch(size)
        if identify_listed is not None:
            identify_listed(root, batch)
        try:
            _write_frame(out, marshal.dumps(_pack(batch)))
        except (BrokenPipeError, ValueError):  # the job is gone
            return


if __name__ == "__main__":
    try:
        _serve()
    except (BrokenPipeError, KeyboardInterrupt):
        pass

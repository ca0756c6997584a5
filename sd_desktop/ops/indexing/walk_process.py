"""The indexer's walk (``resumable_walk.Walker``) continued in helper processes while the job's
writer thread inserts what they already listed (``ListedWalk``: one helper, or two that share the
folders left; see there).

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

It is a ``subprocess`` (fork + exec of ``python -m`` this module), never a bare fork of the app,
which has threads. In the bundled app (PyInstaller: its executable is the app itself) the walk stays
in the job's thread, as does every walk with ``SD_DESKTOP_INDEX_WALKER=inprocess``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import marshal
import os
import select
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
_STEAL = b"s"  # to a helper: hand over half of the folders you have left


class _HelperLost(Exception):
    """The helper process went away or sent something unreadable."""


class ListedWalk:
    """``Walker.batch`` (plus the identification of a first content index), after the first batch
    from ``helpers`` helper processes (0: all here). Its ``batch`` is called from one thread at a
    time; ``close`` from any.

    With two helpers, each walks its own half of the folders left after the first batch (a folder's
    subtree stays with whoever lists the folder), and their batches come in the order they are
    ready. When one has nothing left, the other is asked to hand over half of its folders to it (a
    tree's halves are rarely the same size). The frontier given with a
    batch is the union of each helper's frontier after its last batch given: what no batch given so
    far covers, so a checkpoint stays exact (handed-over folders move from one part to the other)."""

    def __init__(
        self, walker: Walker, rules: IndexerRules, all_entries: bool, identify_files: bool, helpers: int
    ) -> None:
        self.walker = walker
        self.rules = rules
        self.all_entries = all_entries
        self.identify_files = identify_files
        # a bundled app's executable is the app, not an interpreter that runs ``-m``: no helpers there
        frozen = getattr(sys, "frozen", False)
        self.helpers = 0 if frozen or os.environ.get(MODE_ENV, "") == "inprocess" else helpers
        self._started: list[subprocess.Popen] = []
        self._streaming: list[subprocess.Popen] = []  # handed a part of the walk, not finished yet
        self._parts: dict[int, list[tuple[bytes, int]]] = {}  # by pid: its frontier after its last batch given
        self._handed = False  # batches come from the helpers
        self._asked: subprocess.Popen | None = None  # asked to share its folders, no answer yet
        self._idle: list[subprocess.Popen] = []  # started, with nothing (left) to list
        self.shared = 0  # times a helper handed folders over to an idle one
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
                process, batch = self._receive(size)
            except _HelperLost as exc:
                if self._closed.is_set():  # killed by ``close``: the job drops this batch anyway
                    return WalkBatch(frontier=list(self._frontier))
                log.warning("a walker process was lost (%s); the walk goes on in the job's thread", exc)
                self._stop_processes()
                self._handed = False
                self._asked = None
                self._idle.clear()
                self.helpers = 0  # no new helpers: they may fail again
                self.walker.frontier = [(bytes(p), d) for p, d in self._frontier]
                return self.batch(size)
            self._parts[process.pid] = batch.frontier
            if not batch.frontier:  # its part is listed: it waits for more
                self._streaming.remove(process)
                self._idle.append(process)
                if self._asked is process:  # it ended before it could answer
                    self._asked = None
            if self._idle:
                self._share()
            batch.frontier = self._frontier = [f for part in self._parts.values() for f in part]
            return batch
        if self.helpers and not self._started:
            self._start()  # they start while the first batch is listed here
        batch = self.walker.batch(size)
        if self.identify_files:
            from sd_desktop.ops.indexing import identify

            identify.identify_listed(self.walker.root, batch, self.walker.backend)
        self._frontier = batch.frontier
        if self._started and not self._handed:
            if batch.frontier and not self._closed.is_set():
                self._hand_over(size)
            else:
                self._stop_processes()
        return batch

    def close(self) -> None:
        """Stop the helpers (the job unwinds or the walk ended)."""
        self._closed.set()
        self._stop_processes()

    # -- the parent's side -----------------------------------------------------------------
    def _start(self) -> None:
        for _ in range(self.helpers):
            process = self._spawn()
            if process is None:
                self._stop_processes()
                self.helpers = 0
                return

    def _spawn(self) -> subprocess.Popen | None:
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", __name__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                close_fds=True,
                bufsize=0,  # unbuffered: ``select`` sees every byte not read yet
            )
        except OSError as exc:
            log.warning("no walker process (%s): the walk runs in the job's thread", exc)
            return None
        self._started.append(process)
        with contextlib.suppress(OSError):
            import fcntl

            fcntl.fcntl(process.stdout.fileno(), _F_SETPIPE_SZ, _PIPE_BYTES)
        return process

    def _share(self) -> None:
        """A helper is idle (its part is listed, or it got none): ask the one with the most folders
        left to hand over half of them (it answers between two batches)."""
        if self._asked is not None or self._closed.is_set():
            return
        busy = [p for p in self._streaming if len(self._parts.get(p.pid, ())) >= 2]
        if not busy:
            return
        victim = max(busy, key=lambda p: len(self._parts[p.pid]))
        try:
            _write_frame(victim.stdin, _STEAL)
        except (OSError, ValueError):  # it is ending: nothing to share
            return
        self._asked = victim

    def _take_share(self, victim: subprocess.Popen, folders: list[tuple[bytes, int]], size: int) -> None:
        """``victim``'s answer: ``folders`` left its frontier for an idle helper."""
        self._asked = None
        if not folders:
            return
        if not self._idle or not self._send_part(self._idle.pop(), folders, size):
            raise _HelperLost("no helper could take the shared folders")
        given = set(folders)
        self._parts[victim.pid] = [f for f in self._parts[victim.pid] if f not in given]
        self.shared += 1

    def _hand_over(self, size: int) -> None:
        frontier = [(p, d) for p, d in self._frontier]
        count = len(self._started)
        # every other folder of the stack: both helpers get folders near the top and the bottom
        parts = [frontier[i::count] for i in range(count)]
        for process, part in zip(list(self._started), parts, strict=True):
            if not part:  # fewer folders than helpers: idle until another shares
                self._idle.append(process)
                continue
            if not self._send_part(process, part, size):
                log.warning("a walker process could not be reached; the walk runs in the job's thread")
                self._stop_processes()
                self._streaming.clear()
                self._parts.clear()
                self._idle.clear()
                return
        self._handed = True

    def _send_part(self, process: subprocess.Popen, part: list[tuple[bytes, int]], size: int) -> bool:
        walker = self.walker
        request = (
            walker.root,
            part,
            walker.max_depth,
            dataclasses.asdict(self.rules),
            self.all_entries,
            [tuple(i) for i in walker.rules.skip_ids],
            size,
            self.identify_files,
        )
        try:
            _write_frame(process.stdin, marshal.dumps(request))
        except (OSError, ValueError):
            return False
        self._streaming.append(process)
        self._parts[process.pid] = part
        return True

    def _receive(self, size: int) -> tuple[subprocess.Popen, WalkBatch]:
        while True:
            streaming = list(self._streaming)
            if not streaming:
                raise _HelperLost("they were stopped")
            try:
                if len(streaming) == 1:
                    process = streaming[0]
                else:  # whichever has a batch ready (or has died)
                    ready, _, _ = select.select([p.stdout for p in streaming], [], [])
                    process = next(p for p in streaming if p.stdout is ready[0])
                frame = _read_frame(process.stdout)
                if frame is None:
                    raise _HelperLost(f"it ended early (exit code {process.poll()})")
                packed = marshal.loads(frame)
                if len(packed) == 2:  # (SHARED, folders): its answer to ``_share``
                    self._take_share(process, packed[1], size)
                    continue
                return process, _unpack(packed)
            except (OSError, ValueError, EOFError, TypeError) as exc:
                raise _HelperLost(str(exc)) from exc

    def _stop_processes(self) -> None:
        started, self._started = self._started, []
        for process in started:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
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
    data = memoryview(_LENGTH.pack(len(payload)) + payload)
    while data:  # an unbuffered pipe may take part of it
        data = data[out.write(data) :]
    out.flush()


def _read_exact(inp: IO[bytes], size: int) -> bytearray | None:
    """``size`` bytes from ``inp`` (raw reads may return less), or None at its end."""
    buf = bytearray(size)
    view = memoryview(buf)
    got = 0
    while got < size:
        n = inp.readinto(view[got:])
        if not n:
            return None
        got += n
    return buf


def _read_frame(inp: IO[bytes]) -> bytearray | None:
    head = _read_exact(inp, _LENGTH.size)
    if head is None:
        return None
    (length,) = _LENGTH.unpack(head)
    return _read_exact(inp, length)


# -- the helper process ---------------------------------------------------------------------
def _serve() -> None:
    """Read a request (where to walk from), list batch after batch onto stdout, then wait for the
    next (folders another helper shared); share half of what is left when asked."""
    import signal

    from sd_desktop.ops.indexing.rules import RuleSet

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C pauses the job; the job stops us
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames on the pipe
    asks = sys.stdin.buffer.raw  # unbuffered: ``select`` sees a request to share
    identify_listed = None
    while True:  # a part of the walk, then the next one (folders another helper shared)
        request = _read_frame(asks)
        if request is None:  # the job is gone (or ended)
            return
        if request == _STEAL:  # asked as its part ended: nothing to share
            continue
        root, frontier, max_depth, rules, all_entries, skip_ids, size, identify_files = marshal.loads(request)
        ruleset = RuleSet(
            IndexerRules(**rules), all_entries=all_entries, root=root, skip_ids=frozenset(map(tuple, skip_ids))
        )
        walker = Walker(root, frontier, max_depth, ruleset)
        if identify_files and identify_listed is None:
            from sd_desktop.ops.indexing.identify import identify_listed
        while not walker.done:
            batch = walker.batch(size)
            if identify_files:
                identify_listed(root, batch)
            try:
                _write_frame(out, marshal.dumps(_pack(batch)))
            except (BrokenPipeError, ValueError):  # the job is gone
                return
            if walker.frontier and select.select([asks], [], [], 0)[0]:
                if _read_frame(asks) is None:  # the job is gone
                    return
                # asked to share: every other folder of the stack, the one listed next kept here
                frontier = walker.frontier
                shared = frontier[-2::-2][::-1]
                walker.frontier = frontier[-1::-2][::-1]
                try:
                    _write_frame(out, marshal.dumps(("shared", shared)))
                except (BrokenPipeError, ValueError):
                    return


if __name__ == "__main__":
    try:
        _serve()
    except (BrokenPipeError, KeyboardInterrupt):
        pass

"""Where thumbnails are decoded: a small pool of worker processes (the default) or threads.

Processes were measured faster here (tests/perf/test_thumbnail_perf.py, README in tests/perf) and
they isolate the app from the decoders: a file that takes longer than the per-file time limit gets
its worker killed (and the file recorded as a failure), and a decoder that crashes takes down only
its worker. Each worker handles one file at a time, so when something goes wrong we know which
file it was. Memory and file descriptors stay bounded: ``count`` workers, one open source each.

Threads (``SD_DESKTOP_THUMBNAIL_WORKERS=threads``) exist for the comparison and for platforms
where processes are unwelcome; a thread cannot be stopped, so there the time limit only means that
the job stops waiting for that file, records it as failed and goes on — the thread finishes the
decode in the background and its late result is ignored (a thumbnail it still writes has no row,
and the next cleanup removes it).

``run`` blocks; the job calls it through ``ctx.run_blocking`` so the event loop stays free.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from sd_desktop.ops import forkserver
from sd_desktop.ops.media.thumbnail.generate import FAILED, Result, Task, make_thumbnails

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1
READY = "ready"
NEED, GO, RELEASE = "need", "go", "release"  # the big-decode gate's messages
START_TIMEOUT_SECONDS = 60.0
STOP_GRACE_SECONDS = 2.0
MODE_ENV = "SD_DESKTOP_THUMBNAIL_WORKERS"


def _serve(conn: multiprocessing.connection.Connection) -> None:
    """A worker process: decode tasks until told to stop or the parent goes away."""
    # Ctrl-C reaches the whole process group; the parent pauses the job and stops us itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        conn.send(READY)
    except OSError:
        return
    gate = _PipeGate(conn)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            result = make_thumbnails(task, gate)
        except BaseException as exc:  # make_thumbnails catches decoder errors; this is the last guard
            result = Result(task.key, FAILED, f"internal error: {type(exc).__name__}: {exc}")
        try:
            conn.send(result)
        except (BrokenPipeError, OSError):
            return


class _PipeGate:
    """Worker side of the big-decode gate: ask the parent, wait for its go, tell it when done."""

    def __init__(self, conn: multiprocessing.connection.Connection):
        self.conn = conn

    @contextlib.contextmanager
    def __call__(self, pixels: int) -> Iterator[None]:
        self.conn.send((NEED, pixels))
        if self.conn.recv() != GO:
            raise RuntimeError("unexpected message from the thumbnail job")
        try:
            yield
        finally:
            self.conn.send((RELEASE,))


class WorkerStartError(RuntimeError):
    """A worker process could not start (so no file is to blame)."""


class _Proc:
    def __init__(self, ctx: Any):
        parent, child = ctx.Pipe(duplex=True)
        self.conn = parent
        self.process = ctx.Process(target=_serve, args=(child,), daemon=True, name="sd-thumbnail-worker")
        self.process.start()
        child.close()
        self.task: Task | None = None
        self.deadline = 0.0
        self.ready = False

    def wait_ready(self) -> None:
        """Wait for the worker's hello, so a worker that cannot start is never taken for a crash on a file."""
        if self.ready:
            return
        try:
            if self.conn.poll(START_TIMEOUT_SECONDS) and self.conn.recv() == READY:
                self.ready = True
                return
        except (EOFError, OSError):
            pass
        self.kill()
        raise WorkerStartError(f"a thumbnail worker process did not start (exit code {self.process.exitcode})")

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


def _remove_temporaries(task: Task) -> None:
    for out in task.outputs:
        try:
            os.unlink(out.tmp)
        except OSError:
            pass


def _context() -> Any:
    """Worker processes come from the fork server where there is one (Linux, see ``ops.forkserver``);
    elsewhere they are spawned. Never a plain fork: the app has threads (the event loop, the database
    writer) and a fork of those can deadlock."""
    return forkserver.context() or multiprocessing.get_context("spawn")


class ProcessWorkers:
    """``count`` worker processes with a per-file time limit."""

    mode = "processes"

    def __init__(self, count: int, time_limit: float):
        self.count = max(1, count)
        self.time_limit = time_limit
        self._ctx = _context()
        self._idle: list[_Proc] = []
        self._spawned = 0

    def start(self) -> None:
        """Start every worker and wait until each is ready; raises ``WorkerStartError``."""
        procs = [_Proc(self._ctx) for _ in range(self.count - len(self._idle))]
        try:
            for proc in procs:
                proc.wait_ready()
        except WorkerStartError:
            for proc in procs:
                proc.kill()
            raise
        self._idle.extend(procs)

    def _take(self) -> _Proc:
        proc = self._idle.pop() if self._idle else _Proc(self._ctx)
        proc.wait_ready()
        return proc

    def run(
        self, tasks: list[Task], should_stop: Callable[[], bool], on_result: Callable[[Result], None] | None = None
    ) -> dict[int, Result]:
        """Results of the tasks that ran, keyed by ``task.key``. Tasks not started because of a
        stop request, or cut short by it, have no result (they were not done). ``on_result`` is
        called (on this thread) as each result arrives, for live progress.

        Decodes bigger than ``BIG_DECODE_PIXELS`` ask for the gate; it is given to one worker at a
        time, and the time limit of a file restarts when its worker gets the gate (waiting for
        it does not count).
        """
        pending = deque(tasks)
        busy: dict[Any, _Proc] = {}
        results: dict[int, Result] = {}
        stopping = False
        cutoff = float("inf")
        holder: list[_Proc] = []  # the worker holding the gate (zero or one)
        waiting: deque[_Proc] = deque()

        def grant(proc: _Proc) -> None:
            try:
                proc.conn.send(GO)
            except OSError:
                return  # it died: seen as a crash when its pipe is read
            holder.append(proc)
            proc.deadline = min(time.monotonic() + self.time_limit, cutoff)

        def let_go(proc: _Proc) -> None:
            if proc in waiting:
                waiting.remove(proc)
            if proc in holder:
                holder.clear()
                while waiting and not holder:
                    grant(waiting.popleft())

        def finish(proc: _Proc, result: Result | None) -> None:
            del busy[proc.conn]
            let_go(proc)
            if result is not None:
                results[proc.task.key] = result
                if on_result is not None:
                    on_result(result)

        while pending or busy:
            if not stopping and should_stop():
                stopping = True
                pending.clear()
                cutoff = time.monotonic() + STOP_GRACE_SECONDS
                for proc in busy.values():
                    proc.deadline = min(proc.deadline, cutoff)
            while pending and len(busy) < self.count:
                task = pending.popleft()
                proc = self._take()
                try:
                    proc.conn.send(task)
                except (BrokenPipeError, OSError):
                    proc.kill()
                    pending.appendleft(task)
                    continue
                proc.task, proc.deadline = task, time.monotonic() + self.time_limit
                busy[proc.conn] = proc
            if not busy:
                break
            wait = max(0.0, min(POLL_SECONDS, min(p.deadline for p in busy.values()) - time.monotonic()))
            for conn in multiprocessing.connection.wait(list(busy), timeout=wait):
                proc = busy[conn]
                try:
                    msg = conn.recv()
                except (EOFError, OSError):
                    proc.process.join(5)
                    code = proc.process.exitcode
                    proc.kill()
                    _remove_temporaries(proc.task)
                    reason = f"the decoder crashed on this file (worker exit code {code})"
                    finish(proc, Result(proc.task.key, FAILED, reason))
                    continue
                if isinstance(msg, tuple) and msg[0] == NEED:
                    if holder:
                        waiting.append(proc)
                        proc.deadline = cutoff
                    else:
                        grant(proc)
                elif isinstance(msg, tuple) and msg[0] == RELEASE:
                    let_go(proc)
                else:
                    finish(proc, msg)
                    proc.task = None
                    self._idle.append(proc)
            now = time.monotonic()
            for proc in list(busy.values()):
                if now >= proc.deadline:
                    proc.kill()
                    _remove_temporaries(proc.task)
                    reason = f"took longer than the {self.time_limit:g} s limit per file"
                    finish(proc, None if stopping else Result(proc.task.key, FAILED, reason))
        return results

    def close(self) -> None:
        for proc in self._idle:
            try:
                proc.conn.send(None)
            except OSError:
                pass
        for proc in self._idle:
            proc.process.join(2)
            if proc.process.is_alive():
                proc.process.kill()
                proc.process.join(2)
            proc.conn.close()
        self._idle.clear()


class ThreadWorkers:
    """``count`` threads; the time limit stops the waiting, not the decode (see the module doc)."""

    mode = "threads"

    def __init__(self, count: int, time_limit: float):
        self.count = max(1, count)
        self.time_limit = time_limit
        self._pool = cf.ThreadPoolExecutor(self.count, thread_name_prefix="sd-thumbnail")
        self._abandoned: set[cf.Future] = set()
        big = threading.Lock()
        self._gate = lambda pixels: big

    def run(
        self, tasks: list[Task], should_stop: Callable[[], bool], on_result: Callable[[Result], None] | None = None
    ) -> dict[int, Result]:
        pending = deque(tasks)
        busy: dict[cf.Future, tuple[Task, float]] = {}
        report = on_result or (lambda result: None)
        results: dict[int, Result] = {}
        while pending or busy:
            if should_stop():
                pending.clear()
            self._abandoned = {f for f in self._abandoned if not f.done()}
            while pending and len(busy) + len(self._abandoned) < self.count:
                task = pending.popleft()
                busy[self._pool.submit(make_thumbnails, task, self._gate)] = (task, time.monotonic() + self.time_limit)
            if not busy:
                if pending:  # every thread is stuck on an abandoned file: wait for one
                    cf.wait(self._abandoned, timeout=POLL_SECONDS, return_when=cf.FIRST_COMPLETED)
                    continue
                break
            done, _ = cf.wait(busy, timeout=POLL_SECONDS, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                task, _deadline = busy.pop(fut)
                results[task.key] = fut.result()
                report(results[task.key])
            now = time.monotonic()
            for fut, (task, deadline) in list(busy.items()):
                if now >= deadline:
                    del busy[fut]
                    self._abandoned.add(fut)
                    results[task.key] = Result(
                        task.key, FAILED, f"took longer than the {self.time_limit:g} s limit per file (abandoned)"
                    )
                    report(results[task.key])
        return results

    def start(self) -> None:
        pass

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def make_workers(count: int, time_limit: float, mode: str | None = None) -> ProcessWorkers | ThreadWorkers:
    """A started pool: processes unless ``mode`` or ``$SD_DESKTOP_THUMBNAIL_WORKERS`` says threads.

    Falls back to threads (with a warning in the log) when worker processes cannot start, e.g. in
    an embedding program whose main module is not import-safe for ``spawn``. Blocking: call it
    through ``run_blocking``.
    """
    mode = mode or os.environ.get(MODE_ENV, "processes")
    if mode != "threads":
        workers = ProcessWorkers(count, time_limit)
        try:
            workers.start()
            return workers
        except WorkerStartError as exc:
            log.warning("%s; decoding thumbnails in threads instead", exc)
    return ThreadWorkers(count, time_limit)

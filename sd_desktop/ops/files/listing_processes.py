"""The listing of ``file_listing`` run in helper processes ("walkers"), while the job's own thread
reads the files they list.

A walk is a ``stat`` per file, and in one thread it waits for the disk between two reads of the job
(cold) or holds the GIL the job's own work needs (warm); walking on threads is worse (they hand the
GIL round at every ``stat``: see ``file_listing.walk``). A walker process does the listing on the
other core and streams it back a few hundred files at a time, so the job groups, looks up and reads
while the walk goes on; that makes a duplicate search faster both cold and on an unchanged tree
(measured in tests/perf/README.md).

The walk in the process is ``file_listing.Walk`` itself, so what it lists, in which order and with
which errors, is what the in-process walk gives. Each folder comes with a digest of what was listed
there (``Listed``), its files packed until someone asks for them: a caller comparing the digests with
an earlier walk's never unpacks an unchanged tree.

A walk can be shared (``walkers=2``, for a caller that does not mind the order): a second walker,
idle or started for it, asks the first to hand over every other folder it has not listed yet
(``STEAL``), and the two list at once on the two cores: a big walk then takes about as long as a
bare ``os.scandir`` + ``lstat`` walk in one thread. A walker serves one walk at a time and is kept
for the next one. The first is started when a walk proves big (``START_AFTER_FOLDERS``), on another
thread, while the walk goes on here; once it is ready it takes over the folders not listed yet, so a
small walk never waits for a process to start. Walkers come from the fork server (Linux), never from
a fork of the app (which has threads). Nothing is lost when it goes wrong:

* it cannot start (or ``SD_DESKTOP_WALKER=inprocess``): the walk runs in the calling thread
  (``SD_DESKTOP_WALKER=always`` waits for one at the start of every walk instead: for tests and
  benchmarks);
* it dies half-way (killed, out of memory): its part of the walk goes on in the calling thread and
  leaves out the folders it had finished and those it had handed to another walker, so no file is
  listed twice or missed;
* the caller stops (pause, cancel) or abandons the walk: the walker is killed at once. A walker
  stuck in a ``stat`` of a dead network mount does not hold up a pause.
* the app dies: the walker sees its pipe close and exits.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

import msgpack

from sd_desktop.ops import forkserver
from sd_desktop.ops.files.file_listing import (  # noqa: F401 - DIGEST_BYTES: here too, as before
    DIGEST_BYTES,
    FileInfo,
    ScanFilter,
    Walk,
    digest_of,
    filter_fields,
    row_of,
)
from sd_desktop.volumes.backend import LOCAL, LocalBackend, VolumeBackend

log = logging.getLogger(__name__)

MODE_ENV = "SD_DESKTOP_WALKER"  # "inprocess": never a walker; "always": one from the start of every walk
BATCH_FILES = 512  # files per message: small enough that reading starts early, big enough to be cheap
BATCH_SECONDS = 0.02  # a slow (cold) walk still sends what it has this often
POLL_SECONDS = 0.1  # how often a caller waiting for the walker checks ``should_stop``
START_TIMEOUT_SECONDS = 10.0
READY = b"ready"
END = b""
ASK_AGAIN_AFTER = 16  # folders
STEAL_LOOK_SECONDS = 0.002  # how often a walker looks for a STEAL between two folders
STEAL = b"steal"  # to a walker during a walk: hand over about half of the folders you have not listed
_ERRORS = "surrogateescape"  # a message naming an undecodable path survives
IDLE_KEPT = 3  # walkers kept for the next walks (a search on two and a validation at once)
START_AFTER_FOLDERS = 64  # a walk this long (without a walker idle) starts one for the rest


def files_of(listed: Generator[list[Listed], None, None]) -> Iterator[list[FileInfo]]:
    """A ``walk_listed`` walk as lists of ``FileInfo`` (folders without a wanted file left out)."""
    with contextlib.closing(listed):  # left half-way: the walk is closed (its walkers killed) at once
        for batch in listed:
            files = batch[0].files() if len(batch) == 1 else [info for folder in batch for info in folder.files()]
            if files:
                yield files


def walk_listed(
    roots: list[bytes],
    flt: ScanFilter,
    references: list[bytes],
    on_error: Callable[[bytes, str], None],
    should_stop: Callable[[], bool] | None = None,
    batch_files: int = BATCH_FILES,
    start_after: int = START_AFTER_FOLDERS,
    meanwhile: Callable[[], None] | None = None,
    digests: bool = False,
    walkers: int = 1,
    backend: VolumeBackend = LOCAL,
) -> Iterator[list[Listed]]:
    """Every folder of the walk (``file_listing.Walk``) as a ``Listed``, a batch at a time, listed by a walker
    process where there is one (see the module's text). ``digests``: folders listed in this thread get
    their digest too (a walker's always have one). ``walkers``: how many walker processes may share the
    walk (each idle one takes over half of what another has left); the batches of one walker come in
    the walk's order, those of two interleave.

    With a walker idle, it walks from the start. Without, the walk starts in this thread, and once it
    has listed ``start_after`` folders with more to go a walker is started in the background; when it
    is ready, it takes over the folders not listed yet. A small walk never waits for a process.

    ``meanwhile`` is called once before the first files come: right after a walker was asked, so the
    caller's preparation (reading a cache) and the walk overlap.

    Walker processes list the local disk (with their own ``LOCAL`` backend): a walk through another
    ``backend`` runs in this thread."""
    mode = os.environ.get(MODE_ENV, "")
    if mode == "inprocess" or not isinstance(backend, LocalBackend):
        if meanwhile is not None:
            meanwhile()
        yield from _walk_here(roots, flt, references, on_error, should_stop, digests=digests, backend=backend)
        return
    if mode == "always":
        prestart()
    walker = _take_idle()
    if walker is None:
        if meanwhile is not None:
            meanwhile()
            meanwhile = None
        here = Walk(roots, flt, references, on_error, should_stop)
        for listed, (folder, files) in enumerate(here, 1):
            yield [Listed.here(folder, files, digests)]
            if not here.pending():
                continue
            walker = _take_idle()  # the one started for this walk, or one another walk just gave back
            if walker is not None:
                roots = here.pending()
                break
            if listed >= start_after:
                _start_in_background()
        else:
            return  # listed whole here (or stopped)
    yield from _walk_with(
        walker, roots, flt, references, on_error, should_stop, batch_files, meanwhile, digests, walkers
    )


class _Share:
    """One walker's part of a walk: the roots it was given, the folders it has sent (``done``) and those
    it gave up to another walker (``handed``): if it is lost, the rest of its part is walked here,
    skipping the one and leaving out the other's whole subtrees."""

    def __init__(self, walker: _Walker, roots: list[bytes]):
        self.walker, self.roots = walker, roots
        self.done: set[bytes] = set()
        self.handed: set[bytes] = set()
        self.asked = False  # a STEAL sent and not yet answered
        self.ask_after = 0  # folders it must have sent before it is asked again (it had nothing to share)


def _walk_with(
    walker: _Walker,
    roots: list[bytes],
    flt: ScanFilter,
    references: list[bytes],
    on_error: Callable[[bytes, str], None],
    should_stop: Callable[[], bool] | None,
    batch_files: int,
    meanwhile: Callable[[], None] | None = None,
    digests: bool = False,
    walkers: int = 1,
) -> Iterator[list[Listed]]:
    """The walk by ``walker``, and by up to ``walkers`` - 1 more that join as they are idle: a walker
    with nothing to do takes about half of the folders another has not listed yet (``STEAL``)."""
    fields = filter_fields(flt)
    shares: dict[Any, _Share] = {}  # by the parent's end of the walker's pipe
    free: list[_Walker] = []  # walkers of this walk with nothing to do
    finished: list[_Walker] = []

    def give(folders: list[bytes], to: _Walker | None) -> Iterator[list[Listed]]:
        """Hand ``folders`` to a walker, or walk them here when there is none or it is gone."""
        try:
            if to is not None:
                to.send((folders, fields, references, batch_files))
                shares[to.conn] = _Share(to, folders)
                return
        except _WalkerLost as exc:
            log.warning("a walker process could not be reached (%s); its part of the walk goes on here", exc)
            to.kill()
        prepare()
        yield from _walk_here(folders, flt, references, on_error, should_stop, digests=digests)

    def prepare() -> None:
        """``meanwhile``, once, before any files come."""
        nonlocal meanwhile
        if meanwhile is not None:
            run, meanwhile = meanwhile, None
            run()

    def recruit() -> None:
        """Take in a walker idle (or have one started), and let one with nothing to do ask a busy one
        to share."""
        if walkers > len(shares) + len(free):
            joining = _take_idle()
            if joining is not None:
                free.append(joining)
            else:
                _start_in_background()
        if len(free) > sum(s.asked for s in shares.values()):  # each answer finds a walker free
            busy = next((s for s in shares.values() if not s.asked and len(s.done) >= s.ask_after), None)
            if busy is not None:
                busy.asked = True
                with contextlib.suppress(_WalkerLost):  # found lost when its next message is due
                    busy.walker.send_raw(STEAL)

    try:
        yield from give(roots, walker)
        recruit()  # before ``meanwhile``: the first walker hands over half as soon as it has listed a folder
        prepare()
        while shares:
            recruit()
            ready = multiprocessing.connection.wait(list(shares), POLL_SECONDS)
            if should_stop is not None and should_stop():
                return
            if not ready:
                for conn, share in list(shares.items()):
                    if not share.walker.process.is_alive():
                        del shares[conn]
                        yield from _walk_lost(
                            share,
                            f"exit code {share.walker.process.exitcode}",
                            flt,
                            references,
                            on_error,
                            should_stop,
                            digests,
                        )
                continue
            for conn in ready:
                share = shares[conn]
                try:
                    message = conn.recv_bytes()
                    if message == END:
                        del shares[conn]
                        if walkers > 1 and shares:
                            free.append(share.walker)
                        else:
                            finished.append(share.walker)
                        continue
                    try:
                        folders, errors, handed = msgpack.unpackb(message, use_list=False, unicode_errors=_ERRORS)
                        batch = [Listed(path, digest, packed) for path, digest, packed in folders]
                    except (ValueError, TypeError) as exc:  # msgpack's own errors are ValueErrors
                        raise _WalkerLost(f"unreadable message: {exc}") from exc
                except (EOFError, OSError, _WalkerLost) as exc:
                    del shares[conn]
                    yield from _walk_lost(
                        share, str(exc) or type(exc).__name__, flt, references, on_error, should_stop, digests
                    )
                    continue
                for path, text in errors:
                    on_error(path, text)
                share.done.update(folder.path for folder in batch)
                if handed is not None:  # the answer to a STEAL
                    share.asked = False
                    if handed:
                        share.handed.update(handed)
                        yield from give(list(handed), free.pop() if free else None)
                    else:  # nothing to share yet: ask again once it has listed more
                        share.ask_after = len(share.done) + ASK_AGAIN_AFTER
                if batch:
                    yield batch
    finally:
        for share in shares.values():
            share.walker.kill()  # stopped or abandoned half-way: whatever it still sends is unwanted
        for w in finished + free:  # done with their part (a STEAL left unread is ignored by ``_serve``)
            _give_back(w)


def _walk_lost(
    share: _Share,
    why: str,
    flt: ScanFilter,
    references: list[bytes],
    on_error: Callable[[bytes, str], None],
    should_stop: Callable[[], bool] | None,
    digests: bool,
) -> Iterator[list[Listed]]:
    log.warning("a walker process stopped half-way (%s); its part of the walk goes on here", why)
    share.walker.kill()
    yield from _walk_here(
        share.roots, flt, references, on_error, should_stop, skip=share.done, prune=share.handed, digests=digests
    )


def _walk_here(*args: Any, digests: bool = False, **kwargs: Any) -> Iterator[list[Listed]]:
    """``Walk`` in the calling thread, a folder at a time."""
    return ([Listed.here(folder, files, digests)] for folder, files in Walk(*args, **kwargs))


class Listed:
    """One folder as the walk listed it: its wanted files, and a digest of exactly what was listed
    (every file's path and ``lstat`` fields, in the walk's order): equal digests, same listing.

    A walker sends the files packed, and they are unpacked only when asked for (``files``): a caller
    that finds the digests unchanged since an earlier walk may never need them."""

    __slots__ = ("path", "digest", "_packed", "_files")

    def __init__(self, path: bytes, digest: bytes, packed: bytes | None = None, files: list[FileInfo] | None = None):
        self.path, self.digest, self._packed, self._files = path, digest, packed, files

    @classmethod
    def here(cls, path: bytes, files: list[FileInfo], digests: bool) -> Listed:
        return cls(path, digest_of(pack_files(files)) if digests else b"", None, files)

    def rows(self) -> list[tuple]:
        """The files as plain tuples (``file_listing.row_of``): for a caller that needs no ``FileInfo``."""
        if self._files is not None:
            return [row_of(info) for info in self._files]
        assert self._packed is not None
        return msgpack.unpackb(self._packed, use_list=False)

    def files(self) -> list[FileInfo]:
        if self._files is None:
            assert self._packed is not None
            # packed by the walker itself (a message it garbled fails in ``_walk_with`` already)
            self._files = [FileInfo(*row) for row in msgpack.unpackb(self._packed, use_list=False)]
            self._packed = None
        return self._files


def pack_files(files: list[FileInfo]) -> bytes:
    """A folder's files as a walker sends them (and as ``digest_of`` sees them)."""
    return msgpack.packb([row_of(info) for info in files])


class _WalkerLost(Exception):
    """The walker process went away (or sent garbage) in the middle of a walk."""


class _Walker:
    """One walker process and the parent's end of its pipe."""

    def __init__(self, ctx: Any):
        parent, child = ctx.Pipe(duplex=True)
        self.conn = parent
        self.process = ctx.Process(target=_serve, args=(child,), daemon=True, name="sd-walker")
        self.process.start()
        child.close()
        try:
            ready = self.conn.poll(START_TIMEOUT_SECONDS) and self.conn.recv_bytes() == READY
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.kill()
            raise OSError(f"the walker process did not start (exit code {self.process.exitcode})")

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def send_raw(self, message: bytes) -> None:
        try:
            self.conn.send_bytes(message)
        except (OSError, ValueError) as exc:
            raise _WalkerLost(f"cannot send: {exc}") from exc

    def send(self, request: tuple) -> None:
        try:
            self.conn.send_bytes(msgpack.packb(request, unicode_errors=_ERRORS))
        except (OSError, ValueError) as exc:
            raise _WalkerLost(f"cannot send: {exc}") from exc

    def alive(self) -> bool:
        return self.process.is_alive() and not self.conn.closed

    def kill(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.process.kill()
            self.process.join(5)
        with contextlib.suppress(OSError):
            self.conn.close()


_lock = threading.Lock()
_idle: list[_Walker] = []
_unavailable = False  # a walker failed to start once: do not try again in this process
_starting = False
_starter: threading.Thread | None = None


def prestart(count: int = 1) -> bool:
    """Start walkers now and wait until they are ready, until ``count`` are idle; True when they are."""
    for _ in range(count):
        with _lock:
            if sum(w.alive() for w in _idle) >= count or _unavailable:
                break
        _start()
    with _lock:
        return sum(w.alive() for w in _idle) >= count


def idle_pids() -> list[int]:
    """The process ids of the walkers waiting for a walk."""
    with _lock:
        return [w.pid for w in _idle if w.alive() and w.pid is not None]


def shutdown() -> None:
    """Stop the idle walkers, after waiting for one being started (a walker in use stops when its walk
    ends: it is not given back)."""
    starter = _starter
    if starter is not None:
        starter.join(START_TIMEOUT_SECONDS)
    with _lock:
        walkers = list(_idle)
        _idle.clear()
    for w in walkers:
        w.kill()


def _take_idle() -> _Walker | None:
    with _lock:
        while _idle:
            walker = _idle.pop()
            if walker.alive():
                return walker
            walker.kill()
    return None


def _start_in_background() -> None:
    """Start a walker on another thread, unless one is starting or none can; it waits in the idle list."""
    global _starting, _starter
    with _lock:
        if _starting or _unavailable or _idle:
            return
        _starting = True
        _starter = threading.Thread(target=_start, name="sd-walker-start", daemon=True)
        _starter.start()


def _start() -> None:
    global _starting, _unavailable
    walker = None
    try:
        ctx = forkserver.context()  # elsewhere no walker: a spawned interpreter starts slower than most walks
        if ctx is None:
            raise OSError("no fork server on this platform")
        walker = _Walker(ctx)
    except (OSError, RuntimeError, ValueError) as exc:
        log.warning("no walker process (%s): walks run in the job's thread", exc)
        with _lock:
            _unavailable = True
    finally:
        with _lock:  # idle before "starting" ends: a walk asking in between must not start another
            if walker is not None and len(_idle) < IDLE_KEPT:
                _idle.append(walker)
                walker = None
            _starting = False
    if walker is not None:
        walker.kill()


def _give_back(walker: _Walker) -> None:
    with _lock:
        if len(_idle) < IDLE_KEPT and walker.alive():
            _idle.append(walker)
            return
    walker.kill()


# -- the walker process ---------------------------------------------------------------------
def _serve(conn: multiprocessing.connection.Connection) -> None:
    """Walk what is asked, stream it back, wait for the next request; exit when the app goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C pauses the job; the parent kills us if need be
    try:
        conn.send_bytes(READY)
        while True:
            request = conn.recv_bytes()
            if request == STEAL:  # asked as this walker's walk ended: nothing left to share
                continue
            roots, fields, references, batch_files = msgpack.unpackb(request, unicode_errors=_ERRORS)
            min_size, max_size, extensions, include_hidden, include_empty = fields
            flt = ScanFilter(min_size, max_size, tuple(extensions), include_hidden, include_empty)
            _stream(conn, roots, flt, references, batch_files)
    except (EOFError, OSError):
        return


def _stream(
    conn: multiprocessing.connection.Connection,
    roots: list[bytes],
    flt: ScanFilter,
    references: list[bytes],
    batch_files: int,
) -> None:
    folders: list[tuple[bytes, bytes, bytes]] = []  # (folder, digest, its files packed)
    errors: list[tuple[bytes, str]] = []
    count = 0
    sent = time.monotonic()

    def send(handed: list[bytes] | None = None) -> None:
        conn.send_bytes(msgpack.packb((folders, errors, handed), unicode_errors=_ERRORS))

    def on_error(path: bytes, text: str) -> None:
        errors.append((path, text))

    walk = Walk(roots, flt, references, on_error, rows=True, backend=LOCAL)  # a walker lists the local disk
    looked = 0.0
    for listed, (folder, rows) in enumerate(walk):
        packed = msgpack.packb(rows)  # what ``pack_files`` makes of the same files as ``FileInfo``s
        folders.append((folder, digest_of(packed), packed))
        count += len(rows)
        now = time.monotonic()
        asked = False
        # a look costs 5 us, a folder's files often less: every folder at first (the share of a walker
        # that joins), then every STEAL_LOOK_SECONDS
        if listed < 16 or now - looked >= STEAL_LOOK_SECONDS:
            looked = now
            asked = conn.poll()  # the only message that comes during a walk: STEAL
            if asked:
                conn.recv_bytes()
        if asked or count >= batch_files or now - sent >= BATCH_SECONDS:
            send(walk.split_off() if asked else None)  # an answer, even with nothing to share
            folders.clear()  # packed already: the lists are reused
            errors.clear()
            count = 0
            sent = time.monotonic()
    if folders or errors:
        send()
    conn.send_bytes(END)

"""The engine's server: answers other ``sd-desktop`` processes on the library's local socket.

A long-lived engine (``sd-desktop serve``, the window) starts one beside its ``JobManager``. Each
connection is a client command: it queues, resumes, pauses, cancels and waits for jobs, makes the
few library writes a command makes outside jobs (adding a location...), and follows job events.
Only named calls exist (``CALLS`` and ``LIBRARY_CALLS``): nothing a client sends is run as code.
A client that disconnects leaves its jobs running; one that sends garbage gets one error line and
is disconnected, and the engine goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import logging
import os
import socket
import struct
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sd_desktop.engine import address, protocol
from sd_desktop.enums import EventKind
from sd_desktop.jobs import JobEvent, JobManager, codec, job_class
from sd_desktop.library import Library

log = logging.getLogger(__name__)

HELLO_TIMEOUT = 10.0
MAX_BACKLOG = 1000  # messages waiting for a client; beyond, its progress events are dropped
# library functions a client may have the engine run: ``fn(library, *args, **kwargs)``. Those
# marked True change the locations (the watcher is told).
LIBRARY_CALLS: dict[str, bool] = {
    "sd_desktop.library.locations.add_location": True,
    "sd_desktop.library.locations.set_index_mode": True,
    "sd_desktop.library.locations.remove_location": True,
    "sd_desktop.library.volumes.add_volume": False,
    "sd_desktop.library.volumes.remove_volume": True,
    "sd_desktop.library.volumes.add_remote_location": True,
    "sd_desktop.library.schedules.set_every": False,
    "sd_desktop.ops.files.copy.conflicts.answer_conflicts": False,
}
# engine notices that are no job's: a client command follows jobs only
_NOT_JOBS = {EventKind.LIBRARY_CHANGED.value, EventKind.LOCATION_STATUS.value}


class EngineServer:
    """Serves ``manager``'s library on its socket while started."""

    def __init__(
        self,
        library: Library,
        manager: JobManager,
        *,
        on_locations_changed: Callable[[], Awaitable[Any]] | None = None,
    ):
        self.library = library
        self.manager = manager
        self.on_locations_changed = on_locations_changed
        self.path = address.socket_path(library.folder)
        self._server: asyncio.AbstractServer | None = None
        self._sessions: set[asyncio.Task] = set()

    async def start(self) -> Path:
        """Listen on the socket (a stale one a dead engine left is replaced) and say so in the lock
        file; returns the socket's path."""
        if os.name != "posix" or not hasattr(socket, "AF_UNIX"):
            raise OSError("serving other commands is POSIX-only for now (Windows would need a named pipe)")
        address.prepare_folder(self.path)
        address.remove_stale(self.path)  # this process holds the library's lock: no engine answers there
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(os.fspath(self.path))
            os.chmod(self.path, 0o600)  # before listen(): nobody could connect before it is private
            sock.listen(64)
            sock.setblocking(False)
            self._server = await asyncio.start_unix_server(self._connected, sock=sock, limit=protocol.MAX_LINE)
        except BaseException:
            sock.close()
            raise
        try:
            self.library.set_serving(True)
        except OSError:  # the lock file cannot say so (a full disk): serve nobody rather than half
            await self.close()
            raise
        log.info("serving %s on %s", self.library.folder, self.path)
        return self.path

    async def close(self) -> None:
        """Stop answering: the lock file says so first, then connections end and the socket goes."""
        if self._server is None:
            return
        with contextlib.suppress(OSError):
            self.library.set_serving(False)
        self._server.close()
        for task in list(self._sessions):
            task.cancel()
        if self._sessions:
            await asyncio.wait(list(self._sessions), timeout=5)
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        self._server = None

    # -- one connection --------------------------------------------------------------------
    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._sessions.add(task)
        try:
            await _Session(self, reader, writer).run()
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("a client connection failed")
        finally:
            self._sessions.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def locations_changed(self) -> None:
        if self.on_locations_changed is not None:
            try:
                await self.on_locations_changed()
            except Exception:
                log.exception("could not follow the changed locations")


def peer_uid(sock: socket.socket | None) -> int | None:
    """The user id of the process at the other end (Linux ``SO_PEERCRED``); None where unknown."""
    if sock is None or not hasattr(socket, "SO_PEERCRED"):
        return None
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


class _Session:
    def __init__(self, server: EngineServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.server = server
        self.manager = server.manager
        self.reader = reader
        self.writer = writer
        self.out: asyncio.Queue[dict | None] = asyncio.Queue()
        self.calls: set[asyncio.Task] = set()
        self.unsubscribe: Callable[[], None] | None = None
        self.who = "a client"

    async def run(self) -> None:
        uid = peer_uid(self.writer.get_extra_info("socket"))
        if uid is not None and uid != os.getuid():
            log.warning("refused a connection of uid %s", uid)
            await self._say_and_close({"error": f"refused: this engine serves uid {os.getuid()} only"})
            return
        try:
            first = protocol.decode(await asyncio.wait_for(self._line(), HELLO_TIMEOUT))
            protocol.check_hello(first)
        except (protocol.ProtocolError, ValueError, TimeoutError, asyncio.IncompleteReadError) as exc:
            await self._say_and_close({"error": f"bad request: {exc}"})
            return
        self.who = f"PID {first.get('pid')} ({first.get('command') or 'a client'})"
        log.info("%s connected", self.who)
        sender = asyncio.create_task(self._send_all(), name="sd-engine-send")
        self.out.put_nowait(protocol.hello(os.getpid()))
        try:
            await self._read_requests()
        finally:
            if self.unsubscribe is not None:
                self.unsubscribe()
            for call in list(self.calls):
                if call.get_name() == "wait_tree":  # only waiting: what the others do goes on
                    call.cancel()
            self.out.put_nowait(None)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sender, 5)
            log.info("%s disconnected", self.who)

    async def _line(self) -> bytes:
        line = await self.reader.readline()
        if not line:
            raise asyncio.IncompleteReadError(b"", None)
        return line

    async def _read_requests(self) -> None:
        while True:
            try:
                line = await self._line()
            except asyncio.IncompleteReadError:
                return  # the client went away: its jobs run on
            except ValueError as exc:  # longer than MAX_LINE
                self.out.put_nowait({"error": f"bad request: {exc}"})
                return
            try:
                request = protocol.decode(line)
                call_id, name, args = request["id"], request["call"], request.get("args", [])
                if not isinstance(name, str) or not isinstance(args, list) or name not in CALLS:
                    raise protocol.ProtocolError(f"unknown call {name!r}")
            except (protocol.ProtocolError, KeyError, TypeError) as exc:
                self.out.put_nowait({"error": f"bad request: {exc}"})
                return
            task = asyncio.create_task(self._answer(call_id, name, args), name=name)
            self.calls.add(task)
            task.add_done_callback(self.calls.discard)

    async def _answer(self, call_id: Any, name: str, args: list) -> None:
        try:
            value = await CALLS[name](self, *args)
            reply = {"id": call_id, "value": value}
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not isinstance(exc, ValueError | KeyError | LookupError | OSError) and not _is_library_error(exc):
                log.exception("call %s of %s failed", name, self.who)
            reply = {"id": call_id, "error": protocol.error_of(exc)}
        self.out.put_nowait(reply)

    async def _send_all(self) -> None:
        while True:
            message = await self.out.get()
            if message is None:
                return
            try:
                self.writer.write(protocol.encode(message))
                await self.writer.drain()
            except (ConnectionError, OSError):
                return
            except TypeError:
                log.exception("cannot send a reply to %s", self.who)

    async def _say_and_close(self, message: dict) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            self.writer.write(protocol.encode(message))
            await self.writer.drain()

    def _on_event(self, event: JobEvent) -> None:
        if str(event.kind) in _NOT_JOBS:
            return
        if event.kind == EventKind.PROGRESS and self.out.qsize() > MAX_BACKLOG:
            return  # a client that stopped reading (a suspended terminal): progress is the one loss
        self.out.put_nowait({"event": protocol.event_of(event)})

    # -- the calls -------------------------------------------------------------------------
    async def subscribe(self) -> None:
        if self.unsubscribe is None:
            self.unsubscribe = self.manager.events.add_listener(self._on_event)

    async def enqueue(self, name: str, config: bytes, priority: int = 0, parent_id: int | None = None) -> int:
        cls = job_class(name)
        return await self.manager.enqueue(cls, codec.unpack(config, cls.Config), priority=priority, parent_id=parent_id)

    async def resume(self, job_id: int) -> None:
        await self.manager.resume(int(job_id))

    async def pause(self, job_id: int) -> None:
        await self.manager.pause(int(job_id))

    async def cancel(self, job_id: int) -> None:
        """Cancel, and for a job that runs, wait until it has stopped (as the command waits)."""
        job_id = int(job_id)
        await self.manager.cancel(job_id)
        if job_id in self.manager.running_ids():
            await self.manager.wait(job_id)

    async def wait_tree(self, job_id: int) -> int:
        await self.manager.wait_tree(int(job_id))
        return job_id

    async def clear_history(self, keep_last_of: list[str] = ()) -> int:
        return await self.manager.clear_history(tuple(keep_last_of))

    async def library_call(self, name: str, args: list, kwargs: dict) -> Any:
        if name not in LIBRARY_CALLS:
            raise protocol.ProtocolError(f"{name} is not a call the engine makes for a client")
        module, _, attr = name.rpartition(".")
        fn = getattr(importlib.import_module(module), attr)
        if inspect.iscoroutinefunction(fn):
            value = await fn(self.server.library, *args, **kwargs)
        else:  # the library's synchronous writes wait for its writer thread: never on the loop
            value = await asyncio.to_thread(fn, self.server.library, *args, **kwargs)
        if LIBRARY_CALLS[name]:
            await self.server.locations_changed()
        return value


def _is_library_error(exc: BaseException) -> bool:
    from sd_desktop.library import LibraryError

    return isinstance(exc, LibraryError)


CALLS: dict[str, Callable[..., Awaitable[Any]]] = {
    "subscribe": _Session.subscribe,
    "enqueue": _Session.enqueue,
    "resume": _Session.resume,
    "pause": _Session.pause,
    "cancel": _Session.cancel,
    "wait_tree": _Session.wait_tree,
    "clear_history": _Session.clear_history,
    "library": _Session.library_call,
}

__all__ = ["EngineServer", "LIBRARY_CALLS", "peer_uid"]

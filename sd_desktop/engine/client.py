"""A command's handle on a library that an engine serves (``sd-desktop serve``, the window).

``RemoteLibrary`` stands where a ``Library`` would: reads go to a read-only WAL connection of the
command's own (``library.reader``: it sees each commit of the engine at once), and the few writes a
command makes outside jobs go to the engine as named calls (``call``). The job queue is reached
through ``remote_manager.RemoteManager``. This module imports no asyncio: a command that only opens
the library and reads pays nothing for it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sd_desktop.engine import address, protocol
from sd_desktop.library.faults import LibraryError
from sd_desktop.library.lock import Holder
from sd_desktop.library.reader import Reader

T = TypeVar("T")
CONNECT_TIMEOUT = 5.0


class EngineUnavailable(OSError):
    """No engine answers on the socket (it stopped, or is starting or stopping): try the lock again."""


class EngineRefused(OSError):
    """The socket is not safely the user's engine, or the engine refused this client."""


class EngineLost(ConnectionError):
    """The engine went away while a command waited for it (killed, crashed)."""

    def __init__(self, pid: int | None):
        self.pid = pid
        who = f" (PID {pid})" if pid else ""
        super().__init__(f"the engine serving the library{who} stopped")


class RemoteError(LibraryError):
    """An error of the engine's with no counterpart here, or a write a command tried to make itself
    on a served library. A ``LibraryError``: whatever command meets it ends with its one line."""


def raise_remote(error: dict) -> None:
    """Raise here the exception the engine raised (library, location and config errors keep their
    type, so the command handles them as it would its own)."""
    kind, message = error.get("type"), str(error.get("message"))
    if kind == "LibraryFault":
        from sd_desktop.library import LibraryFault

        raise LibraryFault(message, error.get("kind") or "io")
    if kind == "LibraryError":
        from sd_desktop.library import LibraryError

        raise LibraryError(message)
    if kind == "LocationError":
        from sd_desktop.library.locations import LocationError

        raise LocationError(message)
    if kind == "VolumeError":
        from sd_desktop.library.volumes import VolumeError

        raise VolumeError(message)
    if kind == "CodecError":
        from sd_desktop.jobs.codec import CodecError

        raise CodecError(message)
    if kind == "KeyError":
        raise KeyError(message)
    if kind in ("ValueError", "ProtocolError"):
        raise ValueError(message)
    # a job the engine does not know (a plug-in loaded here only), or its own failure
    raise RemoteError(f"the engine serving the library refused: {message}")


def connect(path: Path, command: str) -> tuple[socket.socket, int]:
    """A connected socket past the hello, and the engine's PID. ``EngineUnavailable`` when nobody
    answers, ``EngineRefused`` when the socket is not the user's or the engine says no."""
    try:
        address.check_socket_owner(path)
    except FileNotFoundError:
        raise EngineUnavailable(f"no engine socket at {path}") from None
    except address.AddressError as exc:
        raise EngineRefused(str(exc)) from None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(CONNECT_TIMEOUT)
    try:
        sock.connect(os.fspath(path))
        sock.sendall(protocol.encode(protocol.hello(os.getpid(), command=command)))
        answer = _read_line(sock)
    except (ConnectionRefusedError, FileNotFoundError, ConnectionResetError, BrokenPipeError, TimeoutError) as exc:
        sock.close()
        raise EngineUnavailable(f"the engine at {path} does not answer ({exc})") from None
    except PermissionError as exc:
        sock.close()
        raise EngineRefused(f"cannot reach the engine at {path}: {exc}") from None
    try:
        message = protocol.decode(answer)
        if "error" in message:
            raise EngineRefused(f"the engine refused this command: {message['error']}")
        protocol.check_hello(message)
    except protocol.ProtocolError as exc:
        sock.close()
        raise EngineRefused(f"the engine at {path} answered in another way: {exc}") from None
    except EngineRefused:
        sock.close()
        raise
    sock.settimeout(None)
    return sock, int(message.get("pid") or 0)


def _read_line(sock: socket.socket) -> bytes:
    data = bytearray()
    while not data.endswith(b"\n"):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("the engine closed the connection")
        data += chunk
    return bytes(data)


class RemoteLibrary:
    """The library as a command sees it while an engine serves it (see the module's docstring)."""

    remote = True

    def __init__(self, folder: Path, reader: Reader, holder: Holder, command: str):
        self.folder = folder
        self.reader = reader
        self.holder = holder
        self.command = command
        self.address = address.socket_path(folder)
        self._sock: socket.socket | None = None
        self._next_id = 0
        self.engine_pid: int | None = holder.pid
        self.closed = False

    @classmethod
    def connect(cls, folder: Path, reader: Reader, holder: Holder, command: str) -> RemoteLibrary:
        """Connected now: a serving engine that does not answer raises ``EngineUnavailable``."""
        lib = cls(folder, reader, holder, command)
        lib._sock, lib.engine_pid = connect(lib.address, command)
        return lib

    @property
    def db_path(self) -> Path:
        return self.reader.db_path

    @property
    def sidecar_dir(self) -> Path:
        return self.reader.sidecar_dir

    def read_sync(self, fn: Callable[[Any], T]) -> T:
        return self.reader.read_sync(fn)

    async def read(self, fn: Callable[[Any], T]) -> T:
        # the command's own short reads: done in place (nothing else runs on its loop meanwhile)
        return self.reader.read_sync(fn)

    def write_sync(self, fn: Callable[[Any], T]) -> T:
        raise RemoteError("an engine serves this library: a command changes it through the engine's calls")

    async def write(self, fn: Callable[[Any], T]) -> T:
        return self.write_sync(fn)

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(library, *args, **kwargs)`` run by the engine (one of its allowed library calls)."""
        return self.request("library", f"{fn.__module__}.{fn.__qualname__}", list(args), kwargs)

    def request(self, name: str, *args: Any) -> Any:
        if self._sock is None:
            self._sock, self.engine_pid = connect(self.address, self.command)
        self._next_id += 1
        try:
            self._sock.sendall(protocol.encode({"id": self._next_id, "call": name, "args": list(args)}))
            while True:
                message = protocol.decode(_read_line(self._sock))
                if message.get("id") == self._next_id:
                    break
                if "error" in message and "id" not in message:
                    raise RemoteError(f"the engine refused the request: {message['error']}")
        except (ConnectionError, OSError) as exc:
            raise EngineLost(self.engine_pid) from exc
        if "error" in message:
            raise_remote(message["error"])
        return message.get("value")

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._sock is not None:
            self._sock.close()
        self.reader.close()

    def __enter__(self) -> RemoteLibrary:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

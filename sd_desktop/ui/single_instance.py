"""One window per library: a second launch hands its paths to the running one and exits.

The running app listens on a QLocalServer whose name derives from the library's real path; a
later launch on the same library connects, sends one JSON line ``{"paths": [...],
"add_location": [...]}`` (raw path bytes as hex, so undecodable names survive) and quits. A stale
socket left by a crash is removed and reused.
"""

from __future__ import annotations

import hashlib
import json
import os

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

CONNECT_TIMEOUT_MS = 1500


def server_name(library_dir: str | os.PathLike) -> str:
    real = os.path.realpath(os.fsencode(library_dir))
    digest = hashlib.blake2s(real, digest_size=8).hexdigest()
    user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "u")
    return f"sd-desktop-{user}-{digest}"


def encode_message(message: dict[str, list]) -> bytes:
    return json.dumps({k: [os.fsencode(p).hex() for p in v] for k, v in message.items()}).encode() + b"\n"


def decode_message(line: bytes) -> dict[str, list[bytes]] | None:
    try:
        raw = json.loads(line)
        return {str(k): [bytes.fromhex(p) for p in v] for k, v in raw.items()}
    except (ValueError, TypeError, AttributeError):
        return None  # not one of ours


def hand_off(name: str, message: dict[str, list]) -> bool:
    """Send ``message`` (lists of paths by key) to a running instance; False when none answers."""
    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    sock.write(encode_message(message))
    ok = sock.waitForBytesWritten(CONNECT_TIMEOUT_MS)
    sock.disconnectFromServer()
    if sock.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        sock.waitForDisconnected(CONNECT_TIMEOUT_MS)
    return ok


class InstanceServer(QObject):
    """Receives hand-offs from later launches; emits ``received(dict)`` on the GUI thread."""

    received = Signal(object)  # dict[str, list[bytes]]

    def __init__(self, name: str, parent: QObject | None = None):
        super().__init__(parent)
        self.name = name
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        if self._server.listen(self.name):
            return True
        # a crashed instance leaves its socket file behind: nobody answers, so take it over
        QLocalServer.removeServer(self.name)
        return self._server.listen(self.name)

    def close(self) -> None:
        for sock in list(self._buffers):
            self._drop(sock)
        self._server.close()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            sock = self._server.nextPendingConnection()
            self._buffers[sock] = b""
            sock.readyRead.connect(self._on_ready_read)
            sock.disconnected.connect(self._on_disconnected)

    def _on_ready_read(self) -> None:
        sock = self.sender()
        if not isinstance(sock, QLocalSocket) or sock not in self._buffers:
            return
        self._buffers[sock] += bytes(sock.readAll())
        if b"\n" in self._buffers[sock]:
            self._finish(sock)

    def _on_disconnected(self) -> None:
        sock = self.sender()
        if isinstance(sock, QLocalSocket) and sock in self._buffers:
            self._finish(sock)

    def _drop(self, sock: QLocalSocket) -> bytes:
        data = self._buffers.pop(sock, b"")
        sock.readyRead.disconnect(self._on_ready_read)
        sock.disconnected.disconnect(self._on_disconnected)
        sock.abort()
        sock.deleteLater()
        return data

    def _finish(self, sock: QLocalSocket) -> None:
        data = self._buffers[sock] + bytes(sock.readAll())
        self._drop(sock)
        line = data.split(b"\n", 1)[0].strip()
        message = decode_message(line) if line else None
        if message is not None:
            self.received.emit(message)

"""One window per library: a second launch hands its paths to the running one and exits.

The running app listens on a QLocalServer whose name derives from the library's real path; a
later launch on the same library connects, sends one JSON line ``{"paths": [...],
"add_location": [...]}`` and quits. A stale socket left by a crash is removed and reused.
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


def hand_off(name: str, message: dict) -> bool:
    """Send ``message`` to a running instance; False when none answers."""
    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    sock.write(json.dumps(message).encode() + b"\n")
    ok = sock.waitForBytesWritten(CONNECT_TIMEOUT_MS)
    sock.disconnectFromServer()
    if sock.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        sock.waitForDisconnected(CONNECT_TIMEOUT_MS)
    return ok


class InstanceServer(QObject):
    """Receives hand-offs from later launches; emits ``received(dict)`` on the GUI thread."""

    received = Signal(dict)

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
        self._server.close()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            sock = self._server.nextPendingConnection()
            self._buffers[sock] = b""
            sock.readyRead.connect(lambda s=sock: self._read(s))
            sock.disconnected.connect(lambda s=sock: self._finish(s))

    def _read(self, sock: QLocalSocket) -> None:
        self._buffers[sock] = self._buffers.get(sock, b"") + bytes(sock.readAll())
        if b"\n" in self._buffers[sock]:
            self._finish(sock)

    def _finish(self, sock: QLocalSocket) -> None:
        data = self._buffers.pop(sock, None)
        if data is None:
            return
        data += bytes(sock.readAll()) if sock.isReadable() else b""
        sock.deleteLater()
        line = data.split(b"\n", 1)[0].strip()
        if not line:
            return
        try:
            message = json.loads(line)
        except ValueError:
            return  # not one of ours: ignore
        if isinstance(message, dict):
            self.received.emit(message)

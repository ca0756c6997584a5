"""The engine's wire format: one JSON object per line (UTF-8), both ways.

1. The client says ``{"hello": "sd-desktop-engine", "version": 1, "pid": ..., "command": ...}``;
   the engine answers ``{"hello": "sd-desktop-engine", "version": 1, "pid": ...}``, or
   ``{"error": "..."}`` and hangs up (another version, or a peer of another user).
2. Requests ``{"id": N, "call": NAME, "args": [...]}``; replies ``{"id": N, "value": ...}`` or
   ``{"id": N, "error": {"type": ..., "message": ..., "kind": ...}}``, in any order.
3. After ``subscribe``, job events ``{"event": {...}}`` (``JobEvent``'s fields, without the output).

Anything else (a line that is not a JSON object, an unknown call, a line over ``MAX_LINE``) gets
one ``{"error": "bad request: ..."}`` and the connection is closed. Raw-bytes paths travel as
``{"$bytes": HEX}``, ``Path`` objects as ``{"$path": HEX}``, so undecodable names survive.
"""

from __future__ import annotations

import json
import os
from pathlib import PurePath
from typing import Any

MAGIC = "sd-desktop-engine"
VERSION = 1
MAX_LINE = 64 * 1024 * 1024  # a copy of 100,000 paths is a few megabytes of config


class ProtocolError(ValueError):
    """A line that is not a message of this protocol."""


def _default(obj: Any) -> Any:
    if isinstance(obj, bytes | bytearray | memoryview):
        return {"$bytes": bytes(obj).hex()}
    if isinstance(obj, PurePath):
        return {"$path": os.fsencode(obj).hex()}
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    raise TypeError(f"cannot send a {type(obj).__name__} to the engine")


def _hook(obj: dict) -> Any:
    if len(obj) == 1:
        if "$bytes" in obj:
            return bytes.fromhex(obj["$bytes"])
        if "$path" in obj:
            from pathlib import Path

            return Path(os.fsdecode(bytes.fromhex(obj["$path"])))
    return obj


def encode(message: dict) -> bytes:
    """One message as its line (newline included)."""
    return json.dumps(message, default=_default, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> dict:
    """The message a line holds; ``ProtocolError`` for anything that is not one."""
    try:
        message = json.loads(line, object_hook=_hook)
    except (ValueError, RecursionError) as exc:  # also undecodable UTF-8, bad hex
        raise ProtocolError(f"not JSON: {str(exc)[:200]}") from None
    if not isinstance(message, dict):
        raise ProtocolError("not a JSON object")
    return message


def hello(pid: int, **extra: Any) -> dict:
    return {"hello": MAGIC, "version": VERSION, "pid": pid, **extra}


def check_hello(message: dict) -> None:
    """Raise ``ProtocolError`` unless ``message`` is a hello of this protocol's version."""
    if message.get("hello") != MAGIC:
        raise ProtocolError("expected a hello")
    if message.get("version") != VERSION:
        raise ProtocolError(f"protocol version {message.get('version')!r} is not spoken here (this side: {VERSION})")


def error_of(exc: BaseException) -> dict:
    """An exception as a reply's ``error``: its type's name, message and (library faults) kind."""
    return {"type": type(exc).__name__, "message": str(exc), "kind": getattr(exc, "kind", None)}


def event_of(event: Any) -> dict:
    """A ``JobEvent`` as sent (its output left out: the client reads the stored one)."""
    return {
        "kind": str(event.kind),
        "job_id": event.job_id,
        "name": event.name,
        "status": event.status,
        "target": event.target,
        "progress": event.progress,
        "error": event.error,
        "error_count": event.error_count,
    }

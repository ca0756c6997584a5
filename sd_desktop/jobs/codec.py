"""State codec: msgpack with named fields, ext types for paths and enums.

* dataclasses become maps keyed by field name (never positional arrays), so adding a field to a
  state never shifts the others; missing fields take their defaults when decoding;
* ``pathlib`` paths travel as ext type 1 holding the raw bytes of the path, so undecodable file
  names survive the round trip;
* enums travel as ext type 2 holding their value; the target type restores the member;
* ``str`` values holding surrogate-escaped bytes survive via ``surrogateescape``.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import types
import typing
from pathlib import Path, PurePath
from typing import Any

import msgpack

EXT_PATH = 1
EXT_ENUM = 2


class CodecError(ValueError):
    pass


def _default(obj: Any) -> Any:
    if isinstance(obj, PurePath):
        return msgpack.ExtType(EXT_PATH, os.fsencode(obj))
    if isinstance(obj, enum.Enum):
        return msgpack.ExtType(EXT_ENUM, _packb(obj.value))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=repr)
    raise TypeError(f"cannot encode {type(obj).__name__} in job state")


def _ext_hook(code: int, data: bytes) -> Any:
    if code == EXT_PATH:
        return Path(os.fsdecode(data))
    if code == EXT_ENUM:
        return _unpackb(data)
    return msgpack.ExtType(code, data)


def _packb(obj: Any) -> bytes:
    return msgpack.packb(obj, default=_default, use_bin_type=True, unicode_errors="surrogateescape", strict_types=False)


def _unpackb(data: bytes) -> Any:
    return msgpack.unpackb(
        data, ext_hook=_ext_hook, raw=False, unicode_errors="surrogateescape", strict_map_key=False, use_list=True
    )


class Packed:
    """A value encoded already (``pack_with``): ``pack`` gives its bytes as they are."""

    __slots__ = ("blob",)

    def __init__(self, blob: bytes):
        self.blob = blob


def pack_with(obj: Any, packed_fields: dict[str, bytes]) -> Packed:
    """``pack(obj)`` of a dataclass whose named fields are given encoded already (by ``pack``): a big
    value kept encoded is not decoded and encoded again. The bytes are those ``pack`` would make."""
    names = [f.name for f in dataclasses.fields(obj)]
    n = len(names)
    parts = [bytes([0x80 | n]) if n < 16 else b"\xde" + n.to_bytes(2, "big")]  # a msgpack map of n pairs
    for name in names:
        parts.append(_packb(name))
        parts.append(packed_fields[name] if name in packed_fields else _packb(getattr(obj, name)))
    return Packed(b"".join(parts))


def pack(obj: Any) -> bytes:
    """Encode a dataclass (or plain value) to msgpack bytes."""
    if isinstance(obj, Packed):
        return obj.blob
    try:
        return _packb(obj)
    except (TypeError, ValueError, OverflowError) as exc:
        raise CodecError(f"cannot encode job data: {exc}") from exc


def unpack(data: bytes, into: type | None = None) -> Any:
    """Decode msgpack bytes; with ``into`` (a dataclass or type hint) rebuild typed values."""
    try:
        plain = _unpackb(data)
    except Exception as exc:  # msgpack raises several unrelated types on garbage
        raise CodecError(f"corrupt job data: {exc}") from exc
    if into is None:
        return plain
    try:
        return from_plain(into, plain)
    except CodecError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise CodecError(f"job data does not fit {getattr(into, '__name__', into)}: {exc}") from exc


def from_plain(tp: Any, value: Any) -> Any:
    """Rebuild a value of type hint ``tp`` from its decoded plain form."""
    if value is None or tp is Any:
        return value
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        for arg in args:
            try:
                return from_plain(arg, value)
            except (TypeError, ValueError, CodecError):
                continue
        return value
    if origin in (list, tuple, set, frozenset):
        args = typing.get_args(tp)
        if origin is tuple and args and args[-1] is not Ellipsis:
            return tuple(from_plain(a, v) for a, v in zip(args, value, strict=False))
        item = args[0] if args else Any
        return origin(from_plain(item, v) for v in value)
    if origin is dict:
        kt, vt = typing.get_args(tp) or (Any, Any)
        return {from_plain(kt, k): from_plain(vt, v) for k, v in value.items()}
    if isinstance(tp, type):
        if dataclasses.is_dataclass(tp):
            if not isinstance(value, dict):
                raise CodecError(f"expected a map for {tp.__name__}, got {type(value).__name__}")
            hints = typing.get_type_hints(tp)
            kwargs = {
                f.name: from_plain(hints.get(f.name, Any), value[f.name])
                for f in dataclasses.fields(tp)
                if f.init and f.name in value
            }
            return tp(**kwargs)
        if issubclass(tp, enum.Enum):
            return tp(value)
        if issubclass(tp, PurePath):
            return tp(os.fsdecode(value)) if isinstance(value, (str, bytes)) else value
        if tp is float and isinstance(value, int):
            return float(value)
        if tp is bytes and isinstance(value, str):
            return os.fsencode(value)
    return value


def to_jsonable(obj: Any) -> Any:
    """A JSON-safe rendering: paths and undecodable bytes as display text, enums as values."""
    from sd_desktop.paths import display

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(to_jsonable(k)): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, PurePath):
        return display(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, bytes):
        return display(obj)
    if isinstance(obj, str):
        try:
            obj.encode("utf-8")
            return obj
        except UnicodeEncodeError:
            return display(obj)
    return obj

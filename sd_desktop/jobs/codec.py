"""State codec: msgpack with named fields, ext types for paths and enums, strict typed decoding.

Encoding:

* dataclasses become maps keyed by field name (never positional arrays), so adding a field to a
  state never shifts the others;
* ``pathlib`` paths travel as ext type 1 holding the raw bytes of the path, so undecodable file
  names survive the round trip;
* enums travel as ext type 2 holding their value; the target type restores the member;
* ``str`` values holding surrogate-escaped bytes survive via ``surrogateescape``.

Decoding into a type (``from_plain``, ``unpack(data, into)``) is strict and total: every value is
checked against its annotation and anything that does not fit raises ``CodecError`` naming the
field (``guarded[3].size``), never a ``TypeError`` later and never a silent coercion. The same
rules serve job configs from every front end (JSON from ``jobs run --config``, dicts from the
window, dataclasses from the typed commands) and states read back from the library:

* a string is never a list (``"abc"`` is not ``["a", "b", "c"]``), a bool is not an int, a float
  (or NaN) is not an int; floats must be finite;
* ints stay within SQLite's int64 range, and within the inclusive bounds of the field's metadata
  (``field(default=0, metadata=limits(0))``); the bounds apply to every number in the field (the
  items of a ``list[int]`` too);
* ``X | None`` takes ``None``; no other annotation does;
* enums by value (or member), the error lists the allowed values;
* paths from ``str`` or raw ``bytes`` (and ext type 1), never empty and without NUL bytes (``""``
  would mean the current folder);
* ``bytes`` also from ``str`` (surrogate-escaped), as states of older builds held them;
* a dataclass from a map (or an instance of it): a missing field takes its default (or is an
  error when it has none); an unknown key is an error naming it and the known ones.

Unknown keys in a *stored* state are corruption as well, not something to skip: a state names the
job's ``VERSION``, and states of another version are refused before decoding (see the manager).
A key this build does not know therefore comes from a damaged row or from a build that changed the
state without changing the version; resuming without that field could skip or repeat work on the
user's files, while failing the job (it can be run again) loses nothing. Added fields stay cheap:
an older state simply lacks them and they take their defaults.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import os
import types
import typing
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import Any

import msgpack

from sd_desktop.jsonable import to_jsonable  # noqa: F401  (here too, as before)

EXT_PATH = 1
EXT_ENUM = 2
INT_MIN, INT_MAX = -(2**63), 2**63 - 1  # what SQLite and msgpack store


class CodecError(ValueError):
    """Data that cannot be encoded, or decoded into its type. ``field`` names where (``a.b[2]``),
    ``None`` when it is the whole value or the bytes themselves."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def limits(lo: float | None = None, hi: float | None = None) -> dict[str, float | None]:
    """Field metadata: the inclusive bounds of the numbers a field holds (``None``: no bound)."""
    return {"min": lo, "max": hi}


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
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:
        raise CodecError(f"cannot encode job data: {exc}") from exc


def unpack(data: bytes, into: type | None = None) -> Any:
    """Decode msgpack bytes; with ``into`` (a dataclass or type hint) rebuild typed values strictly."""
    try:
        plain = _unpackb(data)
    except Exception as exc:  # msgpack raises several unrelated types on garbage
        raise CodecError(f"corrupt job data: {str(exc) or type(exc).__name__}") from exc
    if into is None:
        return plain
    return from_plain(into, plain)


def from_plain(tp: Any, value: Any) -> Any:
    """Rebuild a value of type hint ``tp`` from its plain form (decoded msgpack, parsed JSON, a dict
    from the window) or check an instance of it; raises ``CodecError`` naming the field."""
    try:
        return _decoder(tp, None, None)(value)
    except _Mismatch as exc:
        where = exc.where()
        raise CodecError(f"{where}: {exc.what}" if where else exc.what, where or None) from None
    except RecursionError:  # a type nesting itself deeper than the stack: the value is nested as deep
        raise CodecError("the value is nested too deeply") from None


# -- strict decoding ---------------------------------------------------------------------------


class _Mismatch(Exception):
    """A value that does not fit; ``steps`` collects the path to it while the error unwinds."""

    def __init__(self, what: str, type_error: bool = False):
        super().__init__(what)
        self.what = what
        self.type_error = type_error  # the value's kind is wrong (not its range): a union may say more
        self.steps: list[str] = []

    def at(self, step: str) -> _Mismatch:
        self.steps.append(step)
        return self

    def where(self) -> str:
        return "".join(reversed(self.steps)).lstrip(".")


_Decoder = Callable[[Any], Any]
_DECODERS: dict[tuple[Any, Any, Any], _Decoder] = {}


def _decoder(tp: Any, lo: float | None, hi: float | None) -> _Decoder:
    key = (tp, lo, hi)
    dec = _DECODERS.get(key)
    if dec is None:
        dec = _DECODERS[key] = _make(tp, lo, hi)
    return dec


def _got(value: Any) -> str:
    """The value as people read it, short."""
    if value is None:
        return "null"
    if value is True or value is False:
        return str(value).lower()
    if isinstance(value, int):
        if value.bit_length() <= 128:
            return f"the integer {value}"
        return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"  # str() refuses huge ones
    if isinstance(value, float):
        return f"the number {value!r}"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {text!r}"
    if isinstance(value, (bytes, bytearray)):
        return f"{len(value)} bytes"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} item{'' if len(value) == 1 else 's'}" if value else "an empty list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, PurePath):
        return "a path"
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    return f"a {type(value).__name__}"


_NOUNS = {bool: "boolean", int: "integer", float: "number", str: "string", bytes: "bytes value"}


def _describe(tp: Any) -> str:
    """What ``tp`` expects, for error messages ("a list of paths")."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(tp))
    if tp is type(None):
        return "null"
    if origin in (list, tuple, set, frozenset) or tp in (list, tuple, set, frozenset):
        args = typing.get_args(tp)
        if not args or args[0] is Any:
            return "a list"
        if origin is tuple and args[-1] is not Ellipsis:
            return f"a list of {len(args)} items"
        return f"a list of {_plural(args[0])}"
    if origin is dict or tp is dict:
        return "an object"
    if tp in _NOUNS:
        noun = _NOUNS[tp]
        return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            return "one of " + ", ".join(repr(m.value) for m in tp)
        if issubclass(tp, PurePath):
            return "a path"
        if dataclasses.is_dataclass(tp):
            return f"an object ({tp.__name__})"
    return str(tp)


def _plural(item: Any) -> str:
    if item in _NOUNS:
        return _NOUNS[item] + "s"
    if isinstance(item, type) and issubclass(item, PurePath):
        return "paths"
    if isinstance(item, type) and dataclasses.is_dataclass(item):
        return f"objects ({item.__name__})"
    return f"items ({_describe(item)})"


def _wrong(tp: Any, value: Any) -> _Mismatch:
    return _Mismatch(f"expected {_describe(tp)}, got {_got(value)}", type_error=True)


def _hints(cls: type) -> dict[str, Any]:
    # the module's names (and builtins) first: a field named like a type (``bytes: int = 0``) must
    # not turn another field's ``bytes`` annotation into that field's default
    try:
        return typing.get_type_hints(cls, localns={})
    except NameError:  # a name only the class body knows
        return typing.get_type_hints(cls)


def _make(tp: Any, lo: float | None, hi: float | None) -> _Decoder:  # noqa: C901 - one branch per kind
    if tp is Any or tp is object:
        return lambda v: v
    if tp is type(None):

        def none(v: Any) -> None:
            if v is not None:
                raise _wrong(tp, v)
            return None

        return none
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return _make_union(tp, args, lo, hi)
    if origin is typing.Literal:
        allowed = args

        def literal(v: Any) -> Any:
            for a in allowed:
                if type(v) is type(a) and v == a:
                    return a
            raise _Mismatch(f"expected one of {', '.join(map(repr, allowed))}, got {_got(v)}", type_error=True)

        return literal
    if origin in (list, set, frozenset) or (origin is tuple and (not args or args[-1] is Ellipsis)):
        return _make_sequence(tp, origin, args[0] if args else Any, lo, hi)
    if origin is tuple:
        return _make_fixed_tuple(tp, args, lo, hi)
    if origin is dict:
        return _make_dict(tp, *(args or (Any, Any)), lo, hi)
    if tp in (list, tuple, set, frozenset, dict):
        return _make_sequence(tp, tp, Any, lo, hi) if tp is not dict else _make_dict(tp, Any, Any, lo, hi)
    if tp is bool:

        def boolean(v: Any) -> bool:
            if v is True or v is False:
                return v
            raise _wrong(tp, v)

        return boolean
    if tp is int:
        return _make_int(lo, hi)
    if tp is float:
        return _make_float(lo, hi)
    if tp is str:

        def string(v: Any) -> str:
            if isinstance(v, str):
                return v
            raise _wrong(tp, v)

        return string
    if tp is bytes:

        def raw(v: Any) -> bytes:
            if isinstance(v, bytes):
                return v
            if isinstance(v, (bytearray, memoryview)):
                return bytes(v)
            if isinstance(v, str):  # states of older builds held raw names as surrogate-escaped text
                return os.fsencode(v)
            raise _wrong(tp, v)

        return raw
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            return _make_enum(tp)
        if issubclass(tp, PurePath):
            return _make_path(tp)
        if dataclasses.is_dataclass(tp):
            return _make_dataclass(tp)
    raise CodecError(f"the codec cannot decode values of type {tp!r}")


def _make_union(tp: Any, args: tuple, lo: float | None, hi: float | None) -> _Decoder:
    nullable = type(None) in args
    decoders = [_decoder(a, lo, hi) for a in args if a is not type(None)]

    def union(v: Any) -> Any:
        if v is None:
            if nullable:
                return None
            raise _wrong(tp, v)
        first: _Mismatch | None = None
        for dec in decoders:
            try:
                return dec(v)
            except _Mismatch as exc:
                if first is None or (first.type_error and not exc.type_error):
                    first = exc  # the most telling: a range error of the kind that fits
        assert first is not None
        if first.type_error and not first.steps:
            raise _wrong(tp, v)  # "expected an integer or null"
        raise first

    return union


def _make_int(lo: float | None, hi: float | None) -> _Decoder:
    low = INT_MIN if lo is None else max(INT_MIN, math.ceil(lo))
    high = INT_MAX if hi is None else min(INT_MAX, math.floor(hi))

    def integer(v: Any) -> int:
        if type(v) is not int:  # not bool, not float (nor NaN), not an int-valued float
            if isinstance(v, int) and not isinstance(v, (bool, enum.Enum)):
                v = int(v)
            else:
                raise _wrong(int, v)
        if v < low:
            raise _Mismatch(f"{_got(v)} is below the minimum {low}")
        if v > high:
            raise _Mismatch(f"{_got(v)} is above the maximum {high}")
        return v

    return integer


def _make_float(lo: float | None, hi: float | None) -> _Decoder:
    def number(v: Any) -> float:
        if type(v) is not float:
            if not isinstance(v, (int, float)) or isinstance(v, (bool, enum.Enum)):
                raise _wrong(float, v)
            try:
                v = float(v)
            except OverflowError:
                raise _Mismatch(f"{_got(v)} is too large") from None
        if not math.isfinite(v):
            raise _Mismatch(f"expected a finite number, got {v!r}")
        if lo is not None and v < lo:
            raise _Mismatch(f"{v!r} is below the minimum {lo!r}")
        if hi is not None and v > hi:
            raise _Mismatch(f"{v!r} is above the maximum {hi!r}")
        return v

    return number


def _make_enum(tp: type[enum.Enum]) -> _Decoder:
    by_value = {(type(m.value), m.value): m for m in tp}

    def member(v: Any) -> enum.Enum:
        if isinstance(v, tp):
            return v
        try:
            return by_value[(type(v), v)]
        except (KeyError, TypeError):  # TypeError: an unhashable value (a list)
            raise _wrong(tp, v) from None

    return member


def _make_path(tp: type[PurePath]) -> _Decoder:
    def path(v: Any) -> PurePath:
        if isinstance(v, PurePath):
            if "\0" in os.fspath(v):
                raise _Mismatch("a path cannot hold a NUL character", type_error=True)
            return v if type(v) is tp else tp(v)
        if isinstance(v, bytes):
            v = os.fsdecode(v)
        elif not isinstance(v, str):
            raise _wrong(tp, v)
        if not v:
            raise _Mismatch("expected a path, got an empty string", type_error=True)
        if "\0" in v:
            raise _Mismatch("a path cannot hold a NUL character", type_error=True)
        return tp(v)

    return path


def _make_sequence(tp: Any, origin: Any, item_tp: Any, lo: float | None, hi: float | None) -> _Decoder:
    accepted = (list, tuple, set, frozenset) if origin in (set, frozenset) else (list, tuple)
    build = list if origin is list else origin
    if item_tp is Any:

        def any_items(v: Any) -> Any:
            if not isinstance(v, accepted):
                raise _wrong(tp, v)
            return v if type(v) is build else build(v)

        return any_items
    item = _decoder(item_tp, lo, hi)

    def sequence(v: Any) -> Any:
        if not isinstance(v, accepted):  # a str or a dict is never a list
            raise _wrong(tp, v)
        out = []
        append = out.append
        i = 0
        try:
            for i, x in enumerate(v):  # noqa: B007 - ``i`` names the item that failed
                append(item(x))
        except _Mismatch as exc:
            raise exc.at(f"[{i}]") from None
        return out if build is list else build(out)

    return sequence


def _make_fixed_tuple(tp: Any, args: tuple, lo: float | None, hi: float | None) -> _Decoder:
    items = [_decoder(a, lo, hi) for a in args]
    n = len(items)

    def fixed(v: Any) -> tuple:
        if not isinstance(v, (list, tuple)) or len(v) != n:
            raise _wrong(tp, v)
        out = []
        for i, (dec, x) in enumerate(zip(items, v, strict=True)):
            try:
                out.append(dec(x))
            except _Mismatch as exc:
                raise exc.at(f"[{i}]") from None
        return tuple(out)

    return fixed


def _make_dict(tp: Any, key_tp: Any, value_tp: Any, lo: float | None, hi: float | None) -> _Decoder:
    if key_tp is Any and value_tp is Any:

        def any_map(v: Any) -> dict:
            if not isinstance(v, dict):
                raise _wrong(tp, v)
            return v

        return any_map
    key = _decoder(key_tp, None, None)
    val = _decoder(value_tp, lo, hi)

    def mapping(v: Any) -> dict:
        if not isinstance(v, dict):
            raise _wrong(tp, v)
        out = {}
        for k, x in v.items():
            try:
                out[key(k)] = val(x)
            except _Mismatch as exc:
                raise exc.at(f"[{k!r}]") from None
        return out

    return mapping


def _unknown(name: Any, known: list[str]) -> _Mismatch:
    plain = isinstance(name, str) and name.isidentifier()  # else quoted: a key may hold a newline
    import difflib  # for this message only: every command decodes, few ever meet an unknown field

    close = difflib.get_close_matches(name, known, n=1) if isinstance(name, str) else []
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return _Mismatch(f"unknown field{hint}; the known fields are: {', '.join(known)}").at(
        "." + name if plain else f"[{name!r}]"
    )


def _make_dataclass(cls: type) -> _Decoder:
    # field decoders are made on first use (a dataclass may hold itself), built whole and then
    # published in one assignment: a second thread never sees half of them
    prepared: tuple[tuple[tuple[str, bool, bool, _Decoder], ...], frozenset[str], list[str]] | None = None

    def prepare() -> tuple:
        hints = _hints(cls)
        plan = []  # name, init, required, decoder
        for f in dataclasses.fields(cls):
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            dec = _decoder(hints.get(f.name, Any), f.metadata.get("min"), f.metadata.get("max"))
            plan.append((f.name, f.init, required and f.init, dec))
        names = [name for name, *_ in plan]
        return tuple(plan), frozenset(names), names

    def build(kwargs: dict[str, Any]) -> Any:
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as exc:  # a __post_init__ that refuses the combination
            raise _Mismatch(str(exc)) from None

    def dataclass_value(v: Any) -> Any:
        nonlocal prepared
        if prepared is None:
            prepared = prepare()
        plan, known, names = prepared
        kwargs: dict[str, Any] = {}
        if isinstance(v, cls):
            for name, init, _required, dec in plan:
                if init:
                    try:
                        kwargs[name] = dec(getattr(v, name))
                    except _Mismatch as exc:
                        raise exc.at("." + name) from None
            return build(kwargs)
        if not isinstance(v, dict):
            raise _wrong(cls, v)
        found = 0
        for name, init, required, dec in plan:
            if name in v:
                found += 1
                if init:
                    try:
                        kwargs[name] = dec(v[name])
                    except _Mismatch as exc:
                        raise exc.at("." + name) from None
            elif required:
                raise _Mismatch("missing (it has no default)").at("." + name)
        if found != len(v):
            for name in v:
                if name not in known:
                    raise _unknown(name, names)
        return build(kwargs)

    return dataclass_value

"""JSON schema of a job's config, derived from its dataclass (``Job.schema()``)."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from pathlib import PurePath
from typing import Any

_SIMPLE = {
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    str: {"type": "string"},
    bytes: {"type": "string", "contentEncoding": "base64"},
}


def type_schema(tp: Any) -> dict:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [type_schema(a) for a in typing.get_args(tp)]}
    if tp is type(None):
        return {"type": "null"}
    if origin in (list, tuple, set, frozenset):
        args = typing.get_args(tp)
        return {"type": "array", "items": type_schema(args[0]) if args else {}}
    if origin is dict:
        args = typing.get_args(tp)
        return {"type": "object", "additionalProperties": type_schema(args[1]) if args else {}}
    if isinstance(tp, type):
        if tp in _SIMPLE:
            return dict(_SIMPLE[tp])
        if issubclass(tp, enum.Enum):
            return {"enum": [m.value for m in tp]}
        if issubclass(tp, PurePath):
            return {"type": "string", "format": "path"}
        if dataclasses.is_dataclass(tp):
            return dataclass_schema(tp)
    return {}


def _bound(schema: dict, lo: float | None, hi: float | None) -> None:
    """The field's bounds (``codec.limits``) on every number it holds, as the codec applies them."""
    if schema.get("type") in ("integer", "number"):
        if lo is not None:
            schema["minimum"] = lo
        if hi is not None:
            schema["maximum"] = hi
    for sub in (*schema.get("anyOf", ()), *([schema["items"]] if "items" in schema else ())):
        _bound(sub, lo, hi)


def dataclass_schema(cls: type) -> dict:
    hints = typing.get_type_hints(cls)
    props: dict[str, dict] = {}
    required: list[str] = []
    for f in dataclasses.fields(cls):
        prop = type_schema(hints.get(f.name, Any))
        _bound(prop, f.metadata.get("min"), f.metadata.get("max"))
        if f.metadata.get("doc"):
            prop["description"] = f.metadata["doc"]
        if f.default is not dataclasses.MISSING and isinstance(f.default, (bool, int, float, str, type(None))):
            prop["default"] = f.default
        elif f.default is not dataclasses.MISSING and isinstance(f.default, enum.Enum):
            prop["default"] = f.default.value
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(f.name)
        props[f.name] = prop
    schema = {"title": cls.__name__, "type": "object", "properties": props, "additionalProperties": False}
    if required:
        schema["required"] = required
    if cls.__doc__ and not cls.__doc__.startswith(cls.__name__ + "("):
        schema["description"] = cls.__doc__.strip()
    return schema

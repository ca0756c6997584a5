"""JSON-safe renderings of what jobs output: paths, undecodable bytes, enums and dataclasses.

Apart from the state codec (``jobs.codec`` re-exports it) so that printing a result as JSON costs
no msgpack and no job engine: ``location list --json`` prints through it too."""

from __future__ import annotations

import enum
from pathlib import PurePath
from typing import Any

from sd_desktop.paths import display


def to_jsonable(obj: Any) -> Any:
    """A JSON-safe rendering: paths and undecodable bytes as display text, enums as values."""
    # the plain types first, by exact type (none of them is a dataclass, path or enum): a search's
    # result holds thousands of them (tests/perf/README.md, "Duplicates as whole processes")
    kind = type(obj)
    if kind is str:
        return obj if obj.isascii() else _text(obj)
    if kind is list:
        return [to_jsonable(v) for v in obj]
    if kind is dict:
        return {str(to_jsonable(k)): to_jsonable(v) for k, v in obj.items()}
    if kind is int or kind is float or kind is bool or obj is None:
        return obj
    if hasattr(type(obj), "__dataclass_fields__"):  # ``dataclasses.is_dataclass`` of an instance
        import dataclasses  # loaded already: the dataclass was made with it (not paid by plain output)

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
        return _text(obj)
    return obj


def _text(obj: str) -> str:
    """A string as it is, or as display text when it holds an undecodable name (a lone surrogate)."""
    try:
        obj.encode("utf-8")
        return obj
    except UnicodeEncodeError:
        return display(obj)

"""``to_jsonable``: what a result's JSON shows of each kind of value (the plain types are taken by
their exact type first; every other kind as before)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum, IntEnum, StrEnum
from pathlib import Path

from sd_desktop.jsonable import to_jsonable


class Mode(StrEnum):
    CONTENT = "content"


class Level(IntEnum):
    HIGH = 3


class Colour(Enum):
    RED = "red"


class Name(str):
    pass


@dataclass
class Point:
    x: int
    where: Path


def test_each_kind_of_value():
    value = {
        "ascii": "plain",
        "utf8": "caf\u00e9 \u65e5\u672c",
        "undecodable": "caf\udce9.txt",  # a name that is not UTF-8 (surrogate-escaped)
        "numbers": [0, -1, 2**63 - 1, 1.5, True, False, None],
        "nested": [[("a", 1)], {"k": ["x"]}],
        "enums": [Mode.CONTENT, Level.HIGH, Colour.RED],
        "str subclass": Name("n\udce9"),
        "bytes": b"raw\xff",
        "path": Path("/t/a b"),
        "set": {3},
        "dataclass": Point(1, Path("/p")),
        True: "bool key",
        None: "none key",
        7: "int key",
        Mode.CONTENT: "enum key",
    }
    assert to_jsonable(value) == {
        "ascii": "plain",
        "utf8": "caf\u00e9 \u65e5\u672c",
        "undecodable": "caf\\xe9.txt",
        "numbers": [0, -1, 2**63 - 1, 1.5, True, False, None],
        "nested": [[["a", 1]], {"k": ["x"]}],
        "enums": ["content", 3, "red"],
        "str subclass": "n\\xe9",
        "bytes": "raw\\xff",
        "path": "/t/a b",
        "set": [3],
        "dataclass": {"x": 1, "where": "/p"},
        "True": "bool key",
        "None": "none key",
        "7": "int key",
        "content": "enum key",
    }
    json.dumps(to_jsonable(value), ensure_ascii=False).encode("utf-8")  # valid UTF-8 throughout


def test_a_result_with_text_keys_is_written_as_the_walk_would_write_it():
    """``emit_json(..., text_keys=True)`` skips ``to_jsonable`` only where it would change nothing."""
    from sd_desktop.commands.common import _json_text

    for obj in (
        {"output": {"groups": [{"paths": ["/t/a", "/t/\u00e9"], "size": 3}], "since": 1.5, "none": None}},
        {"output": {"groups": [{"paths": ["/t/caf\udce9.txt"]}]}},  # an undecodable name
        {"output": {"where": Path("/t/p"), "raw": b"\xff", "mode": Mode.CONTENT, "level": Level.HIGH}},
        {"output": {"colour": Colour.RED, "set": {1}, "point": Point(1, Path("/p"))}},
    ):
        assert _json_text(obj, True) == _json_text(obj, False) == json.dumps(to_jsonable(obj), ensure_ascii=False)

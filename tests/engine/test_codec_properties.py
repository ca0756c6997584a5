"""Property tests: any file name bytes, any nesting of state values, survive the state codec."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sd_desktop.jobs import codec

name_bytes = st.binary(min_size=1, max_size=60).filter(lambda b: b"/" not in b and b"\0" not in b and b != b".")


@dataclass
class Frontier:
    dirs: list[Path] = field(default_factory=list)
    done: int = 0
    names: list[str] = field(default_factory=list)


@given(st.lists(name_bytes, max_size=8), st.integers(min_value=0, max_value=2**63 - 1))
def test_any_raw_names_round_trip(names, done):
    dirs = [Path(os.fsdecode(b"/base/" + n)) for n in names]
    strs = [os.fsdecode(n) for n in names]
    back = codec.unpack(codec.pack(Frontier(dirs, done, strs)), Frontier)
    assert [os.fsencode(p) for p in back.dirs] == [b"/base/" + n for n in names]
    assert [os.fsencode(s) for s in back.names] == names
    assert back.done == done


@given(st.binary(max_size=200))
def test_garbage_never_crashes_the_decoder(blob):
    try:
        codec.unpack(blob, Frontier)
    except codec.CodecError:
        pass


# values of the wrong kind for each field of ``Frontier`` (FAULTS 17): a string is never a list
# (of paths or of names), a bool, float, NaN or out-of-range integer is never an int
_anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary(),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
    max_leaves=8,
)
_not_a_list = _anything.filter(lambda v: not isinstance(v, list))
_not_a_path = _anything.filter(lambda v: not isinstance(v, (str, bytes)) or v in ("", b"") or "\0" in os.fsdecode(v))
_not_a_str = _anything.filter(lambda v: not isinstance(v, str))
_not_an_int = (
    _anything.filter(lambda v: type(v) is not int) | st.integers(min_value=2**63) | st.integers(max_value=-(2**63) - 1)
)
_good_dirs = st.lists(name_bytes.map(lambda n: "/base/" + os.fsdecode(n)), max_size=3)
_good_names = st.lists(name_bytes.map(os.fsdecode), max_size=3)


def _list_with_bad_item(good: st.SearchStrategy, bad: st.SearchStrategy) -> st.SearchStrategy:
    """(a list whose first wrong item is at index i, i)."""
    return st.tuples(good, bad, st.lists(_anything, max_size=2)).map(lambda t: (t[0] + [t[1]] + t[2], len(t[0])))


_wrong_shapes = st.one_of(
    _not_a_list.map(lambda v: ("dirs", v, "dirs")),
    _list_with_bad_item(_good_dirs, _not_a_path).map(lambda t: ("dirs", t[0], f"dirs[{t[1]}]")),
    _not_an_int.map(lambda v: ("done", v, "done")),
    _not_a_list.map(lambda v: ("names", v, "names")),
    _list_with_bad_item(_good_names, _not_a_str).map(lambda t: ("names", t[0], f"names[{t[1]}]")),
    st.text(min_size=1)
    .filter(lambda k: k not in ("dirs", "done", "names"))
    .map(lambda k: (k, 1, k if k.isidentifier() else f"[{k!r}]")),
)


@given(_wrong_shapes, st.sampled_from(["stored", "plain"]))
def test_wrong_shapes_are_codec_errors(shape, form):
    key, value, where = shape
    plain = {"dirs": ["/base/x"], "done": 3, "names": ["x"], key: value}
    if form == "stored":  # as a state read back from the library (msgpack holds no int beyond 64 bits)
        try:
            blob = codec.pack(plain)
        except codec.CodecError:
            assume(False)
    with pytest.raises(codec.CodecError) as err:
        if form == "stored":
            codec.unpack(blob, Frontier)
        else:  # as a config from JSON or the window
            codec.from_plain(Frontier, plain)
    assert err.value.field == where
    assert str(err.value).startswith(f"{where}: ")
    assert "\n" not in str(err.value)


@given(st.text(min_size=1, max_size=30).filter(lambda t: "\0" not in t))
def test_a_string_is_never_a_list_of_paths(text):
    with pytest.raises(codec.CodecError, match=r"^dirs: expected a list of paths, got the string "):
        codec.from_plain(Frontier, {"dirs": text})


@dataclass
class Wide:  # more than 15 fields: a msgpack map header of another form
    a0: int = 0
    a1: list[str] = field(default_factory=list)
    a2: int = 0
    a3: int = 0
    a4: int = 0
    a5: int = 0
    a6: int = 0
    a7: int = 0
    a8: int = 0
    a9: int = 0
    b0: int = 0
    b1: int = 0
    b2: int = 0
    b3: int = 0
    b4: int = 0
    b5: dict = field(default_factory=dict)


@given(st.lists(name_bytes, max_size=8), st.integers(min_value=0, max_value=2**63 - 1))
def test_a_value_packed_with_fields_given_encoded_is_what_pack_makes(names, done):
    strs = [os.fsdecode(n) for n in names]
    small = Frontier([Path("/x")], done, strs)
    given_small = codec.pack_with(small, {"names": codec.pack(strs)})
    assert codec.pack(given_small) == codec.pack(small)
    wide = Wide(a0=done, a1=strs, b5={"k": strs})
    given_wide = codec.pack_with(wide, {"a1": codec.pack(strs), "b5": codec.pack({"k": strs})})
    assert codec.pack(given_wide) == codec.pack(wide)
    assert codec.unpack(codec.pack(given_wide), Wide) == wide

"""Property tests: any file name bytes, any nesting of state values, survive the state codec."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import given
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


@given(
    st.recursive(
        st.none() | st.integers() | st.text() | st.binary(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
        max_leaves=10,
    )
)
def test_wrong_shapes_are_codec_errors(value):
    try:
        codec.unpack(codec.pack({"dirs": value, "done": value, "names": value}), Frontier)
    except codec.CodecError:
        pass


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

"""Strict decoding of job configs and states (FAULTS 17): each wrong shape is a CodecError naming
its field, for the real configs of every registered job; decoding is total (nothing else is raised)."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sd_desktop.jobs import codec, job_class, registered
from sd_desktop.ops.files.delete.config import DeleteConfig, DeleteMode
from sd_desktop.ops.indexing.config import IndexerState

KNOWN_DELETE = "targets, mode, confirm, passes, force_hardlinks, guarded, lint, pictures, folders"
GUARD = {"path": "/a/x", "size": 1, "mtime_ns": 5, "hash": "ab"}

# (job, config as parsed from JSON, the field named, the whole message)
CASES = [
    ("delete", {"targets": "abc", "mode": "permanent", "confirm": True}, "targets",
     "expected a list of paths, got the string 'abc'"),
    ("duplicate_detection", {"search_paths": "/home/me"}, "search_paths",
     "expected a list of paths, got the string '/home/me'"),
    ("delete", {"targets": ["a"], "mdoe": "permanent"}, "mdoe",
     f"unknown field (did you mean 'mode'?); the known fields are: {KNOWN_DELETE}"),
    ("delete", {"paths": ["a"]}, "paths", f"unknown field; the known fields are: {KNOWN_DELETE}"),
    ("delete", {"passes": "abc"}, "passes", "expected an integer, got the string 'abc'"),
    ("delete", {"passes": math.nan}, "passes", "expected an integer, got the number nan"),
    ("delete", {"passes": 2.0}, "passes", "expected an integer, got the number 2.0"),
    ("delete", {"passes": True}, "passes", "expected an integer, got true"),
    ("delete", {"passes": 0}, "passes", "the integer 0 is below the minimum 1"),
    ("delete", {"passes": None}, "passes", "expected an integer, got null"),
    ("delete", {"confirm": 1}, "confirm", "expected a boolean, got the integer 1"),
    ("delete", {"confirm": "yes"}, "confirm", "expected a boolean, got the string 'yes'"),
    ("delete", {"mode": "perm"}, "mode",
     "expected one of 'trash', 'permanent', 'secure', got the string 'perm'"),
    ("delete", {"mode": ["trash"]}, "mode",
     "expected one of 'trash', 'permanent', 'secure', got a list of 1 item"),
    ("delete", {"targets": ["ok", ""]}, "targets[1]", "expected a path, got an empty string"),
    ("delete", {"targets": ["a\0b"]}, "targets[0]", "a path cannot hold a NUL character"),
    ("delete", {"targets": [["a"]]}, "targets[0]", "expected a path, got a list of 1 item"),
    ("delete", {"targets": {"a": 1}}, "targets", "expected a list of paths, got an object"),
    ("delete", {"guarded": [GUARD, dict(GUARD, size="1")]}, "guarded[1].size",
     "expected an integer, got the string '1'"),
    ("delete", {"guarded": [dict(GUARD, size=-1)]}, "guarded[0].size", "the integer -1 is below the minimum 0"),
    ("delete", {"guarded": [{"path": "/a", "size": 1, "hash": "x"}]}, "guarded[0].mtime_ns",
     "missing (it has no default)"),
    ("delete", {"guarded": [dict(GUARD, keepers="/b")]}, "guarded[0].keepers",
     "expected a list of paths, got the string '/b'"),
    ("duplicate_detection", {"min_size": 1e29}, "min_size", "expected an integer, got the number 1e+29"),
    ("duplicate_detection", {"min_size": 10**29}, "min_size",
     "the integer 100000000000000000000000000000 is above the maximum 9223372036854775807"),
    ("duplicate_detection", {"min_size": -1}, "min_size", "the integer -1 is below the minimum 0"),
    ("duplicate_detection", {"max_size": "abc"}, "max_size", "expected an integer or null, got the string 'abc'"),
    ("duplicate_detection", {"max_size": math.inf}, "max_size", "expected an integer or null, got the number inf"),
    ("duplicate_detection", {"extensions": "jpg"}, "extensions", "expected a list of strings, got the string 'jpg'"),
    ("duplicate_detection", {"extensions": ["jpg", 3]}, "extensions[1]", "expected a string, got the integer 3"),
    ("indexer", {"rules": {"ignroe_hidden": True}}, "rules.ignroe_hidden",
     "unknown field (did you mean 'ignore_hidden'?); the known fields are: ignore_os_junk, ignore_hidden, "
     "ignore_git, ignore_dev_folders, respect_gitignore, ignore_globs"),
    ("indexer", {"rules": "all"}, "rules", "expected an object (IndexerRules), got the string 'all'"),
    ("indexer", {"path": 7}, "path", "expected a path or null, got the integer 7"),
    ("indexer", {"location_id": 0}, "location_id", "the integer 0 is below the minimum 1"),
    ("file_copy", {"sources": ["/a"]}, "destination", "missing (it has no default)"),
    ("file_copy", {"sources": "/a", "destination": "/b"}, "sources", "expected a list of paths, got the string '/a'"),
    ("thumbnails", {"time_limit": math.nan}, "time_limit", "expected a finite number, got nan"),
    ("thumbnails", {"time_limit": 0}, "time_limit", "0.0 is below the minimum 0.001"),
    ("thumbnails", {"entry_ids": [3, 0]}, "entry_ids[1]", "the integer 0 is below the minimum 1"),
    ("thumbnails", {"variants": [{"size": "big"}]}, "variants[0].size", "expected an integer, got the string 'big'"),
]  # fmt: skip


@pytest.mark.parametrize(("job", "config", "where", "message"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_each_wrong_shape_names_its_field(job, config, where, message):
    with pytest.raises(codec.CodecError) as err:
        codec.from_plain(job_class(job).Config, config)
    assert err.value.field == where
    assert str(err.value) == f"{where}: {message}"


@pytest.mark.parametrize("config", [None, [], "{}", 3, True])
def test_a_config_that_is_not_an_object_is_refused_whole(config):
    with pytest.raises(codec.CodecError) as err:
        codec.from_plain(DeleteConfig, config)
    assert err.value.field is None
    assert str(err.value).startswith("expected an object (DeleteConfig), got ")


def test_right_shapes_decode_to_typed_values():
    got = codec.from_plain(
        DeleteConfig, {"targets": ["a", "/b"], "mode": "secure", "confirm": True, "passes": 3, "guarded": [GUARD]}
    )
    assert got.targets == [Path("a"), Path("/b")] and got.mode is DeleteMode.SECURE and got.passes == 3
    assert got.guarded[0].path == Path("/a/x") and got.guarded[0].keepers == []
    thumbs = codec.from_plain(job_class("thumbnails").Config, {"time_limit": 5})
    assert thumbs.time_limit == 5.0 and type(thumbs.time_limit) is float


def test_a_typed_config_is_checked_too():
    """The typed commands build dataclasses: they pass the same checks as JSON."""
    with pytest.raises(codec.CodecError, match=r"^targets: expected a list of paths, got the string 'abc'$"):
        codec.from_plain(DeleteConfig, DeleteConfig(targets="abc"))  # type: ignore[arg-type]
    with pytest.raises(codec.CodecError, match=r"^passes: the integer 99 is above the maximum 35$"):
        codec.from_plain(DeleteConfig, DeleteConfig(targets=[Path("/a")], passes=99))
    ok = DeleteConfig(targets=[Path("/a")], mode=DeleteMode.PERMANENT, confirm=True)
    assert codec.from_plain(DeleteConfig, ok) == ok


def test_a_state_field_named_like_a_type_does_not_change_other_annotations():
    """``IndexerState`` has a field ``bytes``; its ``frontier`` is still ``list[tuple[bytes, int]]``."""
    state = IndexerState(frontier=[(b"a/\xff", 2)], bytes=7)
    assert codec.unpack(codec.pack(state), IndexerState) == state
    bad = codec.pack({"frontier": [[b"a", 1], [b"b", "2"]]})
    with pytest.raises(codec.CodecError, match=r"^frontier\[1\]\[1\]: expected an integer, got the string '2'$"):
        codec.unpack(bad, IndexerState)
    with pytest.raises(codec.CodecError, match=r"^frontier\[0\]: expected a list of 2 items, got a list of 3 items$"):
        codec.unpack(codec.pack({"frontier": [[b"a", 1, 2]]}), IndexerState)


def test_stored_paths_come_back_from_raw_bytes():
    raw = b"/tmp/caf\xe9"
    blob = codec.pack({"targets": [Path(os.fsdecode(raw))], "mode": DeleteMode.TRASH})
    back = codec.unpack(blob, DeleteConfig)
    assert [os.fsencode(p) for p in back.targets] == [raw] and back.mode is DeleteMode.TRASH
    assert codec.from_plain(DeleteConfig, {"targets": [raw]}).targets == [Path(os.fsdecode(raw))]


@pytest.mark.parametrize(
    "blob",
    [
        b"\x81\xa7targets" + b"\x91" * 3000 + b"\xc0",  # a 3,000-deep list where the paths belong
        b"\x91" * 3000 + b"\xc0",
        b"\xc7\x01\x02" * 2 + b"\xc0",  # an enum ext type holding garbage
    ],
)
def test_a_deeply_nested_or_damaged_state_is_a_codec_error(blob):
    with pytest.raises(codec.CodecError, match=r"^corrupt job data: \S"):
        codec.unpack(blob, DeleteConfig)


@dataclass
class _Counts:
    n: int = 0
    ratio: float = 0.0
    tags: dict[str, int] = field(default_factory=dict)
    maybe: int | str | None = None


@pytest.mark.parametrize(
    ("plain", "where", "message"),
    [
        ({"tags": {"a": "1"}}, "tags['a']", "expected an integer, got the string '1'"),
        ({"tags": {1: 1}}, "tags[1]", "expected a string, got the integer 1"),
        ({"tags": ["a"]}, "tags", "expected an object, got a list of 1 item"),
        ({"ratio": "0.5"}, "ratio", "expected a number, got the string '0.5'"),
        ({"ratio": 10**400}, "ratio", "an integer of about 401 digits is too large"),
        ({"ratio": -math.inf}, "ratio", "expected a finite number, got -inf"),
        ({"maybe": 1.5}, "maybe", "expected an integer or a string or null, got the number 1.5"),
        ({"maybe": 2**63}, "maybe", "the integer 9223372036854775808 is above the maximum 9223372036854775807"),
        ({"n": -(2**63) - 1}, "n", "the integer -9223372036854775809 is below the minimum -9223372036854775808"),
        ({3: 1}, "[3]", "unknown field; the known fields are: n, ratio, tags, maybe"),
    ],
)
def test_plain_types_are_strict(plain, where, message):
    with pytest.raises(codec.CodecError) as err:
        codec.from_plain(_Counts, plain)
    assert (err.value.field, str(err.value)) == (where, f"{where}: {message}")


def test_unions_keep_each_members_own_type():
    assert codec.from_plain(_Counts, {"maybe": "7"}).maybe == "7"
    assert codec.from_plain(_Counts, {"maybe": 7}).maybe == 7
    assert codec.from_plain(_Counts, {"maybe": None}).maybe is None


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=12,
)


@st.composite
def _configs(draw):
    """A job and a config of near-right shape: known field names (and some unknown) with any values."""
    name = draw(st.sampled_from(sorted(registered())))
    fields = list(job_class(name).schema()["properties"])
    keys = draw(st.lists(st.sampled_from(fields) | st.text(max_size=8), max_size=4, unique=True))
    return name, {k: draw(_json) for k in keys}


@settings(max_examples=300)
@given(_configs())
def test_decoding_any_config_is_total(case):
    """Anything JSON can hold either decodes into the job's config, which then survives the state
    codec unchanged, or is a one-line CodecError: never another exception."""
    name, plain = case
    cls = job_class(name).Config
    try:
        config = codec.from_plain(cls, json.loads(json.dumps(plain)))
    except codec.CodecError as exc:
        assert "\n" not in str(exc)
        if exc.field is not None:
            assert str(exc).startswith(exc.field + ": ")
        return
    assert isinstance(config, cls)
    assert codec.unpack(codec.pack(config), cls) == config

"""The staged comparison on its own: files that change between listing and reading are left out,
and the hashes it produces are the project's full blake3 (``cas.full_hash``)."""

from __future__ import annotations

import os

import pytest

from sd_desktop.cas import HashInterrupted, full_hash
from sd_desktop.ops.files.duplicate_detection.stages import WHOLE_LIMIT, Member, Pipeline
from sd_desktop.ops.files.file_listing import ScanFilter, resolve_roots, walk
from tests.duplicates._helpers import write
from tests.support.fds import open_below


def listed(root):
    return sorted(walk(resolve_roots([root]), ScanFilter(), [], lambda p, m: None), key=lambda i: i.path)


@pytest.mark.parametrize("size", [10, WHOLE_LIMIT, WHOLE_LIMIT + 1, 3 * 1024 * 1024])
def test_hashes_are_full_blake3(tmp_path, size):
    data = os.urandom(size)
    write(tmp_path / "a", data)
    write(tmp_path / "b", data)
    other = bytearray(data)
    other[size // 2] ^= 1
    write(tmp_path / "c", bytes(other))
    p = Pipeline(deep=True)
    [group] = p.resolve_many([[Member(i) for i in listed(tmp_path)]])
    assert sorted(os.path.basename(m.info.path) for m in group) == [b"a", b"b"]
    assert {m.hash for m in group} == {full_hash(tmp_path / "a")}
    assert p.counters.byte_compared == 1


def test_file_changed_after_listing_is_left_out(tmp_path):
    data = os.urandom(100_000)
    for name in ("a", "b", "c"):
        write(tmp_path / name, data, 1_600_000_000)
    infos = listed(tmp_path)
    changed = bytearray(data)
    changed[-1] ^= 1
    with open(tmp_path / "b", "r+b") as f:  # same size, mtime put back: ctime still moves
        f.write(changed)
    os.utime(tmp_path / "b", (1_600_000_000, 1_600_000_000))
    os.unlink(tmp_path / "c")
    p = Pipeline(deep=False)
    groups = p.resolve_many([[Member(i) for i in infos]])
    assert groups == []
    assert sorted(os.path.basename(path) for path, _ in p.errors) == [b"b", b"c"]
    assert all("left out" in message for _, message in p.errors)
    # only the unchanged file's head digest is learned (for the cache); the changed ones teach nothing
    [learned] = p.learned.values()
    assert os.path.basename(learned.info.path) == b"a"
    assert learned.head is not None and learned.tail is None and learned.hash is None


@pytest.mark.parametrize("size", [1000, WHOLE_LIMIT * 2])
def test_stop_mid_stage_closes_every_file(tmp_path, size):
    for n in range(300):
        write(tmp_path / f"f{n:03}", bytes([n % 7]) * size)
    calls = 0

    def stop_after_some() -> bool:
        nonlocal calls
        calls += 1
        return calls > 50

    p = Pipeline(deep=False, should_stop=stop_after_some)
    with pytest.raises(HashInterrupted):
        p.resolve_many([[Member(i) for i in listed(tmp_path)]])
    assert open_below(tmp_path) == 0
    assert 0 < p.bytes_read < 300 * size


def test_files_are_read_in_inode_order_with_results_per_member(tmp_path):
    # names sorted against inode order: the results must still land on the right members
    for n in range(120):
        write(tmp_path / f"{119 - n:03}", bytes([n % 3]) * 5000 + bytes([n % 2]))
    members = [Member(i) for i in listed(tmp_path)]
    found = Pipeline(deep=False).resolve_many([members])
    for group in found:
        assert len({full_hash(m.info.path) for m in group}) == 1
        assert all(m.hash == full_hash(m.info.path) for m in group)
    assert sorted(len(g) for g in found) == [20] * 6

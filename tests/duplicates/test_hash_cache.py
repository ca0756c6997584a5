"""The hash cache is reused when the file is unchanged and never trusted otherwise (FAULTS 6)."""

from __future__ import annotations

import os

from sd_desktop.cas import full_hash
from sd_desktop.ops.files.duplicate_detection import DuplicateConfig, DuplicateMode
from sd_desktop.ops.files.duplicate_detection.cache import Known
from tests.duplicates._helpers import rel_groups, run_job, write
from tests.validation._library_rows import index_tree

MTIME = 1_600_000_000


def find(library, *paths, **kw):
    info = run_job(library, "duplicate_detection", DuplicateConfig(search_paths=list(paths), **kw))
    assert info.status.value == "completed", (info.error, info.errors)
    return info.output


def cache_rows(library) -> dict:
    return library.read_sync(lambda c: {(r[0], r[1]): r[2:] for r in c.execute("SELECT * FROM hash_cache")})


def test_second_run_reads_nothing_whole(library, tmp_path):
    big = os.urandom(300_000)
    small = os.urandom(5_000)
    for name in ("a", "b", "c"):
        write(tmp_path / f"{name}.bin", big, MTIME)
        write(tmp_path / f"{name}.txt", small, MTIME)
    first = find(library, tmp_path)
    assert first["stages"]["full_hashed"] == 3 and first["stages"]["whole_small"] == 3
    st = os.stat(tmp_path / "a.bin")
    row = cache_rows(library)[(st.st_dev, st.st_ino)]
    assert row[:3] == (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    assert Known.decode(row[3]).full == full_hash(tmp_path / "a.bin")
    second = find(library, tmp_path)
    assert second["groups"] == first["groups"]
    assert second["stages"]["full_hashed"] == 0 and second["stages"]["whole_small"] == 0
    assert second["stages"]["cache_hits"] == 6
    assert second["bytes_hashed"] == 0
    # deep mode still compares bytes: the cache proves nothing there
    deep = find(library, tmp_path, mode=DuplicateMode.DEEP)
    assert rel_groups(deep, tmp_path) == rel_groups(first, tmp_path)
    assert deep["stages"]["byte_compared"] == 4


def test_replaced_with_same_size_and_mtime_new_inode(library, tmp_path):
    data = os.urandom(200_000)
    write(tmp_path / "a.bin", data, MTIME)
    write(tmp_path / "b.bin", data, MTIME)
    assert rel_groups(find(library, tmp_path), tmp_path) == [["a.bin", "b.bin"]]
    # b replaced by other content of the same size, mtime put back (a new file: new inode)
    other = bytearray(data)
    other[100_000] ^= 0xFF
    tmp = tmp_path / "b.tmp"
    write(tmp, bytes(other), MTIME)
    os.replace(tmp, tmp_path / "b.bin")
    assert os.stat(tmp_path / "b.bin").st_mtime_ns == MTIME * 10**9
    out = find(library, tmp_path)
    assert out["groups"] == []
    assert out["stages"]["cache_hits"] == 1  # a.bin only


def test_rewritten_in_place_with_mtime_restored(library, tmp_path):
    data = os.urandom(200_000)
    write(tmp_path / "a.bin", data, MTIME)
    write(tmp_path / "b.bin", data, MTIME)
    find(library, tmp_path)
    ino = os.stat(tmp_path / "b.bin").st_ino
    other = bytearray(data)
    other[150_000] ^= 0x01
    with open(tmp_path / "b.bin", "r+b") as f:  # same inode, same size
        f.write(other)
    os.utime(tmp_path / "b.bin", (MTIME, MTIME))
    assert os.stat(tmp_path / "b.bin").st_ino == ino
    out = find(library, tmp_path)
    assert out["groups"] == [], "ctime moved: the cached hash must not be trusted"


def test_uses_indexed_integrity_hashes(library, tmp_path):
    data = os.urandom(400_000)
    write(tmp_path / "loc" / "a.bin", data, MTIME)
    write(tmp_path / "loc" / "sub" / "b.bin", data, MTIME)
    index_tree(library, tmp_path / "loc", with_hashes=True)
    out = find(library, tmp_path / "loc")
    assert rel_groups(out, tmp_path / "loc") == [["a.bin", "sub/b.bin"]]
    assert out["stages"]["cache_hits"] == 2
    assert out["bytes_hashed"] == 0
    assert out["groups"][0]["hash"] == full_hash(tmp_path / "loc" / "a.bin")
    # an entry whose stat no longer matches is ignored: touch b, and it is read again
    os.utime(tmp_path / "loc" / "sub" / "b.bin", (MTIME + 5, MTIME + 5))
    out = find(library, tmp_path / "loc")
    assert out["stages"]["cache_hits"] == 1
    assert out["stages"]["head_hashed"] == 2  # the staged compare still reads both heads
    assert out["stages"]["full_hashed"] == 1  # but only b.bin is read whole
    assert len(out["groups"]) == 1


def test_paths_outside_any_location(library, tmp_path):
    data = os.urandom(1000)
    write(tmp_path / "x" / "1", data)
    write(tmp_path / "y" / "2", data)
    out = find(library, tmp_path / "x", tmp_path / "y")
    assert rel_groups(out, tmp_path) == [["x/1", "y/2"]]

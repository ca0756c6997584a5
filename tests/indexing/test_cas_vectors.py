"""cas_id vectors computed independently from the issue's description, checked against what the
indexer stores (and against sd_desktop.cas, which the indexer uses)."""

from __future__ import annotations

import random

import blake3

from sd_desktop import cas
from sd_desktop.ops.indexing import identify
from tests.indexing.helpers import index_path, snapshot


def reference_cas_id(data: bytes) -> str | None:
    """Spelled out from the description: size as 8 LE bytes, then the whole content when
    size <= 102,400, else an 8,192-byte header, 4 samples of 10,240 bytes at
    8,192 + i * floor((size - 16,384) / 4), and the last 8,192 bytes; first 16 hex chars."""
    size = len(data)
    if size == 0:
        return None
    h = blake3.blake3(size.to_bytes(8, "little"))
    if size <= 102_400:
        h.update(data)
    else:
        h.update(data[:8192])
        step = (size - 16_384) // 4
        for i in range(4):
            start = 8192 + i * step
            h.update(data[start : start + 10_240])
        h.update(data[size - 8192 :])
    return h.hexdigest()[:16]


SIZES = [0, 1, 2, 4095, 102_399, 102_400, 102_401, 150_000, 1_048_576 + 7, 3 * 1024 * 1024]


def test_known_vector():
    # a fixed vector so a change in both implementations at once is still caught
    data = bytes(range(256)) * 400  # 102,400 bytes: the whole-file branch, at its limit
    assert reference_cas_id(data) == blake3.blake3((102_400).to_bytes(8, "little") + data).hexdigest()[:16]
    big = bytes(i % 251 for i in range(200_000))
    expected = blake3.blake3(
        (200_000).to_bytes(8, "little")
        + big[:8192]
        + big[8192 : 8192 + 10240]
        + big[8192 + 45904 : 8192 + 45904 + 10240]
        + big[8192 + 2 * 45904 : 8192 + 2 * 45904 + 10240]
        + big[8192 + 3 * 45904 : 8192 + 3 * 45904 + 10240]
        + big[-8192:]
    ).hexdigest()[:16]
    assert (200_000 - 16_384) // 4 == 45904
    assert reference_cas_id(big) == expected


def test_indexer_stores_spacedrive_compatible_cas_ids(library, tmp_path):
    rng = random.Random(5)
    tree = tmp_path / "tree"
    tree.mkdir()
    contents = {}
    for size in SIZES:
        data = rng.randbytes(size)
        name = f"f{size}.bin"
        (tree / name).write_bytes(data)
        contents[name.encode()] = data
    info = index_path(library, tree, mode="deep")
    assert info.output["hashed"] == len(SIZES)  # deep: the empty file gets an integrity hash too
    rows = snapshot(library)
    for name, data in contents.items():
        row = rows[name]
        assert row[12] == reference_cas_id(data), name
        assert cas.cas_id(tree / name.decode()) == reference_cas_id(data)
        assert row[13] == blake3.blake3(data).hexdigest(), name  # deep: full-content integrity hash
        if data:
            assert row[17] == row[12] and row[18] == len(data)  # content_identity row of that cas_id
        else:
            assert row[17] is None  # empty files get no cas_id and no content identity


def test_content_mode_cas_ids_and_in_memory_helper(library, tmp_path):
    rng = random.Random(6)
    tree = tmp_path / "tree"
    tree.mkdir()
    contents = {}
    for size in SIZES:
        data = rng.randbytes(size)
        (tree / f"f{size}.bin").write_bytes(data)
        contents[f"f{size}.bin".encode()] = data
        assert identify.cas_id_of_bytes(data) == reference_cas_id(data)
    index_path(library, tree, mode="content")
    rows = snapshot(library)
    for name, data in contents.items():
        assert rows[name][12] == reference_cas_id(data), name
        assert rows[name][13] is None  # content mode: no integrity hash


def test_sampled_trap_same_cas_id_but_different_integrity(library, tmp_path):
    size = 500_000
    a = bytearray(random.Random(1).randbytes(size))
    b = bytearray(a)
    b[60_000] ^= 0xFF  # a byte no sample reads
    assert all(not (off <= 60_000 < off + ln) for off, ln in cas.sample_ranges(size))
    tree = tmp_path / "trap"
    tree.mkdir()
    (tree / "a").write_bytes(a)
    (tree / "b").write_bytes(b)
    index_path(library, tree, mode="deep")
    rows = snapshot(library)
    assert rows[b"a"][12] == rows[b"b"][12]  # the cas_id is only a candidate key
    assert rows[b"a"][13] != rows[b"b"][13]  # the integrity hash tells them apart

"""A finished search leaves none of its groups to Python's cycle collector.

The job and its context refer to each other, so whatever the job object still holds once it has
returned is freed only by a pass of the cycle collector: in a one-shot command, the pass that
finalises the interpreter, which then walks (and frees) thousands of group records after the
result was printed (tests/perf/README.md, "Duplicates: cold first search").
"""

from __future__ import annotations

import gc

import pytest

from sd_desktop.ops.files.duplicate_detection import DuplicateConfig
from tests.duplicates._helpers import run_job, write


@pytest.fixture
def collector_off():
    """No automatic pass during the run (it would free the garbage this test looks for, by chance);
    every object still unreachable at the end is kept in ``gc.garbage`` for the test to read."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
        gc.collect()


def group_records_in_garbage() -> int:
    gc.set_debug(gc.DEBUG_SAVEALL)
    gc.collect()
    return sum(1 for o in gc.garbage if isinstance(o, dict) and "paths" in o and "size" in o)


@pytest.mark.parametrize("large", [False, True], ids=["settled-by-the-scan", "hashing-batches"])
def test_no_group_left_to_the_collector(library, tmp_path, collector_off, large):
    size = 200_000 if large else 100  # large: head, tail and full hash in the hashing batches
    for n in range(3):
        for copy in ("a", "b"):
            write(tmp_path / "tree" / copy / f"f{n}", bytes([n]) * (size + n))
    info = run_job(library, "duplicate_detection", DuplicateConfig(search_paths=[str(tmp_path / "tree")]))
    assert info.status.value == "completed", (info.error, info.errors)
    assert info.output["group_count"] == 3
    assert group_records_in_garbage() == 0


def test_groups_encoded_once(library, tmp_path, monkeypatch):
    """The groups go into the snapshot and the job's row as one encoding (a megabyte for 20,000 files,
    tens of milliseconds each time): the stored output is the same bytes, decoded the same."""
    from sd_desktop.jobs import codec

    encodings: list[int] = []
    real = codec._packb

    def counting(obj):  # the real encoder, counted when what it encodes holds the group records
        if isinstance(obj, list) and obj and isinstance(obj[0], dict) and "paths" in obj[0]:
            encodings.append(len(obj))
        elif getattr(obj, "groups", None):
            encodings.append(len(obj.groups))
        return real(obj)

    monkeypatch.setattr(codec, "_packb", counting)
    for n in range(3):
        for copy in ("a", "b"):
            write(tmp_path / "tree" / copy / f"f{n}", bytes([n]) * (100 + n))
    info = run_job(library, "duplicate_detection", DuplicateConfig(search_paths=[str(tmp_path / "tree")]))
    assert info.status.value == "completed", (info.error, info.errors)
    assert encodings == [3]
    assert sorted(len(g["paths"]) for g in info.output["groups"]) == [2, 2, 2]
    stored = library.read_sync(lambda c: c.execute("SELECT output FROM job WHERE id = ?", (info.id,)).fetchone()[0])
    assert codec.unpack(stored) == info.output

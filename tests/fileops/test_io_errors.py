"""FAULT: I/O errors mid-copy, injected by a real FUSE file system (tests/support/faultfs.py).

Unreadable source sectors (EIO on read) and a failing destination (EIO on write) each fail only
the file they hit: a clear reason, nothing under the final name, the old target intact, a move's
source kept, no temporary file left, and the job goes on to the other files. A destination that
corrupts bytes without an error is caught by ``verify`` (and by every cross-volume move).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sd_desktop.ops.files.copy import ConflictPolicy, CopyConfig
from tests.fileops.helpers import outcomes, run_job, temp_leftovers
from tests.support.faultfs import FLIP_MARK, WRITE_EIO_MARK

MIB = 1024 * 1024
MODES = ["copy", "verify", "move"]


def _run(lib, sources: list[Path], dest: Path, mode: str):
    config = CopyConfig(
        sources=sources,
        destination=dest,
        move=mode == "move",
        verify=mode == "verify",
        on_conflict=ConflictPolicy.OVERWRITE,
    )
    return run_job(lib, "file_copy", config)


def _write(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (folder / name).write_bytes(data)


def _only_bad_files_failed(
    info, mode: str, files: dict[str, bytes], old: dict[str, bytes], side: str, source: Path, target: Path
) -> None:
    """The ``bad-*`` files failed with an I/O error naming ``side`` (their source kept, the old target
    at ``target`` intact); the ``good-*`` ones were copied or moved; no temporary file is left."""
    assert info.status.value == "completed_with_errors"
    rows = outcomes(info)
    for name in ("bad-big.bin", "bad-small.bin"):
        assert rows[name]["outcome"] == "failed"
        assert "input/output error" in rows[name]["reason"].lower()
        assert side in rows[name]["reason"]
        assert (target / name).read_bytes() == old[name]  # the old target is intact
        assert (source / name).read_bytes() == files[name]  # the source is kept, moves included
    for name in ("good-big.bin", "good-small.bin"):
        assert rows[name]["outcome"] == ("moved" if mode == "move" else "copied")
        assert (target / name).read_bytes() == files[name]
        assert (source / name).exists() == (mode != "move")
    assert temp_leftovers(target) == []


@pytest.mark.parametrize("mode", MODES)
def test_unreadable_source_fails_only_that_file(library, tmp_path, mount_faultfs, mode):
    # big files take the kernel copy (+ hashing thread), small ones the read/write loop
    src, backing = mount_faultfs("src", {"read_eio": {"bad-big.bin": 2 * MIB, "bad-small.bin": 100_000}})
    files = {
        "good-big.bin": os.urandom(3 * MIB),
        "bad-big.bin": os.urandom(3 * MIB),
        "bad-small.bin": os.urandom(300_000),
        "good-small.bin": os.urandom(200_000),
    }
    _write(backing, files)
    dest = tmp_path / "dest"
    dest.mkdir()
    old = {"bad-big.bin": b"old big target", "bad-small.bin": b"old small target"}
    _write(dest, old)

    info = _run(library, [src / name for name in files], dest, mode)

    _only_bad_files_failed(info, mode, files, old, "reading the source", source=backing, target=dest)
    assert {os.path.basename(e["path"]) for e in info.errors} >= {"bad-big.bin", "bad-small.bin"}


@pytest.mark.parametrize("mode", MODES)
def test_failing_destination_fails_only_that_file(library, tmp_path, mount_faultfs, mode):
    dest, backing = mount_faultfs("dest", {"write_eio": 100_000})
    src = tmp_path / "src"
    src.mkdir()
    files = {
        "good-big.bin": os.urandom(3 * MIB),
        "bad-big.bin": WRITE_EIO_MARK + os.urandom(3 * MIB),
        "bad-small.bin": WRITE_EIO_MARK + os.urandom(300_000),
        "good-small.bin": os.urandom(200_000),
    }
    _write(src, files)
    old = {"bad-big.bin": b"old big target", "bad-small.bin": b"old small target"}
    _write(backing, old)

    info = _run(library, [src / name for name in files], dest, mode)

    _only_bad_files_failed(info, mode, files, old, "writing the copy", source=src, target=backing)


@pytest.mark.parametrize("mode", MODES)
def test_silently_corrupting_destination_is_caught_by_verify(library, tmp_path, mount_faultfs, mode):
    dest, backing = mount_faultfs("dest", {"flip": 50_000})
    src = tmp_path / "src"
    src.mkdir()
    files = {"big.bin": FLIP_MARK + os.urandom(3 * MIB), "small.bin": FLIP_MARK + os.urandom(100_000)}
    _write(src, files)
    old = {"big.bin": b"old big target"}
    _write(backing, old)

    info = _run(library, [src / name for name in files], dest, mode)

    rows = outcomes(info)
    if mode == "copy":  # the control: without verify the corruption goes unnoticed
        assert info.status.value == "completed"
        for name, data in files.items():
            stored = (backing / name).read_bytes()
            assert len(stored) == len(data) and stored != data
        return
    assert info.status.value == "failed"  # every file failed verification: nothing was done (FAULTS 20)
    for name, data in files.items():
        assert rows[name]["outcome"] == "failed"
        assert "verification failed" in rows[name]["reason"]
        assert (src / name).read_bytes() == data  # a move keeps its source
    assert (backing / "big.bin").read_bytes() == old["big.bin"]
    assert not (backing / "small.bin").exists()
    assert temp_leftovers(backing) == []


@pytest.mark.parametrize("mode", ["verify", "move"])
def test_verify_reads_the_copy_back_from_the_device_not_the_page_cache(library, tmp_path, mount_faultfs, mode):
    # the destination keeps pages cached as a local disk does: what the copy wrote stays in memory
    # as written while the "device" stored a flipped byte; only a re-read that drops those pages
    # first (fsync, then POSIX_FADV_DONTNEED) sees what was stored
    dest, backing = mount_faultfs("dest", {"flip": 50_000, "page_cache": True})
    src = tmp_path / "src"
    src.mkdir()
    files = {"big.bin": FLIP_MARK + os.urandom(3 * MIB), "small.bin": FLIP_MARK + os.urandom(100_000)}
    _write(src, files)

    info = _run(library, [src / name for name in files], dest, mode)

    rows = outcomes(info)
    assert info.status.value == "failed"  # every file failed its check
    for name, data in files.items():
        assert rows[name]["outcome"] == "failed"
        assert "verification failed" in rows[name]["reason"]
        assert (src / name).read_bytes() == data  # a move keeps its source
    assert sorted(os.listdir(backing)) == []
    assert temp_leftovers(backing) == []


def test_unreadable_source_within_one_file_system(library, mount_faultfs):
    # source and target on one file system: copy_file_range itself fails with EIO (it does not say
    # which side failed); the chunk is redone through user space, which names the side
    root, backing = mount_faultfs("fs", {"read_eio": {"bad.bin": 2 * MIB}})
    files = {"bad.bin": os.urandom(3 * MIB), "good.bin": os.urandom(3 * MIB)}
    _write(backing, files)
    (backing / "dest").mkdir()

    info = _run(library, [root / "bad.bin", root / "good.bin"], root / "dest", "copy")

    rows = outcomes(info)
    assert rows["bad.bin"]["outcome"] == "failed" and "reading the source" in rows["bad.bin"]["reason"]
    assert rows["good.bin"]["outcome"] == "copied"
    assert (backing / "dest" / "good.bin").read_bytes() == files["good.bin"]
    assert os.listdir(backing / "dest") == ["good.bin"]

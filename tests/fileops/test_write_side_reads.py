"""The write-side jobs look at and read files through their context's backend too (the checks before
each write, the sources they copy, the re-checks before a removal), seen from the backend: a
recording local backend counts each read-side call a real job makes."""

from __future__ import annotations

import os
from collections import Counter

import pytest

from sd_desktop.cas import full_hash
from sd_desktop.ops.files.copy import CopyConfig
from sd_desktop.ops.files.delete import DeleteConfig, DeleteMode
from sd_desktop.ops.files.link import LinkConfig, LinkMethod, LinkTarget
from tests.fileops.helpers import counting_backend, run_job, small_tree

READS = [
    "scandir", "stat", "lstat", "fstat", "readlink", "realpath", "isdir", "exists", "lexists", "access",
    "open", "read", "readv", "preadv", "pread",
]  # fmt: skip


# the local backend, counting each read-side call (jobs run them on worker threads)
Reading = counting_backend(READS)


@pytest.fixture
def reading(monkeypatch):
    Reading.calls = Counter()
    monkeypatch.setattr("sd_desktop.jobs.context.LOCAL", Reading())
    return Reading.calls


def test_a_copy_reads_its_sources_through_the_backend(library, tmp_path, reading):
    src = small_tree(tmp_path / "src")
    big = os.urandom(2 * 1024 * 1024)  # past SMALL_FILE: the kernel copy, hashed by preadv on a thread
    (src / "big.bin").write_bytes(big)
    info = run_job(library, "file_copy", CopyConfig(sources=[src], destination=tmp_path / "dest", verify=True))
    assert info.status.value == "completed"
    assert (tmp_path / "dest" / "src" / "big.bin").read_bytes() == big
    assert dict(reading) == {
        # the plan: the destination looked at (and its nearest existing folder), both folders listed
        "lexists": 1,
        "exists": 2,
        "access": 1,
        "realpath": 2,
        "scandir": 2,
        # the source and its target in the plan, the two folders once made, each target before its
        # write, the link's source, the two folders again when they get their times
        "lstat": 12,
        # three files opened to copy and re-opened to verify; each source's stat before and after
        # (and the destination's device for a clone, for the big file)
        "open": 6,
        "fstat": 7,
        "readv": 4,  # the two small files read, and their ends
        "preadv": 2,  # the big file hashed as the kernel copies it, and its end
        "readlink": 2,  # the link read, and its copy checked
        "isdir": 1,  # where the batch's syncfs goes
    }


def test_a_permanent_delete_looks_through_the_backend(library, tmp_path, reading):
    tree = small_tree(tmp_path / "tree")
    info = run_job(library, "delete", DeleteConfig(targets=[tree], mode=DeleteMode.PERMANENT, confirm=True))
    assert info.status.value == "completed"
    assert not tree.exists()
    assert dict(reading) == {
        "lexists": 1,  # the target is still there
        # its folder opened, then the tree and sub each looked at, opened and checked to be what was looked at
        "open": 3,
        "fstat": 3,
        # the tree, its three entries, sub's one, and the tree and sub again right before each is opened
        "lstat": 7,
        "scandir": 2,
    }


def test_a_hard_link_looks_through_the_backend(library, tmp_path, reading):
    keeper, copy = tmp_path / "keeper", tmp_path / "copy"
    keeper.write_bytes(b"same bytes")
    copy.write_bytes(b"same bytes")
    st = copy.stat()
    target = LinkTarget(
        path=copy, keeper=keeper, size=st.st_size, mtime_ns=st.st_mtime_ns, hash=full_hash(os.fsencode(copy))
    )
    info = run_job(library, "link_duplicates", LinkConfig(targets=[target], method=LinkMethod.HARDLINK, confirm=True))
    assert info.status.value == "completed"
    assert copy.stat().st_ino == keeper.stat().st_ino
    assert dict(reading) == {
        # both looked at; the link made and the kept copy again; the path once more right before the swap
        "lstat": 5,
        # both opened and their sizes compared: do they share their blocks already (then nothing comes back)?
        "open": 2,
        "fstat": 2,
    }

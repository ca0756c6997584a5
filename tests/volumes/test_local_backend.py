"""The local volume backend (``volumes/backend.py``): it is the ``os`` calls themselves (no wrapper
costs the hot loops anything), it crosses into helper processes as their own, and the read-side
jobs really reach files through ``ctx.backend``: a stand-in that records each call sees their reads,
and one that hides a file hides it from them."""

from __future__ import annotations

import asyncio
import os
import pickle
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from sd_desktop import cas
from sd_desktop.jobs import JobManager
from sd_desktop.jobs import context as job_context
from sd_desktop.library import Library
from sd_desktop.library.locations import add_location
from sd_desktop.volumes import LOCAL, LocalBackend
from tests.conftest import REPO


class Recording:
    """A backend standing in for the local one: every call counted (by method), then done locally;
    names in ``hidden`` are left out of every listing (as if the volume did not hold them)."""

    def __init__(self, hidden: tuple[bytes, ...] = ()):
        self.calls: Counter[str] = Counter()
        self.hidden = hidden

    def __getattr__(self, name: str):
        real = getattr(LOCAL, name)

        def call(*args, **kwargs):
            self.calls[name] += 1
            if name == "scandir" and self.hidden:
                return _Hiding(real(*args, **kwargs), self.hidden)
            return real(*args, **kwargs)

        return call


class _Hiding:
    def __init__(self, it, hidden: tuple[bytes, ...]):
        self.it, self.hidden = it, hidden

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.it.close()

    def close(self) -> None:
        self.it.close()

    def __iter__(self):
        return (e for e in self.it if os.fsencode(e.name) not in self.hidden)


def test_the_local_backend_is_the_os_calls_themselves():
    # what keeps every walk and read as fast as before: no Python frame between a job and the kernel
    assert LOCAL.scandir is os.scandir
    assert LOCAL.stat is os.stat and LOCAL.lstat is os.lstat and LOCAL.fstat is os.fstat
    assert LOCAL.open is os.open and LOCAL.pread is os.pread and LOCAL.close is os.close
    assert LOCAL.readlink is os.readlink and LOCAL.realpath is os.path.realpath
    assert LOCAL.read is os.read and LOCAL.readv is os.readv and LOCAL.preadv is os.preadv
    assert LOCAL.exists is os.path.exists and LOCAL.lexists is os.path.lexists
    assert LOCAL.cas_id_of_fd is cas.cas_id_of_fd


def test_a_pickled_local_backend_is_the_receiving_process_own():
    assert pickle.loads(pickle.dumps(LOCAL)) is LOCAL
    code = (
        "import pickle, sys; from sd_desktop.volumes import backend; "
        "b = pickle.loads(sys.stdin.buffer.read()); print(b is backend.LOCAL, type(b).__name__)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=pickle.dumps(LocalBackend()),
        capture_output=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        check=True,
    )
    assert out.stdout.decode().split() == ["True", "LocalBackend"]


def test_open_read_opens_regular_files_only(tmp_path):
    (tmp_path / "f").write_bytes(b"abc")
    os.mkfifo(tmp_path / "fifo")
    with LOCAL.open_read(tmp_path / "f") as f:
        assert f.read() == b"abc"
    with pytest.raises(OSError, match="not a regular file"):
        LOCAL.open_read(tmp_path / "fifo")  # O_NONBLOCK: refused at once, never blocks


def _tree(root: Path) -> Path:
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    payload = os.urandom(200_000)
    (root / "a" / "one.bin").write_bytes(payload)
    (root / "b" / "two.bin").write_bytes(payload)
    (root / "b" / "secret.bin").write_bytes(payload)  # hidden by the stand-in in the second test
    (root / "c.txt").write_bytes(b"x" * 100)
    return root


def _run(lib: Library, name: str, config: dict):
    async def go():
        manager = JobManager(lib, run_queued=False)
        await manager.start()
        try:
            return await manager.wait_tree(await manager.enqueue(name, config))
        finally:
            await manager.shutdown()

    info = asyncio.run(go())
    assert info.status.value == "completed", (name, info.status, info.error)
    return info


@pytest.fixture
def recording(monkeypatch) -> Recording:
    rec = Recording()
    monkeypatch.setattr(job_context, "LOCAL", rec)  # what every JobContext takes as its backend
    monkeypatch.setenv("SD_DESKTOP_WALKER", "inprocess")
    return rec


def test_the_read_side_jobs_read_through_ctx_backend(library, tmp_path, recording):
    tree = _tree(tmp_path / "t")
    loc = add_location(library, tree)
    # (job, config, its calls of the listing and reading methods): 3 folders, 4 files, 3 of them equal
    jobs = [
        # the folders listed, each opened to open its files by name; sampled cas_id of the 3 large
        # files, one whole read of the small one and a MIME sniff of each large one
        ("indexer", {"location_id": loc, "mode": "content"}, {"scandir": 3, "open": 7, "cas_id_of_fd": 3, "pread": 4}),
        # the equal files: head and tail (2 reads each), then their full hash
        (
            "duplicate_detection",
            {"search_paths": [str(tree)], "reuse_unchanged": False},
            {"scandir": 3, "open": 12, "pread": 6, "full_hash_of_fd": 3},
        ),
        ("file_validation", {"targets": [str(tree)], "mode": "integrity"}, {"scandir": 3, "open": 7, "fstat": 4}),
        ("duplicate_folders", {"search_paths": [str(tree)]}, {"scandir": 3, "open": 3}),
        ("lint", {"paths": [str(tree)]}, {"scandir": 4, "lstat": 1}),  # the plan lists the root once more
    ]
    for name, config, expected in jobs:
        recording.calls.clear()
        _run(library, name, config)
        seen = {method: recording.calls[method] for method in expected}
        assert seen == expected, (name, dict(recording.calls))


def test_a_file_the_backend_does_not_list_is_not_seen(library, tmp_path, monkeypatch):
    tree = _tree(tmp_path / "t")
    rec = Recording(hidden=(b"secret.bin",))
    monkeypatch.setattr(job_context, "LOCAL", rec)
    monkeypatch.setenv("SD_DESKTOP_WALKER", "inprocess")
    loc = add_location(library, tree)
    out = _run(library, "indexer", {"location_id": loc, "mode": "shallow"}).output
    assert out["files"] == 3, out
    found = _run(library, "duplicate_detection", {"search_paths": [str(tree)], "reuse_unchanged": False}).output
    assert [sorted(Path(p).name for p in g["paths"]) for g in found["groups"]] == [["one.bin", "two.bin"]]

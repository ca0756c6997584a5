"""The write-side jobs change files through their context's backend, seen from the backend: a
recording local backend counts each write a real job makes, and a volume without the local-only
capabilities (trash, secure overwrite, hard links) refuses those jobs before anything changes."""

from __future__ import annotations

import os
from collections import Counter

import pytest

from sd_desktop.cas import full_hash
from sd_desktop.ops.files.copy import CopyConfig
from sd_desktop.ops.files.delete import DeleteConfig, DeleteMode
from sd_desktop.ops.files.link import LinkConfig, LinkMethod, LinkTarget
from sd_desktop.volumes import LocalBackend
from sd_desktop.volumes.local_writes import LocalWrites
from tests.fileops.helpers import counting_backend, run_job, small_tree

WRITES = sorted(n for n, v in vars(LocalWrites).items() if callable(v) and not n.startswith("_") and n != "supports")


# the local backend, counting each write-side call (jobs run them on worker threads)
Recording = counting_backend(WRITES)


class Bare(LocalBackend):
    """A volume with none of the local-only capabilities (what a remote service offers)."""

    capabilities = frozenset()


@pytest.fixture
def recording(monkeypatch):
    Recording.calls = Counter()
    monkeypatch.setattr("sd_desktop.jobs.context.LOCAL", Recording())
    return Recording.calls


def _only(calls: Counter, *names: str) -> dict[str, int]:
    return {n: calls[n] for n in names}


def test_a_copy_writes_through_the_backend(library, tmp_path, recording):
    src = small_tree(tmp_path / "src")
    info = run_job(library, "file_copy", CopyConfig(sources=[src], destination=tmp_path / "dest"))
    assert info.status.value == "completed"
    copied = tmp_path / "dest" / "src"
    assert (copied / "a.txt").read_bytes() == b"alpha"
    assert (copied / "sub" / "b.txt").read_bytes() == b"beta" * 1000
    assert os.readlink(copied / "link") == "a.txt"
    # two files written to temporary names and a link made, the three committed by a rename; two folders
    assert _only(recording, "makedirs", "mkdir", "create_temp", "symlink", "commit", "rename", "unlink") == {
        "makedirs": 1,
        "mkdir": 2,
        "create_temp": 2,
        "symlink": 1,
        "commit": 3,
        "rename": 0,
        "unlink": 0,
    }


def test_a_move_within_the_volume_is_one_backend_rename(library, tmp_path, recording):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_bytes(b"alpha")
    dest = tmp_path / "dest"
    info = run_job(library, "file_copy", CopyConfig(sources=[src / "a.txt"], destination=dest, move=True))
    assert info.status.value == "completed"
    assert (dest / "a.txt").read_bytes() == b"alpha" and not (src / "a.txt").exists()
    assert _only(recording, "rename", "commit", "create_temp", "unlink") == {
        "rename": 1,
        "commit": 0,
        "create_temp": 0,
        "unlink": 0,
    }


def test_a_permanent_delete_removes_through_the_backend(library, tmp_path, recording):
    tree = small_tree(tmp_path / "tree")
    info = run_job(library, "delete", DeleteConfig(targets=[tree], mode=DeleteMode.PERMANENT, confirm=True))
    assert info.status.value == "completed"
    assert not tree.exists()
    # a.txt, b.txt and the link; sub and the tree itself
    assert _only(recording, "unlink", "rmdir", "open_overwrite") == {"unlink": 3, "rmdir": 2, "open_overwrite": 0}


@pytest.mark.parametrize(("mode", "capability"), [(DeleteMode.TRASH, "trash"), (DeleteMode.SECURE, "secure_overwrite")])
def test_a_volume_without_the_capability_refuses_the_delete(library, tmp_path, monkeypatch, mode, capability):
    monkeypatch.setattr("sd_desktop.jobs.context.LOCAL", Bare())
    victim = tmp_path / "keep-me.txt"
    victim.write_bytes(b"still here")
    info = run_job(library, "delete", DeleteConfig(targets=[victim], mode=mode, confirm=True))
    assert info.status.value == "failed"
    assert info.error == f"this volume does not support {capability}; nothing was deleted"
    assert victim.read_bytes() == b"still here"


def test_a_volume_without_hard_links_refuses_the_link_job(library, tmp_path, monkeypatch):
    monkeypatch.setattr("sd_desktop.jobs.context.LOCAL", Bare())
    keeper, copy = tmp_path / "keeper", tmp_path / "copy"
    keeper.write_bytes(b"same bytes")
    copy.write_bytes(b"same bytes")
    st = copy.stat()
    target = LinkTarget(
        path=copy, keeper=keeper, size=st.st_size, mtime_ns=st.st_mtime_ns, hash=full_hash(os.fsencode(copy))
    )
    info = run_job(library, "link_duplicates", LinkConfig(targets=[target], method=LinkMethod.HARDLINK, confirm=True))
    assert info.status.value == "failed"
    assert info.error == "this volume does not support hardlink; nothing was changed"
    assert copy.stat().st_ino != keeper.stat().st_ino and copy.read_bytes() == b"same bytes"

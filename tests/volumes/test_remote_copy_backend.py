"""The download from a volume (a real sshd on 127.0.0.1) changes the local side only through the
job's local backend (``ctx.backend``): a recording local backend counts each write, with every
safety step kept (a flush before each confirmed offset and before placing, a rename that never
replaces, the next free name when keeping both)."""

from __future__ import annotations

from sd_desktop.library import Library
from sd_desktop.ops.files.remote_copy import RemoteCopyConfig
from tests.fileops.helpers import run_job
from tests.fileops.test_backend_writes import recording  # noqa: F401 - the fixture
from tests.volumes.test_volume_cli import NO_KEYRING, add_sftp


def test_a_download_writes_its_local_side_through_the_backend(
    run_cli,
    sshd,
    tmp_path,
    library_dir,
    monkeypatch,
    recording,  # noqa: F811
):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", NO_KEYRING["PYTHON_KEYRING_BACKEND"])
    remote = tmp_path / "remote" / "tree"
    (remote / "sub").mkdir(parents=True)
    (remote / "a.txt").write_bytes(b"remote a")
    (remote / "sub" / "b.txt").write_bytes(b"remote b")
    assert add_sftp(run_cli, sshd, tmp_path / "remote").returncode == 0
    dest = tmp_path / "dest"
    (dest / "tree").mkdir(parents=True)
    (dest / "tree" / "a.txt").write_bytes(b"mine a")
    config = RemoteCopyConfig(volume="nas", source="tree", destination=str(dest), on_conflict="rename")
    lib = Library.open(library_dir)
    try:
        info = run_job(lib, "remote_copy", config)
    finally:
        lib.close()
    assert info.status.value == "completed"
    assert (info.output["files"], info.output["renamed"]) == (2, 1)
    assert (dest / "tree" / "a.txt").read_bytes() == b"mine a"
    assert (dest / "tree" / "a (1).txt").read_bytes() == b"remote a"
    assert (dest / "tree" / "sub" / "b.txt").read_bytes() == b"remote b"
    names = ("makedirs", "open_resumable", "truncate", "pwrite_all", "fsync", "commit", "unlink", "rename")
    # two files: each chunk flushed before its offset is confirmed or the file placed (once each);
    # a.txt's name is taken: the name it gets is looked for (and committed) before its one rename
    assert {n: recording[n] for n in names} == {
        "makedirs": 2,
        "open_resumable": 2,
        "truncate": 2,
        "pwrite_all": 2,
        "fsync": 2,
        "commit": 2,
        "unlink": 0,
        "rename": 0,
    }

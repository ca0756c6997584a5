"""Deleting duplicates on a volume from search results (FAULTS 5): ``remote_delete`` with each
target's kept copies removes a target only if, just before, a kept copy (local or on the volume, a
real sshd here) is still there with its size and the target's full hash; otherwise the target stays
and the job's output says why."""

from __future__ import annotations

import os

import blake3
import pytest

from sd_desktop.library import Library
from sd_desktop.ops.files.remote_delete import KeptCopies, RemoteDeleteConfig
from tests.fileops.helpers import run_job
from tests.volumes.test_volume_cli import NO_KEYRING, add_sftp

CONTENT = os.urandom(300_000)
DIGEST = blake3.blake3(CONTENT).hexdigest()


@pytest.fixture
def setup(run_cli, sshd, tmp_path, library_dir, monkeypatch):
    """A local copy and two copies on the volume ``nas``, all indexed; returns (local, remote root)."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", NO_KEYRING["PYTHON_KEYRING_BACKEND"])
    local, remote = tmp_path / "local", tmp_path / "remote"
    local.mkdir()
    remote.mkdir()
    (local / "kept.bin").write_bytes(CONTENT)
    (remote / "kept.bin").write_bytes(CONTENT)
    (remote / "copy 1.bin").write_bytes(CONTENT)
    assert add_sftp(run_cli, sshd, remote).returncode == 0
    assert run_cli("index", "nas:/").returncode == 0
    return local, remote


def delete(library_dir, keeper: str, target: str = "copy 1.bin"):
    config = RemoteDeleteConfig(
        volume="nas", paths=[target], confirm=True, guards=[KeptCopies(target, [keeper], DIGEST)]
    )
    lib = Library.open(library_dir)
    try:
        return run_job(lib, "remote_delete", config)
    finally:
        lib.close()


def changed_in_place(path, data: bytes) -> None:
    """Other bytes of the same size under the same mtime: only a full read tells them apart."""
    st = os.stat(path)
    path.write_bytes(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


OTHER = bytes(b ^ 0xFF for b in CONTENT[:10]) + CONTENT[10:]


def test_kept_copy_deleted_after_the_search_keeps_the_target(setup, library_dir):
    local, remote = setup
    (remote / "kept.bin").unlink()
    info = delete(library_dir, "nas:/kept.bin")
    out = info.output
    assert (remote / "copy 1.bin").read_bytes() == CONTENT
    assert (out["files_deleted"], out["skipped"], out["failed"]) == (0, 1, 0)
    assert out["outcomes"] == [
        {
            "path": "nas:/copy 1.bin",
            "outcome": "skipped",
            "reason": "kept copy gone: nas:/kept.bin is no longer there; left as it is",
        }
    ]


@pytest.mark.parametrize("where", ["local", "remote"])
def test_kept_copy_changed_with_the_same_size_keeps_the_target(setup, library_dir, where):
    local, remote = setup
    kept = local / "kept.bin" if where == "local" else remote / "kept.bin"
    changed_in_place(kept, OTHER)
    keeper = str(kept) if where == "local" else "nas:/kept.bin"
    out = delete(library_dir, keeper).output
    assert (remote / "copy 1.bin").read_bytes() == CONTENT
    assert (out["files_deleted"], out["skipped"], out["failed"]) == (0, 1, 0)
    assert out["outcomes"] == [
        {
            "path": "nas:/copy 1.bin",
            "outcome": "skipped",
            "reason": f"kept copy changed: {keeper} no longer has this content; left as it is",
        }
    ]


def test_target_changed_with_the_same_size_and_time_stays(setup, library_dir):
    local, remote = setup
    changed_in_place(remote / "copy 1.bin", OTHER)
    out = delete(library_dir, str(local / "kept.bin")).output
    assert (remote / "copy 1.bin").read_bytes() == OTHER
    assert out["outcomes"] == [
        {
            "path": "nas:/copy 1.bin",
            "outcome": "skipped",
            "reason": "target changed: its content is not what the search found; left as it is",
        }
    ]


@pytest.mark.parametrize("where", ["local", "remote"])
def test_both_intact_the_target_is_deleted_and_the_kept_copy_stays(setup, library_dir, where):
    local, remote = setup
    keeper = str(local / "kept.bin") if where == "local" else "nas:/kept.bin"
    info = delete(library_dir, keeper)
    out = info.output
    assert info.status.value == "completed", info.error
    assert (out["files_deleted"], out["bytes_deleted"], out["skipped"], out["outcomes"]) == (1, 300_000, 0, [])
    assert sorted(os.listdir(remote)) == ["kept.bin"]
    assert (remote / "kept.bin").read_bytes() == CONTENT and (local / "kept.bin").read_bytes() == CONTENT


def test_a_kept_copy_that_is_deleted_in_the_same_job_does_not_count(setup, library_dir):
    local, remote = setup
    config = RemoteDeleteConfig(
        volume="nas",
        paths=["copy 1.bin", "kept.bin"],
        confirm=True,
        guards=[
            KeptCopies("copy 1.bin", ["nas:/kept.bin"], DIGEST),
            KeptCopies("kept.bin", ["nas:/copy 1.bin"], DIGEST),
        ],
    )
    lib = Library.open(library_dir)
    try:
        out = run_job(lib, "remote_delete", config).output
    finally:
        lib.close()
    assert sorted(os.listdir(remote)) == ["copy 1.bin", "kept.bin"]
    assert [(o["path"], o["reason"].split(":")[0]) for o in out["outcomes"]] == [
        ("nas:/copy 1.bin", "kept copy gone"),
        ("nas:/kept.bin", "kept copy gone"),
    ]


def test_a_kept_copy_on_a_server_gone_away_pauses_and_resume_checks_it_again(setup, run_cli, library_dir, tmp_path):
    """The kept copy is on a second volume (WebDAV) whose server stops: the job pauses with the
    target untouched; once the server is back, resuming checks the kept copy and then deletes."""
    import asyncio

    from sd_desktop.jobs import JobManager
    from tests.volumes import servers
    from tests.volumes.test_remote_upload import add_webdav

    local, remote = setup
    dav_root = tmp_path / "dav"
    (dav_root / "share").mkdir(parents=True)
    (dav_root / "share" / "kept.bin").write_bytes(CONTENT)
    dav = servers.WebDavServer(dav_root)
    dav.start()
    try:
        assert add_webdav(run_cli, dav, "share").returncode == 0
        dav.stop()
        config = RemoteDeleteConfig(
            volume="nas",
            paths=["copy 1.bin"],
            confirm=True,
            guards=[KeptCopies("copy 1.bin", ["dav:/kept.bin"], DIGEST)],
        )

        async def go():
            lib = Library.open(library_dir)
            manager = JobManager(lib, run_queued=True)
            await manager.start()
            try:
                job_id = await manager.enqueue("remote_delete", config)
                paused = await manager.wait(job_id)
                assert paused.status.value == "paused", paused.error
                assert (remote / "copy 1.bin").read_bytes() == CONTENT
                dav.start()
                await manager.resume(job_id)
                return await manager.wait(job_id)
            finally:
                await manager.shutdown()
                lib.close()

        info = asyncio.run(go())
    finally:
        dav.stop()
    assert info.status.value == "completed", info.error
    assert (info.output["files_deleted"], info.output["skipped"]) == (1, 0)
    assert sorted(os.listdir(remote)) == ["kept.bin"] and (dav_root / "share" / "kept.bin").read_bytes() == CONTENT


RUN_JOB = """
import asyncio, sys
from sd_desktop import ops
from sd_desktop.jobs import JobManager
from sd_desktop.library import Library
from sd_desktop.ops.files.remote_delete import KeptCopies, RemoteDeleteConfig

ops.load_all()


async def main():
    lib = Library.open(sys.argv[1])
    manager = JobManager(lib, run_queued=True)
    await manager.start()
    guard = KeptCopies("copy 1.bin", ["dav:/kept.bin"], sys.argv[2])
    job_id = await manager.enqueue("remote_delete", RemoteDeleteConfig("nas", ["copy 1.bin"], True, [guard]))
    print(job_id, flush=True)
    await manager.wait(job_id)


asyncio.run(main())
"""


def test_killed_while_checking_a_kept_copy_resume_checks_it_again(setup, run_cli, library_dir, tmp_path):
    """kill -9 while the kept copy's server hangs (the check under way): nothing is deleted; the kept
    copy is deleted before ``jobs resume``, which checks again and keeps the target."""
    import socket
    import subprocess
    import sys
    import time

    from tests.conftest import REPO, cli_env
    from tests.volumes import servers
    from tests.volumes.test_remote_upload import add_webdav

    local, remote = setup
    dav_root = tmp_path / "dav"
    (dav_root / "share").mkdir(parents=True)
    (dav_root / "share" / "kept.bin").write_bytes(CONTENT)
    dav = servers.WebDavServer(dav_root)
    dav.start()
    assert add_webdav(run_cli, dav, "share").returncode == 0
    dav.stop()
    hanging = socket.create_server(("127.0.0.1", dav.port))  # accepts (the backlog), never answers
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", RUN_JOB, str(library_dir), DIGEST],
            stdout=subprocess.PIPE,
            text=True,
            env=cli_env(NO_KEYRING),
            cwd=REPO,
        )
        job_id = proc.stdout.readline().strip()
        time.sleep(4)  # planned, the target hashed, the kept copy's stat waiting on the server
        proc.kill()
        proc.wait()
        proc.stdout.close()
    finally:
        hanging.close()
    assert job_id.isdigit()
    assert (remote / "copy 1.bin").read_bytes() == CONTENT
    import sqlite3

    from sd_desktop.enums import WorkStatus

    conn = sqlite3.connect(library_dir / "library.db")
    try:  # killed after planning, before the target's row was decided
        rows = conn.execute("SELECT src, status FROM work_item WHERE job_id = ?", (int(job_id),)).fetchall()
    finally:
        conn.close()
    assert [(bytes(p), s) for p, s in rows] == [(b"copy 1.bin", int(WorkStatus.PENDING))]
    (dav_root / "share" / "kept.bin").unlink()
    dav.start()
    try:
        resumed = run_cli("jobs", "resume", job_id, "--json", env=NO_KEYRING)
    finally:
        dav.stop()
    out = resumed.result["output"]
    assert (remote / "copy 1.bin").read_bytes() == CONTENT
    assert (out["files_deleted"], out["skipped"]) == (0, 1)
    assert [o["reason"] for o in out["outcomes"]] == ["kept copy gone: dav:/kept.bin is no longer there; left as it is"]

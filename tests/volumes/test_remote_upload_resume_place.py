"""FAULTS 24 for ``copy SRC NAME:/folder``: the upload killed (SIGKILL) right after a file got its
name on the volume and before that was recorded. The resumed job keeps the one copy the first run
stored, under the name it chose, counts it as copied, and sends nothing again; a target the user
replaced meanwhile (same size, other bytes) is not taken for the job's own. A real sshd on
127.0.0.1, real CLI processes; the kill is the process's own ``SIGKILL`` from a wrapper around the
volume's upload (the exact point, every run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sd_desktop.ops.files.remote_upload import CHUNK
from tests.conftest import REPO, cli_env
from tests.volumes.test_remote_upload import stored
from tests.volumes.test_volume_cli import NO_KEYRING, add_sftp

# ``python -c WRAP MODE SENT ARGS...``: the CLI, with every chunk sent to the volume counted in SENT
# (path and bytes, one line each) and, in MODE "kill", a SIGKILL right after the first upload
# returned (the file stored under its name, before the job can record it); in MODE "hold", right
# after a.txt's upload returned, with b.txt and c.txt in flight
WRAP = """
import asyncio, os, signal, sys, time
mode, sent, sys.argv = sys.argv[1], sys.argv[2], ["sd-desktop", *sys.argv[3:]]
from sd_desktop.volumes import remote

upload = remote.SftpBackend.upload


async def counted_then_die(self, path, chunks, temp, replace):
    async def counting():
        async for chunk in chunks:
            with open(sent, "a") as f:
                f.write(f"{path} {len(chunk)}\\n")
            yield chunk

    name = path.rsplit("/", 1)[-1]
    if mode == "hold" and name == "b.txt":  # in flight, its upload not started
        open(sent + ".b", "w").close()
        await asyncio.sleep(120)
    if mode == "hold" and name == "a.txt":
        deadline = time.monotonic() + 60
        while not (os.path.exists(sent + ".b") and os.path.exists(sent + ".c")):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
    await upload(self, path, counting(), temp, replace)
    if mode == "hold" and name == "c.txt":  # stored under its name, not recorded
        open(sent + ".c", "w").close()
        await asyncio.sleep(120)
    if mode == "kill" or (mode == "hold" and name == "a.txt"):
        os.kill(os.getpid(), signal.SIGKILL)


remote.SftpBackend.upload = counted_then_die
from sd_desktop.__main__ import main
sys.exit(main())
"""

A = os.urandom(300 * 1024)  # tree/a.txt, local
# tree/b.txt: larger than a chunk, so it is sent alone, once a.txt is done (small files go several
# at once: a test below has them in flight together)
B = os.urandom(CHUNK + 70 * 1024)


def _wrapped(library_dir, mode: str, sent, *args: str) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-c", WRAP, mode, str(sent), "--library", str(library_dir), *args]
    return subprocess.run(argv, capture_output=True, text=True, env=cli_env(NO_KEYRING), cwd=REPO, timeout=120)


def _sent(path) -> dict[str, int]:
    total: dict[str, int] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, n = line.rsplit(" ", 1)
            total[name] = total.get(name, 0) + int(n)
    return total


@pytest.fixture
def setup(run_cli, sshd, tmp_path):
    """Local tree/a.txt and tree/b.txt; the volume already holding backup/tree/a.txt."""
    local = tmp_path / "local" / "tree"
    local.mkdir(parents=True)
    (local / "a.txt").write_bytes(A)
    (local / "b.txt").write_bytes(B)
    remote = tmp_path / "remote"
    (remote / "backup" / "tree").mkdir(parents=True)
    (remote / "backup" / "tree" / "a.txt").write_bytes(b"theirs a")
    assert add_sftp(run_cli, sshd, remote).returncode == 0
    return local, remote / "backup" / "tree"


def _kill_after_upload(library_dir, tmp_path, local, policy: str) -> None:
    args = ("copy", str(local), "nas:/backup", "--on-conflict", policy, "--json")
    first = _wrapped(library_dir, "kill", tmp_path / "sent-1", *args)
    assert first.returncode == -9, first.stderr


def _resume(library_dir, tmp_path):
    sent = tmp_path / "sent-2"
    resumed = _wrapped(library_dir, "count", sent, "jobs", "resume", "1", "--json")
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout.splitlines()[-1])
    assert result["errors"] == []
    return result["output"], _sent(sent)


def _counts(out) -> tuple[int, int, int, int]:
    return out["files"], out["skipped"], out["failed"], out["bytes"]


def test_rename_killed_after_the_upload_resumes_without_a_second_copy(library_dir, tmp_path, setup):
    local, there = setup
    _kill_after_upload(library_dir, tmp_path, local, "rename")
    assert stored(there) == {"a.txt": b"theirs a", "a (1).txt": A}
    out, sent = _resume(library_dir, tmp_path)
    assert stored(there) == {"a.txt": b"theirs a", "a (1).txt": A, "b.txt": B}
    assert _counts(out) == (2, 0, 0, len(A) + len(B))
    assert sent == {"backup/tree/b.txt": len(B)}


def test_skip_killed_after_the_upload_reports_it_copied_not_skipped(library_dir, tmp_path, setup):
    local, there = setup
    _kill_after_upload(library_dir, tmp_path, local, "skip")
    assert stored(there) == {"a.txt": b"theirs a", "b.txt": B}
    out, sent = _resume(library_dir, tmp_path)
    assert stored(there) == {"a.txt": b"theirs a", "b.txt": B}
    assert _counts(out) == (1, 1, 0, len(B))
    assert sent == {}


def test_overwrite_killed_after_the_upload_sends_nothing_again(library_dir, tmp_path, setup):
    local, there = setup
    _kill_after_upload(library_dir, tmp_path, local, "overwrite")
    assert stored(there) == {"a.txt": A}
    out, sent = _resume(library_dir, tmp_path)
    assert stored(there) == {"a.txt": A, "b.txt": B}
    assert _counts(out) == (2, 0, 0, len(A) + len(B))
    assert sent == {"backup/tree/b.txt": len(B)}


def test_an_upload_the_user_replaced_before_the_resume_is_never_taken_for_the_jobs_own(library_dir, tmp_path, setup):
    local, there = setup
    _kill_after_upload(library_dir, tmp_path, local, "rename")
    (there / "a (1).txt").write_bytes(b"t" * len(A))  # theirs now: the same size, other bytes
    out, sent = _resume(library_dir, tmp_path)
    assert stored(there) == {"a.txt": b"theirs a", "a (1).txt": b"t" * len(A), "a (2).txt": A, "b.txt": B}
    assert _counts(out) == (2, 0, 0, len(A) + len(B))
    assert sent == {"backup/tree/a (2).txt": len(A), "backup/tree/b.txt": len(B)}


def test_small_files_in_flight_at_once_killed_after_one_upload_are_each_stored_once(
    run_cli, sshd, tmp_path, library_dir
):
    """Three small files sent at once, each with its own target committed: killed right after
    a.txt's upload returned, with c.txt stored and not recorded and b.txt not sent yet. The resume
    sends b.txt only and counts all three copied (not "skipped: exists")."""
    files = {"a.txt": os.urandom(40 * 1024), "b.txt": os.urandom(50 * 1024), "c.txt": os.urandom(60 * 1024)}
    local = tmp_path / "local" / "tree"
    local.mkdir(parents=True)
    for name, data in files.items():
        (local / name).write_bytes(data)
    remote = tmp_path / "remote"
    (remote / "backup").mkdir(parents=True)
    assert add_sftp(run_cli, sshd, remote).returncode == 0
    first = _wrapped(library_dir, "hold", tmp_path / "sent-1", "copy", str(local), "nas:/backup", "--json")
    assert first.returncode == -9, first.stderr
    there = remote / "backup" / "tree"
    assert stored(there) == {"a.txt": files["a.txt"], "c.txt": files["c.txt"]}
    out, sent = _resume(library_dir, tmp_path)
    assert stored(there) == files
    assert _counts(out) == (3, 0, 0, sum(map(len, files.values())))
    assert sent == {"backup/tree/b.txt": len(files["b.txt"])}

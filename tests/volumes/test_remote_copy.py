"""``copy NAME:/path DEST``: from a volume (a real sshd on 127.0.0.1) into a local folder, never over
an existing file, and resumed inside a file from the last confirmed byte after the server is gone."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time

from tests.conftest import REPO, cli_env
from tests.volumes import servers
from tests.volumes.test_volume_cli import NO_KEYRING, add_sftp, make_tree


def test_copy_a_remote_tree_with_odd_names_then_skip_what_exists(run_cli, sshd, tmp_path):
    files = make_tree(tmp_path / "remote" / "tree")
    assert add_sftp(run_cli, sshd, tmp_path / "remote").returncode == 0
    dest = tmp_path / "dest"
    dest.mkdir()
    done = run_cli("copy", "nas:/tree", str(dest), "--json")
    assert done.returncode == 0, done.stderr
    out = done.result["output"]
    assert (out["files"], out["skipped"], out["failed"], out["bytes"]) == (6, 0, 0, sum(map(len, files.values())))
    for rel, data in files.items():
        assert (dest / "tree" / rel).read_bytes() == data, rel
    assert sorted(p.name for p in (dest / "tree").iterdir()) == sorted(
        ["a b.txt", "100% sure.bin", "x#y.dat", "héllo wörld", "empty"]
    )
    (dest / "tree" / "a b.txt").write_bytes(b"mine")
    (dest / "tree" / "x#y.dat").unlink()
    again = run_cli("copy", "nas:/tree", str(dest), "--json")
    assert again.returncode == 0, again.stderr
    assert (again.result["output"]["files"], again.result["output"]["skipped"]) == (1, 5)
    assert (dest / "tree" / "a b.txt").read_bytes() == b"mine"
    assert (dest / "tree" / "x#y.dat").read_bytes() == files["x#y.dat"]


def test_a_lost_connection_pauses_and_resume_continues_from_the_last_confirmed_byte(run_cli, tmp_path, library_dir):
    server = servers.make_sshd(tmp_path / "ssh")
    server.start()
    remote = tmp_path / "remote"
    remote.mkdir()
    data = os.urandom(64 * 1024 * 1024)
    (remote / "big file.bin").write_bytes(data)
    dest = tmp_path / "dest"
    dest.mkdir()
    part = dest / ".big file.bin.sd-part"
    try:
        assert add_sftp(run_cli, server, remote).returncode == 0
        cmd = [
            sys.executable,
            "-m",
            "sd_desktop",
            "--library",
            str(library_dir),
            "copy",
            "nas:/big file.bin",
            str(dest),
        ]
        proc = subprocess.Popen(
            cmd, env=cli_env(NO_KEYRING), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        while not (part.exists() and part.stat().st_size >= 4 * 1024 * 1024):
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.002)
        server.kill()
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 3, err
        assert err.splitlines()[0] == "job 1 paused; continue it with: sd-desktop jobs resume 1"
        confirmed = part.stat().st_size
        assert 0 < confirmed < len(data) and confirmed % (4 * 1024 * 1024) == 0
        assert not (dest / "big file.bin").exists()
        # mark the confirmed bytes: a resume that read them again would overwrite the mark
        with open(part, "r+b") as f:
            f.write(b"MARK")
        server.start()
        resumed = run_cli("jobs", "resume", "1", "--json")
        assert resumed.returncode == 0, resumed.stderr
        assert resumed.result["errors"] == []
    finally:
        server.stop()
    got = (dest / "big file.bin").read_bytes()
    assert got[:4] == b"MARK" and got[4:] == data[4:]
    assert not part.exists()


# -- large files: OpenSSH's own sftp client (volumes/openssh.py) ---------------------------------
def _large(remote, name="large.bin") -> bytes:
    """A file past openssh.MIN_SIZE (so the copy hands it to OpenSSH's sftp client)."""
    from sd_desktop.volumes import openssh

    data = os.urandom(openssh.MIN_SIZE + 32 * 1024 * 1024)
    remote.mkdir(exist_ok=True)
    (remote / name).write_bytes(data)
    return data


def _copy_proc(library_dir, source, dest):
    cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), "copy", source, str(dest)]
    return subprocess.Popen(
        cmd, env=cli_env(NO_KEYRING), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _sftp_child(proc):
    """The ``sftp`` process the copy started, or None."""
    import psutil

    for child in psutil.Process(proc.pid).children(recursive=True):
        try:
            if child.name() == "sftp":
                return child
        except psutil.NoSuchProcess:
            pass
    return None


def _state(library_dir):
    """The copy job's last committed state (read beside the running process)."""
    import sqlite3

    from sd_desktop.jobs import codec
    from sd_desktop.ops.files.remote_copy import RemoteCopyState

    conn = sqlite3.connect(f"file:{library_dir / 'library.db'}?mode=ro", uri=True, timeout=5)
    try:
        row = conn.execute("SELECT state FROM job WHERE id = 1").fetchone()
    finally:
        conn.close()
    return codec.unpack(row[0], RemoteCopyState) if row and row[0] else None


def test_kill_9_while_openssh_reads_a_large_file_then_resume_continues_from_the_confirmed_offset(
    run_cli, sshd, tmp_path, library_dir
):
    import signal

    import psutil

    from sd_desktop.ops.files.remote_copy import COMMIT_EVERY
    from sd_desktop.volumes import openssh

    remote, dest = tmp_path / "remote", tmp_path / "dest"
    data = _large(remote)
    dest.mkdir()
    part = dest / ".large.bin.sd-part"
    assert add_sftp(run_cli, sshd, remote).returncode == 0
    proc = _copy_proc(library_dir, "nas:/large.bin", dest)
    try:
        # freeze the client once it wrote past the first commit point, so the kill lands mid-file
        deadline = time.monotonic() + 60
        child = None
        while child is None or not (part.exists() and part.stat().st_size >= COMMIT_EVERY + 2 * openssh.IN_FLIGHT):
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            child = child or _sftp_child(proc)
            time.sleep(0.002)
        child.send_signal(signal.SIGSTOP)
        while (state := _state(library_dir)) is None or state.confirmed == 0:
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        # the client dies with the job: nothing writes the partial file behind the resumed job
        gone, alive = psutil.wait_procs([child], timeout=10)
        assert alive == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    held = part.stat().st_size
    assert COMMIT_EVERY <= state.confirmed <= held - openssh.IN_FLIGHT
    assert state.bytes_done == state.confirmed
    # a mark in the confirmed bytes must stay (not read again); garbage past them must go (read again)
    with open(part, "r+b") as f:
        f.write(b"MARK")
        f.seek(held - 4096)
        f.write(b"\xff" * 4096)
    resumed = run_cli("jobs", "resume", "1", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.result["errors"] == []
    out = resumed.result["output"]
    assert (out["files"], out["bytes"]) == (1, len(data))
    got = (dest / "large.bin").read_bytes()
    assert len(got) == len(data) and got[:4] == b"MARK" and got[4:] == data[4:]
    assert not part.exists()


def test_a_server_gone_while_openssh_reads_pauses_and_resume_completes_the_file(run_cli, tmp_path, library_dir):
    server = servers.make_sshd(tmp_path / "ssh")
    server.start()
    remote, dest = tmp_path / "remote", tmp_path / "dest"
    data = _large(remote, "big file #1.bin")
    dest.mkdir()
    part = dest / ".big file #1.bin.sd-part"
    try:
        assert add_sftp(run_cli, server, remote).returncode == 0
        proc = _copy_proc(library_dir, "nas:/big file #1.bin", dest)
        deadline = time.monotonic() + 60
        while not (part.exists() and part.stat().st_size >= 16 * 1024 * 1024 and _sftp_child(proc)):
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.002)
        server.kill()
        out, err = proc.communicate(timeout=90)
        assert proc.returncode == 3, err
        assert err.splitlines()[0] == "job 1 paused; continue it with: sd-desktop jobs resume 1"
        assert not (dest / "big file #1.bin").exists()
        server.start()
        resumed = run_cli("jobs", "resume", "1", "--json")
        assert resumed.returncode == 0, resumed.stderr
        assert resumed.result["errors"] == []
    finally:
        server.stop()
    assert (dest / "big file #1.bin").read_bytes() == data
    assert not part.exists()


def test_a_key_openssh_refuses_still_copies_a_large_file_through_asyncssh(run_cli, sshd, tmp_path):
    # OpenSSH's client refuses a private key others can read; asyncssh logs in with it
    key = tmp_path / "open_key"
    key.write_bytes(sshd.key.read_bytes())
    key.chmod(0o644)
    remote, dest = tmp_path / "remote", tmp_path / "dest"
    data = _large(remote)
    dest.mkdir()
    assert add_sftp(run_cli, sshd, remote, key=key).returncode == 0
    done = run_cli("copy", "nas:/large.bin", str(dest), "--json")
    assert done.returncode == 0, done.stderr
    assert (done.result["output"]["files"], done.result["output"]["bytes"]) == (1, len(data))
    assert (dest / "large.bin").read_bytes() == data


def test_openssh_reads_names_with_quotes_glob_characters_and_backslashes(sshd, tmp_path):
    """The batch line quotes both paths: each is taken literally (no glob, no escape left over)."""
    import asyncio

    from sd_desktop.volumes import openssh
    from sd_desktop.volumes.remote import VolumeSpec

    remote, local = tmp_path / "remote", tmp_path / "local"
    remote.mkdir()
    local.mkdir()
    odd = 'a "b" \\c* ?[x] #d.bin'
    (remote / odd).write_bytes(b"wanted")
    (remote / "a x b.bin").write_bytes(b"a glob match, not wanted")
    target = local / 'part "1" \\ *?.bin'
    target.write_bytes(b"want")  # resumed from its size
    options = {"host": "127.0.0.1", "port": str(sshd.port), "user": sshd.user, "key": str(sshd.key)}
    spec = VolumeSpec("nas", "sftp", str(remote), {**options, "known_hosts": "accept"})

    async def fetch() -> tuple[int, bytes]:
        proc = await openssh.start(spec, str(remote / odd), bytes(target))
        _, err = await proc.communicate()
        return proc.returncode, err

    code, err = asyncio.run(fetch())
    assert (code, err) == (0, b"")
    assert target.read_bytes() == b"wanted"
    assert sorted(p.name for p in local.iterdir()) == [target.name]


def test_openssh_failures_are_one_line(sshd, tmp_path):
    from sd_desktop.volumes import openssh
    from sd_desktop.volumes.remote import VolumeSpec

    options = {"host": "127.0.0.1", "port": str(sshd.port), "user": sshd.user, "key": str(sshd.key)}
    strict = VolumeSpec("nas", "sftp", "/", {**options, "known_hosts": str(tmp_path / "empty_known_hosts")})
    (tmp_path / "empty_known_hosts").write_text("")
    done = subprocess.run(openssh.argv(strict), input=b"ls\n", capture_output=True, timeout=60)
    assert (done.returncode, openssh.reason(done.stderr, done.returncode)) == (255, "Host key verification failed.")
    wrong = VolumeSpec("nas", "sftp", "/", {**options, "key": str(sshd.other_key), "known_hosts": "accept"})
    done = subprocess.run(openssh.argv(wrong), input=b"ls\n", capture_output=True, timeout=60)
    assert openssh.reason(done.stderr, done.returncode) == f"{sshd.user}@127.0.0.1: Permission denied (publickey)."


def test_a_server_that_stops_answering_while_openssh_reads_pauses_within_the_volume_timeout(
    run_cli, tmp_path, library_dir
):
    """FAULTS 22: with ``timeout=2`` the client gives up after three unanswered keep-alives of 1 s,
    asyncssh after its 2 s deadline, and the job pauses; the resume completes the file."""
    import signal

    import psutil

    server = servers.make_sshd(tmp_path / "ssh")
    server.start()
    remote, dest = tmp_path / "remote", tmp_path / "dest"
    data = _large(remote)
    dest.mkdir()
    part = dest / ".large.bin.sd-part"
    proc, sessions = None, []
    try:
        assert add_sftp(run_cli, server, remote, extra=("--option", "timeout=2")).returncode == 0
        proc = _copy_proc(library_dir, "nas:/large.bin", dest)
        deadline = time.monotonic() + 60
        while not (part.exists() and part.stat().st_size >= 16 * 1024 * 1024 and _sftp_child(proc)):
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.002)
        sessions = psutil.Process(server.proc.pid).children(recursive=True)
        for session in sessions:  # the listener still accepts; every open session goes silent
            session.send_signal(signal.SIGSTOP)
        silent_at = time.monotonic()
        out, err = proc.communicate(timeout=120)
        waited = time.monotonic() - silent_at
        assert proc.returncode == 3, err
        assert err.splitlines()[0] == "job 1 paused; continue it with: sd-desktop jobs resume 1"
        assert waited < 15, waited  # OpenSSH's defaults would wait for TCP (minutes)
        for session in sessions:
            session.kill()
        resumed = run_cli("jobs", "resume", "1", "--json")
        assert resumed.returncode == 0, resumed.stderr
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.communicate()
        for session in sessions:
            with contextlib.suppress(psutil.NoSuchProcess):
                session.kill()
        server.stop()
    assert (dest / "large.bin").read_bytes() == data
    assert not part.exists()

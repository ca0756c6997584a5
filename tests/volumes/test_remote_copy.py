"""``copy NAME:/path DEST``: from a volume (a real sshd on 127.0.0.1) into a local folder, never over
an existing file, and resumed inside a file from the last confirmed byte after the server is gone."""

from __future__ import annotations

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

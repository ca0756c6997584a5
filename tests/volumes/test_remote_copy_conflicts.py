"""``copy NAME:/path DEST --on-conflict``: a file already in the local destination is skipped (the
default, and listed with its reason), replaced through a temporary file renamed over it, or kept
beside the new one as ``name (1).ext``, against a real sshd on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tests.conftest import REPO, cli_env
from tests.volumes import servers
from tests.volumes.test_volume_cli import NO_KEYRING, add_sftp


def _setup(run_cli, sshd, tmp_path):
    remote = tmp_path / "remote" / "tree"
    remote.mkdir(parents=True)
    (remote / "a.txt").write_bytes(b"remote a")
    (remote / "b.txt").write_bytes(b"remote b")
    (remote / ".hidden").write_bytes(b"remote hidden")
    assert add_sftp(run_cli, sshd, tmp_path / "remote").returncode == 0
    dest = tmp_path / "dest"
    (dest / "tree").mkdir(parents=True)
    (dest / "tree" / "a.txt").write_bytes(b"mine a")
    (dest / "tree" / ".hidden").write_bytes(b"mine hidden")
    return dest


def test_skip_is_the_default_and_every_skip_is_listed_with_its_reason(run_cli, sshd, tmp_path):
    dest = _setup(run_cli, sshd, tmp_path)
    done = run_cli("copy", "nas:/tree", str(dest), "--json")
    assert done.returncode == 0, done.stderr
    out = done.result["output"]
    assert (out["files"], out["skipped"], out["replaced"], out["renamed"]) == (1, 2, 0, 0)
    assert sorted((o["outcome"], o["path"], o["reason"]) for o in out["outcomes"]) == [
        ("skipped", "nas:/tree/.hidden", "the target exists"),
        ("skipped", "nas:/tree/a.txt", "the target exists"),
    ]
    assert (dest / "tree" / "a.txt").read_bytes() == b"mine a"
    text = run_cli("copy", "nas:/tree", str(dest))
    assert text.returncode == 0, text.stderr
    assert f" skipped  nas:/tree/a.txt -> {dest}/tree/a.txt (the target exists)" in text.stdout.splitlines()
    assert text.stdout.splitlines()[-1] == "0 files, 0 B; 3 skipped, 0 failed"


def test_overwrite_replaces_the_file_in_place_of_the_old_one(run_cli, sshd, tmp_path):
    dest = _setup(run_cli, sshd, tmp_path)
    old_inode = os.stat(dest / "tree" / "a.txt").st_ino
    done = run_cli("copy", "nas:/tree", str(dest), "--on-conflict", "overwrite", "--json")
    assert done.returncode == 0, done.stderr
    out = done.result["output"]
    assert (out["files"], out["skipped"], out["replaced"], out["renamed"]) == (3, 0, 2, 0)
    assert (dest / "tree" / "a.txt").read_bytes() == b"remote a"
    assert (dest / "tree" / ".hidden").read_bytes() == b"remote hidden"
    assert os.stat(dest / "tree" / "a.txt").st_ino != old_inode  # a new file renamed over, not rewritten
    assert sorted(p.name for p in (dest / "tree").iterdir()) == [".hidden", "a.txt", "b.txt"]


def test_rename_keeps_both(run_cli, sshd, tmp_path):
    dest = _setup(run_cli, sshd, tmp_path)
    (dest / "tree" / "a (1).txt").write_bytes(b"taken too")
    done = run_cli("copy", "nas:/tree", str(dest), "--on-conflict", "rename", "--json")
    assert done.returncode == 0, done.stderr
    out = done.result["output"]
    assert (out["files"], out["skipped"], out["replaced"], out["renamed"]) == (3, 0, 0, 2)
    assert sorted(p.name for p in (dest / "tree").iterdir()) == [
        ".hidden",
        ".hidden (1)",
        "a (1).txt",
        "a (2).txt",
        "a.txt",
        "b.txt",
    ]
    assert (dest / "tree" / "a.txt").read_bytes() == b"mine a"
    assert (dest / "tree" / "a (1).txt").read_bytes() == b"taken too"
    assert (dest / "tree" / "a (2).txt").read_bytes() == b"remote a"
    assert (dest / "tree" / ".hidden (1)").read_bytes() == b"remote hidden"
    assert sorted((o["outcome"], o["reason"]) for o in out["outcomes"]) == [
        ("renamed", "kept both: saved as .hidden (1)"),
        ("renamed", "kept both: saved as a (2).txt"),
    ]


def test_a_policy_it_cannot_follow_is_one_line(run_cli, sshd, tmp_path):
    dest = _setup(run_cli, sshd, tmp_path)
    refused = run_cli("copy", "nas:/tree", str(dest), "--on-conflict", "ask")
    assert refused.returncode == 2
    assert refused.stderr == (
        "sd-desktop: error: copy from a volume takes --on-conflict skip, overwrite, rename (not ask)\n"
    )
    assert (dest / "tree" / "a.txt").read_bytes() == b"mine a"


def test_overwrite_keeps_the_old_file_whole_until_the_new_one_is_complete(run_cli, tmp_path, library_dir):
    """The server goes away mid-file: the job pauses and the file it was to replace is still the
    old one; the resume finishes the new one and only then puts it in place."""
    server = servers.make_sshd(tmp_path / "ssh")
    server.start()
    remote = tmp_path / "remote"
    remote.mkdir()
    data = os.urandom(48 * 1024 * 1024)
    (remote / "big.bin").write_bytes(data)
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "big.bin").write_bytes(b"the old one")
    part = dest / ".big.bin.sd-part"
    try:
        assert add_sftp(run_cli, server, remote).returncode == 0
        cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), "copy", "nas:/big.bin", str(dest)]
        proc = subprocess.Popen(
            [*cmd, "--on-conflict", "overwrite"],
            env=cli_env(NO_KEYRING),
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not (part.exists() and part.stat().st_size > 0):
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.002)
        server.kill()
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 3, err
        assert (dest / "big.bin").read_bytes() == b"the old one"
        server.start()
        resumed = run_cli("jobs", "resume", "1", "--json")
        assert resumed.returncode == 0, resumed.stderr
        out = resumed.result["output"]
        assert (out["files"], out["replaced"], out["skipped"]) == (1, 1, 0)
    finally:
        server.stop()
    assert (dest / "big.bin").read_bytes() == data
    assert sorted(p.name for p in dest.iterdir()) == ["big.bin"]

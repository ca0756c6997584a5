"""``copy SRC... NAME:/folder`` onto a volume and ``copy A:/x B:/y`` between volumes, as real
subprocesses against real servers on 127.0.0.1 (sshd, wsgidav, moto): odd names, conflicts,
``--verify`` catching bytes changed on the server, and a lost connection resumed."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO, cli_env
from tests.volumes import servers
from tests.volumes.test_volume_cli import NO_KEYRING, add_sftp, make_tree


def stored(root) -> dict[str, bytes]:
    """Every file below ``root`` by its relative path (temporary names included, to be caught)."""
    return {
        os.path.relpath(os.path.join(d, f), root): open(os.path.join(d, f), "rb").read()
        for d, _, fs in os.walk(root)
        for f in fs
    }


def add_webdav(run_cli, dav, share: str, name: str = "dav"):
    return run_cli("volume", "add", name, f"webdav://127.0.0.1:{dav.port}/{share}", env=NO_KEYRING)


def add_s3(run_cli, s3, bucket: str, name: str = "bucket"):
    s3.make_bucket(bucket)
    return run_cli(
        "volume",
        "add",
        name,
        f"s3://{bucket}/data",
        "--option",
        f"endpoint={s3.endpoint}",
        "--option",
        "region=us-east-1",
        "--option",
        f"access_key_id={s3.ACCESS_KEY}",
        "--option",
        f"secret_access_key={s3.SECRET_KEY}",
        env=NO_KEYRING,
    )


def test_upload_a_tree_with_odd_names_round_trip_and_the_conflict_policies(run_cli, sshd, tmp_path):
    files = make_tree(tmp_path / "local" / "tree")
    remote = tmp_path / "remote"
    (remote / "backup").mkdir(parents=True)
    assert add_sftp(run_cli, sshd, remote).returncode == 0
    done = run_cli("copy", str(tmp_path / "local" / "tree"), "nas:/backup", "--verify", "--json")
    assert done.returncode == 0, done.stderr
    out = done.result["output"]
    total = sum(map(len, files.values()))
    assert (out["files"], out["skipped"], out["failed"], out["bytes"], out["verified"]) == (6, 0, 0, total, True)
    assert stored(remote / "backup" / "tree") == files  # no temporary name left behind
    # back again, through the volume: the same bytes under the same odd names
    back = tmp_path / "back"
    back.mkdir()
    assert run_cli("copy", "nas:/backup/tree", str(back)).returncode == 0
    assert stored(back / "tree") == files

    (tmp_path / "local" / "tree" / "a b.txt").write_bytes(b"changed")
    skip = run_cli("copy", str(tmp_path / "local" / "tree" / "a b.txt"), "nas:/backup/tree", "--json")
    assert skip.returncode == 0, skip.stderr
    assert (skip.result["output"]["files"], skip.result["output"]["skipped"]) == (0, 1)
    assert (remote / "backup" / "tree" / "a b.txt").read_bytes() == b"hello world\n"
    rename = run_cli(
        "copy", str(tmp_path / "local" / "tree" / "a b.txt"), "nas:/backup/tree", "--on-conflict", "rename", "--json"
    )
    assert rename.returncode == 0, rename.stderr
    assert (remote / "backup" / "tree" / "a b (1).txt").read_bytes() == b"changed"
    assert (remote / "backup" / "tree" / "a b.txt").read_bytes() == b"hello world\n"
    over = run_cli(
        "copy", str(tmp_path / "local" / "tree" / "a b.txt"), "nas:/backup/tree", "--on-conflict", "overwrite"
    )
    assert over.returncode == 0, over.stderr
    assert (remote / "backup" / "tree" / "a b.txt").read_bytes() == b"changed"
    refused = run_cli("copy", str(tmp_path / "local" / "tree"), "nas:/backup", "--on-conflict", "ask")
    assert refused.returncode == 2
    assert refused.stderr == (
        "sd-desktop: error: copy to a volume takes --on-conflict skip, overwrite, rename (not ask)\n"
    )


@pytest.mark.parametrize("scheme", ["webdav", "s3"])
def test_upload_through_opendal_and_read_it_back(scheme, run_cli, request, tmp_path):
    files = make_tree(tmp_path / "local" / "tree")
    if scheme == "webdav":
        dav = request.getfixturevalue("webdav")
        (dav.root / tmp_path.name).mkdir()
        assert add_webdav(run_cli, dav, tmp_path.name, name="vol").returncode == 0
    else:
        s3 = request.getfixturevalue("s3")
        bucket = f"up-{tmp_path.name.lower().replace('_', '-')}"[:60]
        assert add_s3(run_cli, s3, bucket, name="vol").returncode == 0
    done = run_cli("copy", str(tmp_path / "local" / "tree"), "vol:/in", "--verify", "--json")
    assert done.returncode == 0, done.stderr
    assert (done.result["output"]["files"], done.result["output"]["failed"]) == (6, 0)
    if scheme == "webdav":
        assert stored(dav.root / tmp_path.name / "in" / "tree") == files
    within = run_cli("copy", "vol:/in/tree", "vol:/again", "--verify", "--json")
    assert within.returncode == 0, within.stderr
    assert (within.result["output"]["server_copies"], within.result["output"]["bytes"]) == (6, 0)
    back = tmp_path / "back"
    back.mkdir()
    assert run_cli("copy", "vol:/in/tree", str(back)).returncode == 0
    assert stored(back / "tree") == files
    assert run_cli("copy", "vol:/again/tree", str(back / "again")).returncode == 2  # no such local folder
    (back / "again").mkdir()
    assert run_cli("copy", "vol:/again/tree", str(back / "again")).returncode == 0
    assert stored(back / "again" / "tree") == files


def test_verify_catches_a_file_changed_on_the_server(run_cli, sshd, tmp_path):
    local = tmp_path / "local" / "tree"
    local.mkdir(parents=True)
    (local / "a first.bin").write_bytes(os.urandom(100_000))
    (local / "z last.bin").write_bytes(os.urandom(48 * 1024 * 1024))
    remote = tmp_path / "remote"
    remote.mkdir()
    assert add_sftp(run_cli, sshd, remote).returncode == 0
    cmd = [sys.executable, "-m", "sd_desktop", "--library", str(tmp_path / "library")]
    proc = subprocess.Popen(
        [*cmd, "copy", str(local), "nas:/", "--verify", "--json"],
        env=cli_env(NO_KEYRING),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = remote / "tree" / "a first.bin"
    deadline = time.monotonic() + 60
    # the first file is in place and the second being sent: the verify pass comes after both
    while not (first.exists() and any(p.name.startswith(".z last.bin.sd-part") for p in first.parent.iterdir())):
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.002)
    with open(first, "r+b") as f:  # the disk behind the server stores other bytes
        f.seek(5000)
        f.write(b"\0" * 16)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 4, err
    import json

    result = [json.loads(line) for line in out.splitlines() if '"result"' in line][-1]
    assert (result["output"]["files"], result["output"]["failed"]) == (1, 1)
    assert [e["message"] for e in result["errors"]] == [
        "verify: the stored file nas:/tree/a first.bin differs from the source"
    ]


def test_a_lost_connection_pauses_the_upload_and_resume_sends_the_file_again(run_cli, tmp_path, library_dir):
    server = servers.make_sshd(tmp_path / "ssh")
    server.start()
    local = tmp_path / "local"
    local.mkdir()
    data = os.urandom(64 * 1024 * 1024)
    (local / "big file.bin").write_bytes(data)
    (local / "small.txt").write_bytes(b"small")
    remote = tmp_path / "remote"
    remote.mkdir()
    try:
        assert add_sftp(run_cli, server, remote).returncode == 0
        cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), "copy", str(local), "nas:/"]
        proc = subprocess.Popen(
            cmd, env=cli_env(NO_KEYRING), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        part = remote / "local" / ".big file.bin.sd-part-1"
        deadline = time.monotonic() + 60
        while not (part.exists() and part.stat().st_size >= 4 * 1024 * 1024):
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.002)
        server.kill()
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 3, err
        assert err.splitlines()[0] == "job 1 paused; continue it with: sd-desktop jobs resume 1"
        assert not (remote / "local" / "big file.bin").exists()
        server.start()
        resumed = run_cli("jobs", "resume", "1", "--json")
        assert resumed.returncode == 0, (resumed.stderr, resumed.result["errors"])
        assert resumed.result["errors"] == []
        assert (resumed.result["output"]["files"], resumed.result["output"]["failed"]) == (2, 0)
        # the part sent before the pause is not counted twice: bytes are counted with each file's outcome
        assert resumed.result["output"]["bytes"] == len(data) + len(b"small")
    finally:
        server.stop()
    assert stored(remote / "local") == {"big file.bin": data, "small.txt": b"small"}


def test_copy_between_two_volumes_and_within_one(run_cli, sshd, webdav, tmp_path):
    files = make_tree(tmp_path / "remote" / "tree")
    assert add_sftp(run_cli, sshd, tmp_path / "remote").returncode == 0
    (webdav.root / tmp_path.name).mkdir()
    assert add_webdav(run_cli, webdav, tmp_path.name).returncode == 0
    across = run_cli("copy", "nas:/tree", "dav:/copied", "--verify", "--json")
    assert across.returncode == 0, across.stderr
    out = across.result["output"]
    assert (out["files"], out["failed"], out["server_copies"], out["bytes"]) == (6, 0, 0, sum(map(len, files.values())))
    assert stored(webdav.root / tmp_path.name / "copied" / "tree") == files
    within = run_cli("copy", "nas:/tree", "nas:/again", "--verify", "--json")
    assert within.returncode == 0, within.stderr
    out = within.result["output"]
    # OpenSSH 9's copy-data: the server copies, nothing comes over the network but the verify
    assert (out["files"], out["failed"], out["server_copies"], out["bytes"]) == (6, 0, 6, 0)
    assert stored(tmp_path / "remote" / "again" / "tree") == files
    on_dav = run_cli("copy", "dav:/copied/tree", "dav:/second", "--verify", "--json")
    assert on_dav.returncode == 0, on_dav.stderr
    out = on_dav.result["output"]
    assert (out["files"], out["failed"], out["server_copies"], out["bytes"]) == (6, 0, 6, 0)  # WebDAV's COPY
    assert stored(webdav.root / tmp_path.name / "second" / "tree") == files


def test_delete_on_a_volume_is_refused_without_permanent_and_yes_then_done_and_forgotten(
    run_cli, sshd, tmp_path, library_dir
):
    files = make_tree(tmp_path / "remote" / "tree")
    (tmp_path / "remote" / "keep.txt").write_bytes(b"keep")
    assert add_sftp(run_cli, sshd, tmp_path / "remote").returncode == 0
    assert run_cli("index", "nas:/").returncode == 0
    line = (
        "sd-desktop: error: a volume has no trash: deleting there cannot be undone; add --mode permanent --yes "
        "(nothing was deleted)\n"
    )
    for extra in ((), ("--yes",), ("--mode", "permanent"), ("--mode", "trash", "--yes")):
        refused = run_cli("delete", "nas:/tree", *extra)
        assert (refused.returncode, refused.stderr) == (2, line), extra
    assert stored(tmp_path / "remote" / "tree") == files
    # a file changed since it was indexed stays, and so does its folder
    (tmp_path / "remote" / "tree" / "x#y.dat").write_bytes(b"new bytes")
    done = run_cli("delete", "nas:/tree", "--mode", "permanent", "--yes", "--json")
    assert done.returncode == 4, done.stderr
    out = done.result["output"]
    assert (out["files_deleted"], out["folders_deleted"], out["skipped"], out["failed"]) == (5, 2, 2, 0)
    assert out["bytes_deleted"] == sum(len(d) for r, d in files.items() if r != "x#y.dat")
    assert [(o["path"], o["outcome"]) for o in out["outcomes"]] == [
        ("nas:/tree", "skipped"),
        ("nas:/tree/x#y.dat", "skipped"),
    ]
    assert stored(tmp_path / "remote") == {"keep.txt": b"keep", "tree/x#y.dat": b"new bytes"}
    import sqlite3

    conn = sqlite3.connect(library_dir / "library.db")
    try:
        paths = sorted(bytes(p).decode() for (p,) in conn.execute("SELECT path FROM entry WHERE location_id = 1"))
    finally:
        conn.close()
    assert paths == ["", "keep.txt", "tree", "tree/x#y.dat"]
    assert [e["message"] for e in done.result["errors"]] == [
        "changed since it was indexed (size or time differ); left as it is (index it again to delete it)",
        "not empty (something in it was left or is new); left as it is",
    ]
    # the index is stale until the folder is indexed again; then the rest goes
    still = run_cli("delete", "nas:/tree/x#y.dat", "--mode", "permanent", "--yes")
    assert still.returncode == 1
    assert run_cli("index", "nas:/").returncode == 0
    again = run_cli("delete", "nas:/tree", "--mode", "permanent", "--yes", "--json")
    assert again.returncode == 0, again.stderr
    assert (again.result["output"]["files_deleted"], again.result["output"]["folders_deleted"]) == (1, 1)
    assert stored(tmp_path / "remote") == {"keep.txt": b"keep"}


def test_what_copy_and_delete_on_a_volume_refuse_each_in_one_line(run_cli, sshd, tmp_path):
    (tmp_path / "remote" / "x").mkdir(parents=True)
    (tmp_path / "a.txt").write_bytes(b"a")
    assert add_sftp(run_cli, sshd, tmp_path / "remote").returncode == 0
    cases = {
        ("copy", str(tmp_path / "a.txt"), "nas:/x", "nas:/x"): (
            "the sources of one copy to a volume are all local, or all on one volume"
        ),
        (
            "copy",
            str(tmp_path / "a.txt"),
            "nas:/x",
            "--move",
        ): "copy to a volume has no --move, --bwlimit or --mkpath yet",
        ("copy", str(tmp_path / "missing"), "nas:/x"): f"no such file or folder: {tmp_path / 'missing'}",
        ("delete", "nas:/", "--mode", "permanent", "--yes"): (
            "refusing to delete the root of the volume nas; name what is in it"
        ),
        ("delete", "nas:/x", str(tmp_path / "a.txt"), "--mode", "permanent", "--yes"): (
            "delete takes paths of one volume at a time, without local paths among them"
        ),
    }
    for argv, line in cases.items():
        got = run_cli(*argv)
        assert (got.returncode, got.stderr) == (2, f"sd-desktop: error: {line}\n"), argv
    assert sorted(os.listdir(tmp_path / "remote")) == ["x"] and (tmp_path / "a.txt").exists()


def test_an_upload_to_a_server_that_never_answers_pauses_at_the_timeout(run_cli, tmp_path):
    (tmp_path / "a.txt").write_bytes(b"a")
    silent = servers.SilentServer()
    silent.start()
    try:
        url = f"webdav://127.0.0.1:{silent.port}/"
        added = run_cli("volume", "add", "hung", url, "--option", "timeout=1", env=NO_KEYRING)
        assert added.returncode == 0, added.stderr
        started = time.monotonic()
        got = run_cli("copy", str(tmp_path / "a.txt"), "hung:/in", timeout=60)
        took = time.monotonic() - started
    finally:
        silent.stop()
    assert got.returncode == 3, got.stderr
    assert got.stderr.splitlines()[0] == "job 1 paused; continue it with: sd-desktop jobs resume 1"
    assert f"volume hung: no answer from http://127.0.0.1:{silent.port} within 1s (stat /in/a.txt)" in got.stderr
    assert took < 15, took

"""``duplicates`` across a local folder and a volume (a real sshd): candidates by size and content id
from the stored index, then full hashes, the remote ones read through the volume, only for them."""

from __future__ import annotations

import os

from tests.volumes.test_volume_cli import add_sftp


def test_duplicates_across_local_and_remote_by_full_hash(run_cli, sshd, tmp_path):
    local, remote = tmp_path / "local", tmp_path / "remote"
    local.mkdir()
    (remote / "sub dir").mkdir(parents=True)
    same = os.urandom(200_000)
    (local / "photo #1.jpg").write_bytes(same)
    (remote / "sub dir" / "photo ü 1.jpg").write_bytes(same)
    # the same sampled bytes (header, four samples, footer: the same cas_id) but one byte between
    # them changed: a candidate that the full hash must tell apart
    lookalike = bytearray(same)
    lookalike[30_000] ^= 0xFF  # between the first two samples (cas.sample_ranges)
    (remote / "lookalike.jpg").write_bytes(bytes(lookalike))
    (local / "small 1.txt").write_bytes(b"twice, once here")
    (remote / "small 2.txt").write_bytes(b"twice, once here")
    (remote / "unique.bin").write_bytes(os.urandom(50_000))  # no candidate: never read in full
    assert add_sftp(run_cli, sshd, remote).returncode == 0
    assert run_cli("index", str(local)).returncode == 0
    assert run_cli("index", "nas:/").returncode == 0
    found = run_cli("duplicates", str(local), "nas:/", "--json")
    assert found.returncode == 0, found.stderr
    out = found.result["output"]
    assert [(g["size"], g["paths"]) for g in out["groups"]] == [
        (200_000, [str(local / "photo #1.jpg"), "nas:/sub dir/photo ü 1.jpg"]),
        (16, [str(local / "small 1.txt"), "nas:/small 2.txt"]),
    ]
    assert (out["files_searched"], out["candidates"], out["hashed"]) == (6, 5, 5)
    assert out["remote_bytes_read"] == 200_000 + 200_000 + 16  # the candidates on the volume, nothing else
    assert out["wasted_bytes"] == 200_016
    text = run_cli("duplicates", str(local), "nas:/")
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[-1] == (
        "2 groups, 200.0 KB in extra copies; 6 files searched, 5 read in full (400.0 KB from volumes)"
    )


def test_a_volume_path_outside_every_location_and_unsupported_flags_are_one_line(run_cli, sshd, tmp_path):
    (tmp_path / "r").mkdir()
    assert add_sftp(run_cli, sshd, tmp_path / "r").returncode == 0
    res = run_cli("duplicates", "nas:/", str(tmp_path), "--delete", "keep-oldest")
    assert (res.returncode, res.stderr) == (
        2,
        "sd-desktop: error: with a volume path, duplicates has no --delete yet\n",
    )
    res = run_cli("duplicates", "nas:/")
    assert res.returncode == 1
    assert res.stderr.splitlines()[0] == (
        "sd-desktop: cross_duplicates job 1 failed: nas:/ is in no location: index it first (sd-desktop index nas:/)"
    )

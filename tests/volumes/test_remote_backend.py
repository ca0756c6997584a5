"""The remote backends against real servers on 127.0.0.1: SFTP (OpenSSH), WebDAV (wsgidav), S3 (moto).

Names with spaces, ``%``, ``#`` and non-ASCII letters must round-trip unchanged; a wrong key, a
stopped server and a server that never answers each give one ``RemoteError`` of the right kind.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time

import pytest

from sd_desktop.volumes.remote import AUTH_FAILED, NOT_FOUND, OFFLINE, ONLINE, RemoteError, backend_for, probe
from tests.volumes import servers

ODD_NAMES = ["a b.txt", "100% sure.bin", "x#y.dat", "héllo wörld ü.txt"]


@pytest.fixture(params=["sftp", "webdav", "s3"])
def spec(request):
    return request.getfixturevalue(f"{request.param}_spec")


def run(coro):
    return asyncio.run(coro)


async def _roundtrip(spec, payloads: dict[str, bytes]):
    backend = backend_for(spec)
    try:
        for path, data in payloads.items():
            await backend.write(path, data)
        top = sorted((e.path, e.is_dir, e.size) for e in await backend.list(""))
        sub = sorted((e.path, e.is_dir, e.size) for e in await backend.list("sub dir"))
        stats = {p: await backend.stat(p) for p in payloads}
        ranges = {p: await backend.read_ranges(p, [(0, 5), (len(d) - 3, 3)]) for p, d in payloads.items()}
        return top, sub, stats, ranges
    finally:
        await backend.close()


def test_write_list_stat_and_ranged_reads_round_trip_odd_names(spec):
    payloads = {name: os.urandom(1000 + n) for n, name in enumerate(ODD_NAMES)}
    payloads["sub dir/ü #1.txt"] = b"0123456789"
    top, sub, stats, ranges = run(_roundtrip(spec, payloads))
    files = [(name, False, 1000 + n) for n, name in enumerate(ODD_NAMES)]
    assert top == sorted([*files, ("sub dir", True, 0)])
    assert sub == [("sub dir/ü #1.txt", False, 10)]
    for path, data in payloads.items():
        assert stats[path].size == len(data) and stats[path].is_dir is False and stats[path].mtime_ns is not None
        assert ranges[path] == [data[:5], data[-3:]]


def test_sftp_write_lands_under_its_real_name_and_leaves_no_temporary_file(sftp_spec):
    run(_roundtrip(sftp_spec, {"a b.txt": b"one", "sub dir/x": b"two"}))
    root = sftp_spec.root
    assert sorted(os.listdir(root)) == ["a b.txt", "sub dir"]
    with open(os.path.join(root, "a b.txt"), "rb") as f:
        assert f.read() == b"one"


def test_a_rewrite_replaces_the_whole_file(spec):
    async def go():
        backend = backend_for(spec)
        try:
            await backend.write("f.txt", b"long old content")
            await backend.write("f.txt", b"new")
            return (await backend.stat("f.txt")).size, await backend.read_ranges("f.txt", [(0, 3)])
        finally:
            await backend.close()

    assert run(go()) == (3, [b"new"])


def test_delete_then_stat_says_not_found(spec):
    async def go():
        backend = backend_for(spec)
        try:
            await backend.write("gone #1.txt", b"x")
            await backend.delete("gone #1.txt")
            with pytest.raises(RemoteError) as caught:
                await backend.stat("gone #1.txt")
            return caught.value
        finally:
            await backend.close()

    err = run(go())
    assert err.kind == NOT_FOUND
    assert str(err) == f"volume {spec.name}: no such file or folder: /gone #1.txt"


def test_probe_of_a_running_server_is_online(spec):
    assert run(probe(spec)) == (ONLINE, "")


def test_sftp_wrong_key_is_auth_failed_in_one_line(sftp_spec, sshd):
    wrong = dataclasses.replace(sftp_spec, options={**sftp_spec.options, "key": str(sshd.other_key)})
    status, detail = run(probe(wrong))
    assert status == AUTH_FAILED
    assert detail == f"volume nas: 127.0.0.1:{sshd.port} refused the login; check the user, key or password"


def test_sftp_unknown_host_key_is_auth_failed_not_trusted(sftp_spec, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    strict = dataclasses.replace(sftp_spec, options={**sftp_spec.options, "known_hosts": str(empty)})
    status, detail = run(probe(strict))
    assert status == AUTH_FAILED
    assert "host key of 127.0.0.1" in detail and "not trusted" in detail


def test_stopped_sftp_server_is_offline(tmp_path):
    server = servers.make_sshd(tmp_path / "ssh")
    server.start()
    from sd_desktop.volumes.remote import VolumeSpec

    options = {"host": "127.0.0.1", "port": str(server.port), "user": server.user, "key": str(server.key)}
    spec = VolumeSpec("nas", "sftp", str(tmp_path), {**options, "known_hosts": "accept"}, timeout=5)
    assert run(probe(spec))[0] == ONLINE
    server.stop()
    status, detail = run(probe(spec))
    assert status == OFFLINE
    assert detail == (
        f"volume nas: cannot reach 127.0.0.1:{server.port}: "
        "the connection was refused (is the server running, and is the port right?)"
    )


def test_an_unknown_host_name_says_so(tmp_path):
    from sd_desktop.volumes.remote import VolumeSpec

    options = {"host": "no-such-host.invalid", "port": "22", "user": "me", "known_hosts": "accept"}
    status, detail = run(probe(VolumeSpec("nas", "sftp", "/x", options, timeout=5)))
    assert status == OFFLINE
    assert detail.startswith("volume nas: cannot reach no-such-host.invalid:22: unknown host name (")


@pytest.mark.parametrize("scheme", ["sftp", "webdav", "s3"])
def test_a_server_that_accepts_and_never_answers_times_out(scheme, tmp_path):
    from sd_desktop.volumes.remote import VolumeSpec

    silent = servers.SilentServer()
    silent.start()
    try:
        options = {
            "sftp": {"host": "127.0.0.1", "port": str(silent.port), "user": "x", "known_hosts": "accept"},
            "webdav": {"endpoint": f"http://127.0.0.1:{silent.port}"},
            "s3": {
                "bucket": "b",
                "endpoint": f"http://127.0.0.1:{silent.port}",
                "region": "us-east-1",
                "access_key_id": "a",
                "secret_access_key": "s",
            },
        }[scheme]
        spec = VolumeSpec("hung", scheme, "/", options, timeout=1.0)
        started = time.monotonic()
        status, detail = run(probe(spec))
        took = time.monotonic() - started
    finally:
        silent.stop()
    assert status == OFFLINE
    assert "no answer from" in detail and "within 1s" in detail
    assert took < 5

"""Pipelined SFTP reads and writes (``volumes/sftp_pipeline.py``) through ``SftpBackend`` against a
real sshd: exact chunks, a file that shrinks or vanishes, odd write sizes, folders made once per
connection and again when removed behind its back, and a passphrase key asyncssh cannot open."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import subprocess

import pytest

from sd_desktop.volumes import sftp_pipeline
from sd_desktop.volumes.remote import AUTH_FAILED, NOT_FOUND, RemoteError, SftpBackend, probe


def run(coro):
    return asyncio.run(coro)


def test_a_reader_gives_exact_chunks_across_blocks_then_nothing(sftp_spec):
    root = sftp_spec.root
    data = os.urandom(9 * sftp_pipeline.BLOCK + 12345)
    with open(os.path.join(root, "f #1.bin"), "wb") as f:
        f.write(data)

    async def go():
        backend = SftpBackend(sftp_spec)
        try:
            reader = await backend.open_reader("f #1.bin", 100, len(data) - 100)
            try:
                # 1 MiB is not a multiple of the block: each read still ends where it was asked to
                got = [await reader.read(1024 * 1024) for _ in range(2)]
                return got, await reader.read(len(data)), await reader.read(1)
            finally:
                await reader.close()
        finally:
            await backend.close()

    (first, second), rest, end = run(go())
    mib = 1024 * 1024
    assert [len(first), len(second)] == [mib, mib]
    assert (first + second, rest, end) == (data[100 : 100 + 2 * mib], data[100 + 2 * mib :], b"")


def test_a_reader_of_a_file_that_shrank_ends_where_the_file_ends(sftp_spec):
    path = os.path.join(sftp_spec.root, "shrinks.bin")
    data = os.urandom(4 * sftp_pipeline.BLOCK)
    with open(path, "wb") as f:
        f.write(data)

    async def go():
        backend = SftpBackend(sftp_spec)
        try:
            os.truncate(path, sftp_pipeline.BLOCK + 7)  # after the listing said 4 blocks
            reader = await backend.open_reader("shrinks.bin", 0, len(data))
            try:
                return await reader.read(len(data)), await reader.read(len(data))
            finally:
                await reader.close()
        finally:
            await backend.close()

    assert run(go()) == (data[: sftp_pipeline.BLOCK + 7], b"")


def test_a_reader_of_a_missing_file_is_not_found(sftp_spec):
    async def go():
        backend = SftpBackend(sftp_spec)
        try:
            with pytest.raises(RemoteError) as caught:
                await backend.open_reader("gone.bin", 0, 10)
            return caught.value
        finally:
            await backend.close()

    err = run(go())
    assert (err.kind, str(err)) == (NOT_FOUND, "volume nas: no such file or folder: /gone.bin")


def test_an_upload_of_odd_chunks_lands_whole_and_a_removed_folder_is_made_again(sftp_spec):
    data = os.urandom(5 * sftp_pipeline.BLOCK + 999)
    sizes = [1, sftp_pipeline.BLOCK - 1, 3 * sftp_pipeline.BLOCK + 5, len(data)]

    async def chunks():
        start = 0
        for end in sizes:
            yield data[start:end]
            start = end

    async def go():
        backend = SftpBackend(sftp_spec)
        try:
            await backend.upload("a/b c/x.bin", chunks(), "a/b c/.x.bin.part", replace=False)
            # the folder goes behind the connection's back: the next upload into it makes it again
            shutil.rmtree(os.path.join(sftp_spec.root, "a"))
            await backend.upload("a/b c/y.bin", chunks(), "a/b c/.y.bin.part", replace=False)
        finally:
            await backend.close()

    run(go())
    folder = os.path.join(sftp_spec.root, "a", "b c")
    assert sorted(os.listdir(folder)) == ["y.bin"]
    with open(os.path.join(folder, "y.bin"), "rb") as f:
        assert f.read() == data


def test_an_upload_where_a_file_blocks_the_folder_fails_in_one_line(sftp_spec):
    with open(os.path.join(sftp_spec.root, "a"), "wb") as f:
        f.write(b"a file, not a folder")

    async def chunks():
        yield b"x"

    async def go():
        backend = SftpBackend(sftp_spec)
        try:
            with pytest.raises(RemoteError) as caught:
                await backend.upload("a/x.bin", chunks(), "a/.x.bin.part", replace=False)
            return caught.value
        finally:
            await backend.close()

    err = run(go())
    assert (err.kind, str(err)) == ("failed", f"volume nas: write /a/x.bin: {sftp_spec.root}/a is not a directory")


def test_a_passphrase_key_asyncssh_cannot_decrypt_is_one_line_auth_failed(sftp_spec, tmp_path):
    # an OpenSSH-format key with a passphrase needs bcrypt, which asyncssh only uses if installed
    key = tmp_path / "locked"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "a passphrase", "-f", str(key)], check=True)
    try:
        import bcrypt  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("bcrypt is installed: asyncssh can open this key")
    locked = dataclasses.replace(
        sftp_spec, options={**sftp_spec.options, "key": str(key), "passphrase": "a passphrase"}
    )
    status, detail = run(probe(locked))
    assert (status, detail) == (
        AUTH_FAILED,
        f"volume nas: cannot use the key {key}: OpenSSH private key encryption requires bcrypt with KDF "
        "support; convert the key with ssh-keygen -p -m PEM -f KEY, or use a key without a passphrase",
    )


def test_calls_at_once_on_a_new_backend_share_one_connection(sftp_spec, sshd):
    import psutil

    with open(os.path.join(sftp_spec.root, "x.txt"), "wb") as f:
        f.write(b"x")

    async def go():
        backend = SftpBackend(sftp_spec)
        try:
            # as files in flight at once do on a resumed job: each starts with a call that connects
            sizes = await asyncio.gather(*(backend.stat("x.txt") for _ in range(20)))
            sessions = len(psutil.Process(sshd.proc.pid).children())
            return [e.size for e in sizes], sessions
        finally:
            await backend.close()

    sizes, sessions = run(go())
    assert (sizes, sessions) == ([1] * 20, 1)

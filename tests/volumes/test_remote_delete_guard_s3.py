"""Deleting duplicates in an S3 bucket from search results (FAULTS 5), against moto in server mode
through OpenDAL: ``remote_delete`` removes a target only if, just before, a kept copy (local or in
the bucket) is still there with its size and the target's full hash.

An object store differs from SFTP and WebDAV where the guard could be fooled: an object is replaced
whole by a PUT (never changed in place) and its time is the PUT's, to the second, so a replacement
of the same size within a second looks unchanged to a stat. The cases below replace objects with
same-sized other bytes, so only the full read tells them apart."""

from __future__ import annotations

import pytest

from sd_desktop.library import Library
from sd_desktop.ops.files.remote_delete import KeptCopies, RemoteDeleteConfig
from tests.fileops.helpers import run_job
from tests.volumes.test_remote_delete_guard import CONTENT, DIGEST, OTHER
from tests.volumes.test_remote_upload import add_s3
from tests.volumes.test_volume_cli import NO_KEYRING


class Bucket:
    """The bucket behind the volume ``bucket`` (its root is the prefix ``data/``), seen with boto3."""

    def __init__(self, s3, name: str):
        import boto3

        self.name = name
        self.client = boto3.client(
            "s3",
            endpoint_url=s3.endpoint,
            region_name=s3.REGION,
            aws_access_key_id=s3.ACCESS_KEY,
            aws_secret_access_key=s3.SECRET_KEY,
        )

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=f"data/{key}", Body=data)

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=f"data/{key}")["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.name, Key=f"data/{key}")

    def keys(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name, Prefix="data/").get("Contents", [])
        return sorted(o["Key"].removeprefix("data/") for o in listed)


@pytest.fixture
def setup(run_cli, s3, tmp_path, library_dir, monkeypatch):
    """A local copy and two copies in the bucket (volume ``bucket``), all indexed; returns (local, bucket)."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", NO_KEYRING["PYTHON_KEYRING_BACKEND"])
    local = tmp_path / "local"
    local.mkdir()
    (local / "kept.bin").write_bytes(CONTENT)
    name = f"guard-{tmp_path.name.lower().replace('_', '-')}"[:60].rstrip("-")
    added = add_s3(run_cli, s3, name)
    assert added.returncode == 0, added.stderr
    bucket = Bucket(s3, name)
    bucket.put("kept.bin", CONTENT)
    bucket.put("copy 1.bin", CONTENT)
    indexed = run_cli("index", "bucket:/")
    assert indexed.returncode == 0, indexed.stderr
    return local, bucket


def delete(library_dir, keeper: str, target: str = "copy 1.bin"):
    config = RemoteDeleteConfig(
        volume="bucket", paths=[target], confirm=True, guards=[KeptCopies(target, [keeper], DIGEST)]
    )
    lib = Library.open(library_dir)
    try:
        return run_job(lib, "remote_delete", config)
    finally:
        lib.close()


def indexed(library_dir, path: str) -> bool:
    """Whether the library holds an entry for ``bucket:/path``."""
    from sd_desktop.library import volumes
    from sd_desktop.library.remote_entries import entry_at

    lib = Library.open(library_dir)
    try:

        def read(conn) -> bool:
            volume = volumes.find_volume(conn, "bucket")
            where = volumes.locate_remote(conn, volume.id, path)
            return where is not None and entry_at(conn, where[0], where[1].encode()) is not None

        return lib.read_sync(read)
    finally:
        lib.close()


def test_kept_copy_deleted_from_the_bucket_after_the_search_keeps_the_target(setup, library_dir):
    local, bucket = setup
    bucket.delete("kept.bin")
    info = delete(library_dir, "bucket:/kept.bin")
    out = info.output
    assert (info.status.value, info.error) == ("failed", "nothing was done: the item failed (the outcomes say why)")
    assert bucket.keys() == ["copy 1.bin"] and bucket.get("copy 1.bin") == CONTENT
    assert (out["files_deleted"], out["skipped"], out["failed"]) == (0, 1, 0)
    assert out["outcomes"] == [
        {
            "path": "bucket:/copy 1.bin",
            "outcome": "skipped",
            "reason": "kept copy gone: bucket:/kept.bin is no longer there; left as it is",
        }
    ]


@pytest.mark.parametrize("where", ["local", "bucket"])
def test_kept_copy_replaced_by_other_bytes_of_the_same_size_keeps_the_target(setup, library_dir, where):
    local, bucket = setup
    if where == "local":
        (local / "kept.bin").write_bytes(OTHER)
        keeper = str(local / "kept.bin")
    else:
        bucket.put("kept.bin", OTHER)  # a new object of the same size, maybe within the same second
        keeper = "bucket:/kept.bin"
    out = delete(library_dir, keeper).output
    assert bucket.get("copy 1.bin") == CONTENT
    assert (out["files_deleted"], out["skipped"], out["failed"]) == (0, 1, 0)
    assert out["outcomes"] == [
        {
            "path": "bucket:/copy 1.bin",
            "outcome": "skipped",
            "reason": f"kept copy changed: {keeper} no longer has this content; left as it is",
        }
    ]


def test_target_replaced_and_indexed_again_after_the_search_stays(setup, run_cli, library_dir):
    """The search saw CONTENT; the object was replaced by other bytes of the same size and indexed
    again (so its size and time are as the library has them): only its full hash tells."""
    local, bucket = setup
    bucket.put("copy 1.bin", OTHER)
    assert run_cli("index", "bucket:/").returncode == 0
    out = delete(library_dir, str(local / "kept.bin")).output
    assert bucket.get("copy 1.bin") == OTHER
    assert (out["files_deleted"], out["skipped"], out["failed"]) == (0, 1, 0)
    assert out["outcomes"] == [
        {
            "path": "bucket:/copy 1.bin",
            "outcome": "skipped",
            "reason": "target changed: its content is not what the search found; left as it is",
        }
    ]


@pytest.mark.parametrize("where", ["local", "bucket"])
def test_both_intact_the_target_object_is_deleted_and_forgotten(setup, library_dir, where):
    local, bucket = setup
    keeper = str(local / "kept.bin") if where == "local" else "bucket:/kept.bin"
    assert (indexed(library_dir, "copy 1.bin"), indexed(library_dir, "kept.bin")) == (True, True)
    info = delete(library_dir, keeper)
    out = info.output
    assert info.status.value == "completed", info.error
    assert (out["files_deleted"], out["bytes_deleted"], out["skipped"], out["outcomes"]) == (1, 300_000, 0, [])
    assert bucket.keys() == ["kept.bin"] and bucket.get("kept.bin") == CONTENT
    assert (local / "kept.bin").read_bytes() == CONTENT
    assert (indexed(library_dir, "copy 1.bin"), indexed(library_dir, "kept.bin")) == (False, True)


def test_target_replaced_while_its_kept_copy_is_read_stays(s3, tmp_path, run_cli, library_dir, monkeypatch):
    """Another program replaces the target with other bytes of the same size after the guard read it
    and while it reads the kept copy (a proxy in front of moto PUTs the new object when the kept
    copy's GET comes through): the kept copy still matches what the target held, but the target
    holds something else now, so it stays."""
    from tests.volumes import servers

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", NO_KEYRING["PYTHON_KEYRING_BACKEND"])
    name = f"race-{tmp_path.name.lower().replace('_', '-')}"[:60].rstrip("-")
    s3.make_bucket(name)
    bucket = Bucket(s3, name)
    bucket.put("kept.bin", CONTENT)
    bucket.put("copy 1.bin", CONTENT)
    other = tmp_path / "other"
    other.write_bytes(OTHER)
    proxy = servers.S3ReplacingProxy(s3, f"GET /{name}/data/kept.bin ", name, "data/copy 1.bin", other)
    proxy.start()
    try:
        added = run_cli(
            "volume", "add", "bucket", f"s3://{name}/data",
            "--option", f"endpoint={proxy.endpoint}", "--option", "region=us-east-1",
            "--option", f"access_key_id={s3.ACCESS_KEY}", "--option", f"secret_access_key={s3.SECRET_KEY}",
            env=NO_KEYRING,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        out = delete(library_dir, "bucket:/kept.bin").output
    finally:
        proxy.stop()
    assert proxy.fired
    assert bucket.keys() == ["copy 1.bin", "kept.bin"]
    assert (bucket.get("copy 1.bin"), bucket.get("kept.bin")) == (OTHER, CONTENT)
    assert (out["files_deleted"], out["skipped"], out["failed"]) == (0, 1, 0)
    assert out["outcomes"] == [
        {
            "path": "bucket:/copy 1.bin",
            "outcome": "skipped",
            "reason": "target changed: it was replaced while its kept copy was read; left as it is",
        }
    ]

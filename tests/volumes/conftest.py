"""Fixtures: real SFTP, WebDAV and S3 servers on 127.0.0.1, one of each per test module, and the
volume specs that reach them. Files put on a server are plain files in a tmp folder (SFTP, WebDAV)
or objects written through the backend (S3)."""

from __future__ import annotations

import pytest

from sd_desktop.volumes.remote import VolumeSpec
from tests.volumes import servers


@pytest.fixture(scope="session", autouse=True)
def _let_opendal_settle():
    """OpenDAL's async runtime may still run threads that touch Python objects when the interpreter
    ends (the command line ends with ``os._exit`` for that reason, ``sd_desktop.__main__``); give
    them a moment after the last test here (without it, some exits in a few dozen crashed)."""
    yield
    import gc
    import time

    gc.collect()
    time.sleep(0.3)


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    server = servers.make_sshd(tmp_path_factory.mktemp("sshd"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def webdav(tmp_path_factory):
    server = servers.WebDavServer(tmp_path_factory.mktemp("dav"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    server = servers.S3Server()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sftp_spec(sshd, tmp_path):
    root = tmp_path / "sftp root"
    root.mkdir()
    options = {"host": "127.0.0.1", "port": str(sshd.port), "user": sshd.user, "key": str(sshd.key)}
    options["known_hosts"] = "accept"
    return VolumeSpec(name="nas", scheme="sftp", root=str(root), options=options, timeout=10)


@pytest.fixture
def webdav_spec(webdav, tmp_path):
    sub = webdav.root / tmp_path.name
    sub.mkdir()
    return VolumeSpec(
        name="dav",
        scheme="webdav",
        root=f"/{tmp_path.name}",
        options={"endpoint": f"http://127.0.0.1:{webdav.port}"},
        timeout=10,
    )


@pytest.fixture
def s3_spec(s3, tmp_path):
    bucket = "b" + str(abs(hash(tmp_path.name)))[:12]
    s3.make_bucket(bucket)
    options = {
        "bucket": bucket,
        "endpoint": s3.endpoint,
        "region": s3.REGION,
        "access_key_id": s3.ACCESS_KEY,
        "secret_access_key": s3.SECRET_KEY,
    }
    return VolumeSpec(name="bucket", scheme="s3", root="/data", options=options, timeout=10)

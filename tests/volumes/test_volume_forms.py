"""The engine side of the window's network volumes: form fields checked and turned into a volume,
registration (secrets never in the library), the status-check schedule with its backoff, and the
blocking calls a worker makes, against real servers on 127.0.0.1."""

from __future__ import annotations

import json
import os

import pytest

from sd_desktop.library.volumes import VolumeError, find_volume
from sd_desktop.volumes import blocking, forms, registry
from sd_desktop.volumes.remote import AUTH_FAILED, OFFLINE, ONLINE, RemoteError, VolumeSpec
from tests.volumes import servers

ODD = ["100% sure.bin", "a b.txt", "x#y.dat", "é ü #1.txt"]


@pytest.fixture
def test_keyring(tmp_path, monkeypatch):
    """The "OS keyring" as a JSON file the test can read (``tests.volumes.file_keyring``)."""
    import keyring

    from tests.volumes.file_keyring import FileKeyring

    path = tmp_path / "keyring.json"
    monkeypatch.setenv("SD_TEST_KEYRING_FILE", str(path))
    before = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield path
    keyring.set_keyring(before)


def test_problems_are_per_field_one_line_each(tmp_path):
    assert forms.problems("sftp", "", {}) == {
        "name": "give the volume a name (used as NAME:/path)",
        "user": "the user to log in as",
        "host": "the server's name or address",
        "password": "give a key file or a password",
    }
    bad = {"user": "me", "host": "me@nas", "port": "70000", "key": str(tmp_path / "missing")}
    assert forms.problems("sftp", "C", bad) == {
        "name": "two or more letters, digits, '.', '_' or '-', starting with a letter or digit",
        "host": "a host name or address only (no user, port or folder)",
        "port": "a number from 1 to 65535",
        "key": "no such file; choose the private key file",
    }
    assert forms.problems("s3", "b1", {"bucket": "No_Caps", "endpoint": "s3.local", "access_key_id": "AK"}) == {
        "bucket": "3 to 63 lower-case letters, digits, '.' or '-'",
        "endpoint": "an http:// or https:// address",
        "secret_access_key": "give both the access key and the secret, or neither",
    }
    assert forms.problems("webdav", "dav", {"url": "nas.local/share", "password": "pw"}) == {
        "url": "an http:// or https:// address",
        "username": "a password needs a user",
    }
    with pytest.raises(forms.FormError) as caught:
        forms.to_volume("webdav", "dav", {"url": ""})
    assert caught.value.problems == {"url": "the share's address, http://HOST:PORT/FOLDER"}


def test_to_volume_gives_what_volume_add_stores(tmp_path):
    key = tmp_path / "id key"
    key.write_text("k")
    sftp = {"user": "me", "host": "nas", "port": "", "root": "srv/a b/", "key": str(key), "trust_host_key": "1"}
    assert forms.to_volume("sftp", "nas", sftp) == (
        "sftp",
        "/srv/a b",
        {"host": "nas", "port": "22", "user": "me", "key": str(key), "known_hosts": "accept"},
    )
    s3 = {"bucket": "pics", "root": "", "endpoint": "http://127.0.0.1:9", "access_key_id": "AK"}
    s3["secret_access_key"] = " sec ret "  # a secret is taken as typed, spaces and all
    assert forms.to_volume("s3", "b1", s3) == (
        "s3",
        "/",
        {"bucket": "pics", "endpoint": "http://127.0.0.1:9", "access_key_id": "AK", "secret_access_key": " sec ret "},
    )
    dav = {"url": "https://nas.local:8080/share/%C3%A9", "username": "me", "password": "pw"}
    assert forms.to_volume("webdav", "dav", dav) == (
        "webdav",
        "/share/%C3%A9",
        {"endpoint": "https://nas.local:8080", "username": "me", "password": "pw"},
    )


def test_register_keeps_secrets_out_of_the_library(library, test_keyring):
    scheme, root, options = forms.to_volume(
        "webdav", "dav", {"url": "http://127.0.0.1:1/share", "username": "me", "password": "s3cr3t pw"}
    )
    done = registry.register(library, library.folder, "dav", scheme, root, options)
    assert (done.where, done.warning) == ("keyring", None)
    row = library.read_sync(lambda c: find_volume(c, "dav"))
    assert row.options == {"endpoint": "http://127.0.0.1:1", "username": "me"}
    assert b"s3cr3t" not in (library.folder / "library.db").read_bytes()
    stored = json.loads(test_keyring.read_text())
    assert list(stored.values()) == [json.dumps({"password": "s3cr3t pw"})]
    with pytest.raises(VolumeError, match="exists already"):
        registry.register(library, library.folder, "dav", scheme, root, options)
    assert registry.unregister(library, library.folder, row, with_locations=False) == 0
    assert json.loads(test_keyring.read_text()) == {}


def test_unregister_refuses_a_volume_with_locations_unless_asked(library, tmp_path):
    registry.register(library, library.folder, "nas", "sftp", str(tmp_path), {"host": "127.0.0.1"})
    row = library.read_sync(lambda c: find_volume(c, "nas"))
    assert registry.location_for(library, row, "/2024/") == (1, "")
    assert registry.location_for(library, row, "2024/x") == (1, "x")
    assert registry.locations_of(library, row) == [(1, "nas:/2024")]
    with pytest.raises(VolumeError, match=r"the volume has 1 location\(s\) \(nas:/2024\)"):
        registry.unregister(library, library.folder, row, with_locations=False)
    assert registry.unregister(library, library.folder, row, with_locations=True) == 1
    assert library.read_sync(lambda c: find_volume(c, "nas")) is None


def test_schedule_backs_off_while_a_volume_fails_and_check_now_overrides():
    s = blocking.CheckSchedule()
    s.track(["a", "b"], now=0.0)
    assert s.due(0.0) == ["a", "b"]
    assert s.due(0.0) == []  # in flight: not asked twice
    assert s.record("a", ONLINE, 1.0) == 60.0
    delays = [s.record("b", OFFLINE, 1.0) for _ in range(7)]
    assert delays == [30.0, 60.0, 120.0, 240.0, 480.0, 600.0, 600.0]
    assert s.due(60.0) == []
    assert s.due(61.0) == ["a"]
    s.check_now("b", 62.0)
    assert s.due(62.0) == ["b"]
    s.check_now("b", 62.5)  # in flight already: not asked a second time
    assert s.due(62.5) == []
    assert s.record("b", ONLINE, 63.0) == 60.0  # back online: the backoff starts over
    s.track(["b"], now=64.0)
    assert s.record("a", ONLINE, 64.0) == 0.0  # forgotten: its late result changes nothing
    assert s.due_at == {"b": 123.0}


def test_blocking_calls_list_odd_names_and_say_why_they_fail(sshd, sftp_spec, webdav_spec, webdav):
    root = sftp_spec.root
    for name in ODD:
        with open(os.path.join(root, name), "wb") as f:
            f.write(name.encode())
    os.mkdir(os.path.join(root, "Zed dir"))
    assert blocking.check(sftp_spec) == (ONLINE, "")
    listed = blocking.list_folder(sftp_spec, "")
    assert [(e.name, e.is_dir, e.size) for e in listed] == [("Zed dir", True, 0)] + [
        (n, False, len(n.encode())) for n in ODD
    ]
    assert blocking.read_head(sftp_spec, "a b.txt", 3) == b"a b"
    assert blocking.read_head(sftp_spec, "a b.txt", 1000) == b"a b.txt"
    dav_root = webdav.root / webdav_spec.root.strip("/")
    for name in ODD:
        (dav_root / name).write_bytes(b"x")
    assert [e.name for e in blocking.list_folder(webdav_spec, "")] == ODD
    bad_key = VolumeSpec("nas", "sftp", root, {**sftp_spec.options, "key": str(sshd.other_key)}, timeout=10)
    status, detail = blocking.check(bad_key)
    assert (status, detail) == (
        AUTH_FAILED,
        f"volume nas: 127.0.0.1:{sshd.port} refused the login; check the user, key or password",
    )
    closed = VolumeSpec("nas", "sftp", root, {**sftp_spec.options, "port": str(servers.free_port())}, timeout=10)
    assert blocking.check(closed)[0] == OFFLINE
    with pytest.raises(RemoteError) as caught:
        blocking.list_folder(closed, "")
    assert caught.value.kind == OFFLINE
    assert str(caught.value).startswith(f"volume nas: cannot reach 127.0.0.1:{closed.options['port']}: ")


def test_register_checks_the_options_before_keeping_anything(library, test_keyring):
    """The registration ``volume add`` and the window share refuses a port or timeout no connection
    could use, with its one line, and keeps no secret and no row."""
    from sd_desktop.volumes.specs import SpecError

    options = {"host": "127.0.0.1", "port": "0", "user": "me", "password": "pw"}
    with pytest.raises(SpecError, match=r"^bad port '0': write a number from 1 to 65535$"):
        registry.register(library, library.folder, "nas", "sftp", "/data", options)
    with pytest.raises(SpecError, match=r"^bad timeout '-1': write a number of seconds above 0$"):
        registry.register(library, library.folder, "nas", "sftp", "/data", {**options, "port": "22", "timeout": "-1"})
    assert library.read_sync(lambda c: find_volume(c, "nas")) is None
    assert not test_keyring.exists() or json.loads(test_keyring.read_text()) == {}

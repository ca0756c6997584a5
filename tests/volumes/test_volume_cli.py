"""``volume add|list|remove``, ``index NAME:/path``, ``location add NAME:/path`` and ``info NAME:/path``
as real subprocesses against real servers on 127.0.0.1 (sshd, wsgidav, moto)."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import time

import pytest

from tests.volumes import servers

NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}  # as on a headless machine or CI


def make_tree(root) -> dict[str, bytes]:
    """A few files with odd names, one of them large enough for the sampled cas_id (> 100 KiB)."""
    files = {
        "a b.txt": b"hello world\n",
        "100% sure.bin": os.urandom(300_000),
        "x#y.dat": os.urandom(5000),
        "héllo wörld/ü #1.txt": b"unicode",
        "héllo wörld/deeper/big one.bin": os.urandom(150_000),
        "empty": b"",
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def add_sftp(run_cli, sshd, root, name="nas", key=None, extra=()):
    return run_cli(
        "volume",
        "add",
        name,
        f"sftp://{sshd.user}@127.0.0.1:{sshd.port}{root}",
        "--option",
        f"key={key or sshd.key}",
        "--option",
        "known_hosts=accept",
        *extra,
        "--json",
        env=NO_KEYRING,
    )


def cas_ids(library_dir, location_id) -> dict[bytes, str | None]:
    conn = sqlite3.connect(library_dir / "library.db")
    try:
        rows = conn.execute("SELECT path, cas_id FROM entry WHERE location_id = ? AND kind = 0", (location_id,))
        return {bytes(p): c for p, c in rows}
    finally:
        conn.close()


def test_add_list_remove_an_sftp_volume(run_cli, sshd, tmp_path, library_dir):
    added = add_sftp(run_cli, sshd, tmp_path)
    assert added.returncode == 0, added.stderr
    assert added.result["output"] == {"id": 1, "name": "nas", "scheme": "sftp", "root": str(tmp_path), "secrets": None}
    listed = run_cli("volume", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert listed.result["output"]["volumes"] == [
        {"id": 1, "name": "nas", "scheme": "sftp", "root": str(tmp_path), "status": "online", "detail": ""}
    ]
    again = add_sftp(run_cli, sshd, tmp_path)
    assert again.returncode == 1
    assert again.stderr == "sd-desktop: a volume named 'nas' exists already; remove it first or choose another name\n"
    removed = run_cli("volume", "remove", "nas", "--json")
    assert removed.returncode == 0, removed.stderr
    assert removed.result["output"] == {"removed": 1, "locations_removed": 0}
    assert run_cli("volume", "list", "--json").result["output"]["volumes"] == []


def test_wrong_key_is_auth_failed_and_a_stopped_server_offline(run_cli, sshd, tmp_path):
    assert add_sftp(run_cli, sshd, tmp_path, name="wrongkey", key=sshd.other_key).returncode == 0
    other = servers.make_sshd(tmp_path / "other")
    other.start()
    assert add_sftp(run_cli, other, tmp_path, name="stopped").returncode == 0
    other.stop()
    rows = {v["name"]: v for v in run_cli("volume", "list", "--json").result["output"]["volumes"]}
    assert rows["wrongkey"]["status"] == "auth_failed"
    assert rows["wrongkey"]["detail"] == (
        f"volume wrongkey: 127.0.0.1:{sshd.port} refused the login; check the user, key or password"
    )
    assert rows["stopped"]["status"] == "offline"
    assert rows["stopped"]["detail"].startswith(f"volume stopped: cannot reach 127.0.0.1:{other.port}: ")
    text = run_cli("volume", "list")
    assert text.returncode == 0 and "Traceback" not in text.stderr


def test_secrets_go_to_a_0600_file_without_a_keyring_and_are_never_printed(run_cli, s3, library_dir):
    s3.make_bucket("secretive")
    added = run_cli(
        "volume",
        "add",
        "bucket",
        "s3://secretive/photos",
        "--option",
        f"endpoint={s3.endpoint}",
        "--option",
        "region=us-east-1",
        "--option",
        "access_key_id=AKIDEXAMPLE",
        "--option",
        "secret_access_key=TOP-SECRET-VALUE",
        "--json",
        env=NO_KEYRING,
    )
    assert added.returncode == 0, added.stderr
    assert added.result["output"]["secrets"] == "file"
    secrets_file = library_dir / "volume-secrets.json"
    assert added.stderr == (
        f"sd-desktop: warning: no OS keyring is available; the secrets are in {secrets_file} (readable by you only)\n"
    )
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert "TOP-SECRET-VALUE" in secrets_file.read_text()
    assert b"TOP-SECRET-VALUE" not in (library_dir / "library.db").read_bytes()
    for args in (("volume", "list", "--json"), ("volume", "list")):
        listed = run_cli(*args, env=NO_KEYRING)
        assert listed.returncode == 0, listed.stderr
        assert "TOP-SECRET-VALUE" not in listed.stdout + listed.stderr
    assert run_cli("volume", "list", "--json").result["output"]["volumes"][0]["status"] == "online"
    assert run_cli("volume", "remove", "bucket").returncode == 0
    assert "TOP-SECRET-VALUE" not in secrets_file.read_text()


def test_a_volume_name_that_is_not_registered_or_a_relative_path_stays_local(run_cli, tmp_path):
    odd = tmp_path / "x:"
    odd.mkdir()
    (odd / "y").mkdir()
    local = run_cli("location", "add", f"{odd}/y", "--json")
    assert local.returncode == 0, local.stderr
    assert local.result["output"]["path"] == f"{odd}/y"
    missing = run_cli("index", "notes:/draft")
    assert missing.returncode == 2
    assert missing.stderr == (
        "sd-desktop: error: no such file or folder, and no volume named 'notes': notes:/draft "
        "(see 'sd-desktop volume list')\n"
    )


@pytest.mark.parametrize("scheme", ["sftp", "webdav", "s3"])
def test_remote_index_gives_the_cas_ids_of_the_local_index_of_the_same_tree(
    scheme, run_cli, request, tmp_path, library_dir
):
    local = tmp_path / "local"
    files = make_tree(local)
    if scheme == "sftp":
        sshd = request.getfixturevalue("sshd")
        remote_root = tmp_path / "remote root"
        make_tree(remote_root)
        for rel, data in files.items():  # the same bytes (make_tree draws new random ones)
            (remote_root / rel).write_bytes(data)
        assert add_sftp(run_cli, sshd, remote_root).returncode == 0
    elif scheme == "webdav":
        dav = request.getfixturevalue("webdav")
        share = dav.root / tmp_path.name
        for rel, data in files.items():
            (share / rel).parent.mkdir(parents=True, exist_ok=True)
            (share / rel).write_bytes(data)
        added = run_cli("volume", "add", "nas", f"webdav://127.0.0.1:{dav.port}/{tmp_path.name}", env=NO_KEYRING)
        assert added.returncode == 0, added.stderr
    else:
        s3 = request.getfixturevalue("s3")
        bucket = f"idx-{tmp_path.name.lower().replace('_', '-')}"[:60]
        s3.make_bucket(bucket)
        put_objects(s3, bucket, "tree", files)
        added = run_cli(
            "volume",
            "add",
            "nas",
            f"s3://{bucket}/tree",
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
        assert added.returncode == 0, added.stderr
    done = run_cli("index", "nas:/", "--json")
    assert done.returncode == 0, done.stderr
    out = done.result["output"]
    assert (out["files"], out["hashed"], out["new"]) == (6, 5, 6)
    local_done = run_cli("index", str(local), "--json")
    assert local_done.returncode == 0, local_done.stderr
    remote_ids = cas_ids(library_dir, done.result["output"]["location_id"])
    local_ids = cas_ids(library_dir, local_done.result["output"]["location_id"])
    assert remote_ids == local_ids
    assert len({c for c in remote_ids.values() if c}) == 5
    # a second run reads nothing: sizes and times are as stored
    again = run_cli("index", "nas:/", "--json")
    assert (again.result["output"]["hashed"], again.result["output"]["new"]) == (0, 0)
    shown = run_cli("info", "nas:/héllo wörld/deeper/big one.bin", "--json")
    assert shown.returncode == 0, shown.stderr
    assert shown.result["output"]["cas_id"] == local_ids["héllo wörld/deeper/big one.bin".encode()]
    assert shown.result["output"]["size"] == 150_000


def put_objects(s3, bucket: str, prefix: str, files: dict[str, bytes]) -> None:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3.endpoint,
        region_name=s3.REGION,
        aws_access_key_id=s3.ACCESS_KEY,
        aws_secret_access_key=s3.SECRET_KEY,
    )
    for rel, data in files.items():
        client.put_object(Bucket=bucket, Key=f"{prefix}/{rel}", Body=data)


def test_remove_is_refused_while_the_volume_has_locations_unless_forced(run_cli, sshd, tmp_path, library_dir):
    make_tree(tmp_path / "r")
    assert add_sftp(run_cli, sshd, tmp_path / "r").returncode == 0
    loc = run_cli("location", "add", "nas:/héllo wörld", "--json")
    assert loc.returncode == 0, loc.stderr
    assert loc.result["output"] == {"id": 1, "path": "nas:/héllo wörld", "volume": "nas", "every": None}
    assert run_cli("index", "nas:/héllo wörld").returncode == 0
    refused = run_cli("volume", "remove", "nas")
    assert refused.returncode == 1
    assert refused.stderr == (
        "sd-desktop: volume nas not removed: the volume has 1 location(s) (nas:/héllo wörld); remove them first, "
        "or add --force to forget them with it (no file is deleted)\n"
    )
    forced = run_cli("volume", "remove", "nas", "--force", "--json")
    assert forced.result["output"] == {"removed": 1, "locations_removed": 1}
    assert run_cli("location", "list", "--json").result["output"]["locations"] == []
    assert sorted(p.name for p in (tmp_path / "r" / "héllo wörld").iterdir()) == ["deeper", "ü #1.txt"]
    conn = sqlite3.connect(library_dir / "library.db")
    assert conn.execute("SELECT COUNT(*) FROM entry").fetchone()[0] == 0
    conn.close()


def test_a_server_gone_pauses_the_index_with_the_reason_and_resume_finishes_it(run_cli, tmp_path, library_dir):
    server = servers.make_sshd(tmp_path / "ssh")
    files = make_tree(tmp_path / "r")
    server.start()
    try:
        assert add_sftp(run_cli, server, tmp_path / "r").returncode == 0
        server.stop()
        paused = run_cli("index", "nas:/")
        assert paused.returncode == 3
        lines = paused.stderr.splitlines()
        assert lines[0] == "job 1 paused; continue it with: sd-desktop jobs resume 1"
        assert lines[1] == (
            f"  ! nas:/: volume nas: cannot reach 127.0.0.1:{server.port}: "
            "the connection was refused (is the server running, and is the port right?)"
        )
        assert len(lines) == 2
        server.start()
        resumed = run_cli("jobs", "resume", "1", "--json")
        assert resumed.returncode == 0, resumed.stderr
        assert resumed.result["status"] == "completed"
        assert (resumed.result["output"]["files"], resumed.result["errors"]) == (len(files), [])
    finally:
        server.stop()
    assert len([c for c in cas_ids(library_dir, 1).values() if c]) == 5


def test_the_window_is_not_opened_on_a_volume_path(run_cli, sshd, tmp_path):
    assert add_sftp(run_cli, sshd, tmp_path).returncode == 0
    res = run_cli("nas:/photos")
    assert (res.returncode, res.stdout) == (2, "")
    assert res.stderr == (
        "sd-desktop: error: the window cannot open a volume yet; try: sd-desktop info nas:/photos, "
        "or sd-desktop index nas:/photos\n"
    )
    assert run_cli("other:/photos").stderr == "sd-desktop: error: no such file or folder: other:/photos\n"


def test_with_a_keyring_the_secrets_go_there_and_nowhere_else(run_cli, s3, tmp_path, library_dir):
    store = tmp_path / "keyring.json"
    env = {"PYTHON_KEYRING_BACKEND": "tests.volumes.file_keyring.FileKeyring", "SD_TEST_KEYRING_FILE": str(store)}
    s3.make_bucket("keyed")
    added = run_cli(
        "volume",
        "add",
        "bucket",
        "s3://keyed/",
        "--option",
        f"endpoint={s3.endpoint}",
        "--option",
        "region=us-east-1",
        "--option",
        "access_key_id=AKID",
        "--option",
        "secret_access_key=KEYRING-SECRET",
        "--json",
        env=env,
    )
    assert added.returncode == 0, added.stderr
    assert (added.result["output"]["secrets"], added.stderr) == ("keyring", "")
    assert not (library_dir / "volume-secrets.json").exists()
    assert b"KEYRING-SECRET" not in (library_dir / "library.db").read_bytes()
    assert list(json.loads(store.read_text()).values()) == ['{"secret_access_key": "KEYRING-SECRET"}']
    listed = run_cli("volume", "list", "--json", env=env)
    assert listed.result["output"]["volumes"][0]["status"] == "online"
    assert "KEYRING-SECRET" not in listed.stdout + listed.stderr
    assert run_cli("volume", "remove", "bucket", env=env).returncode == 0
    assert json.loads(store.read_text()) == {}


def test_volume_list_gives_up_on_a_server_that_never_answers(run_cli):
    silent = servers.SilentServer()
    silent.start()
    try:
        added = run_cli("volume", "add", "hung", f"webdav://127.0.0.1:{silent.port}/", env=NO_KEYRING)
        assert added.returncode == 0, added.stderr
        started = time.monotonic()
        listed = run_cli("volume", "list", "--timeout", "1", "--json", timeout=30)
        took = time.monotonic() - started
    finally:
        silent.stop()
    assert listed.returncode == 0, listed.stderr
    row = listed.result["output"]["volumes"][0]
    assert (row["status"], row["detail"]) == (
        "offline",
        f"volume hung: no answer from http://127.0.0.1:{silent.port} within 1s (list /); "
        "check that the server is up and reachable",
    )
    assert took < 10


def test_volumes_while_an_engine_serves_the_library(run_cli, sshd, tmp_path, library_dir):
    from tests.serve.conftest import Engine

    make_tree(tmp_path / "r")
    engine = Engine(library_dir).wait_serving()
    try:
        assert add_sftp(run_cli, sshd, tmp_path / "r").returncode == 0
        listed = run_cli("volume", "list", "--json")
        assert [(v["name"], v["status"]) for v in listed.result["output"]["volumes"]] == [("nas", "online")]
        done = run_cli("index", "nas:/", "--json")  # the job runs in the engine
        assert done.returncode == 0, done.stderr
        assert (done.result["output"]["files"], done.result["output"]["hashed"]) == (6, 5)
        refused = run_cli("volume", "remove", "nas")
        assert refused.returncode == 1 and "the volume has 1 location(s) (nas:/)" in refused.stderr
        forced = run_cli("volume", "remove", "nas", "--force", "--json")
        assert forced.returncode == 0, forced.stderr
        assert forced.result["output"] == {"removed": 1, "locations_removed": 1}
    finally:
        code, err = engine.stop()
    assert code == 0, err


def test_s3_keys_from_the_secrets_file_sign_requests_and_a_wrong_secret_is_auth_failed(run_cli, tmp_path):
    checking = servers.S3Server(checks_signatures=True)
    checking.start()
    try:
        access, secret = checking.make_user()
        checking.make_bucket("signed", (access, secret))
        for name, key in (("right", secret), ("wrong", "not-the-secret")):
            added = run_cli(
                "volume",
                "add",
                name,
                "s3://signed/",
                "--option",
                f"endpoint={checking.endpoint}",
                "--option",
                "region=us-east-1",
                "--option",
                f"access_key_id={access}",
                "--option",
                f"secret_access_key={key}",
                env=NO_KEYRING,
            )
            assert added.returncode == 0, added.stderr
        rows = {v["name"]: v for v in run_cli("volume", "list", "--json").result["output"]["volumes"]}
    finally:
        checking.stop()
    assert (rows["right"]["status"], rows["right"]["detail"]) == ("online", "")
    assert (rows["wrong"]["status"], rows["wrong"]["detail"]) == (
        "auth_failed",
        f"volume wrong: {checking.endpoint} refused access; check the keys or password",
    )


def test_webdav_password_from_the_secrets_file_and_a_wrong_one_is_auth_failed(run_cli, tmp_path, library_dir):
    (tmp_path / "share").mkdir()
    (tmp_path / "share" / "a #1.txt").write_bytes(b"behind a password")
    dav = servers.WebDavServer(tmp_path / "share", users={"me": "pass word %#"})
    dav.start()
    try:
        for name, password in (("right", "pass word %#"), ("wrong", "nope")):
            url = f"webdav://me@127.0.0.1:{dav.port}/"
            added = run_cli("volume", "add", name, url, "--option", f"password={password}", "--json", env=NO_KEYRING)
            assert added.returncode == 0, added.stderr
            assert added.result["output"]["secrets"] == "file"
        listed = run_cli("volume", "list", "--json")
        rows = {v["name"]: v for v in listed.result["output"]["volumes"]}
        shown = run_cli("info", "right:/a #1.txt", "--json")
    finally:
        dav.stop()
    assert (rows["right"]["status"], rows["wrong"]["status"]) == ("online", "auth_failed")
    assert (
        rows["wrong"]["detail"]
        == f"volume wrong: http://127.0.0.1:{dav.port} refused access; check the keys or password"
    )
    assert "pass word" not in listed.stdout + listed.stderr
    assert b"pass word" not in (library_dir / "library.db").read_bytes()
    assert shown.returncode == 0, shown.stderr
    assert (shown.result["output"]["size"], shown.result["output"]["indexed"]) == (17, False)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sftp://me@host:99999/data", "bad port in 'sftp://me@host:99999/data': write a number from 1 to 65535"),
        ("webdav://host:http/data", "bad port in 'webdav://host:http/data': write a number from 1 to 65535"),
    ],
)
def test_a_bad_port_is_one_line_and_nothing_is_stored(run_cli, url, message):
    res = run_cli("volume", "add", "nas", url)
    assert (res.returncode, res.stderr) == (2, f"sd-desktop: error: {message}\n")
    listed = run_cli("volume", "list", "--json")
    assert listed.returncode == 0 and listed.result["output"]["volumes"] == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("port=99999",), "bad port '99999': write a number from 1 to 65535"),
        (("port=ssh",), "bad port 'ssh': write a number from 1 to 65535"),
        (("timeout=0",), "bad timeout '0': write a number of seconds above 0"),
        (("timeout=soon", "password=pw"), "bad timeout 'soon': write a number of seconds above 0"),
    ],
)
def test_a_bad_option_is_one_line_and_nothing_is_stored(run_cli, library_dir, options, message):
    """``--option`` values are checked by the registration the window uses too, before anything is kept."""
    extra = [arg for o in options for arg in ("--option", o)]
    res = run_cli("volume", "add", "nas", "sftp://me@host/data", *extra, env=NO_KEYRING)
    assert (res.returncode, res.stderr) == (2, f"sd-desktop: error: {message}\n")
    listed = run_cli("volume", "list", "--json")
    assert listed.returncode == 0 and listed.result["output"]["volumes"] == []
    assert not (library_dir / "volume-secrets.json").exists()

"""Real file servers on 127.0.0.1 for the remote-volume tests: OpenSSH's sshd (SFTP), wsgidav
(WebDAV) and moto (S3), each started inside the test run on a free port and stopped after it.

Nothing here reaches the internet. The SSH server runs in the foreground (``-D -e``) with a host
key, a client key and a config made for the test; it serves SFTP with ``internal-sftp`` as the user
running the tests.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s") from None
            time.sleep(0.05)


@dataclass
class SshServer:
    port: int
    user: str
    key: Path  # the client's private key, accepted by the server
    other_key: Path  # a private key the server does not accept
    config: Path
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(self.port)
        except RuntimeError:
            self.stop()
            raise

    def kill(self) -> None:
        """The server and every session it serves: connections drop mid-transfer."""
        if self.proc is not None:
            import psutil

            # each session is a child of the listener in a session of its own (sshd calls setsid)
            for child in psutil.Process(self.proc.pid).children(recursive=True):
                child.kill()
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


def make_sshd(workdir: Path) -> SshServer:
    """An sshd for SFTP on a free port, with its own host key and one authorised client key."""
    workdir.mkdir(parents=True, exist_ok=True)
    os.chmod(workdir, 0o700)
    host_key, client_key, other_key = workdir / "host_key", workdir / "client_key", workdir / "other_key"
    for key in (host_key, client_key, other_key):
        _keygen(key)
    authorized = workdir / "authorized_keys"
    authorized.write_bytes(client_key.with_suffix(".pub").read_bytes())
    authorized.chmod(0o600)
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation folder
    port = free_port()
    config = workdir / "sshd_config"
    config.write_text(
        f"Port {port}\n"
        "ListenAddress 127.0.0.1\n"
        f"HostKey {host_key}\n"
        f"AuthorizedKeysFile {authorized}\n"
        f"PidFile {workdir / 'sshd.pid'}\n"
        "StrictModes no\n"
        "UsePAM no\n"
        "PermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "LogLevel ERROR\n"
        "Subsystem sftp internal-sftp\n"
    )
    import pwd

    user = pwd.getpwuid(os.geteuid()).pw_name
    return SshServer(port=port, user=user, key=client_key, other_key=other_key, config=config)


class _ChildServer:
    """A server in a child process on a free port of 127.0.0.1 (never in this process: a client
    call that holds the GIL would stall a server thread of the same process)."""

    port: int
    proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    env: dict[str, str] | None = None

    def start(self) -> None:
        env = {**os.environ, **self.env} if self.env else None
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        try:
            wait_for_port(self.port, timeout=60)
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class WebDavServer(_ChildServer):
    """wsgidav (under cheroot) serving ``root``: to anyone, or with ``users`` ({name: password}) only
    to them (HTTP basic authentication)."""

    def __init__(self, root: Path, users: dict[str, str] | None = None):
        self.root = root
        self.port = free_port()
        self.users = users

    def command(self) -> list[str]:
        run = "import sys; from wsgidav.server.server_cli import run; sys.argv[0] = 'wsgidav'; sys.exit(run())"
        if not self.users:
            where = ["--host", "127.0.0.1", "--port", str(self.port), "--root", str(self.root), "--auth", "anonymous"]
            return [sys.executable, "-c", run, *where, "--no-config", "-q", "-q", "-q"]
        import json
        import tempfile

        config = {
            "host": "127.0.0.1",
            "port": self.port,
            "provider_mapping": {"/": str(self.root)},
            "http_authenticator": {"accept_basic": True, "accept_digest": False, "default_to_digest": False},
            "simple_dc": {"user_mapping": {"*": {u: {"password": p} for u, p in self.users.items()}}},
            "verbose": 0,
        }
        fd, path = tempfile.mkstemp(suffix=".json", prefix="wsgidav-")
        with os.fdopen(fd, "w") as f:
            json.dump(config, f)
        return [sys.executable, "-c", run, "--config", path]


class S3Server(_ChildServer):
    """moto in server mode (an in-memory S3 that speaks the real HTTP protocol). With
    ``checks_signatures`` it refuses a request not signed by a key of one of its IAM users (made
    with ``make_user``); otherwise, as moto does by default, it takes any key."""

    ACCESS_KEY = "testing-access-key"
    SECRET_KEY = "testing-secret-key"
    REGION = "us-east-1"

    def __init__(self, checks_signatures: bool = False):
        self.port = free_port()
        # moto's switch: this many requests go unchecked (make_user's three), every later one is checked
        self.env = {"INITIAL_NO_AUTH_ACTION_COUNT": "3"} if checks_signatures else None

    def make_user(self) -> tuple[str, str]:
        """``(access key id, secret key)`` of a new IAM user allowed everything on S3."""
        import json

        import boto3

        iam = boto3.client(
            "iam",
            endpoint_url=self.endpoint,
            region_name=self.REGION,
            aws_access_key_id=self.ACCESS_KEY,
            aws_secret_access_key=self.SECRET_KEY,
        )
        iam.create_user(UserName="sd")
        key = iam.create_access_key(UserName="sd")["AccessKey"]
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        iam.put_user_policy(UserName="sd", PolicyName="s3", PolicyDocument=json.dumps(policy))
        return key["AccessKeyId"], key["SecretAccessKey"]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        run = "import sys; from moto.server import main; sys.argv[0] = 'moto_server'; sys.exit(main())"
        return [sys.executable, "-c", run, "-H", "127.0.0.1", "-p", str(self.port)]

    def make_bucket(self, name: str, keys: tuple[str, str] | None = None) -> None:
        import boto3  # comes with moto; OpenDAL cannot create buckets

        access, secret = keys or (self.ACCESS_KEY, self.SECRET_KEY)
        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=self.REGION,
            aws_access_key_id=access,
            aws_secret_access_key=secret,
        )
        client.create_bucket(Bucket=name)


class SilentServer:
    """A socket that accepts connections and never answers: a server that hangs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted.append(conn)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(5)
        for conn in self.accepted:
            conn.close()
        self.sock.close()


_PROXY = r"""
import asyncio, sys

import boto3

listen, upstream, trigger, endpoint, bucket, key, data_file = sys.argv[1:]
trigger = trigger.encode()
fired = False


def put():
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="proxy", aws_secret_access_key="proxy",
    )
    with open(data_file, "rb") as f:
        client.put_object(Bucket=bucket, Key=key, Body=f.read())
    open(data_file + ".fired", "w").close()  # the test's proof that the replacement happened


async def pipe(reader, writer, watch):
    global fired
    try:
        while data := await reader.read(65536):
            if watch and not fired and trigger in data:
                fired = True
                await asyncio.to_thread(put)  # before the request goes on: it sees the new object
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def handle(reader, writer):
    up_reader, up_writer = await asyncio.open_connection("127.0.0.1", int(upstream))
    await asyncio.gather(pipe(reader, up_writer, True), pipe(up_reader, writer, False))


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(listen))
    async with server:
        await server.serve_forever()


asyncio.run(main())
"""


class S3ReplacingProxy(_ChildServer):
    """A TCP proxy in front of ``S3Server`` that, the first time a request starting with ``trigger``
    (e.g. ``GET /bucket/data/kept.bin``) comes through, first replaces the object ``key`` with the
    bytes of ``data_file`` on the server, then lets the request go on: another program writing to
    the bucket at an exact point of a job's requests. ``fired`` tells whether it did."""

    def __init__(self, s3: S3Server, trigger: str, bucket: str, key: str, data_file: Path):
        self.port = free_port()
        self.args = [str(self.port), str(s3.port), trigger, s3.endpoint, bucket, key, str(data_file)]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def fired(self) -> bool:
        return os.path.exists(self.args[-1] + ".fired")

    def command(self) -> list[str]:
        return [sys.executable, "-c", _PROXY, *self.args]

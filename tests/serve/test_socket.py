"""The engine's socket: where it lives, who may use it, and what garbage on it does."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from sd_desktop.engine import address, protocol
from tests.conftest import REPO, cli_env


def _talk(path: Path, *lines: bytes) -> list[dict]:
    """Send ``lines`` raw, then read every line the engine answers until it hangs up."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(20)
        sock.connect(os.fspath(path))
        for line in lines:
            sock.sendall(line)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return [json.loads(line) for line in data.splitlines()]


def _hello() -> bytes:
    return protocol.encode(protocol.hello(os.getpid(), command="test"))


def test_garbage_gets_one_error_and_the_engine_goes_on(tmp_path, run_cli, start_engine):
    library = tmp_path / "lib"
    engine = start_engine(library)
    [answer] = _talk(engine.socket, b"\xff\xfe not json\n")
    assert answer["error"].startswith("bad request: ")
    [answer] = _talk(engine.socket, protocol.encode({"hello": "sd-desktop-engine", "version": 99}))
    assert answer == {"error": "bad request: protocol version 99 is not spoken here (this side: 1)"}
    hello, answer = _talk(engine.socket, _hello(), b"[1, 2, 3]\n")
    assert (hello["hello"], hello["version"], hello["pid"]) == ("sd-desktop-engine", 1, engine.proc.pid)
    assert answer == {"error": "bad request: not a JSON object"}
    hello, answer = _talk(engine.socket, _hello(), protocol.encode({"id": 1, "call": "exec", "args": ["rm -rf /"]}))
    assert answer == {"error": "bad request: unknown call 'exec'"}
    # a library function that is not on the engine's list is refused by name, nothing run
    request = {"id": 7, "call": "library", "args": ["shutil.rmtree", [str(tmp_path)], {}]}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(20)
        sock.connect(os.fspath(engine.socket))
        sock.sendall(_hello() + protocol.encode(request))
        reader = sock.makefile("rb")
        reader.readline()
        reply = json.loads(reader.readline())
    assert reply["id"] == 7 and reply["error"]["type"] == "ProtocolError" and tmp_path.exists()
    assert engine.proc.poll() is None
    res = run_cli("location", "add", tmp_path / "lib", "--json", library=library)  # still serving
    assert res.returncode == 0, res.stderr


def test_the_socket_is_the_users_alone(start_engine):
    # a folder other users may enter (pytest's own is 0700), so that only the socket's mode keeps them out
    top = Path(tempfile.mkdtemp(prefix="sd-serve-"))
    try:
        os.chmod(top, 0o755)
        library = top / "lib"
        engine = start_engine(library)
        st = os.lstat(engine.socket)
        assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
        assert engine.socket == library / "engine.sock"

        # another user cannot connect: the socket's mode
        other = _as_nobody(library, "location", "list")  # reads without the engine, and may not read it either
        assert other.returncode != 0 or "Traceback" not in other.stderr
        probe = _as_nobody_connect(engine.socket)
        assert "PermissionError" in probe.stdout, probe

        # were it reachable, the engine checks who is calling (SO_PEERCRED) and refuses them
        os.chmod(engine.socket, 0o666)
        probe = _as_nobody_connect(engine.socket)
        assert json.loads(probe.stdout) == {"error": f"refused: this engine serves uid {os.getuid()} only"}
        os.chmod(engine.socket, 0o600)

        # a socket that is not the user's is never talked to: one line, exit 1
        os.chown(engine.socket, 65534, 65534, follow_symlinks=False)
        res = subprocess.run(
            [sys.executable, "-m", "sd_desktop", "--library", str(library), "location", "add", str(top)],
            capture_output=True,
            text=True,
            env=cli_env(),
            cwd=REPO,
            timeout=60,
        )
        assert res.returncode == 1
        assert (
            res.stderr
            == f"sd-desktop: refused the engine socket {engine.socket}: it belongs to uid 65534, not to you\n"
        )
        os.chown(engine.socket, os.getuid(), os.getgid(), follow_symlinks=False)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _as_nobody(library: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library), *args]
    return subprocess.run(_setpriv(cmd), capture_output=True, text=True, env=cli_env(), cwd="/", timeout=60)


def _as_nobody_connect(path: Path) -> subprocess.CompletedProcess:
    script = (
        "import socket, sys\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        "try:\n"
        f"    s.connect({os.fspath(path)!r})\n"
        "except OSError as e:\n"
        "    print(type(e).__name__); sys.exit(0)\n"
        # a refusing engine speaks first and closes: the hello may meet a closed socket, the answer stays
        "try:\n"
        '    s.sendall(b\'{"hello": "sd-desktop-engine", "version": 1}\\n\')\n'
        "except OSError:\n"
        "    pass\n"
        "print(s.makefile().readline().strip())\n"
    )
    return subprocess.run(_setpriv([sys.executable, "-c", script]), capture_output=True, text=True, timeout=30)


def _setpriv(cmd: list[str]) -> list[str]:
    if os.getuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to act as another user")
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]


def test_a_long_library_path_puts_the_socket_in_the_runtime_folder(tmp_path, run_cli, start_engine):
    # a short runtime folder, as /run/user/UID is: pytest's own folders are long enough that a
    # socket in them may pass the limit too (the engine would then refuse in one line)
    runtime = Path(tempfile.mkdtemp(prefix="sd-run-"))
    os.chmod(runtime, 0o700)
    library = tmp_path / ("a-long-folder-name-" * 4) / "library"
    assert len(os.fsencode(library / "engine.sock")) >= address.path_limit()
    env = {"XDG_RUNTIME_DIR": str(runtime)}
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)  # this process computes the same place
    try:
        expected = address.socket_path(library)
        engine = start_engine(library, env)
    finally:
        del os.environ["XDG_RUNTIME_DIR"]
    assert engine.socket == expected and expected.parent == runtime / "sd-desktop"
    assert stat.S_IMODE(os.stat(runtime / "sd-desktop").st_mode) == 0o700
    assert stat.S_IMODE(os.lstat(expected).st_mode) == 0o600 and not (library / "engine.sock").exists()
    res = run_cli("location", "add", tmp_path, "--json", library=library, env=env)
    assert (res.returncode, res.result["output"]["id"]) == (0, 1)
    code, err = engine.stop()
    assert code == 0 and not expected.exists()
    shutil.rmtree(runtime)


def test_a_stale_socket_is_replaced_by_the_next_engine(tmp_path, run_cli, start_engine):
    library = tmp_path / "lib"
    (tmp_path / "one").mkdir(), (tmp_path / "two").mkdir()
    assert run_cli("location", "add", tmp_path / "one", library=library).returncode == 0
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(os.fspath(library / "engine.sock"))  # a dead engine's socket: nobody listens
    stale.close()
    # no engine holds the lock: a command runs on its own, never asking the socket
    res = run_cli("location", "add", tmp_path / "two", "--json", library=library)
    assert res.returncode == 0, res.stderr
    engine = start_engine(library)
    res = run_cli("location", "list", "--json", library=library)
    assert [loc["id"] for loc in res.result["output"]["locations"]] == [1, 2]
    assert engine.proc.poll() is None


def test_socket_path_limits(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    short = tmp_path / "lib"
    assert address.socket_path(short) == Path(os.path.realpath(short)) / "engine.sock"
    deep = tmp_path / ("x" * 120)
    where = address.socket_path(deep)
    assert where.parent == tmp_path / "run" / "sd-desktop" and where.suffix == ".sock"
    assert address.socket_path(deep) == where and address.socket_path(tmp_path / ("y" * 120)) != where
    monkeypatch.setattr(address.sys, "platform", "darwin")
    edge = tmp_path / ("z" * (104 - len(os.fsencode(tmp_path)) - len("/engine.sock") - 2))
    assert len(os.fsencode(edge / "engine.sock")) == 103
    assert address.socket_path(edge) == edge / "engine.sock"  # 103 bytes and the NUL: fits macOS's 104
    assert address.socket_path(Path(str(edge) + "z")).parent == tmp_path / "run" / "sd-desktop"


def test_protocol_round_trip_keeps_raw_paths():
    raw = b"/tmp/caf\xe9"
    message = {"id": 1, "call": "library", "args": [raw, Path(os.fsdecode(raw)), {"k": [b"x"]}]}
    assert protocol.decode(protocol.encode(message)) == message
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(b"[" * 100000)


def test_a_command_never_writes_a_served_library_itself(library):
    """Writes outside jobs go to the engine as named calls; a write tried directly is a library error
    (the command's one line, exit 1), never a second writer."""
    from sd_desktop.engine.client import RemoteLibrary
    from sd_desktop.library import LibraryError
    from sd_desktop.library.lock import Holder
    from sd_desktop.library.reader import open_reader

    remote = RemoteLibrary(library.folder, open_reader(library.folder), Holder(1, "sd-desktop serve", True), "test")
    try:
        with pytest.raises(LibraryError, match="changes it through the engine's calls"):
            remote.write_sync(lambda conn: conn.execute("DELETE FROM location"))
        assert remote.read_sync(lambda conn: conn.execute("SELECT count(*) FROM job").fetchone()) == (0,)
    finally:
        remote.close()

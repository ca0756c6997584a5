"""An engine (``sd-desktop serve``) as a real process, and clients as real processes beside it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sd_desktop.engine.address import socket_path
from tests.conftest import REPO, cli_env

EXTRA = {"SD_DESKTOP_EXTRA_JOBS": "tests.engine.jobs_for_tests"}


class Engine:
    def __init__(self, library: Path, env: dict | None = None):
        self.library = library
        self.env = {**EXTRA, **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sd_desktop", "--library", str(library), "serve", "-v"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=cli_env(self.env),
            cwd=REPO,
        )
        self.socket = socket_path(library)

    def wait_serving(self, timeout: float = 60.0) -> Engine:
        deadline = time.monotonic() + timeout
        lock = self.library / "library.lock"
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve ended: {self.proc.communicate()}")
            if lock.exists() and lock.read_text().endswith("serves\n") and self.socket.exists():
                return self
            assert time.monotonic() < deadline, "the engine never served"
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            _, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return self.proc.returncode, err.decode(errors="replace")


@pytest.fixture
def start_engine():
    started: list[Engine] = []

    def start(library: Path, env: dict | None = None) -> Engine:
        engine = Engine(library, env)
        started.append(engine)
        return engine.wait_serving()

    yield start
    for engine in started:
        engine.stop(signal.SIGKILL if engine.proc.poll() is None else signal.SIGTERM)


def client(library: Path, *args: str, env: dict | None = None, **popen) -> subprocess.Popen:
    """``sd-desktop --library LIBRARY ARGS...`` started (not waited for)."""
    cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library), *map(str, args)]
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env({**EXTRA, **(env or {})}), cwd=REPO
    )


def wait_for(check, timeout: float = 30.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} never came"
        time.sleep(0.05)

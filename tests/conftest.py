"""Shared fixtures: a fresh library per test, the CLI as a real subprocess, generated trees."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Tests build trees deeper than Python's default recursion limit (FAULTS 13); pytest removes old
# temporary folders with the recursive shutil.rmtree, so give it room to do that.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from sd_desktop import ops  # noqa: E402

# as the app's entry points do: the engine's registry knows only the jobs whose modules were imported
ops.load_all()


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Tests never touch the real home: the library, trash and settings live in tmp dirs."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("SD_DESKTOP_HOME", str(home / "library"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    yield


@pytest.fixture
def library_dir(tmp_path) -> Path:
    return tmp_path / "library"


@pytest.fixture
def library(library_dir):
    from sd_desktop.library import Library

    lib = Library.open(library_dir)
    yield lib
    lib.close()


def cli_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    if extra:
        env.update(extra)
    return env


class CliResult:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    @property
    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    @property
    def result(self) -> dict:
        results = [obj for obj in self.lines if obj.get("event") == "result"]
        assert results, f"no result event; stdout={self.stdout!r} stderr={self.stderr!r}"
        return results[-1]


@pytest.fixture
def run_cli(library_dir):
    """Run ``sd-desktop --library <tmp> ARGS...`` as a real subprocess."""

    def run(*args: str, env: dict | None = None, timeout: float = 120, library: Path | None = None) -> CliResult:
        cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library or library_dir), *map(str, args)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=cli_env(env), timeout=timeout, cwd=REPO)
        return CliResult(proc)

    return run


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    """A generated tree (400 files, a few images) with ``manifest.json`` beside ``tree/``."""
    from tests.support.make_corpus import main as make_corpus

    out = tmp_path_factory.mktemp("corpus") / "small"
    make_corpus([str(out), "--files", "400", "--seed", "7", "--images", "6"])
    return out


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Qt's offscreen clipboard (the test runs') destroys the mime data it still holds from an exit
    # handler, after Python has finalised: a segfault, exit code 139, once every test passed. The
    # xcb clipboard of the real app hands it over first. Emptied here, while Python still runs.
    if "PySide6.QtWidgets" in sys.modules:
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if app is not None:
            app.clipboard().clear()

"""Fixtures for the packaging tests: a small fake bundle and a throw-away home for install.sh."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from sd_desktop import __version__

REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / "packaging" / "install.sh"
UNINSTALL = REPO / "packaging" / "uninstall.sh"


def make_fake_bundle(folder: Path, *, runs: bool = True) -> Path:
    """A folder laid out like the PyInstaller bundle (executable + _internal resources), minus Python."""
    folder.mkdir(parents=True)
    exe = folder / "sd-desktop"
    body = f'echo "sd-desktop {__version__}"' if runs else 'echo "broken" >&2; exit 1'
    exe.write_text(f"#!/bin/sh\n{body}\n")
    exe.chmod(0o755)
    shutil.copytree(REPO / "resources", folder / "_internal" / "sd_desktop" / "_resources")
    return folder


class Home:
    """A home folder (with a space in its path, as real ones have) and the env install.sh sees."""

    def __init__(self, root: Path):
        self.root = root
        self.home = root / "home dir"
        self.home.mkdir(parents=True)
        self.data = self.home / ".local" / "share"
        self.env = {
            "HOME": str(self.home),
            "XDG_DATA_HOME": str(self.data),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LC_ALL": "C.UTF-8",
        }

    @property
    def app(self) -> Path:
        return self.data / "sd-desktop" / "app"

    def run(self, script: Path | str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", str(script), *args],
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            timeout=300,
        )

    def snapshot(self) -> dict[str, bytes | str | None]:
        """Every path under home: file bytes, link target, or None for folders. Caches by presence only:
        update-desktop-database and gtk-update-icon-cache rewrite them."""
        out: dict[str, bytes | str | None] = {}
        for path in sorted(self.home.rglob("*")):
            rel = str(path.relative_to(self.home))
            if path.is_symlink():
                out[rel] = "-> " + os.readlink(path)
            elif path.is_dir():
                out[rel] = None
            elif path.name in ("mimeinfo.cache", "icon-theme.cache"):
                out[rel] = b"<cache>"
            else:
                out[rel] = path.read_bytes()
        return out


@pytest.fixture
def home(tmp_path) -> Home:
    return Home(tmp_path)


@pytest.fixture
def fake_bundle(tmp_path) -> Path:
    return make_fake_bundle(tmp_path / "dist" / "sd-desktop")

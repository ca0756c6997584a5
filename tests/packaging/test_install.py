"""install.sh / uninstall.sh: a user-level install that the uninstaller takes back exactly."""

from __future__ import annotations

import configparser
import shutil
import subprocess

import pytest

from sd_desktop.resources import APP_ID, ICON_SIZES, resource_path
from tests.packaging.conftest import INSTALL, UNINSTALL, make_fake_bundle


def read_entry(path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_install_puts_bundle_entry_and_icons_in_place(home, fake_bundle):
    proc = home.run(INSTALL, str(fake_bundle))
    assert proc.returncode == 0, proc.stderr
    exe = home.app / "sd-desktop"
    assert subprocess.run([str(exe)], capture_output=True, text=True).stdout.startswith("sd-desktop ")
    assert (home.app / "uninstall.sh").is_file()

    entry_path = home.data / "applications" / f"{APP_ID}.desktop"
    entry = read_entry(entry_path)
    # the home path has a space: the Exec= argument is quoted per the Desktop Entry spec
    assert entry["Exec"] == f'"{exe}" %U'
    assert entry["TryExec"] == str(exe)
    assert entry["MimeType"] == "inode/directory;"
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(entry_path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr

    icons = home.data / "icons" / "hicolor"
    for size in ICON_SIZES:
        installed = icons / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert installed.read_bytes() == resource_path(f"icons/{size}x{size}/{APP_ID}.png").read_bytes()
    assert (icons / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    assert (home.data / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    link = home.home / ".local" / "bin" / "sd-desktop"
    assert link.is_symlink() and link.resolve() == exe
    if shutil.which("update-desktop-database"):
        assert f"inode/directory={APP_ID}.desktop" in (home.data / "applications" / "mimeinfo.cache").read_text()


def test_uninstall_restores_an_empty_home_exactly(home, fake_bundle):
    before = home.snapshot()
    assert home.run(INSTALL, str(fake_bundle)).returncode == 0
    assert home.snapshot() != before
    proc = home.run(home.app / "uninstall.sh")
    assert proc.returncode == 0, proc.stderr
    assert home.snapshot() == before


def test_uninstall_keeps_everything_that_was_there_before(home, fake_bundle):
    # a lived-in home: other apps' entries and icons, caches, the user's library, and a pip launcher
    apps = home.data / "applications"
    apps.mkdir(parents=True)
    (apps / "other.desktop").write_text("[Desktop Entry]\nType=Application\nName=Other\nExec=other\n")
    (apps / "mimeinfo.cache").write_text("[MIME Cache]\n")
    other_icon = home.data / "icons" / "hicolor" / "48x48" / "apps" / "other.png"
    other_icon.parent.mkdir(parents=True)
    other_icon.write_bytes(b"\x89PNG not really")
    library = home.data / "sd-desktop" / "library"
    library.mkdir(parents=True)
    (library / "library.db").write_bytes(b"precious")
    pip_launcher = home.home / ".local" / "bin" / "sd-desktop"
    pip_launcher.parent.mkdir(parents=True)
    pip_launcher.write_text('#!/bin/sh\nexec python -m sd_desktop "$@"\n')
    before = home.snapshot()

    proc = home.run(INSTALL, str(fake_bundle))
    assert proc.returncode == 0, proc.stderr
    assert "already exists" in proc.stdout  # the pip launcher is left alone, and the user is told
    assert pip_launcher.read_text().startswith("#!/bin/sh\nexec python")
    assert (library / "library.db").read_bytes() == b"precious"

    # the copy in the release archive / checkout finds the install through XDG_DATA_HOME
    proc = home.run(UNINSTALL)
    assert proc.returncode == 0, proc.stderr
    assert "Your library was kept" in proc.stdout
    assert home.snapshot() == before


def test_reinstall_replaces_the_previous_install_and_one_uninstall_takes_all(home, fake_bundle, tmp_path):
    before = home.snapshot()
    assert home.run(INSTALL, str(fake_bundle)).returncode == 0
    newer = make_fake_bundle(tmp_path / "newer" / "sd-desktop")
    (newer / "_internal" / "marker").write_text("newer build")
    (fake_bundle / "_internal" / "only-in-old").write_text("x")
    proc = home.run(INSTALL, str(newer))
    assert proc.returncode == 0, proc.stderr
    assert (home.app / "_internal" / "marker").read_text() == "newer build"
    assert not (home.app / "_internal" / "only-in-old").exists()
    assert [p.name for p in (home.data / "sd-desktop").iterdir()] == ["app"]  # no staging left over
    assert home.run(home.app / "uninstall.sh").returncode == 0
    assert home.snapshot() == before


def test_without_xdg_data_home_it_uses_dot_local_share(home, fake_bundle):
    proc = home.run(INSTALL, str(fake_bundle), env={"XDG_DATA_HOME": ""})
    assert proc.returncode == 0, proc.stderr
    assert (home.home / ".local" / "share" / "sd-desktop" / "app" / "sd-desktop").is_file()


def test_a_folder_that_is_not_a_bundle_is_refused_and_nothing_changes(home, tmp_path):
    before = home.snapshot()
    not_a_bundle = tmp_path / "photos"
    not_a_bundle.mkdir()
    proc = home.run(INSTALL, str(not_a_bundle))
    assert proc.returncode != 0
    assert "not an sd_desktop bundle" in proc.stderr
    proc = home.run(INSTALL, str(tmp_path / "missing"))
    assert proc.returncode != 0 and "no bundle folder" in proc.stderr
    assert home.snapshot() == before


def test_a_bundle_that_does_not_run_is_refused_and_nothing_changes(home, tmp_path):
    before = home.snapshot()
    broken = make_fake_bundle(tmp_path / "broken" / "sd-desktop", runs=False)
    proc = home.run(INSTALL, str(broken))
    assert proc.returncode != 0
    assert "does not run" in proc.stderr and "nothing was changed" in proc.stderr
    assert home.snapshot() == before


def test_a_foreign_folder_in_the_app_place_is_not_overwritten(home, fake_bundle):
    foreign = home.app
    foreign.mkdir(parents=True)
    (foreign / "notes.txt").write_text("mine")
    proc = home.run(INSTALL, str(fake_bundle))
    assert proc.returncode != 0 and "not an sd_desktop install" in proc.stderr
    assert (foreign / "notes.txt").read_text() == "mine"
    assert [p.name for p in foreign.parent.iterdir()] == ["app"]


def test_uninstall_without_an_install_says_so(home):
    proc = home.run(UNINSTALL)
    assert proc.returncode == 1
    assert "not installed" in proc.stderr


@pytest.mark.parametrize("script", [INSTALL, UNINSTALL])
def test_help(home, script):
    proc = home.run(script, "--help")
    assert proc.returncode == 0
    assert "install" in proc.stdout.lower()
    assert "#" not in proc.stdout and "pipefail" not in proc.stdout  # the header comment only

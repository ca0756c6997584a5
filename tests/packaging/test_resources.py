"""sd_desktop.resources finds the icons and metadata in a checkout, an installed wheel and a bundle."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from sd_desktop import __version__, resources
from sd_desktop.resources import APP_ID, ICON_SIZES, app_icon_path, resource_path, resources_dir

REPO = Path(__file__).resolve().parents[2]


def test_source_checkout_uses_the_repository_resources():
    assert resources_dir() == REPO / "resources"
    assert app_icon_path() == REPO / "resources" / "icons" / f"{APP_ID}.svg"
    assert resource_path(f"{APP_ID}.desktop").read_text(encoding="utf-8").startswith("[Desktop Entry]")


@pytest.mark.parametrize("size", ICON_SIZES)
def test_every_png_size_is_a_square_transparent_icon(size):
    path = app_icon_path(size)
    with Image.open(path) as im:
        assert im.format == "PNG"
        assert im.size == (size, size)
        assert im.mode == "RGBA"
        # transparent margin, opaque body: a real icon, not a filled square or an empty canvas
        assert im.getpixel((0, 0))[3] == 0
        assert im.getpixel((size // 2, size // 2))[3] == 255


def test_windows_and_macos_icons_hold_the_sizes_their_platforms_pick():
    with Image.open(resource_path(f"icons/{APP_ID}.ico")) as ico:
        assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])
    with Image.open(resource_path(f"icons/{APP_ID}.icns")) as icns:
        assert {(16, 16, 2), (128, 128, 1), (512, 512, 1), (512, 512, 2)} <= set(icns.info["sizes"])


def test_bad_requests_get_clear_errors():
    with pytest.raises(ValueError, match="no 20px icon"):
        app_icon_path(20)
    with pytest.raises(ValueError, match="relative"):
        resource_path("../pyproject.toml")
    with pytest.raises(ValueError, match="relative"):
        resource_path("/etc/passwd")
    with pytest.raises(FileNotFoundError, match="resource missing"):
        resource_path("icons/nope.png")


def test_a_pyinstaller_bundle_is_preferred(tmp_path, monkeypatch):
    bundled = tmp_path / "sd_desktop" / "_resources"
    shutil.copytree(REPO / "resources", bundled)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources_dir() == bundled
    assert app_icon_path(48) == bundled / "icons" / "48x48" / f"{APP_ID}.png"


def test_nowhere_to_be_found_names_every_place_looked_in(tmp_path, monkeypatch):
    monkeypatch.setattr(resources, "_PACKAGE_DIR", tmp_path / "pkg")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    with pytest.raises(FileNotFoundError) as err:
        resources_dir()
    for place in (tmp_path / "bundle", tmp_path / "pkg" / "_resources", tmp_path / "resources"):
        assert str(place) in str(err.value)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    (path,) = out.glob("*.whl")
    return path


def test_the_wheel_carries_resources_as_package_data_and_shared_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    data = f"sd_desktop-{__version__}.data/data/share"
    expected = {
        f"sd_desktop/_resources/icons/{APP_ID}.svg",
        f"sd_desktop/_resources/{APP_ID}.desktop",
        f"sd_desktop/_resources/{APP_ID}.metainfo.xml",
        f"{data}/applications/{APP_ID}.desktop",
        f"{data}/metainfo/{APP_ID}.metainfo.xml",
        f"{data}/icons/hicolor/scalable/apps/{APP_ID}.svg",
    }
    for size in ICON_SIZES:
        expected.add(f"sd_desktop/_resources/icons/{size}x{size}/{APP_ID}.png")
        expected.add(f"{data}/icons/hicolor/{size}x{size}/apps/{APP_ID}.png")
    assert expected <= names, sorted(expected - names)


def test_an_installed_wheel_finds_its_own_resources_and_starts(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--ignore-installed",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen"}
    code = "import sd_desktop.resources as r; print(r.app_icon_path(256)); print(r.resources_dir())"
    # cwd outside the checkout, so only the installed copy can be imported
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    icon, folder = proc.stdout.split()
    assert Path(folder) == target / "sd_desktop" / "_resources"
    assert Path(icon).read_bytes() == app_icon_path(256).read_bytes()
    proc = subprocess.run(
        [sys.executable, "-m", "sd_desktop", "--version"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert (proc.returncode, proc.stdout.strip()) == (0, f"sd-desktop {__version__}"), proc.stderr


def test_a_pip_install_registers_menu_entry_and_icons_under_its_prefix(wheel, tmp_path):
    # --ignore-installed: else pip first uninstalls the venv's own (editable) sd-desktop, and the
    # app's console script is gone after the test run (checked below)
    # `pip install --user` uses the prefix ~/.local, so this is where desktops look: ~/.local/share/...
    own_script = Path(sys.executable).with_name("sd-desktop")
    had_script = own_script.exists()
    prefix = tmp_path / "prefix"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--ignore-installed",
            "-q",
            "--prefix",
            str(prefix),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    share = prefix / "share"
    assert (share / "applications" / f"{APP_ID}.desktop").read_bytes() == resource_path(
        f"{APP_ID}.desktop"
    ).read_bytes()
    assert (share / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    for size in ICON_SIZES:
        assert (share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png").is_file()
    assert (prefix / "bin" / "sd-desktop").is_file()  # what the entry's Exec=sd-desktop runs
    assert own_script.exists() == had_script  # the venv running the tests keeps its own install

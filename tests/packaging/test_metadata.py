"""The desktop entry and the AppStream metainfo: valid for the freedesktop tools and consistent with the app."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sd_desktop import __version__
from sd_desktop.resources import APP_ID, ICON_NAME, ICON_SIZES, resource_path

REPO = Path(__file__).resolve().parents[2]
MISSING_TOOL = "{} not installed (Debian package {}; CI installs it in .ci/run)"


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive
    parser.read(resource_path(f"{APP_ID}.desktop"), encoding="utf-8")
    return parser["Desktop Entry"]


def metainfo() -> ET.Element:
    return ET.parse(resource_path(f"{APP_ID}.metainfo.xml")).getroot()


@pytest.mark.skipif(
    not shutil.which("desktop-file-validate"), reason=MISSING_TOOL.format("desktop-file-validate", "desktop-file-utils")
)
def test_desktop_entry_passes_desktop_file_validate():
    proc = subprocess.run(
        ["desktop-file-validate", str(resource_path(f"{APP_ID}.desktop"))], capture_output=True, text=True
    )
    # it prints hints too; only a clean run counts
    assert (proc.returncode, proc.stdout + proc.stderr) == (0, "")


@pytest.mark.skipif(not shutil.which("appstreamcli"), reason=MISSING_TOOL.format("appstreamcli", "appstream"))
def test_metainfo_passes_appstreamcli_validate():
    proc = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(resource_path(f"{APP_ID}.metainfo.xml"))],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    issues = [line for line in proc.stdout.splitlines() if line[:2] in ("E:", "W:")]
    assert not issues


def test_desktop_entry_launches_the_app_for_folders():
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "sd-desktop %U"
    assert entry["Icon"] == ICON_NAME
    assert "inode/directory" in entry["MimeType"].split(";")
    assert {"System", "FileManager", "Qt"} <= set(entry["Categories"].split(";"))
    assert entry["Terminal"] == "false"


def test_metainfo_describes_this_app_and_this_version():
    root = metainfo()
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.find("launchable").text == f"{APP_ID}.desktop"
    assert root.find("provides/binary").text == "sd-desktop"
    releases = [r.get("version") for r in root.findall("releases/release")]
    assert releases and releases[0] == __version__, "add a <release> for the new version (newest first)"


def test_pip_installs_register_the_entry_and_every_icon_size():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    wheel = config["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["force-include"]["resources"] == "sd_desktop/_resources"
    shared = wheel["shared-data"]
    assert shared[f"resources/{APP_ID}.desktop"] == f"share/applications/{APP_ID}.desktop"
    assert shared[f"resources/icons/{APP_ID}.svg"] == f"share/icons/hicolor/scalable/apps/{APP_ID}.svg"
    for size in ICON_SIZES:
        png = f"resources/icons/{size}x{size}/{APP_ID}.png"
        assert shared[png] == f"share/icons/hicolor/{size}x{size}/apps/{APP_ID}.png"
    for source in shared:
        assert (REPO / source).is_file(), source


def test_committed_pngs_are_what_the_svg_renders_to():
    # a subprocess: the renderer makes a QGuiApplication, which must not be the test session's Qt app
    proc = subprocess.run(
        [sys.executable, str(REPO / "packaging" / "render_icons.py"), "--check"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr


def test_the_check_notices_an_svg_edit(tmp_path):
    svg = tmp_path / "icon.svg"
    svg.write_text(
        resource_path(f"icons/{APP_ID}.svg").read_text(encoding="utf-8").replace("#5cb0ff", "#ff3030"),
        encoding="utf-8",
    )
    code = (
        "import sys, runpy; from pathlib import Path; from PIL import Image\n"
        f"m = runpy.run_path({str(REPO / 'packaging' / 'render_icons.py')!r})\n"
        "for size in (16, 256):\n"
        "    with Image.open(m['png_path'](size)) as committed:\n"
        "        assert not m['differs'](committed, m['render'](size)), size\n"
        f"        assert m['differs'](committed, m['render'](size, Path({str(svg)!r}))), size\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr

"""The PyInstaller bundle: built from the spec, it runs, holds everything, installs, and starts the GUI.

Slow (it builds the bundle once for the module, about half a minute); CI runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from sd_desktop import __version__
from tests.packaging.conftest import INSTALL, REPO

# the first test also builds the bundle: about 30 s on an idle 2-core machine, 100 s on a busy one
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

BUILD = REPO / "packaging" / "build.py"


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    pytest.importorskip("PyInstaller", reason="PyInstaller not installed (pip install -e '.[package]')")
    out = tmp_path_factory.mktemp("bundle")
    proc = subprocess.run(
        [sys.executable, str(BUILD), "--archive", "--dist", str(out / "dist"), "--work", str(out / "work")],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return out / "dist"


@pytest.fixture(scope="module")
def exe(dist) -> Path:
    return dist / "sd-desktop" / "sd-desktop"


def bundle_env(**extra: str) -> dict:
    # nothing from the test run's Python may leak in: the bundle must stand on its own
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON") and k != "VIRTUAL_ENV"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.update(extra)
    return env


def test_version(exe, tmp_path):
    proc = subprocess.run([str(exe), "--version"], capture_output=True, text=True, env=bundle_env(), cwd=tmp_path)
    assert (proc.returncode, proc.stdout.strip()) == (0, f"sd-desktop {__version__}"), proc.stderr


def test_headless_commands_use_the_bundled_engine(exe, tmp_path):
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    library = tmp_path / "library"
    add = subprocess.run(
        [str(exe), "--library", str(library), "location", "add", str(tree), "--json"],
        capture_output=True,
        text=True,
        env=bundle_env(),
        cwd=tmp_path,
    )
    assert add.returncode == 0, add.stderr
    listed = subprocess.run(
        [str(exe), "--library", str(library), "location", "list", "--json"],
        capture_output=True,
        text=True,
        env=bundle_env(),
        cwd=tmp_path,
    )
    assert listed.returncode == 0, listed.stderr
    (result,) = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]
    assert [loc["path"] for loc in result["output"]["locations"]] == [str(tree)]


def test_a_duplicate_search_in_the_bundle_lists_with_a_walker_process(exe, tmp_path):
    """The bundled executable starts helper processes as itself: the walker must come up (no fallback
    warning) and the search must find the group."""
    tree = tmp_path / "tree"
    for n in range(80):
        (tree / f"d{n}").mkdir(parents=True)
        (tree / f"d{n}" / "same.txt").write_text("the same content")
        (tree / f"d{n}" / "own.txt").write_text(f"content {n}")
    proc = subprocess.run(
        [str(exe), "--library", str(tmp_path / "library"), "duplicates", str(tree), "--json"],
        capture_output=True,
        text=True,
        env=bundle_env(SD_DESKTOP_WALKER="always"),
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "walker" not in proc.stderr, proc.stderr
    (result,) = [json.loads(line) for line in proc.stdout.splitlines() if '"output"' in line]
    (group,) = result["output"]["groups"]
    assert len(group["paths"]) == 80


def archived_modules(exe: Path) -> set[str]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller.utils.cliutils.archive_viewer",
            "--list",
            "--recursive",
            "--brief",
            str(exe),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return {line.strip().strip("'\",") for line in proc.stdout.splitlines()}


def source_modules() -> set[str]:
    names = set()
    for path in (REPO / "sd_desktop").rglob("*.py"):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.add(".".join(parts))
    return names


def test_every_module_qt_plugins_and_resources_are_bundled(dist, exe):
    modules = archived_modules(exe)
    # jobs and commands are imported by name at run time: every module must be in, not only the reachable ones
    missing = source_modules() - modules
    assert not missing, sorted(missing)
    assert {"qasync", "PySide6"} <= modules
    internal = dist / "sd-desktop" / "_internal"
    for qt in ("QtCore", "QtGui", "QtWidgets", "QtSvg"):  # extension modules: files beside the archive
        assert list((internal / "PySide6").glob(f"{qt}.*.so")), qt
    plugins = internal / "PySide6" / "Qt" / "plugins"
    for plugin in ("platforms/libqoffscreen.so", "platforms/libqxcb.so", "platforms/libqwayland.so",
                   "imageformats/libqsvg.so", "iconengines/libqsvgicon.so"):  # fmt: skip
        assert (plugins / plugin).is_file(), plugin
    resources = internal / "sd_desktop" / "_resources"
    assert (resources / "icons" / "io.github.sd_desktop.SdDesktop.svg").is_file()
    assert (resources / "io.github.sd_desktop.SdDesktop.desktop").is_file()


@pytest.mark.skipif(not shutil.which("ldd"), reason="ldd not available")
@pytest.mark.parametrize("plugin", ["libqxcb.so", "libqoffscreen.so", "libqwayland.so"])
def test_platform_plugins_find_every_library_they_need(dist, plugin):
    # a library missing on the build machine (libxcb-cursor0 is the usual one) is missing from the
    # bundle too, and X11 users then get "could not load the Qt platform plugin xcb"
    internal = dist / "sd-desktop" / "_internal"
    proc = subprocess.run(
        ["ldd", str(internal / "PySide6" / "Qt" / "plugins" / "platforms" / plugin)],
        capture_output=True,
        text=True,
        env={"LD_LIBRARY_PATH": f"{internal}:{internal / 'PySide6' / 'Qt' / 'lib'}", "PATH": os.environ["PATH"]},
    )
    assert proc.returncode == 0, proc.stderr
    assert "not found" not in proc.stdout, proc.stdout


def test_the_archive_holds_the_bundle_and_the_installer(dist):
    (archive,) = dist.glob(f"sd-desktop-{__version__}-linux-*.tar.gz")
    with tarfile.open(archive) as tar:
        members = {m.name: m for m in tar.getmembers()}
    top = archive.name.removesuffix(".tar.gz")
    for name in ("install.sh", "uninstall.sh", "sd-desktop/sd-desktop"):
        member = members[f"{top}/{name}"]
        assert member.isfile() and member.mode & 0o111, name


def test_the_real_bundle_installs_runs_and_uninstalls(dist, home):
    proc = home.run(INSTALL, str(dist / "sd-desktop"))
    assert proc.returncode == 0, proc.stderr
    installed = home.app / "sd-desktop"
    run = subprocess.run([str(installed), "--version"], capture_output=True, text=True, env=bundle_env())
    assert run.stdout.strip() == f"sd-desktop {__version__}", run.stderr
    proc = home.run(home.app / "uninstall.sh")
    assert proc.returncode == 0, proc.stderr
    assert not home.app.exists()


def test_gui_starts_offscreen_indexes_and_quits(exe, small_corpus, tmp_path):
    tree = small_corpus / "tree"
    totals = json.loads((small_corpus / "manifest.json").read_text())["totals"]
    library = tmp_path / "library"
    proc = subprocess.run(
        [str(exe), "--library", str(library), "--add-location", str(tree), "--quit-when-idle"],
        capture_output=True,
        text=True,
        env=bundle_env(),
        cwd=tmp_path,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    with sqlite3.connect(f"file:{library / 'library.db'}?mode=ro", uri=True) as conn:
        locations = [bytes(row[0]) for row in conn.execute("SELECT path FROM location")]
        files = conn.execute("SELECT count(*) FROM entry WHERE kind = 0").fetchone()[0]
    assert locations == [os.fsencode(os.path.realpath(tree))]
    # the indexer keeps hidden files by default: every regular file of the tree is there
    assert files == totals["files"]

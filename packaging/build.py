"""Build the sd_desktop one-folder bundle with PyInstaller, check that it runs, and optionally archive it.

    python packaging/build.py                 # -> dist/sd-desktop/sd-desktop
    python packaging/build.py --archive       # also dist/sd-desktop-<version>-<os>-<arch>.tar.gz (.zip on Windows)
                                              # (macOS: the archive holds dist/sd-desktop.app)
    python packaging/build.py --dist DIR --work DIR

Needs PyInstaller (``pip install -e '.[package]'``). The archive holds the bundle plus install.sh and
uninstall.sh, so a Linux user unpacks it and runs ``./install.sh``.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "sd_desktop.spec"
BUNDLE_NAME = "sd-desktop"


def version() -> str:
    """The version in sd_desktop/__init__.py, read without importing the package."""
    for line in (ROOT / "sd_desktop" / "__init__.py").read_text(encoding="utf-8").splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise SystemExit("build.py: no __version__ in sd_desktop/__init__.py")


def executable(bundle: Path) -> Path:
    """The bundle's executable for the headless commands (a console program on every platform)."""
    if sys.platform == "win32":
        return bundle / "sd-desktop-cli.exe"
    return bundle / "sd-desktop"


def run_pyinstaller(dist: Path, work: Path) -> Path:
    try:
        import PyInstaller.__main__  # noqa: F401  (only to fail early with a clear message)
    except ImportError:
        raise SystemExit("build.py: PyInstaller is not installed; run: pip install -e '.[package]'") from None
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        str(SPEC),
    ]
    # a child process: PyInstaller keeps global state, and the spec imports this checkout's sd_desktop
    subprocess.run(cmd, check=True, cwd=ROOT)
    return dist / BUNDLE_NAME


def smoke_test(bundle: Path) -> str:
    """Run the built executable with --version; the bundle is unusable when that fails."""
    exe = executable(bundle)
    proc = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=120)
    expected = f"sd-desktop {version()}"
    if proc.returncode != 0 or proc.stdout.strip() != expected:
        raise SystemExit(
            f"build.py: the bundle does not run: {exe} --version gave exit {proc.returncode}, "
            f"stdout {proc.stdout.strip()!r}, stderr {proc.stderr.strip()[-2000:]!r}"
        )
    return proc.stdout.strip()


def archive(bundle: Path, dist: Path) -> Path:
    """One file a user downloads: Linux, the bundle and the install scripts; macOS, the .app; Windows, a zip."""
    system = {"win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform)
    stem = f"sd-desktop-{version()}-{system}-{platform.machine().lower()}"
    if sys.platform == "win32":
        return Path(shutil.make_archive(str(dist / stem), "zip", root_dir=bundle.parent, base_dir=bundle.name))
    out = dist / f"{stem}.tar.gz"
    # tar keeps the symlinks and modes a bundle (and a macOS .app) relies on
    with tarfile.open(out, "w:gz", compresslevel=6) as tar:  # 9: ~3x the time, no smaller here
        if sys.platform == "darwin":
            tar.add(dist / f"{BUNDLE_NAME}.app", arcname=f"{stem}/{BUNDLE_NAME}.app")
            return out
        tar.add(bundle, arcname=f"{stem}/{BUNDLE_NAME}")
        for script in ("install.sh", "uninstall.sh"):
            tar.add(ROOT / "packaging" / script, arcname=f"{stem}/{script}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="PyInstaller's work folder (default: build/)")
    parser.add_argument("--archive", action="store_true", help="also write a .tar.gz (.zip on Windows) for users")
    args = parser.parse_args(argv)
    dist, work = args.dist.resolve(), args.work.resolve()
    bundle = run_pyinstaller(dist, work)
    print(f"built {bundle} ({smoke_test(bundle)})")
    if args.archive:
        print(f"archive {archive(bundle, dist)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where the app's resources (icons, desktop entry, metainfo) live, however sd_desktop was installed.

Three layouts are supported, tried in this order:

- a PyInstaller bundle: the spec copies ``resources/`` to ``sd_desktop/_resources`` under ``sys._MEIPASS``;
- an installed wheel: hatch force-includes ``resources/`` as ``sd_desktop/_resources`` (package data);
- a source checkout: the repository's top-level ``resources/`` folder.

This module never imports Qt, so the headless CLI can use it too.
"""

from __future__ import annotations

import sys
from pathlib import Path

APP_ID = "io.github.sd_desktop.SdDesktop"
"""Reverse-DNS application id: the desktop entry is ``APP_ID + '.desktop'`` and the GUI passes it to
``QGuiApplication.setDesktopFileName`` so window managers match windows to the entry."""

ICON_NAME = APP_ID
"""The themed icon name (``Icon=`` in the desktop entry, hicolor file names)."""

ICON_SIZES: tuple[int, ...] = (16, 22, 24, 32, 48, 64, 128, 256, 512)

_PACKAGE_DIR = Path(__file__).resolve().parent


def _candidates() -> list[Path]:
    found = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        found.append(Path(bundle) / "sd_desktop" / "_resources")
    found.append(_PACKAGE_DIR / "_resources")
    found.append(_PACKAGE_DIR.parent / "resources")
    return found


def resources_dir() -> Path:
    """The folder holding the resources; raises FileNotFoundError naming every place looked in."""
    candidates = _candidates()
    for folder in candidates:
        # the icon is the one file every layout must have; a stray empty folder does not count
        if (folder / "icons" / f"{ICON_NAME}.svg").is_file():
            return folder
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"sd_desktop resources not found (looked in: {tried})")


def resource_path(relative: str | Path) -> Path:
    """The absolute path of ``relative`` inside the resources folder (e.g. ``"icons/256/x.png"``).

    Raises FileNotFoundError when the resource does not exist, so a packaging mistake shows up as a
    clear message rather than as a silently missing icon.
    """
    rel = Path(relative)
    if rel.is_absolute() or ".." in rel.parts:
        raise ValueError(f"resource path must be relative and stay inside the resources folder: {relative}")
    path = resources_dir() / rel
    if not path.exists():
        raise FileNotFoundError(f"sd_desktop resource missing: {path}")
    return path


def app_icon_path(size: int | None = None) -> Path:
    """The app icon: the SVG (``size=None``) or the PNG rendered at ``size`` pixels (one of ICON_SIZES)."""
    if size is None:
        return resource_path(f"icons/{ICON_NAME}.svg")
    if size not in ICON_SIZES:
        raise ValueError(f"no {size}px icon; sizes: {', '.join(map(str, ICON_SIZES))}")
    return resource_path(f"icons/{size}x{size}/{ICON_NAME}.png")

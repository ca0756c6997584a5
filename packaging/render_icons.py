"""Render the app icon's PNG sizes (and the Windows .ico, macOS .icns) from the one SVG source.

    python packaging/render_icons.py          # (re)write resources/icons/<size>x<size>/<id>.png, .ico, .icns
    python packaging/render_icons.py --check  # exit 1 when a committed PNG differs from a fresh render

Qt's SVG renderer (PySide6's QtSvg, already a dependency) draws the SVG; Pillow writes the files, so the
bytes depend only on the SVG and the two libraries' versions (no timestamps). At 16-32 px the elements
marked ``class="detail"`` are left out: thin stripes only turn into blur at that size.
"""

from __future__ import annotations

import argparse
import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sd_desktop.resources import APP_ID, ICON_SIZES  # noqa: E402  (after the path set-up above)

ICONS = ROOT / "resources" / "icons"
SVG = ICONS / f"{APP_ID}.svg"
SMALL = 32  # sizes up to this one are drawn without the details
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
SVG_NS = "http://www.w3.org/2000/svg"


def svg_bytes(path: Path, *, details: bool) -> bytes:
    """The SVG source, without the ``class="detail"`` elements when ``details`` is false."""
    ET.register_namespace("", SVG_NS)
    tree = ET.parse(path)
    if not details:
        for parent in tree.iter():
            for child in list(parent):
                if "detail" in child.get("class", "").split():
                    parent.remove(child)
    return ET.tostring(tree.getroot(), encoding="utf-8")


def _qt_app():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.instance() or QGuiApplication(["render_icons"])


def render(size: int, svg: Path = SVG) -> Image.Image:
    """The icon drawn at ``size`` x ``size`` pixels as an RGBA Pillow image."""
    from PySide6.QtCore import QByteArray, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _qt_app()
    renderer = QSvgRenderer(QByteArray(svg_bytes(svg, details=size > SMALL)))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not an SVG Qt can render")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    return Image.frombytes("RGBA", (size, size), bytes(rgba.constBits())[: size * size * 4])


def png_path(size: int) -> Path:
    return ICONS / f"{size}x{size}" / f"{APP_ID}.png"


def write_all() -> list[Path]:
    written = []
    images = {}
    for size in ICON_SIZES:
        images[size] = render(size)
        path = png_path(size)
        path.parent.mkdir(parents=True, exist_ok=True)
        images[size].save(path, format="PNG", optimize=True)
        written.append(path)
    ico = ICONS / f"{APP_ID}.ico"
    images[256].save(ico, format="ICO", sizes=[(s, s) for s in ICO_SIZES], append_images=[images[s] for s in ICO_SIZES])
    icns = ICONS / f"{APP_ID}.icns"
    # macOS wants up to 512 pt at 2x: render 1024 px from the SVG rather than let Pillow upscale
    images[1024] = render(1024)
    images[1024].save(icns, format="ICNS", append_images=[images[s] for s in (16, 32, 64, 128, 256, 512)])
    written += [ico, icns]
    return written


def differs(a: Image.Image, b: Image.Image, tolerance: int = 8) -> bool:
    """True when two renders differ by more than antialiasing noise (per-channel ``tolerance``)."""
    if a.size != b.size:
        return True
    from PIL import ImageChops

    diff = ImageChops.difference(a.convert("RGBA"), b.convert("RGBA"))
    return any(high > tolerance for _, high in diff.getextrema())


def check() -> list[str]:
    """Problems with the committed PNGs: missing, or not what the SVG renders to now."""
    problems = []
    for size in ICON_SIZES:
        path = png_path(size)
        if not path.is_file():
            problems.append(f"missing: {path.relative_to(ROOT)}")
            continue
        with Image.open(path) as committed:
            if differs(committed, render(size)):
                problems.append(f"stale (re-run packaging/render_icons.py): {path.relative_to(ROOT)}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare the committed PNGs with a fresh render")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    for path in write_all():
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())

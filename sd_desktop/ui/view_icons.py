"""The icons of the view-mode actions (As List, As Grid): the desktop theme's ``view-list-details``
and ``view-list-icons`` (or ``view-grid``), as Dolphin and Nautilus show them. Without a theme
(offscreen, a bare window manager) both are drawn here: the style's own file-dialog icons would stand
in otherwise, and its "contents view" one is a magnifier over a page, which reads as Search."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication

LIST_THEME_NAMES = ("view-list-details",)
GRID_THEME_NAMES = ("view-list-icons", "view-grid")
SIZES = (16, 22, 24, 32, 48)


def _from_theme(names: tuple[str, ...]) -> QIcon | None:
    for name in names:
        if QIcon.hasThemeIcon(name):
            return QIcon.fromTheme(name)
    return None


def _drawn(paint_cells: bool) -> QIcon:
    """Rows (a small square, then a line) or a 2x2 grid of squares, in the palette's text colour."""
    color = QApplication.palette().windowText().color()
    icon = QIcon()
    for size in SIZES:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        unit = size / 16  # drawn on a 16-unit square, scaled
        if paint_cells:
            for x, y in ((2, 2), (9, 2), (2, 9), (9, 9)):
                painter.fillRect(QRectF(x * unit, y * unit, 5 * unit, 5 * unit), color)
        else:
            for y in (3, 7, 11):
                painter.fillRect(QRectF(2 * unit, y * unit, 2 * unit, 2 * unit), color)
                painter.fillRect(QRectF(6 * unit, y * unit, 8 * unit, 2 * unit), color)
        painter.end()
        icon.addPixmap(pixmap)
    return icon


def list_icon() -> QIcon:
    """The As List action's icon (rows with details)."""
    return _from_theme(LIST_THEME_NAMES) or _drawn(paint_cells=False)


def grid_icon() -> QIcon:
    """The As Grid action's icon (a grid of icons)."""
    return _from_theme(GRID_THEME_NAMES) or _drawn(paint_cells=True)

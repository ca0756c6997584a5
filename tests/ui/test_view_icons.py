"""The view-mode actions (As List, Ctrl+1; As Grid, Ctrl+2) show rows and a grid, not the style's
"contents view" icon (a magnifier over a page, which reads as Search). Offscreen there is no icon
theme: the icons drawn in code are what shows."""

from __future__ import annotations

from PySide6.QtGui import QIcon, QImage
from PySide6.QtWidgets import QStyle, QToolBar

from sd_desktop.ui.content_view import GRID, LIST
from sd_desktop.ui.main_window import MainWindow


def image(icon: QIcon, size: int = 16) -> QImage:
    return icon.pixmap(size, size).toImage().convertToFormat(QImage.Format.Format_ARGB32)


def opaque(img: QImage, points: list[tuple[int, int]]) -> list[bool]:
    return [img.pixelColor(x, y).alpha() > 0 for x, y in points]


def test_list_and_grid_actions_show_rows_and_a_grid_not_a_magnifier(engine, qtbot, artifacts):
    window = MainWindow(engine.services)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert not QIcon.hasThemeIcon("view-list-icons") and not QIcon.hasThemeIcon("view-grid")  # the drawn ones
    as_list, as_grid = window.actions["view_list"], window.actions["view_grid"]
    assert (as_list.shortcut().toString(), as_grid.shortcut().toString()) == ("Ctrl+1", "Ctrl+2")
    magnifier = window.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogContentsView)
    for size in (16, 22, 32):
        assert image(as_list.icon(), size) != image(as_grid.icon(), size)
        assert image(as_grid.icon(), size) != image(magnifier, size)
        assert image(as_list.icon(), size) != image(magnifier, size)
    grid = image(as_grid.icon())  # four cells, a clear cross between them
    assert opaque(grid, [(4, 4), (11, 4), (4, 11), (11, 11)]) == [True] * 4
    assert opaque(grid, [(8, 4), (8, 11), (4, 8), (11, 8), (8, 8)]) == [False] * 5
    rows = image(as_list.icon())  # three rows: a square, a gap, a line
    assert opaque(rows, [(3, 3), (10, 3), (3, 7), (10, 7), (3, 11), (10, 11)]) == [True] * 6
    assert opaque(rows, [(5, 3), (10, 5), (10, 9), (3, 13)]) == [False] * 4
    for mode in (GRID, LIST):  # each state keeps its own icon; the checked one is the mode shown
        window.set_view_mode(mode)
        assert (as_list.isChecked(), as_grid.isChecked()) == (mode == LIST, mode == GRID)
        assert image(as_grid.icon()) == grid and image(as_list.icon()) == rows
    window.set_view_mode(GRID)
    toolbar = window.findChild(QToolBar, "navigation_toolbar")
    toolbar.grab().save(str(artifacts / "view-mode-icons.png"))
    window.dispose()

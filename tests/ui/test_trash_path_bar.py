"""The path bar and the title in the Trash: "Trash", and "Trash › folder" inside a trashed folder,
never the trash's inner ``…/Trash/files`` path; above the Trash there is nothing to go up to."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QToolButton

from sd_desktop.ui.main_window import MainWindow
from sd_desktop.ui.sidebar import PathRole


def crumb_texts(window: MainWindow) -> list[str]:
    return [b.text() for b in window.path_bar.crumbs.findChildren(QToolButton) if b.isVisible()]


def test_the_trash_and_its_folders_show_as_trash_in_the_path_bar_and_title(engine, qtbot, artifacts):
    window = MainWindow(engine.services)
    qtbot.addWidget(window)
    window.resize(1100, 700)
    window.show()
    qtbot.waitExposed(window)
    places = window.sidebar.model.section("places")
    trash = next(places.child(r) for r in range(places.rowCount()) if places.child(r).text() == "Trash")
    trash_dir = trash.data(PathRole)
    assert trash_dir.endswith(b"/Trash/files")
    inner = os.path.join(trash_dir, b"old photos", b"2019")
    os.makedirs(inner)
    with open(os.path.join(inner, b"a.jpg"), "wb") as f:
        f.write(b"x")

    with qtbot.waitSignal(window.trash_page.loaded, timeout=10000):
        window.sidebar.view.clicked.emit(trash.index())
    assert window.pages.currentWidget() is window.trash_page.view
    qtbot.waitUntil(lambda: crumb_texts(window) == ["Trash"], timeout=5000)  # old buttons go on deleteLater
    assert [b.toolTip() for b in window.path_bar.crumbs.findChildren(QToolButton)] == ["Trash"]
    assert window.windowTitle() == "Trash — sd_desktop"
    assert not window.actions["up"].isEnabled()  # not up into …/Trash, the trash's inner layout
    window.grab().save(str(artifacts / "trash-path-bar.png"))

    with qtbot.waitSignal(window.model.loadingFinished, timeout=10000):
        window.open_path(inner)  # a folder inside the trash (typed, or back/forward)
    qtbot.waitUntil(lambda: crumb_texts(window) == ["Trash", "old photos", "2019"], timeout=5000)
    assert window.windowTitle() == "2019 — sd_desktop"
    window.grab().save(str(artifacts / "trash-subfolder-path-bar.png"))
    buttons = window.path_bar.crumbs.findChildren(QToolButton)
    with qtbot.waitSignal(window.model.loadingFinished, timeout=10000):
        next(b for b in buttons if b.text() == "old photos").click()
    assert window.current_path == os.path.dirname(inner)
    window.actions["up"].trigger()  # up from a trashed folder: the Trash view
    assert window.current_path == trash_dir and window.pages.currentWidget() is window.trash_page.view
    qtbot.waitUntil(lambda: crumb_texts(window) == ["Trash"], timeout=5000)
    window.dispose()

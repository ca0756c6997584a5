"""The main window: empty library, one location, navigation, grid thumbnails, settings; screenshots."""

from __future__ import annotations

import os

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QToolButton

from sd_desktop.ui.content_model import COL_NAME, R_NAME
from sd_desktop.ui.content_view import GRID, LIST
from sd_desktop.ui.main_window import MainWindow
from sd_desktop.ui.sidebar import IndexModeRole
from tests.ui._rows import PALETTE, add_entries, add_indexed_location, add_thumbnail, populate, set_content


def make_window(engine, qtbot) -> MainWindow:
    window = MainWindow(engine.services)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    return window


def open_and_wait(qtbot, window: MainWindow, path) -> None:
    with qtbot.waitSignal(window.model.loadingFinished, timeout=10000):
        window.open_path(path)


def test_opens_with_an_empty_library(engine, qtbot, tmp_path, artifacts, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    asked = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: asked.append(a) or "")
    folder = tmp_path / "home"
    folder.mkdir()
    (folder / "readme.txt").write_text("hello")
    window = make_window(engine, qtbot)
    qtbot.waitUntil(lambda: window.sidebar.model.section("volumes").rowCount() > 0, timeout=10000)
    hint = window.sidebar.model.section("locations").child(0)
    assert hint.text() == "Add a location…"  # the only row: no locations yet
    with qtbot.waitSignal(window.sidebar.addRequested, timeout=5000):
        window.sidebar.view.clicked.emit(hint.index())
    assert asked and asked[0][1] == "Add Location"  # the folder picker opened (and was cancelled)
    open_and_wait(qtbot, window, folder)
    assert window.model.rowCount() == 1
    assert window.selection_label.text() == "1 item"
    assert window.job_label.text() == "No jobs"
    assert not window.sidebar.remove_button.isEnabled()
    window.grab().save(str(artifacts / "main-window-empty-library.png"))


def test_one_location_list_navigation_selection(engine, qtbot, tmp_path, artifacts):
    loc, root, ids, photos, docs = populate(engine.library, tmp_path / "Home")
    window = make_window(engine, qtbot)
    qtbot.waitUntil(lambda: window.sidebar.model.section("locations").rowCount() == 1, timeout=10000)
    item = window.sidebar.model.section("locations").child(0)
    assert "15 items" in item.text()  # 13 at the top, 2 in Documents
    open_and_wait(qtbot, window, tmp_path / "Home")
    model = window.model
    assert model.target.in_library
    assert [model.entry(r)[R_NAME] for r in range(3)] == ["Documents", "Music", "Projects"]
    assert window.selection_label.text() == "13 items"
    crumbs = [b.text() for b in window.path_bar.findChildren(QToolButton)]
    assert crumbs[0] == "/" and crumbs[-1] == "Home"
    # select two files: the status bar shows count and size
    sel = window.content.selection_model()
    for row in (3, 4):  # Budget 2026.ods (48 KB), Holiday video.mp4
        sel.select(
            model.index(row, COL_NAME),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    assert window.selection_label.text() == "2 of 13 items selected (734.1 MB)"
    window.grab().save(str(artifacts / "main-window-list.png"))
    # activating a folder opens it; Back returns
    with qtbot.waitSignal(model.loadingFinished, timeout=10000):
        window.content.activated.emit(0)
    assert window.current_path == os.fsencode(tmp_path / "Home" / "Documents")
    assert sorted(model.entry(r)[R_NAME] for r in range(model.rowCount())) == ["cv.pdf", "letter.odt"]
    assert window.actions["back"].isEnabled()
    with qtbot.waitSignal(model.loadingFinished, timeout=10000):
        window.actions["back"].trigger()
    assert window.current_path == os.fsencode(tmp_path / "Home")
    # the filter box narrows the folder (in SQL) and the status bar follows
    with qtbot.waitSignal(model.loadingFinished, timeout=10000):
        qtbot.keyClicks(window.filter, "img_")
    assert [model.entry(r)[R_NAME] for r in range(model.rowCount())] == [f"IMG_{4000 + i}.jpg" for i in range(6)]
    assert window.selection_label.text() == "6 items match “img_”"


def test_grid_shows_thumbnails_from_sidecars(engine, qtbot, tmp_path, artifacts):
    loc, root, ids, photos, docs = populate(engine.library, tmp_path / "Home")
    window = make_window(engine, qtbot)
    window.set_view_mode(GRID)
    open_and_wait(qtbot, window, tmp_path / "Home")
    model, cache = window.model, engine.thumbnails
    photo_rows = [r for r in range(model.rowCount()) if model.entry(r)[R_NAME].startswith("IMG_")]
    assert len(photo_rows) == 6
    qtbot.waitUntil(lambda: len(cache) == 6, timeout=10000)  # painted cells asked; the LRU holds them
    for r in photo_rows:
        icon = model.data(model.index(r, COL_NAME), Qt.ItemDataRole.DecorationRole)
        cid = model.entry(r)[7]
        assert icon.cacheKey() == cache.icon(cid).cacheKey()
        assert icon.availableSizes()[0].width() == 256  # the sidecar image, not a type icon
    window.grab().save(str(artifacts / "main-window-grid.png"))
    window.set_view_mode(LIST)
    icon = model.data(model.index(photo_rows[0], COL_NAME), Qt.ItemDataRole.DecorationRole)
    assert icon.cacheKey() != cache.icon(model.entry(photo_rows[0])[7]).cacheKey()  # list view: type icons


def test_missing_thumbnails_are_requested_then_appear(engine, qtbot, tmp_path):
    loc, root = add_indexed_location(engine.library, tmp_path / "pics")
    (entry,) = add_entries(engine.library, loc, root, b"", [("later.png", 0, 1000)])
    set_content(engine.library, entry, "ab" * 16)
    window = make_window(engine, qtbot)
    window.set_view_mode(GRID)
    with qtbot.waitSignal(window.model.thumbnailsWanted, timeout=10000) as wanted:
        open_and_wait(qtbot, window, tmp_path / "pics")
    assert wanted.args == [[entry]]
    # the thumbnail job writes the sidecar later; its progress makes the cells look again
    cid = window.model.entry(0)[7]
    engine.library.write_sync(lambda c: c.execute("DELETE FROM content_identity WHERE id = ?", (cid,)))
    new_cid = add_thumbnail(engine.library, entry, "cd" * 16, (52, 152, 219))
    window.model.refresh()
    qtbot.waitUntil(lambda: window.model.rowCount() == 1 and window.model.entry(0)[7] == new_cid, timeout=10000)
    engine.thumbnails.invalidate_missing()
    qtbot.waitUntil(lambda: engine.thumbnails.icon(new_cid) is not None, timeout=10000)


def test_thumbnail_cache_is_bounded_by_bytes(engine, qtbot, tmp_path):
    from sd_desktop.ui.thumbnails import ThumbnailCache

    loc, root = add_indexed_location(engine.library, tmp_path / "pics")
    ids = add_entries(engine.library, loc, root, b"", [(f"p{i}.png", 0, 10) for i in range(4)])
    cids = [add_thumbnail(engine.library, e, f"{i:02x}" * 16, PALETTE[i]) for i, e in enumerate(ids)]
    one = 256 * 256 * 4  # thumbnails are kept square (centred on a transparent square)
    cache = ThumbnailCache(engine.library, max_bytes=2 * one + 10)
    for cid in cids:
        cache.icon(cid)
    qtbot.waitUntil(lambda: not cache._pending, timeout=10000)
    assert len(cache) == 2 and cache.used_bytes <= 2 * one + 10
    cache.close()


def test_view_settings_persist(engine, qtbot, tmp_path):
    window = make_window(engine, qtbot)
    window.set_view_mode(GRID)
    window.actions["show_hidden"].trigger()
    window.resize(1000, 700)
    window.save_settings()
    window.dispose()
    again = make_window(engine, qtbot)
    assert again.content.mode == GRID
    assert again.actions["show_hidden"].isChecked()
    assert os.environ["SD_DESKTOP_HOME"] in again.settings.fileName()
    again.dispose()


def test_actions_use_standard_keys(engine, qtbot):
    from PySide6.QtGui import QKeySequence

    window = make_window(engine, qtbot)
    assert window.actions["find"].shortcut() == QKeySequence(QKeySequence.StandardKey.Find)
    assert window.actions["refresh"].shortcut() == QKeySequence(QKeySequence.StandardKey.Refresh)
    assert window.actions["select_all"].shortcut() == QKeySequence(QKeySequence.StandardKey.SelectAll)
    window.dispose()


def test_sidebar_reindex_and_remove_location(engine, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from sd_desktop import jobs

    loc, root = add_indexed_location(engine.library, tmp_path / "loc")
    window = make_window(engine, qtbot)
    section = window.sidebar.model.section("locations")
    qtbot.waitUntil(lambda: section.rowCount() == 1, timeout=10000)
    window.sidebar.select_location(loc)
    assert window.sidebar.reindex_button.isEnabled() and window.sidebar.remove_button.isEnabled()
    with qtbot.waitSignal(engine.services.status, timeout=10000) as blocker:
        qtbot.mouseClick(window.sidebar.reindex_button, Qt.MouseButton.LeftButton)
    if "indexer" in jobs.registered():
        assert "Indexing queued" in blocker.args[0]
    else:
        assert "not available" in blocker.args[0]
        assert engine.run(engine.manager.list()) == []  # nothing pretends to index
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(window.sidebar.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: section.child(0).text() == "Add a location…", timeout=10000)
    assert asked and "files on disk are not touched" in asked[0][2]
    assert engine.library.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM location").fetchone()[0]) == 0
    assert (tmp_path / "loc").is_dir()
    window.dispose()


def test_location_menu_changes_the_index_mode_and_reindexes(engine, qtbot, tmp_path, artifacts):
    from sd_desktop import jobs
    from sd_desktop.library.locations import index_mode_of

    loc, root = add_indexed_location(engine.library, tmp_path / "loc")
    window = make_window(engine, qtbot)
    section = window.sidebar.model.section("locations")
    qtbot.waitUntil(lambda: section.rowCount() == 1, timeout=10000)
    menu = window.sidebar.location_menu(section.child(0).index())
    texts = [a.text() for a in menu.actions()]
    assert texts[:2] == ["&Open", "&Re-index"] and "Index &mode" in texts and "Re&move Location…" in texts
    submenu = next(a.menu() for a in menu.actions() if a.menu() is not None)
    modes = submenu.actions()
    assert [a.data() for a in modes] == ["shallow", "content", "deep"]
    menu.adjustSize()
    submenu.adjustSize()
    menu.grab().save(str(artifacts / "sidebar-location-menu.png"))
    submenu.grab().save(str(artifacts / "sidebar-index-mode-menu.png"))
    assert [a.isChecked() for a in modes] == [False, True, False]  # a new location indexes content ids
    with qtbot.waitSignal(engine.services.locationsChanged, timeout=10000):
        modes[2].trigger()
    qtbot.waitUntil(lambda: index_mode_of(engine.library, loc) == "deep", timeout=10000)
    if "indexer" in jobs.registered():
        qtbot.waitUntil(lambda: any(j.name == "indexer" for j in engine.run(engine.manager.list())), timeout=10000)
        job = next(j for j in engine.run(engine.manager.list()) if j.name == "indexer")
        assert job.config["mode"] == "deep"
    qtbot.waitUntil(lambda: section.child(0).data(IndexModeRole) == "deep", timeout=10000)
    assert "Deep" in section.child(0).toolTip()
    window.dispose()


def test_trash_place_shows_the_trash_view(engine, qtbot):
    from sd_desktop.ui.sidebar import PathRole

    window = make_window(engine, qtbot)
    places = window.sidebar.model.section("places")
    trash = next(places.child(r) for r in range(places.rowCount()) if places.child(r).text() == "Trash")
    trash_dir = trash.data(PathRole)
    assert trash_dir.startswith(os.fsencode(os.environ["XDG_DATA_HOME"]))  # tests never see the real trash
    with qtbot.waitSignal(window.trash_page.loaded, timeout=10000):
        window.sidebar.view.clicked.emit(trash.index())
    view = window.trash_page.view
    assert window.pages.currentWidget() is view and window.windowTitle() == "Trash — sd_desktop"
    assert view.stack.currentWidget() is view.empty_label and view.empty_label.text() == "The Trash is empty"
    os.makedirs(trash_dir)
    with open(os.path.join(trash_dir, b"old.txt"), "wb") as f:
        f.write(b"x")
    with qtbot.waitSignal(window.trash_page.loaded, timeout=10000):
        window.sidebar.view.clicked.emit(trash.index())
    model = view.model
    assert [(model.index(r, 0).data(), model.index(r, 1).data()) for r in range(model.rowCount())] == [
        ("old.txt", "unknown")  # no .trashinfo: where it came from is unknown
    ]
    window.dispose()


def test_status_bar_says_when_a_job_ends(engine, qtbot):
    """The transient "… queued" message is replaced when the job ends, with how it ended."""
    window = make_window(engine, qtbot)
    job_id = engine.run(engine.manager.enqueue("test_count", {"n": 2}))
    engine.run(engine.manager.wait(job_id))
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Test count finished"), timeout=10000)
    window.dispose()


MENU_BAR = {
    "&File": [
        "New Folder Ctrl+Shift+N",
        "-",
        "Open Folder… Ctrl+O",
        "Add Location… Ctrl+D",
        "Add Network Volume…",
        "-",
        "Quit",
    ],
    "&Edit": [
        "Undo Ctrl+Z",
        "Redo Ctrl+Y",
        "-",
        "Cut Ctrl+X",
        "Copy Ctrl+C",
        "Paste Ctrl+V",
        "-",
        "Select All Ctrl+A",
        "Filter… Ctrl+F",
    ],
    "F&iles": [
        "Open",
        "Open with System Default",
        "Reveal in File Manager",
        "-",
        "Cut Ctrl+X",
        "Copy Ctrl+C",
        "-",
        "Copy to… Ctrl+Shift+C",
        "Move to… Ctrl+Shift+M",
        "Rename… F2",
        "-",
        "Move to Trash Del",
        "Delete Permanently… Shift+Del",
        "-",
        "Find Duplicates… Ctrl+Shift+D",
        "Find Similar Pictures…",
        "Validate… Ctrl+Shift+V",
        "Generate Thumbnails",
        "Re-index",
        "-",
        "Properties Alt+Return",
    ],
    "&Tools": [
        "Find Duplicates… Ctrl+Shift+D",
        "Find Similar Pictures…",
        "Validate… Ctrl+Shift+V",
        "Generate Thumbnails",
        "Re-index",
        "-",
        "Last Duplicate Results",
        "Last Similar Pictures Results",
        "Last Validation Results",
        "Results",
    ],
    "&View": [
        "As List Ctrl+1",
        "As Grid Ctrl+2",
        "-",
        "Show Hidden Files Ctrl+H",
        "Refresh F5",
        "-",
        "Job Panel Ctrl+J",
    ],
    "&Go": [
        "Back Alt+Left",
        "Forward Alt+Right",
        "Enclosing Folder Alt+Up",
        "Home Alt+Home",
        "-",
        "Edit Location Ctrl+L",
    ],
}


def test_menu_bar_order_entries_and_shortcuts(engine, qtbot):
    """The window builds every menu itself, in this order, with these entries and shortcuts."""
    window = make_window(engine, qtbot)
    found = {}
    for act in window.menuBar().actions():
        entries = [
            "-" if a.isSeparator() else f"{a.text()} {a.shortcut().toString()}".strip() for a in act.menu().actions()
        ]
        found[act.text()] = entries
    assert list(found) == list(MENU_BAR)
    assert found == MENU_BAR
    tabs = window.result_tabs.tabs  # results open as tabs beside the files: none yet, no tab bar
    assert tabs.count() == 1 and tabs.widget(0) is window.pages and not tabs.tabBar().isVisible()
    window.dispose()

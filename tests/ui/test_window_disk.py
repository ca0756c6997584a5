"""The window shows what is on disk: a folder inside a location lists the disk (not the stored
index), changes show without F5, F5 lists the disk too, and the library's rows of the folder are
brought up to date afterwards without a job in the History; double-click opens files with the
default application, and a link to a folder opens its target under the link's path."""

from __future__ import annotations

import os
import shutil
import time

from PIL import Image
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QToolButton

from sd_desktop.library.locations import add_location
from sd_desktop.ops.indexing.config import IndexerConfig
from sd_desktop.ui.content_model import COL_NAME, R_CONTENT, R_ID, R_NAME, R_PATH
from sd_desktop.ui.main_window import MainWindow
from tests.ui._rows import add_entries, add_indexed_location, set_content


def make_window(engine, qtbot) -> MainWindow:
    window = MainWindow(engine.services)
    qtbot.addWidget(window)
    window.resize(1100, 700)
    window.show()
    qtbot.waitExposed(window)
    return window


def open_and_wait(qtbot, window: MainWindow, path) -> None:
    with qtbot.waitSignal(window.model.loadingFinished, timeout=10000):
        window.open_path(path)
    window.model.fetch_all()


def names(window: MainWindow) -> list[str]:
    window.model.fetch_all()
    return [window.model.entry(r)[R_NAME] for r in range(window.model.rowCount())]


def photo(path, color: tuple[int, int, int]) -> None:
    Image.new("RGB", (64, 48), color).save(path, "JPEG")


def index(engine, location_id: int) -> None:
    job_id = engine.run(engine.manager.submit(IndexerConfig(location_id)))
    engine.run(engine.manager.wait(job_id))


def library_children(engine, root, rel: bytes) -> dict[str, int | None]:
    """name -> content id of the library's rows below the folder ``rel`` of the location ``root``."""

    def q(conn):
        parent = conn.execute("SELECT id FROM entry WHERE path = ? AND kind = 1", (rel,)).fetchone()
        if parent is None:
            return {}
        return dict(conn.execute("SELECT name, content_id FROM entry WHERE parent_id = ?", (parent[0],)))

    return engine.library.read_sync(q)


def test_files_copied_in_from_outside_show_and_the_library_follows(engine, qtbot, tmp_path, artifacts):
    home = tmp_path / "Home"
    (home / "Holiday").mkdir(parents=True)
    photo(home / "cover.jpg", (200, 80, 60))
    loc = add_location(engine.library, home)
    index(engine, loc)
    window = make_window(engine, qtbot)
    history = window.jobs.history_model
    qtbot.waitUntil(lambda: history.rowCount() == 1, timeout=10000)  # the index above
    open_and_wait(qtbot, window, home / "Holiday")
    assert names(window) == [] and window.selection_label.text() == "0 items"

    outside = tmp_path / "camera"
    outside.mkdir()
    for i, color in enumerate([(231, 76, 60), (46, 204, 113), (52, 152, 219)]):
        photo(outside / f"IMG_{i}.jpg", color)
    t0 = time.monotonic()
    for i in range(3):  # another program copies them in: no F5, no action of the window
        shutil.copy(outside / f"IMG_{i}.jpg", home / "Holiday")
    qtbot.waitUntil(lambda: names(window) == ["IMG_0.jpg", "IMG_1.jpg", "IMG_2.jpg"], timeout=1000)
    shown_after = time.monotonic() - t0
    assert shown_after < 1.0
    qtbot.waitUntil(lambda: window.selection_label.text() == "3 items", timeout=1000)

    # the library's rows of the folder follow, with content ids, and the rows shown get them
    qtbot.waitUntil(lambda: len(library_children(engine, home, b"Holiday")) == 3, timeout=15000)
    qtbot.waitUntil(lambda: all(library_children(engine, home, b"Holiday").values()), timeout=15000)
    qtbot.waitUntil(
        lambda: all(window.model.entry(r)[R_CONTENT] is not None for r in range(window.model.rowCount())),
        timeout=10000,
    )
    assert all(window.model.entry(r)[R_ID] is not None for r in range(3))
    # a refresh is not a job in History: not in the panel, not in the engine's job list either
    engine.run(engine.manager.wait_idle())
    assert history.rowCount() == 1 and history.job(0).name == "indexer"
    assert not window.jobs.rows
    assert [j.id for j in engine.run(engine.manager.list())] == [history.job(0).id]
    assert window.job_label.text() == "No jobs"

    # F5 lists the disk too (the watch is off here, so only F5 can show the fourth file)
    window.folder_watch.close()
    photo(home / "Holiday" / "IMG_3.jpg", (241, 196, 15))
    window.actions["refresh"].trigger()
    qtbot.waitUntil(lambda: "IMG_3.jpg" in names(window), timeout=5000)
    assert window.selection_label.text() == "4 items"
    qtbot.waitUntil(lambda: "IMG_3.jpg" in library_children(engine, home, b"Holiday"), timeout=15000)
    engine.run(engine.manager.wait_idle())
    assert history.rowCount() == 1

    # a file removed from outside goes, the rows that stay keep their selection
    window.folder_watch = type(window.folder_watch)(window.model, engine.services, window)
    window.model.refresh(sync=False)
    qtbot.waitUntil(lambda: window.folder_watch.watched == [os.fsdecode(home / "Holiday")], timeout=5000)
    view = window.content.list
    view.selectRow(names(window).index("IMG_2.jpg"))
    os.unlink(home / "Holiday" / "IMG_0.jpg")
    qtbot.waitUntil(lambda: names(window) == ["IMG_1.jpg", "IMG_2.jpg", "IMG_3.jpg"], timeout=1000)
    selected = [window.model.entry(r)[R_NAME] for r in window.content.selected_rows()]
    assert selected == ["IMG_2.jpg"]
    window.grab().save(str(artifacts / "window-disk-folder-listing.png"))
    window.dispose()


def test_folder_outside_locations_is_watched_too(engine, qtbot, tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    window = make_window(engine, qtbot)
    open_and_wait(qtbot, window, folder)
    assert not window.model.target.in_library and names(window) == ["a.txt"]
    (folder / "b.txt").write_text("b")
    qtbot.waitUntil(lambda: names(window) == ["a.txt", "b.txt"], timeout=1000)
    engine.run(engine.manager.wait_idle())
    assert engine.run(engine.manager.list()) == []  # no location holds it: nothing to update
    window.dispose()


def test_a_location_folder_lists_the_disk_with_library_details(engine, qtbot, tmp_path):
    """Rows the library indexed keep their ids and folder totals; a file indexed before it changed
    shows its new size and no content id (that one described older bytes)."""
    loc, root = add_indexed_location(engine.library, tmp_path / "loc")
    ids = add_entries(engine.library, loc, root, b"", [("sub", 1, 5000), ("a.txt", 0, 10)])
    set_content(engine.library, ids[1], "ab" * 16)
    with open(tmp_path / "loc" / "a.txt", "ab") as f:
        f.write(b"more")
    window = make_window(engine, qtbot)
    with qtbot.waitSignal(window.model.libraryStale, timeout=10000):
        open_and_wait(qtbot, window, tmp_path / "loc")
    rows = {window.model.entry(r)[R_NAME]: window.model.entry(r) for r in range(window.model.rowCount())}
    assert rows["sub"][R_ID] == ids[0] and window.model.data(window.model.index(0, 1)) == "5.0 KB"
    assert rows["a.txt"][R_ID] == ids[1] and rows["a.txt"][R_CONTENT] is None
    assert window.model.data(window.model.index(1, 1)) == "14 B"
    window.dispose()


def double_click(qtbot, view, index) -> None:
    """A real double-click on a row (the press first, as a mouse gives it)."""
    pos = view.visualRect(index).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_double_click_opens_a_file_with_the_default_application(engine, qtbot, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "report.pdf").write_bytes(b"%PDF-1.4")
    window = make_window(engine, qtbot)
    opened: list[QUrl] = []
    window.file_ops.opener = lambda url: opened.append(url) or True
    open_and_wait(qtbot, window, folder)
    view = window.content.list
    double_click(qtbot, view, window.model.index(0, COL_NAME))
    assert opened == [QUrl.fromLocalFile(str(folder / "report.pdf"))]
    assert window.current_path == os.fsencode(folder)  # a file does not navigate
    view.setFocus()
    view.setCurrentIndex(window.model.index(0, COL_NAME))
    qtbot.keyClick(view, Qt.Key.Key_Return)  # Enter does the same
    assert opened == [QUrl.fromLocalFile(str(folder / "report.pdf"))] * 2

    # no application for it: one clear line in the status bar
    window.file_ops.opener = lambda url: False
    double_click(qtbot, view, window.model.index(0, COL_NAME))
    assert window.statusBar().currentMessage() == (
        "No application is set to open “report.pdf”: choose a default application for this kind of file in "
        "your desktop's settings"
    )
    window.dispose()


def test_a_link_to_a_folder_opens_its_target_under_the_link_path(engine, qtbot, tmp_path):
    real = tmp_path / "archive" / "2023"
    real.mkdir(parents=True)
    (real / "old.txt").write_text("x")
    (real / "older.txt").write_text("y")
    shown = tmp_path / "desk"
    shown.mkdir()
    os.symlink(real, shown / "2023 (link)")
    window = make_window(engine, qtbot)
    opened: list[QUrl] = []
    window.file_ops.opener = lambda url: opened.append(url) or True
    open_and_wait(qtbot, window, shown)
    assert names(window) == ["2023 (link)"]
    with qtbot.waitSignal(window.model.loadingFinished, timeout=10000):
        window.content.activated.emit(0)
    link = os.fsencode(shown / "2023 (link)")
    assert window.current_path == link and opened == []
    assert names(window) == ["old.txt", "older.txt"]
    assert window.model.entry(0)[R_PATH] == os.path.join(link, b"old.txt")  # paths stay under the link
    crumbs = [b.text() for b in window.path_bar.findChildren(QToolButton)]
    assert crumbs[-2:] == ["desk", "2023 (link)"]
    window.dispose()


def test_a_refresh_paused_at_shutdown_continues_with_the_next_one(engine, qtbot, tmp_path):
    """The app pauses running jobs when it closes, refreshes too; the next refresh of that folder
    (the same job, as the queue de-duplicates it) continues it instead of waiting behind it."""
    from sd_desktop.jobs import JobStatus
    from sd_desktop.ops.files.disk_listing import resolve_shown
    from sd_desktop.ops.indexing.refresh import refresh_config

    home = tmp_path / "Home"
    home.mkdir()
    loc = add_location(engine.library, home)
    index(engine, loc)
    (home / "new.txt").write_text("new")
    target = engine.library.read_sync(lambda c: resolve_shown(c, home))
    engine.manager.set_concurrency(1)
    engine.run(engine.manager.enqueue("test_sleep", {"seconds": 0.5}))  # the refresh waits behind it
    parked = engine.run(engine.manager.submit(refresh_config(loc, home, "content"), priority=10))
    engine.run(engine.manager.pause(parked))  # as a shutdown leaves it
    assert engine.manager.get(parked).status is JobStatus.PAUSED
    assert engine.run(engine.services.update_folder(target)) == parked
    engine.run(engine.manager.wait_idle(), timeout=30000)
    assert engine.manager.get(parked) is None  # it ran, and a completed refresh is forgotten
    assert "new.txt" in library_children(engine, home, b"")

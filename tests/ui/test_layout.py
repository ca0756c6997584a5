"""The window's layout: the files get most of a 1000×650 window, the job strip grows with the
jobs and expands to the history, sizes survive a restart of the window, the history reads at
1000×650, the first-launch page, and the sidebar's highlight; screenshots at 1000×650 and
1440×900."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QStyle

from sd_desktop.jobs import JobStatus
from sd_desktop.library import Library
from sd_desktop.ui.main_window import MainWindow
from sd_desktop.ui.sidebar import LocationRole
from tests.conftest import REPO, cli_env
from tests.ui._rows import populate
from tests.ui.conftest import Engine

SMALL, LARGE = (1000, 650), (1440, 900)


def make_window(engine, qtbot, size=SMALL) -> MainWindow:
    window = MainWindow(engine.services)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.size().width() == size[0] and window.size().height() == size[1], timeout=3000)
    return window


def open_and_wait(qtbot, window: MainWindow, path) -> None:
    with qtbot.waitSignal(window.model.loadingFinished, timeout=10000):
        window.open_path(path)


def file_view_share(window: MainWindow) -> float:
    return window.content.height() / window.height()


def drag(qtbot, handle, dx: int, dy: int) -> None:
    """Drag a splitter handle as a user does: press, move, release."""
    start = handle.rect().center()
    QTest.mousePress(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(handle, start + QPoint(dx, dy))
    QTest.mouseRelease(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(dx, dy))
    qtbot.wait(20)


def test_the_files_get_most_of_a_small_window(engine, qtbot, tmp_path, artifacts):
    populate(engine.library, tmp_path / "Home")
    window = make_window(engine, qtbot)
    open_and_wait(qtbot, window, tmp_path / "Home")
    assert not window.jobs.isVisible()  # no job running: no strip, no empty panel
    assert file_view_share(window) >= 0.6
    assert window.content.width() >= window.width() * 0.7  # the sidebar keeps to the side
    assert not window.result_tabs.tabs.tabBar().isVisible()  # one tab (the files): no tab bar
    window.grab().save(str(artifacts / "layout-main-window-1000x650.png"))
    window.dispose()


def test_the_job_strip_grows_with_each_job_and_goes_when_they_end(engine, qtbot, tmp_path, artifacts):
    populate(engine.library, tmp_path / "Home")
    window = make_window(engine, qtbot)
    open_and_wait(qtbot, window, tmp_path / "Home")
    idle = window.content.height()
    panel = window.jobs
    first = engine.run(engine.manager.enqueue("test_count", {"n": 4000, "delay": 0.01, "tag": "photos"}))
    qtbot.waitUntil(lambda: first in panel.rows and panel.isVisible(), timeout=10000)
    row = panel.rows[first]
    qtbot.waitUntil(lambda: row.bar.value() > 0, timeout=10000)
    one = panel.height()
    assert one == row.height() == row.sizeHint().height()  # exactly one line
    assert window.content.height() == idle - one - window.vsplit.handleWidth()
    # one line: title, phase, bar, figures, state and buttons side by side
    title = row.title.geometry()
    for part in (row.phase, row.bar, row.stats, row.state, row.pause_button, row.cancel_button):
        g = part.geometry()
        assert g.top() < title.bottom() and g.bottom() > title.top(), part
        assert g.left() >= title.left()
    assert row.bar.geometry().right() < row.cancel_button.geometry().left() <= row.width()

    second = engine.run(engine.manager.enqueue("test_count", {"n": 4000, "delay": 0.01, "tag": "music"}))
    qtbot.waitUntil(lambda: second in panel.rows, timeout=10000)
    qtbot.waitUntil(lambda: panel.height() == 2 * one, timeout=3000)  # one more line, not more
    assert file_view_share(window) >= 0.6
    window.grab().save(str(artifacts / "layout-job-strip-two-jobs.png"))

    for job_id in (first, second):
        engine.services.cancel(job_id)
    qtbot.waitUntil(lambda: not panel.rows, timeout=10000)
    qtbot.waitUntil(lambda: not panel.isVisible(), timeout=3000)
    assert window.content.height() == idle
    window.dispose()


def test_splitter_sizes_and_the_expanded_panel_survive_a_restart(engine, qtbot, tmp_path):
    populate(engine.library, tmp_path / "Home")
    window = make_window(engine, qtbot)
    open_and_wait(qtbot, window, tmp_path / "Home")
    window.actions["job_panel"].trigger()  # Ctrl+J: the history, at its first height
    assert window.job_pane.expanded and window.jobs.history.isVisible()
    handle = window.vsplit.handle(1)
    qtbot.waitUntil(lambda: window.jobs.height() == 240 and handle.isVisible(), timeout=3000)
    qtbot.waitUntil(lambda: handle.geometry().top() == window.vsplit.sizes()[0], timeout=3000)
    drag(qtbot, handle, 0, -50)  # the user makes the history taller
    drag(qtbot, window.splitter.handle(1), 60, 0)  # and the sidebar wider
    jobs_height, sidebar = window.jobs.height(), window.sidebar.width()
    assert jobs_height == 290 and sidebar == 300
    window.save_settings()
    assert os.environ["SD_DESKTOP_HOME"] in window.settings.fileName()  # the test's own settings file
    window.dispose()

    again = make_window(engine, qtbot)
    qtbot.waitUntil(lambda: again.jobs.height() == jobs_height, timeout=3000)
    assert again.job_pane.expanded and again.actions["job_panel"].isChecked()
    assert again.sidebar.width() == sidebar
    again.actions["job_panel"].trigger()  # back to the strip: no job runs, so no strip at all
    assert not again.jobs.isVisible()
    qtbot.waitUntil(lambda: file_view_share(again) >= 0.6, timeout=3000)
    again.dispose()


def _kill_a_running_sleep_job(library_dir) -> None:
    """A job that cannot resume, running in a CLI process that is killed (kill -9) under it."""
    env = cli_env({"SD_DESKTOP_EXTRA_JOBS": "tests.engine.jobs_for_tests"})
    cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), "jobs", "run", "test_sleep"]
    proc = subprocess.Popen([*cmd, "--config", '{"seconds": 60}'], env=env, cwd=REPO, stdout=subprocess.DEVNULL)
    db = library_dir / "library.db"

    def running() -> bool:
        if not db.exists():
            return False
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT COUNT(*) FROM job WHERE status = 'running'").fetchone()[0] == 1
        except sqlite3.OperationalError:
            return False
        finally:
            conn.close()

    try:
        deadline = time.monotonic() + 30
        while not running():
            assert time.monotonic() < deadline, "the CLI never started its job"
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


def test_history_reads_at_1000x650(library_dir, qtbot, aloop, tmp_path, artifacts):
    _kill_a_running_sleep_job(library_dir)
    lib = Library.open(library_dir)
    engine = Engine(lib, qtbot)
    try:
        photos = tmp_path / "Holiday photos from the summer of 2025"
        photos.mkdir()
        (photos / "beach.jpg").write_bytes(b"not really a picture")
        location = engine.run(engine.services.add_location(photos))
        assert location is not None
        errors = engine.run(engine.manager.enqueue("test_count", {"n": 20, "noncritical_every": 7}))
        engine.run(engine.manager.wait_idle(), timeout=60000)
        assert engine.manager.get(errors).status is JobStatus.COMPLETED_WITH_ERRORS
        window = make_window(engine, qtbot)
        window.job_pane.set_expanded(True)
        history, model = window.jobs.history, window.jobs.history_model
        qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=10000)
        qtbot.waitUntil(lambda: bool(model.locations), timeout=10000)
        rows = {model.job(r).name: r for r in range(model.rowCount())}
        texts = {name: [model.index(r, c).data() for c in range(3)] for name, r in rows.items()}
        assert texts == {
            "indexer": ["Indexer", photos.name, "Done"],
            "test_count": ["Test count", "count to 20", "Done with 3 errors"],
            "test_sleep": ["Test sleep", "", "Interrupted"],
        }
        indexer = model.index(rows["indexer"], 1)
        assert indexer.data(Qt.ItemDataRole.ToolTipRole) == str(photos)  # the full path, in the tooltip
        assert model.index(rows["indexer"], 3).data() == time.strftime(
            "%H:%M", time.localtime(model.job(0).finished_at)
        )
        # every column in sight, and no text cut short
        qtbot.waitUntil(lambda: history.isVisible() and history.viewport().width() > 0, timeout=3000)
        header = history.header()
        last = model.columnCount() - 1
        assert header.sectionViewportPosition(last) + header.sectionSize(last) <= history.viewport().width()
        margin = 2 * (history.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, history) + 1)
        metrics = history.fontMetrics()
        for r in range(model.rowCount()):
            for c in range(model.columnCount()):
                text = model.index(r, c).data() or ""
                assert metrics.horizontalAdvance(text) + margin <= header.sectionSize(c), (text, header.sectionSize(c))
        window.grab().save(str(artifacts / "layout-history-1000x650.png"))
        window.dispose()
    finally:
        engine.close()
        lib.close()


def test_main_window_at_1440x900(engine, qtbot, tmp_path, artifacts):
    populate(engine.library, tmp_path / "Home")
    window = make_window(engine, qtbot, LARGE)
    open_and_wait(qtbot, window, tmp_path / "Home")
    job = engine.run(engine.manager.enqueue("test_count", {"n": 4000, "delay": 0.01, "tag": "photos"}))
    qtbot.waitUntil(lambda: job in window.jobs.rows and window.jobs.rows[job].bar.value() > 0, timeout=10000)
    assert file_view_share(window) >= 0.7
    window.grab().save(str(artifacts / "layout-main-window-1440x900.png"))
    engine.services.cancel(job)
    qtbot.waitUntil(lambda: not window.jobs.rows, timeout=10000)
    window.dispose()


def _drop(widget, folder) -> None:
    """A drag entering ``widget``, moving and dropping the folder's URL (real Qt drag events)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    pos = widget.rect().center()
    action, button, none = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos, action, mime, button, none)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(widget, QDragMoveEvent(pos, action, mime, button, none))
    event = QDropEvent(QPointF(pos), action, mime, button, none)
    QApplication.sendEvent(widget, event)
    assert event.isAccepted()


def test_first_launch_says_what_to_do_and_opens_the_added_folder(engine, qtbot, tmp_path, artifacts, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    window = make_window(engine, qtbot)
    window.open_start()  # as the app does at start: no folder shown before, no location
    welcome = window.welcome
    assert window.pages.currentWidget() is welcome and welcome.isVisible()
    assert welcome.title.text() == "Add a folder to your library"
    assert welcome.add_button.text() == "Add Folder…" and welcome.add_button.isVisible()
    assert welcome.drop_area.text() == "or drop a folder here" and welcome.acceptDrops()
    assert window.windowTitle() == "sd_desktop" and window.selection_label.text() == ""
    hint = window.sidebar.model.section("locations")
    qtbot.waitUntil(lambda: hint.rowCount() == 1 and hint.child(0).text() == "Add a location…", timeout=10000)
    window.grab().save(str(artifacts / "layout-first-launch.png"))

    # a folder dropped on the page becomes a location, and the view opens it
    dropped = tmp_path / "Camera"
    dropped.mkdir()
    (dropped / "a.jpg").write_bytes(b"x")
    with qtbot.waitSignal(engine.services.locationAdded, timeout=10000):
        _drop(welcome, dropped)
    qtbot.waitUntil(lambda: window.current_path == os.fsencode(dropped), timeout=10000)
    assert window.pages.currentWidget() is window.content
    # highlighted once the sidebar lists it (its row is the location, not the volume holding it)
    qtbot.waitUntil(lambda: window.sidebar.highlighted() is not None, timeout=10000)
    qtbot.waitUntil(lambda: window.sidebar.highlighted().data(LocationRole) is not None, timeout=10000)
    assert window.sidebar.highlighted().text().startswith("Camera  —  ")

    # the button: the folder picker, then the same
    chosen = tmp_path / "Scans"
    chosen.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(chosen))
    window.show_welcome()
    qtbot.mouseClick(welcome.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.current_path == os.fsencode(chosen), timeout=10000)
    assert window.pages.currentWidget() is window.content
    engine.run(engine.manager.wait_idle(), timeout=30000)
    window.dispose()


def test_the_last_folder_opens_instead_of_the_first_launch_page(engine, qtbot, tmp_path):
    folder = tmp_path / "Work"
    folder.mkdir()
    window = make_window(engine, qtbot)
    open_and_wait(qtbot, window, folder)
    window.save_settings()
    window.dispose()
    again = make_window(engine, qtbot)
    again.open_start()
    assert again.current_path == os.fsencode(folder) and again.pages.currentWidget() is again.content
    again.dispose()


def test_the_sidebar_highlights_the_place_holding_the_folder(engine, qtbot, tmp_path):
    populate(engine.library, tmp_path / "Home")
    window = make_window(engine, qtbot)
    side = window.sidebar
    qtbot.waitUntil(lambda: side.model.section("locations").rowCount() == 1, timeout=10000)
    location = side.model.section("locations").child(0)
    open_and_wait(qtbot, window, tmp_path / "Home" / "Documents")
    assert side.highlighted() is location  # the location, not "/" nor Home, though both hold it too
    places = side.model.section("places")
    trash = next(places.child(r) for r in range(places.rowCount()) if places.child(r).text() == "Trash")
    window.open_path(trash.data(Qt.ItemDataRole.UserRole + 1))
    assert side.highlighted() is trash
    # a machine whose volumes are unknown: a folder outside every location and place
    side.model.set_data(side.model.locations, [])
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert not str(outside).startswith(os.path.expanduser("~") + os.sep)
    open_and_wait(qtbot, window, outside)
    assert side.highlighted() is None and not side.view.selectionModel().hasSelection()
    assert not side.remove_button.isEnabled()
    window.dispose()


def test_results_open_as_a_tab_beside_the_files(engine, qtbot, tmp_path):
    populate(engine.library, tmp_path / "Home")
    window = make_window(engine, qtbot)
    open_and_wait(qtbot, window, tmp_path / "Home")
    output = {"verified": True, "mode": "content", "search_paths": [str(tmp_path)], "groups": []}
    view = window.result_tabs.open_duplicates(None, output)
    tabs = window.result_tabs.tabs
    assert tabs.currentWidget() is view and tabs.tabBar().isVisible() and tabs.count() == 2
    assert view.height() >= window.height() * 0.6  # the results get the main area
    assert tabs.tabBar().tabButton(0, tabs.tabBar().ButtonPosition.RightSide) is None  # Files never closes
    window.open_path(tmp_path / "Home" / "Music")  # going somewhere shows the files again
    assert tabs.currentWidget() is window.pages
    window.result_tabs.results_action.trigger()  # Tools › Results goes back to them
    assert tabs.currentWidget() is view
    tabs.tabCloseRequested.emit(1)
    assert tabs.count() == 1 and not tabs.tabBar().isVisible()
    assert not window.result_tabs.results_action.isEnabled()
    window.dispose()


def test_a_location_added_beside_the_window_opens_from_the_first_launch_page(engine, qtbot, tmp_path):
    from sd_desktop.library.locations import add_location

    window = make_window(engine, qtbot)
    window.open_start()
    assert window.pages.currentWidget() is window.welcome
    folder = tmp_path / "Added"
    folder.mkdir()
    add_location(engine.library, folder)  # as the command line does, in another process
    window.sidebar.refresh()
    qtbot.waitUntil(lambda: window.current_path == os.fsencode(folder), timeout=10000)
    assert window.pages.currentWidget() is window.content
    window.dispose()


def test_a_library_indexed_before_the_first_launch_opens_its_folder(engine, qtbot, tmp_path):
    """A folder indexed from the command line before the window ever opened: the first launch shows
    that folder, not the page that says to add one (the sidebar knew it before the start)."""
    from sd_desktop.library.locations import add_location

    folder = tmp_path / "Indexed"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"a")
    add_location(engine.library, folder)
    window = make_window(engine, qtbot)
    qtbot.waitUntil(lambda: len(window.sidebar.model.locations) == 1, timeout=10000)
    window.open_start()  # as the app does once the engine has started: no folder shown before
    qtbot.waitUntil(lambda: window.current_path == os.fsencode(folder), timeout=10000)
    assert window.pages.currentWidget() is window.content and not window.welcome.isVisible()
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10000)
    window.dispose()

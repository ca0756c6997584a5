"""The window says when the live index polls a location instead of being notified: the sidebar row
(icon and tooltip) and one status message, rendered from the engine's ``LOCATION_STATUS`` event."""

from __future__ import annotations

import os

from sd_desktop.library.locations import add_location
from sd_desktop.ops.indexing.live import LocationWatcher
from sd_desktop.ui.main_window import MainWindow
from sd_desktop.ui.polling_notice import polling_notice, short_path

REASON = "polling forced (SD_DESKTOP_LIVE_FORCE_POLL)"


def test_a_polled_location_is_marked_in_the_sidebar_and_announced_once(engine, qtbot, tmp_path, artifacts):
    root = tmp_path / "Shared"
    root.mkdir()
    (root / "a.txt").write_text("a")
    location_id = add_location(engine.library, root)
    window = MainWindow(engine.services)
    qtbot.addWidget(window)
    window.resize(1000, 600)
    window.show()
    qtbot.waitExposed(window)
    sidebar = window.sidebar
    qtbot.waitUntil(lambda: sidebar.model.section("locations").rowCount() == 1, timeout=10000)
    messages: list[str] = []
    engine.services.status.connect(messages.append)
    watcher = LocationWatcher(engine.manager, catch_up=False, force_polling=True)
    engine.run(watcher.start())
    try:
        notice = polling_notice(os.fsencode(root), REASON, watcher.poll_delay)
        assert notice == (
            f"Watching {root} by polling: {REASON} — changes may take up to "
            f"{int(-(-watcher.poll_delay // 1))} s to appear"
        )
        qtbot.waitUntil(lambda: messages == [notice], timeout=10000)
        item = sidebar.model.section("locations").child(0)
        assert item.toolTip().endswith("\n\n" + notice)
        assert item.icon().cacheKey() == sidebar.model.polled_icon.cacheKey()
        assert window.statusBar().currentMessage() == notice
        # the sidebar reloads (a location's totals changed): the row keeps its mark, no new message
        with qtbot.waitSignal(sidebar.loaded, timeout=10000):
            sidebar.refresh()
        item = sidebar.model.section("locations").child(0)
        assert item.toolTip().endswith("\n\n" + notice) and item.toolTip().count(notice) == 1
        window.grab().save(str(artifacts / "sidebar-polled-location.png"))
        # the same location announced again (it came back online, still polled): no second message
        watcher._announce_polling(watcher._watched[location_id])
        qtbot.wait(50)
        assert messages == [notice]
    finally:
        engine.run(watcher.stop())


def test_home_is_shown_as_tilde(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert short_path(os.fsencode(tmp_path / "x")) == "~/x"
    assert short_path(tmp_path) == "~"
    assert short_path("/elsewhere/x") == "/elsewhere/x"
    assert (
        polling_notice(tmp_path / "x", "inotify watch limit reached", 2.5)
        == "Watching ~/x by polling: inotify watch limit reached — changes may take up to 3 s to appear"
    )

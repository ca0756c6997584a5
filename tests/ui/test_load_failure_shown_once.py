"""Why a folder could not be listed shows once, where its rows would be, with a button that lists
it again: an SFTP volume whose port is closed, a folder that is gone. Neither the status bar nor the
selection label repeats it."""

from __future__ import annotations

import socket

from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit

from sd_desktop.ui.content_model import COL_NAME
from sd_desktop.ui.main_window import MainWindow


def make_window(engine, qtbot) -> MainWindow:
    window = MainWindow(engine.services)
    qtbot.addWidget(window)
    window.resize(1100, 700)
    window.show()
    qtbot.waitExposed(window)
    return window


def closed_port() -> int:
    """A port of 127.0.0.1 nothing listens on (bound, then let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shown_in(window: MainWindow, needle: str) -> list[str]:
    """Where ``needle`` shows: the visible labels, buttons and fields holding it, and the status bar."""
    places = [
        w.objectName() or type(w).__name__
        for kind in (QLabel, QAbstractButton, QLineEdit)
        for w in window.findChildren(kind)
        if w.isVisible() and needle in w.text()
    ]
    return places + (["status bar message"] if needle in window.statusBar().currentMessage() else [])


def listed(qtbot, window: MainWindow, action) -> None:
    with qtbot.waitSignal(window.model.loadingFinished, timeout=30000):
        action()


def test_an_unreachable_volume_says_why_once_in_place_of_the_rows(engine, qtbot, artifacts):
    from sd_desktop.volumes.registry import register

    window = make_window(engine, qtbot)
    lib = engine.library
    port = closed_port()
    register(lib, lib.folder, "nas", "sftp", "/srv", {"host": "127.0.0.1", "port": str(port), "user": "u"})
    window.sidebar.network.reload()
    qtbot.waitUntil(lambda: window.sidebar.network.item_of("nas") is not None, timeout=20000)
    window.statusBar().showMessage("Copy queued")  # an older message does not stay beside the failure
    listed(qtbot, window, lambda: window.open_remote("nas"))
    reason = f"volume nas: cannot reach 127.0.0.1:{port}: "
    assert window.model.error.startswith(reason)
    assert shown_in(window, reason) == ["content_placeholder"]
    label = window.content.placeholders[window.content.mode]
    assert label.text() == window.model.error
    assert window.statusBar().currentMessage() == ""
    assert window.selection_label.text() == ""
    retry = window.content.retry_buttons[window.content.mode]
    assert retry.isVisible() and retry.text() == "Try Again"
    window.grab().save(str(artifacts / "load-failure-volume.png"))
    listed(qtbot, window, retry.click)  # listed again: the server is still down, the same one place
    assert window.model.error.startswith(reason)
    assert shown_in(window, reason) == ["content_placeholder"]
    window.dispose()


def test_a_gone_folder_says_why_once_and_try_again_lists_it_once_back(engine, qtbot, tmp_path, artifacts):
    home = tmp_path / "home"
    home.mkdir()
    (home / "before.txt").write_text("x")
    gone = tmp_path / "gone"
    window = make_window(engine, qtbot)
    listed(qtbot, window, lambda: window.open_path(home))
    listed(qtbot, window, lambda: window.open_path(gone))
    reason = f"no such folder: {gone}"
    assert window.model.error == reason
    assert shown_in(window, reason) == ["content_placeholder"]
    assert window.content.placeholders[window.content.mode].text() == reason
    assert (window.statusBar().currentMessage(), window.selection_label.text()) == ("", "")
    window.grab().save(str(artifacts / "load-failure-gone-folder.png"))
    listed(qtbot, window, window.actions["refresh"].trigger)  # F5 too tries this folder, not the one before
    assert window.model.rowCount() == 0 and window.model.error == reason
    assert shown_in(window, reason) == ["content_placeholder"]
    gone.mkdir()
    (gone / "back.txt").write_text("y")
    listed(qtbot, window, window.content.retry_buttons[window.content.mode].click)
    assert window.current_path == bytes(gone)
    assert [window.model.data(window.model.index(r, COL_NAME)) for r in range(window.model.rowCount())] == ["back.txt"]
    assert shown_in(window, reason) == []
    assert not any(label.isVisible() for label in window.content.placeholders)
    assert not any(button.isVisible() for button in window.content.retry_buttons)
    assert window.selection_label.text() == "1 item"
    # gone while its rows show: they stay, and the status bar alone says why the refresh failed
    (gone / "back.txt").unlink()
    gone.rmdir()
    listed(qtbot, window, window.actions["refresh"].trigger)
    assert window.model.rowCount() == 1 and window.model.error == reason
    assert shown_in(window, reason) == ["status bar message"]
    window.dispose()

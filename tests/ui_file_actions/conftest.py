"""Fixtures for the file-action tests (menus, drops, copy/trash/delete/rename with undo, Find
duplicates and Validate with their result views): the engine of tests/ui (real JobManager on the
qasync loop), a MainWindow, and helpers to select rows."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_API", "pyside6")
import PySide6  # noqa: E402,F401
import shiboken6  # noqa: E402
from PySide6.QtCore import QItemSelectionModel  # noqa: E402

from tests.fileops.helpers import mount_loop_fs  # noqa: E402,F401  (loop-mounted XFS for reflinks)
from tests.ui.conftest import ARTIFACTS, Engine, aloop, artifacts, engine  # noqa: E402,F401  (shared fixtures)


@pytest.fixture
def window(engine, qtbot):
    from sd_desktop.ui.main_window import MainWindow

    win = MainWindow(engine.services)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    # let queued jobs and their follow-ups finish while the window still exists
    engine.run(engine.manager.wait_idle(), timeout=30000)
    qtbot.waitUntil(lambda: not engine.tasks._tasks, timeout=10000)
    for dialog in (win.copy_conflicts.dialog, win.prompts.last_dialog, win.drops.drop_menu):
        if dialog is not None and shiboken6.isValid(dialog):
            dialog.close()
    win.dispose()


def open_folder(qtbot, window, path) -> None:
    with qtbot.waitSignal(window.model.loadingFinished, timeout=10000):
        window.open_path(path)
    window.model.fetch_all()


def row_of(window, name: str) -> int:
    from sd_desktop.ui.content_model import R_NAME

    for r in range(window.model.loaded_rows()):
        if window.model.entry(r)[R_NAME] == name:
            return r
    raise AssertionError(f"{name} is not listed")


def select(window, *names: str) -> None:
    sel = window.content.selection_model()
    sel.clearSelection()
    for name in names:
        sel.select(
            window.model.index(row_of(window, name), 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )


def shown(dialog, name: str | None = None) -> bool:
    """The dialog is open (and is the one named ``name``, when given)."""
    return dialog is not None and dialog.isVisible() and (name is None or dialog.objectName() == name)


def wait_idle(engine) -> None:
    engine.run(engine.manager.wait_idle(), timeout=30000)


def trash_files() -> str:
    """Where the home trash puts files (``$XDG_DATA_HOME/Trash/files``)."""
    from sd_desktop.ops.files.delete.freedesktop_trash import home_trash

    return os.fsdecode(os.path.join(home_trash(), b"files"))

"""A large indexed folder shows the library's first rows while the disk is still being listed, then
the disk's rows replace them in place: what was deleted on disk goes, what is new appears, and the
selection, the current row and the scroll position made meanwhile stay.

The disk listing is held at a gate (the real ``list_folder``, run once the test opens the gate), so
the state "rows shown, listing not finished" lasts as long as the test needs it.
"""

from __future__ import annotations

import os
import threading

import pytest
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtTest import QTest

from sd_desktop.ui import content_model
from sd_desktop.ui.content_model import FIRST_CHUNK, R_CONTENT, R_ID, R_NAME, R_PATH, ContentModel
from sd_desktop.ui.content_view import LIST, ContentView
from tests.ui._rows import add_entries, add_indexed_location

FILES = 450  # more than the first chunk: the rows past the library's first ones stream in after the merge


class Gate:
    """Holds the content model's worker before it lists the disk."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.open = threading.Event()


@pytest.fixture
def gate(monkeypatch):
    g = Gate()
    real = content_model.list_folder

    def held_list_folder(conn, target):
        g.reached.set()
        g.open.wait(30)
        return real(conn, target)

    monkeypatch.setattr(content_model, "list_folder", held_list_folder)
    yield g
    g.open.set()  # never leave the worker waiting


@pytest.fixture
def big(engine, tmp_path):
    """An indexed folder of one subfolder and ``FILES`` files, up to date with the disk."""
    loc, root = add_indexed_location(engine.library, tmp_path / "big")
    items = [("sub", 1, 4096)] + [(f"f{i:03d}.txt", 0, 100 + i) for i in range(FILES)]
    add_entries(engine.library, loc, root, b"", items)
    return tmp_path / "big"


def disk_order(folder) -> list[str]:
    """The folder's children as the window sorts them by name (folders first), read from the disk."""
    entries = [e for e in os.scandir(folder) if not e.name.startswith(".")]
    dirs = sorted((e.name for e in entries if e.is_dir(follow_symlinks=False)), key=lambda n: (n.casefold(), n))
    files = sorted((e.name for e in entries if not e.is_dir(follow_symlinks=False)), key=lambda n: (n.casefold(), n))
    return dirs + files


def shown_names(model: ContentModel) -> list[str]:
    return [model.entry(r)[R_NAME] for r in range(model.rowCount())]


def open_held(qtbot, model: ContentModel, folder, gate: Gate) -> None:
    """Open ``folder`` and wait until its first rows are in the model, the disk listing still held."""
    model.open_path(folder)
    assert gate.reached.wait(10)
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=5000)
    assert model.loading


def finish(qtbot, model: ContentModel, gate: Gate) -> None:
    with qtbot.waitSignal(model.loadingFinished, timeout=10000):
        gate.open.set()
    model.fetch_all()


def test_first_rows_shown_before_the_disk_listing_finished(engine, qtbot, big, gate):
    model = ContentModel(engine.library)
    open_held(qtbot, model, big, gate)
    assert not gate.open.is_set()
    # the library's first rows, sorted as the finished listing will be: the folder first, then by name
    assert shown_names(model) == ["sub"] + [f"f{i:03d}.txt" for i in range(FIRST_CHUNK - 1)]
    assert model.entry(1)[R_PATH] == os.fsencode(big / "f000.txt")
    assert model.entry(1)[R_ID] is not None
    assert model.target is not None and model.target.in_library
    finish(qtbot, model, gate)
    assert shown_names(model) == disk_order(big)
    assert model.total == FILES + 1
    model.close()


def test_after_the_listing_the_rows_are_exactly_the_disks(engine, qtbot, big, gate):
    model = ContentModel(engine.library)
    open_held(qtbot, model, big, gate)
    shown = shown_names(model)
    assert "f003.txt" in shown and "f150.txt" in shown
    # changed on disk behind the library's back while the folder is being listed
    os.unlink(big / "f003.txt")  # shown from the library: must go
    os.unlink(big / "f150.txt")
    os.unlink(big / "f400.txt")  # past the first rows: never shown
    (big / "f003b.txt").write_bytes(b"new")  # new among the first rows
    (big / "f300b.txt").write_bytes(b"new")  # new past them
    (big / "a-new").mkdir()  # a new folder: sorts first
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    finish(qtbot, model, gate)
    expected = disk_order(big)
    assert len(expected) == FILES + 1 - 3 + 3
    assert shown_names(model) == expected
    assert model.total == len(expected)
    by_name = {model.entry(r)[R_NAME]: model.entry(r) for r in range(model.rowCount())}
    assert by_name["f003b.txt"][R_ID] is None and by_name["a-new"][R_ID] is None  # not indexed yet
    assert by_name["f004.txt"][R_ID] is not None
    assert resets == []  # edited in place, not reset
    model.close()


def test_selection_current_row_and_scroll_made_while_loading_survive(engine, qtbot, big, gate):
    model = ContentModel(engine.library)
    content = ContentView(model)
    qtbot.addWidget(content)
    content.set_mode(LIST)
    content.resize(900, 500)
    content.show()
    qtbot.waitExposed(content)
    open_held(qtbot, model, big, gate)
    view = content.current_view()
    sel = content.selection_model()
    # a person selects two files, then moves the current row with the keyboard, and scrolls
    flags = QItemSelectionModel.SelectionFlag
    sel.setCurrentIndex(model.index(5, 0), flags.ClearAndSelect | flags.Rows)
    sel.select(model.index(120, 0), flags.Select | flags.Rows)
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)  # current moves, selection kept
    QTest.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    current_path = model.entry(view.currentIndex().row())[R_PATH]
    assert current_path == os.fsencode(big / "f006.txt")
    selected = {model.entry(r)[R_PATH] for r in content.selected_rows()}
    assert selected == {os.fsencode(big / "f004.txt"), os.fsencode(big / "f119.txt")}
    view.verticalScrollBar().setValue(3)
    scroll = view.verticalScrollBar().value()
    assert scroll == 3
    # below the rows in view: the rows above and in view keep their places
    os.unlink(big / "f150.txt")
    (big / "f160b.txt").write_bytes(b"new")
    finish(qtbot, model, gate)
    assert shown_names(model) == disk_order(big)
    assert {model.entry(r)[R_PATH] for r in content.selected_rows()} == selected
    assert model.entry(view.currentIndex().row())[R_PATH] == current_path
    assert view.hasFocus()
    assert view.verticalScrollBar().value() == scroll
    model.close()


def test_a_folder_gone_from_disk_shows_none_of_the_librarys_rows(engine, qtbot, big, gate):
    model = ContentModel(engine.library)
    open_held(qtbot, model, big, gate)
    for child in os.scandir(big):
        if child.is_dir():
            os.rmdir(child.path)
        else:
            os.unlink(child.path)
    os.rmdir(big)
    with qtbot.waitSignal(model.loadFailed, timeout=10000) as failed:
        gate.open.set()
    assert failed.args == [f"no such folder: {big}"]
    assert model.rowCount() == 0 and not model.canFetchMore(QModelIndex())
    model.close()


def test_a_refresh_while_loading_keeps_the_selection(engine, qtbot, big, gate):
    """The folder watch refreshes when the disk changes: while the listing still runs, that edits the
    rows shown too, instead of starting over without them."""
    model = ContentModel(engine.library)
    content = ContentView(model)
    qtbot.addWidget(content)
    content.show()
    qtbot.waitExposed(content)
    open_held(qtbot, model, big, gate)
    flags = QItemSelectionModel.SelectionFlag
    content.selection_model().setCurrentIndex(model.index(3, 0), flags.ClearAndSelect | flags.Rows)
    (big / "a-new").mkdir()  # sorts first: every row shown moves down one
    os.unlink(big / "f001.txt")
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    model.refresh()  # as the folder watch does
    finish(qtbot, model, gate)
    assert shown_names(model) == disk_order(big)
    assert [model.entry(r)[R_NAME] for r in content.selected_rows()] == ["f002.txt"]
    assert model.entry(content.current_view().currentIndex().row())[R_NAME] == "f002.txt"
    assert resets == []
    model.close()


def test_the_status_bar_counts_a_selection_made_while_loading(engine, qtbot, big, gate):
    from tests.ui.test_main_window import make_window

    window = make_window(engine, qtbot)
    window.open_path(big)
    assert gate.reached.wait(10)
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=5000)
    assert window.selection_label.text() == "Loading…"
    flags = QItemSelectionModel.SelectionFlag
    window.content.selection_model().setCurrentIndex(window.model.index(1, 0), flags.ClearAndSelect | flags.Rows)
    window.content.selection_model().select(window.model.index(2, 0), flags.Select | flags.Rows)
    # how many the folder holds is known once the disk is listed, not from the library's first rows
    assert window.selection_label.text() == "2 selected (201 B), loading…"
    finish(qtbot, window.model, gate)
    assert window.selection_label.text() == f"2 of {FILES + 1} items selected (201 B)"
    window.dispose()


def test_a_selection_made_while_loading_survives_the_librarys_update_of_the_folder(engine, qtbot, big, gate):
    """The disk differs from the library (a new file): the window has the library's rows of the
    folder updated, which gives every file its content id, and lists the folder again. That
    changes every row at once; they are edited in place, so the selection made while the first
    rows stood in stays."""
    from tests.ui.conftest import run
    from tests.ui.test_main_window import make_window

    window = make_window(engine, qtbot)
    model = window.model
    window.open_path(big)
    assert gate.reached.wait(10)
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=5000)
    flags = QItemSelectionModel.SelectionFlag
    window.content.selection_model().setCurrentIndex(model.index(3, 0), flags.ClearAndSelect | flags.Rows)
    window.content.selection_model().select(model.index(5, 0), flags.Select | flags.Rows)
    (big / "f100b.txt").write_bytes(b"new")
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    finish(qtbot, model, gate)
    qtbot.waitUntil(lambda: model.entry(3)[R_CONTENT] is not None, timeout=60000)  # updated, listed again
    run(qtbot, engine.manager.wait_idle(), timeout=60000)
    qtbot.waitUntil(lambda: not model.loading, timeout=10000)
    model.fetch_all()
    assert shown_names(model) == disk_order(big)
    assert all(model.entry(r)[R_CONTENT] is not None for r in range(1, model.rowCount()))  # every file's
    assert [model.entry(r)[R_NAME] for r in window.content.selected_rows()] == ["f002.txt", "f004.txt"]
    assert model.entry(window.content.current_view().currentIndex().row())[R_NAME] == "f002.txt"
    assert resets == []
    window.dispose()

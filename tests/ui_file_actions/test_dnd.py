"""Drops with and without modifiers make the right copy/move jobs and real files; drops on the
Trash place trash; drag-out mime carries exact file URLs; undo of copy and move."""

from __future__ import annotations

import os
import shutil
import uuid

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from sd_desktop.ui import dnd
from tests.ui_file_actions.conftest import open_folder, row_of, select, trash_files

NOMOD = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier


def make_tree(root):
    (root / "src").mkdir(parents=True)
    (root / "dest").mkdir()
    (root / "src" / "a.txt").write_text("alpha")
    (root / "src" / "b.txt").write_text("beta")
    (root / "src" / "sub").mkdir()
    (root / "src" / "sub" / "c.txt").write_text("gamma")
    return root / "src", root / "dest"


def drop(viewport, items, modifiers, pos: QPointF | None = None):
    """A drag entering a view's viewport, moving, then dropping file URLs (real Qt drag events)."""
    pos = pos or QPointF(5, 5)
    mime = dnd.paths_to_mime(items)
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    button = Qt.MouseButton.LeftButton
    enter = QDragEnterEvent(pos.toPoint(), actions, mime, button, modifiers)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(viewport, QDragMoveEvent(pos.toPoint(), actions, mime, button, modifiers))
    event = QDropEvent(pos, actions, mime, button, modifiers)
    QApplication.sendEvent(viewport, event)
    return event


def test_urls_round_trip_raw_names(tmp_path):
    odd = os.path.join(os.fsencode(tmp_path), b"caf\xe9 %20 #1.txt")
    mime = dnd.paths_to_mime([odd, tmp_path / "plain.txt"])
    assert dnd.urls_to_paths(mime) == [odd, os.fsencode(tmp_path / "plain.txt")]
    assert all(u.isLocalFile() for u in mime.urls())


def test_decide_follows_the_desktop_convention(tmp_path):
    src, dest = make_tree(tmp_path)
    items = [os.fsencode(src / "a.txt")]
    d = os.fsencode(dest)
    assert dnd.decide(items, d, NOMOD) is dnd.DropIntent.MOVE  # same volume
    assert dnd.decide(items, d, CTRL) is dnd.DropIntent.COPY
    assert dnd.decide(items, d, SHIFT) is dnd.DropIntent.MOVE
    assert dnd.decide(items, d, ALT) is dnd.DropIntent.ASK
    assert dnd.decide(items, d, CTRL | SHIFT) is dnd.DropIntent.ASK
    assert dnd.decide(items, os.fsencode(src), NOMOD) is dnd.DropIntent.NONE  # already there
    assert dnd.decide([os.fsencode(src)], os.fsencode(src / "sub"), CTRL) is dnd.DropIntent.NONE  # into itself
    if os.path.isdir("/dev/shm") and os.stat("/dev/shm").st_dev != os.stat(tmp_path).st_dev:
        assert dnd.decide(items, b"/dev/shm", NOMOD) is dnd.DropIntent.COPY  # another volume


def test_drops_copy_and_move_real_files_and_undo(window, qtbot, tmp_path):
    src, dest = make_tree(tmp_path)
    open_folder(qtbot, window, dest)
    viewport = window.content.list.viewport()
    # Ctrl forces a copy
    odd = os.path.join(os.fsencode(src), b"caf\xe9\nnew line.txt")  # FAULTS 3: undecodable byte, newline
    with open(odd, "wb") as f:
        f.write(b"odd")
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000) as blocker:
        drop(viewport, [src / "a.txt", src / "sub", odd], CTRL)
    info = blocker.args[0]
    with open(os.path.join(os.fsencode(dest), os.path.basename(odd)), "rb") as f:
        assert f.read() == b"odd"
    assert info.name == "file_copy" and info.config["move"] is False and info.status.value == "completed"
    assert (dest / "a.txt").read_text() == "alpha" and (dest / "sub" / "c.txt").read_text() == "gamma"
    assert (src / "a.txt").exists() and (src / "sub" / "c.txt").exists()
    # a plain drop within one volume moves (onto the folder's empty space: the copies are listed by now,
    # and a drop on the "sub" row would go into that folder)
    empty = QPointF(viewport.rect().bottomRight()) - QPointF(5, 5)
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000) as blocker:
        drop(viewport, [src / "b.txt"], NOMOD, empty)
    assert blocker.args[0].config["move"] is True
    assert (dest / "b.txt").read_text() == "beta" and not (src / "b.txt").exists()
    assert window.job_submit.undo_stack.count() == 2
    # undo the move: b.txt goes back
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000):
        window.actions["fa_undo"].trigger()
    assert (src / "b.txt").read_text() == "beta" and not (dest / "b.txt").exists()
    # undo the copy: the copies go to the trash, the originals stay
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000) as blocker:
        window.actions["fa_undo"].trigger()
    assert blocker.args[0].name == "delete" and blocker.args[0].config["mode"] == "trash"
    assert not (dest / "a.txt").exists() and not (dest / "sub").exists()
    assert not os.path.lexists(os.path.join(os.fsencode(dest), os.path.basename(odd)))
    assert (src / "a.txt").read_text() == "alpha"
    assert {"a.txt", "sub"} <= set(os.listdir(trash_files()))


def test_shift_moves_onto_a_folder_row_and_drop_menu_when_ambiguous(window, qtbot, tmp_path):
    src, dest = make_tree(tmp_path)
    (dest / "inner").mkdir()
    open_folder(qtbot, window, dest)
    view = window.content.list
    rect = view.visualRect(window.model.index(row_of(window, "inner"), 0))
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000):
        drop(view.viewport(), [src / "a.txt"], SHIFT, QPointF(rect.center()))
    assert (dest / "inner" / "a.txt").read_text() == "alpha" and not (src / "a.txt").exists()
    # Alt: ambiguous -> the drop menu; "Copy Here" copies
    drop(view.viewport(), [src / "b.txt"], ALT, QPointF(view.viewport().rect().bottomRight()) - QPointF(5, 5))
    menu = window.drops.drop_menu
    assert menu is not None and [a.text() for a in menu.actions() if a.text()] == ["Copy Here", "Move Here", "Cancel"]
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000):
        next(a for a in menu.actions() if a.text() == "Copy Here").trigger()
    assert (dest / "b.txt").read_text() == "beta" and (src / "b.txt").exists()


@pytest.mark.skipif(
    not os.path.isdir("/dev/shm") or not os.access("/dev/shm", os.W_OK), reason="needs a second volume (/dev/shm)"
)
def test_plain_drop_from_another_volume_copies(window, qtbot, tmp_path):
    if os.stat("/dev/shm").st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("/dev/shm is on the same volume here")
    other = f"/dev/shm/sd-ui2-{uuid.uuid4().hex}"
    os.mkdir(other)
    try:
        with open(os.path.join(other, "far.txt"), "w") as f:
            f.write("far away")
        dest = tmp_path / "dest"
        dest.mkdir()
        open_folder(qtbot, window, dest)
        with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000) as blocker:
            drop(window.content.list.viewport(), [os.path.join(other, "far.txt")], NOMOD)
        assert blocker.args[0].config["move"] is False
        assert (dest / "far.txt").read_text() == "far away" and os.path.exists(os.path.join(other, "far.txt"))
    finally:
        shutil.rmtree(other)


def test_drop_on_sidebar_trash_trashes(window, qtbot, tmp_path):
    src, _dest = make_tree(tmp_path)
    side = window.sidebar.view
    places = window.sidebar.model.section("places")
    trash_item = next(places.child(r) for r in range(places.rowCount()) if places.child(r).text() == "Trash")
    rect = side.visualRect(trash_item.index())
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000) as blocker:
        drop(side.viewport(), [src / "a.txt"], NOMOD, QPointF(rect.center()))
    assert blocker.args[0].name == "delete"
    assert not (src / "a.txt").exists()
    assert blocker.args[0].output["outcomes"][0]["outcome"] == "trashed"
    assert "a.txt" in os.listdir(trash_files())


def test_drag_out_gives_real_file_urls(window, qtbot, tmp_path):
    src, _ = make_tree(tmp_path)
    open_folder(qtbot, window, src)
    select(window, "a.txt", "sub")
    mime = window.drops.drag_mime()
    assert sorted(u.toLocalFile() for u in mime.urls()) == [str(src / "a.txt"), str(src / "sub")]

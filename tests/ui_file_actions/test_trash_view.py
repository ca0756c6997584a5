"""The Trash view in the window: it lists what is in the trash, Restore puts files back (asking
when the place is taken), Delete there asks and deletes permanently (never trashes again), Empty
Trash asks; Ctrl+Z after Delete restores the file, and a move through "Keep Both" is one undo step.
Screenshot: test-artifacts/ui2-trash-view.png."""

from __future__ import annotations

import os

from PySide6.QtCore import QItemSelectionModel, Qt

from sd_desktop.ops.files.delete.freedesktop_trash import home_trash
from sd_desktop.ui.services import trash_folder
from tests.ui_file_actions.conftest import open_folder, select, shown, trash_files


def files(folder, **content):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in content.items():
        (folder / name.replace("_", ".")).write_text(text)
    return folder


def trash_info() -> str:
    return os.fsdecode(os.path.join(home_trash(), b"info"))


def trash_with(window, qtbot, folder, *names: str) -> None:
    """Trash ``names`` of ``folder`` through the window (Delete key)."""
    open_folder(qtbot, window, folder)
    select(window, *names)
    window.content.list.setFocus()
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000) as blocker:
        qtbot.keyClick(window.content.list, Qt.Key.Key_Delete)
    assert blocker.args[0].output["trashed"] == len(names)


def open_trash(window, qtbot):
    with qtbot.waitSignal(window.trash_page.loaded, timeout=10000):
        window.open_path(trash_folder())
    return window.trash_page.view


def rows(view) -> list[tuple[str, ...]]:
    proxy = view.proxy
    return [tuple(proxy.index(r, c).data() for c in range(4)) for r in range(proxy.rowCount())]


def select_rows(view, *names: str) -> None:
    sel = view.tree.selectionModel()
    sel.clearSelection()
    for r in range(view.proxy.rowCount()):
        if view.proxy.index(r, 0).data() in names:
            sel.select(
                view.proxy.index(r, 0),
                QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
            )


def test_trash_view_lists_items_and_restore_puts_the_file_back(window, qtbot, tmp_path, artifacts):
    docs = files(tmp_path / "docs", report_txt="quarterly numbers", notes_md="# notes", keep_txt="stays")
    (docs / "album").mkdir()
    (docs / "album" / "cat.jpg").write_bytes(b"c" * 2048)
    trash_with(window, qtbot, docs, "report.txt", "notes.md", "album")
    view = open_trash(window, qtbot)
    assert window.pages.currentWidget() is view
    listed = sorted(rows(view))
    assert [(name, where, size) for name, where, _when, size in listed] == [
        ("album", str(docs), "2.0 KB"),
        ("notes.md", str(docs), "7 B"),
        ("report.txt", str(docs), "17 B"),
    ]
    assert all(len(when) == 16 for _n, _w, when, _s in listed)
    assert view.summary.text() == "3 items, 2.1 KB"
    assert window.selection_label.text() == "3 items"
    select_rows(view, "report.txt")
    window.grab().save(str(artifacts / "ui2-main-window-trash.png"))
    view.resize(900, 320)
    view.grab().save(str(artifacts / "ui2-trash-view.png"))
    assert view.restore_button.isEnabled() and view.delete_button.isEnabled()
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000) as blocker:
        view.restore_button.click()
    info = blocker.args[0]
    assert info.name == "trash_restore" and info.output["restored"] == 1
    assert (docs / "report.txt").read_text() == "quarterly numbers"
    qtbot.waitUntil(lambda: sorted(r[0] for r in rows(view)) == ["album", "notes.md"], timeout=10000)
    assert sorted(os.listdir(trash_info())) == ["album.trashinfo", "notes.md.trashinfo"]
    # back to a folder: the folder view returns
    open_folder(qtbot, window, docs)
    assert window.pages.currentWidget() is window.content and not window.trash_page.active


def test_restore_onto_a_taken_place_asks_and_never_replaces(window, qtbot, tmp_path):
    docs = files(tmp_path / "docs", a_txt="old a")
    trash_with(window, qtbot, docs, "a.txt")
    (docs / "a.txt").write_text("new a")
    view = open_trash(window, qtbot)
    select_rows(view, "a.txt")
    view.restore_button.click()
    qtbot.waitUntil(lambda: shown(window.prompts.last_dialog, "restore_conflict_dialog"), timeout=10000)
    dialog = window.prompts.last_dialog
    assert dialog.beside_button.text() == "Restore Beside" and dialog.skip_button.text() == "Leave in Trash"
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000):
        dialog.beside_button.click()
    assert (docs / "a.txt").read_text() == "new a" and (docs / "a (restored).txt").read_text() == "old a"


def test_delete_in_the_trash_view_asks_then_deletes_permanently(window, qtbot, tmp_path):
    docs = files(tmp_path / "docs", a_txt="a", b_txt="b")
    trash_with(window, qtbot, docs, "a.txt", "b.txt")
    view = open_trash(window, qtbot)
    select_rows(view, "a.txt")
    view.tree.setFocus()
    qtbot.keyClick(view.tree, Qt.Key.Key_Delete)
    dialog = window.prompts.last_dialog
    assert shown(dialog, "confirm_delete_dialog")
    dialog.reject()
    assert sorted(os.listdir(trash_files())) == ["a.txt", "b.txt"]
    qtbot.keyClick(view.tree, Qt.Key.Key_Delete)
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000) as blocker:
        window.prompts.last_dialog.delete_button.click()
    info = blocker.args[0]
    assert info.name == "delete" and info.config["mode"] == "permanent"
    assert [str(t) for t in info.config["targets"]] == [os.path.join(trash_files(), "a.txt")]
    # gone for good, with its record; nothing was trashed again
    assert os.listdir(trash_files()) == ["b.txt"] and os.listdir(trash_info()) == ["b.txt.trashinfo"]
    qtbot.waitUntil(lambda: [r[0] for r in rows(view)] == ["b.txt"], timeout=10000)


def test_empty_trash_asks_first(window, qtbot, tmp_path):
    docs = files(tmp_path / "docs", a_txt="a", b_txt="bb")
    trash_with(window, qtbot, docs, "a.txt", "b.txt")
    view = open_trash(window, qtbot)
    view.empty_button.click()
    qtbot.waitUntil(lambda: shown(window.prompts.last_dialog, "empty_trash_dialog"), timeout=10000)
    dialog = window.prompts.last_dialog
    assert "2 items, 3 B, will be deleted permanently" in " ".join(
        lb.text() for lb in dialog.findChildren(type(view.summary))
    )
    dialog.reject()
    assert sorted(os.listdir(trash_files())) == ["a.txt", "b.txt"]
    view.empty_button.click()
    qtbot.waitUntil(lambda: shown(window.prompts.last_dialog, "empty_trash_dialog"), timeout=10000)
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000) as blocker:
        window.prompts.last_dialog.empty_button.click()
    assert blocker.args[0].output["deleted"] == 2
    assert os.listdir(trash_files()) == [] and os.listdir(trash_info()) == []
    qtbot.waitUntil(lambda: view.stack.currentWidget() is view.empty_label, timeout=10000)


def test_ctrl_z_after_delete_restores_the_file(window, qtbot, tmp_path):
    docs = files(tmp_path / "docs", draft_txt="my draft", other_txt="other")
    trash_with(window, qtbot, docs, "draft.txt")
    assert not (docs / "draft.txt").exists()
    stack = window.job_submit.undo_stack
    assert stack.count() == 1 and stack.undoText() == "Move draft.txt to the Trash"
    assert window.actions["fa_undo"].isEnabled()
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000) as blocker:
        qtbot.keyClick(window.content.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args[0].name == "trash_restore"
    assert (docs / "draft.txt").read_text() == "my draft"
    assert os.listdir(trash_files()) == [] and os.listdir(trash_info()) == []
    # redo trashes it again; undo then restores the item of that second trashing
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000):
        window.actions["fa_redo"].trigger()
    assert not (docs / "draft.txt").exists() and os.listdir(trash_files()) == ["draft.txt"]
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000):
        window.actions["fa_undo"].trigger()
    assert (docs / "draft.txt").read_text() == "my draft"


def test_keep_both_move_is_one_undo_step(window, qtbot, tmp_path):
    src = files(tmp_path / "src", a_txt="moved a", b_txt="moved b")
    dest = files(tmp_path / "dest", a_txt="old a")
    window.file_ops.start_copy([os.fsencode(src / "a.txt"), os.fsencode(src / "b.txt")], os.fsencode(dest), move=True)
    qtbot.waitUntil(lambda: shown(window.copy_conflicts.dialog), timeout=20000)
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000):
        window.copy_conflicts.dialog.choice_buttons["rename"].click()  # Keep Both
    kept = sorted(os.listdir(dest))
    assert len(kept) == 3 and not (src / "a.txt").exists()
    stack = window.job_submit.undo_stack
    assert stack.count() == 1 and stack.undoText() == "Move 2 items"
    window.actions["fa_undo"].trigger()
    qtbot.waitUntil(lambda: (src / "a.txt").exists() and (src / "b.txt").exists(), timeout=20000)
    assert (src / "a.txt").read_text() == "moved a" and (src / "b.txt").read_text() == "moved b"
    assert os.listdir(dest) == ["a.txt"] and (dest / "a.txt").read_text() == "old a"
    assert sorted(os.listdir(src)) == ["a.txt", "b.txt"]


def test_delete_key_with_the_trash_shown_never_touches_the_hidden_folder(window, qtbot, tmp_path):
    """The folder view keeps its selection while the Trash is shown: Delete acts on the Trash."""
    docs = files(tmp_path / "docs", a_txt="a", b_txt="b")
    trash_with(window, qtbot, docs, "a.txt")
    qtbot.waitUntil(lambda: window.model.loaded_rows() == 1, timeout=10000)
    select(window, "b.txt")
    view = open_trash(window, qtbot)
    view.tree.selectionModel().clearSelection()
    window.actions["fa_trash"].trigger()
    window.actions["fa_rename"].trigger()
    assert (docs / "b.txt").exists() and window.prompts.last_dialog is None
    assert os.listdir(trash_files()) == ["a.txt"]

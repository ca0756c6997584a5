"""Delete and Shift+Delete from the keyboard, copy conflicts answered in the dialog, rename and its
undo, the context menus' contents, Properties; screenshots of the dialogs."""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, QPoint, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from sd_desktop.ui import context_menus as cm
from sd_desktop.ui.action_targets import Context
from tests.ui_file_actions.conftest import open_folder, select, shown, trash_files


def files(folder, **content):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in content.items():
        (folder / name.replace("_", ".")).write_text(text)
    return folder


def test_delete_key_trashes_and_shift_delete_asks_then_deletes(window, qtbot, tmp_path, artifacts):
    folder = files(tmp_path / "docs", one_txt="1", two_txt="2", three_txt="3")
    open_folder(qtbot, window, folder)
    select(window, "one.txt")
    window.content.list.setFocus()
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000) as blocker:
        qtbot.keyClick(window.content.list, Qt.Key.Key_Delete)
    info = blocker.args[0]
    assert info.name == "delete" and info.config["mode"] == "trash"
    assert not (folder / "one.txt").exists()
    assert "one.txt" in os.listdir(trash_files())
    # Shift+Delete: a confirmation first; cancelling deletes nothing
    qtbot.waitUntil(lambda: window.model.loaded_rows() == 2, timeout=10000)
    select(window, "two.txt", "three.txt")
    qtbot.keyClick(window.content.list, Qt.Key.Key_Delete, Qt.KeyboardModifier.ShiftModifier)
    dialog = window.prompts.last_dialog
    assert dialog is not None and dialog.isVisible() and dialog.objectName() == "confirm_delete_dialog"
    dialog.grab().save(str(artifacts / "ui2-confirm-delete.png"))
    dialog.reject()
    assert (folder / "two.txt").exists()
    qtbot.keyClick(window.content.list, Qt.Key.Key_Delete, Qt.KeyboardModifier.ShiftModifier)
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000) as blocker:
        window.prompts.last_dialog.delete_button.click()
    info = blocker.args[0]
    assert info.config["mode"] == "permanent" and info.config["confirm"] is True
    assert not (folder / "two.txt").exists() and not (folder / "three.txt").exists()
    assert "two.txt" not in os.listdir(trash_files())


def test_conflict_dialog_answers_reach_the_job(window, qtbot, tmp_path, artifacts):
    src = files(tmp_path / "src", a_txt="new a", b_txt="new b", c_txt="new c")
    dest = files(tmp_path / "dest", a_txt="old a", b_txt="old b")
    window.file_ops.start_copy(
        [os.fsencode(src / n) for n in ("a.txt", "b.txt", "c.txt")], os.fsencode(dest), move=False
    )
    qtbot.waitUntil(lambda: shown(window.copy_conflicts.dialog), timeout=20000)
    dialog = window.copy_conflicts.dialog
    assert len(dialog.conflicts) == 2
    assert "already exists" in dialog.headline.text()
    dialog.grab().save(str(artifacts / "ui2-conflict-dialog.png"))
    dialog.choose("overwrite")  # a.txt
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000) as blocker:
        dialog.choice_buttons["rename"].click()  # b.txt: keep both
    info = blocker.args[0]
    assert info.status.value == "completed", info.error
    assert (dest / "a.txt").read_text() == "new a"
    assert (dest / "b.txt").read_text() == "old b"
    renamed = [n for n in os.listdir(dest) if n.startswith("b") and n != "b.txt"]
    assert len(renamed) == 1 and (dest / renamed[0]).read_text() == "new b"
    assert (dest / "c.txt").read_text() == "new c"


def test_conflict_apply_to_all_skip(window, qtbot, tmp_path):
    src = files(tmp_path / "src", a_txt="new a", b_txt="new b")
    dest = files(tmp_path / "dest", a_txt="old a", b_txt="old b")
    window.file_ops.start_copy([os.fsencode(src / "a.txt"), os.fsencode(src / "b.txt")], os.fsencode(dest), move=True)
    qtbot.waitUntil(lambda: shown(window.copy_conflicts.dialog), timeout=20000)
    window.copy_conflicts.dialog.apply_all.setChecked(True)
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000):
        window.copy_conflicts.dialog.choice_buttons["skip"].click()
    assert (dest / "a.txt").read_text() == "old a" and (dest / "b.txt").read_text() == "old b"
    assert (src / "a.txt").exists() and (src / "b.txt").exists()  # skipped moves leave the sources


def test_rename_and_undo(window, qtbot, tmp_path):
    folder = files(tmp_path / "r", draft_txt="text")
    open_folder(qtbot, window, folder)
    select(window, "draft.txt")
    window.actions["fa_rename"].trigger()  # the name is edited in place
    editor = window.inline_rename.editor
    editor.setText("final.txt")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: (folder / "final.txt").exists(), timeout=10000)
    assert not (folder / "draft.txt").exists()
    # the undo step is recorded once the rename reports back, a moment after the file has its name
    qtbot.waitUntil(lambda: window.job_submit.undo_stack.undoText() == "Rename draft.txt to final.txt", timeout=10000)
    window.actions["fa_undo"].trigger()
    qtbot.waitUntil(lambda: (folder / "draft.txt").exists(), timeout=10000)
    assert not (folder / "final.txt").exists()
    window.actions["fa_redo"].trigger()
    qtbot.waitUntil(lambda: (folder / "final.txt").exists(), timeout=10000)


def test_context_menus_hold_the_actions(window, qtbot, tmp_path, artifacts):
    folder = files(tmp_path / "m", a_txt="a")
    (folder / "sub").mkdir()
    open_folder(qtbot, window, folder)
    view = window.content.list
    rect = view.visualRect(window.model.index(0, 0))  # folders first: "sub"
    ctx = window.context_menus.content_context(rect.center(), view)
    assert ctx.kind == cm.FOLDER and ctx.paths == [os.fsencode(folder / "sub")]
    menu = window.context_menus.menu_for(ctx)
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    for expected in (
        "Open",
        "Open with System Default",
        "Reveal in File Manager",
        "Copy to…",
        "Move to…",
        "Rename…",
        "Move to Trash",
        "Delete Permanently…",
        "Find Duplicates…",
        "Validate…",
        "Generate Thumbnails",
        "Re-index",
        "Properties",
    ):
        assert expected in texts
    assert menu.defaultAction().text() == "Open"
    menu.popup(view.viewport().mapToGlobal(rect.center()))
    qtbot.waitUntil(menu.isVisible)
    menu.grab().save(str(artifacts / "ui2-context-menu-folder.png"))
    menu.hide()
    empty = window.context_menus.content_context(QPoint(400, 700), view)
    assert empty.kind == cm.EMPTY and empty.paths == [os.fsencode(folder)]
    texts = [a.text() for a in window.context_menus.menu_for(empty).actions() if not a.isSeparator()]
    assert "Find Duplicates…" in texts and "Move to Trash" not in texts
    loc_menu = window.context_menus.menu_for(Context(cm.LOCATION, [os.fsencode(folder)], 1))
    loc_texts = [a.text() for a in loc_menu.actions() if not a.isSeparator()]
    assert "Re-index" in loc_texts and "Move to Trash" not in loc_texts and "Rename…" not in loc_texts
    window.targets.set_context(None)
    # the menu bar has the same actions with their shortcuts
    assert window.actions["fa_trash"].shortcut().toString() == "Del"
    assert window.actions["fa_delete"].shortcut().toString() == "Shift+Del"
    assert window.actions["fa_undo"].shortcut().toString() == "Ctrl+Z"
    assert window.actions["fa_trash"] in window.files_menu.actions()


def test_properties_dialog(window, qtbot, tmp_path, artifacts):
    folder = files(tmp_path / "p", note_txt="hello")
    window.file_ops.properties(os.fsencode(folder / "note.txt"))
    qtbot.waitUntil(lambda: shown(window.prompts.last_dialog), timeout=10000)
    dialog = window.prompts.last_dialog
    assert dialog.values["Size"].text() == "5 bytes"
    assert dialog.values["Kind"].text() == "Plain text document"
    assert dialog.values["Where"].text() == str(folder)
    assert dialog.values["Library"].text() == "Not in your library"
    dialog.grab().save(str(artifacts / "ui2-properties.png"))


def test_reindex_and_thumbnails_of_a_location_queue_their_jobs(window, engine, qtbot, tmp_path):
    folder = files(tmp_path / "loc", a_txt="a")
    location_id = engine.run(engine.services.add_location(folder))
    engine.run(engine.manager.wait_idle(), timeout=30000)
    before = {j.id for j in engine.run(engine.manager.list())}
    window.context_menus.menu_for(Context(cm.LOCATION, [os.fsencode(folder)], location_id))
    window.actions["fa_reindex"].trigger()
    window.actions["fa_thumbnails"].trigger()
    window.targets.set_context(None)
    engine.run(engine.manager.wait_idle(), timeout=30000)
    qtbot.waitUntil(lambda: not engine.tasks._tasks, timeout=10000)
    new = [j for j in engine.run(engine.manager.list()) if j.id not in before]
    by_name = {j.name: j for j in new}
    assert by_name["indexer"].config["location_id"] == location_id
    assert by_name["thumbnails"].config["location_id"] == location_id


def test_a_copy_queued_elsewhere_still_gets_the_conflict_dialog(window, engine, qtbot, tmp_path):
    """A copy waiting for answers that this window did not start (a restart, the command line)."""
    src = files(tmp_path / "src", a_txt="new")
    dest = files(tmp_path / "dest", a_txt="old")
    config = {"sources": [str(src / "a.txt")], "destination": str(dest), "on_conflict": "ask"}
    job_id = engine.run(engine.manager.enqueue("file_copy", config))
    qtbot.waitUntil(lambda: shown(window.copy_conflicts.dialog), timeout=20000)
    assert window.copy_conflicts.dialog.job_id == job_id
    window.copy_conflicts.dialog.choose("overwrite")
    qtbot.waitUntil(lambda: (dest / "a.txt").read_text() == "new", timeout=20000)
    assert engine.run(engine.manager.wait(job_id)).status.value == "completed"


def test_cancel_in_the_conflict_dialog_cancels_the_copy(window, engine, qtbot, tmp_path):
    src = files(tmp_path / "src", a_txt="new", b_txt="b")
    dest = files(tmp_path / "dest", a_txt="old")
    window.file_ops.start_copy([os.fsencode(src / "a.txt"), os.fsencode(src / "b.txt")], os.fsencode(dest), move=True)
    qtbot.waitUntil(lambda: shown(window.copy_conflicts.dialog), timeout=20000)
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000) as blocker:
        window.copy_conflicts.dialog.reject()
    assert blocker.args[0].status.value == "cancelled"
    assert (dest / "a.txt").read_text() == "old" and not (dest / "b.txt").exists()
    assert (src / "a.txt").exists() and (src / "b.txt").exists()
    assert window.job_submit.undo_stack.count() == 0


class _UrlSink(QObject):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toLocalFile())


def test_open_with_default_and_reveal_hand_urls_to_the_desktop(window, qtbot, tmp_path, monkeypatch):
    """QDesktopServices' URL handler hook stands in for the desktop (nothing is launched)."""
    folder = files(tmp_path / "o", doc_txt="d")
    open_folder(qtbot, window, folder)
    select(window, "doc.txt")
    sink = _UrlSink()
    QDesktopServices.setUrlHandler("file", sink, "open")
    try:
        window.actions["fa_open_default"].trigger()
        assert sink.urls == [str(folder / "doc.txt")]
        monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
        window.actions["fa_reveal"].trigger()  # no session bus here: the folder opens
        assert sink.urls[-1] == str(folder)
    finally:
        QDesktopServices.unsetUrlHandler("file")

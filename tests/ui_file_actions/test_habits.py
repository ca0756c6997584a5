"""File-manager habits, driven by real key and mouse events: New Folder (Ctrl+Shift+N), Cut/Copy/Paste
through the system clipboard in the forms Nautilus and Dolphin use, the editable location bar
(Ctrl+L), navigation keys, rename in place (F2), the filter reset, actions enabled only when they
can act, and icons by type. Screenshots of the location bar in edit mode and of a rename refusal."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QFileDialog

from sd_desktop import paths
from sd_desktop.ui.content_model import COL_NAME, R_NAME
from tests.ui_file_actions.conftest import open_folder, row_of, select, trash_files, wait_idle

CTRL, SHIFT, ALT = (
    Qt.KeyboardModifier.ControlModifier,
    Qt.KeyboardModifier.ShiftModifier,
    Qt.KeyboardModifier.AltModifier,
)
UNDECODABLE = b"caf\xe9 menu.txt"  # Latin-1 bytes: not UTF-8


def make_files(folder, *names: str | bytes, dirs: tuple[str, ...] = ()) -> bytes:
    folder.mkdir(parents=True, exist_ok=True)
    raw = os.fsencode(folder)
    for name in names:
        with open(os.path.join(raw, os.fsencode(name)), "wb") as f:
            f.write(b"x" + os.fsencode(name))
    for d in dirs:
        (folder / d).mkdir()
    return raw


def names(window) -> list[str]:
    return [window.model.entry(r)[R_NAME] for r in range(window.model.loaded_rows())]


def focus_list(qtbot, window):
    view = window.content.list
    view.setFocus()
    qtbot.waitUntil(view.hasFocus, timeout=5000)
    return view


def clipboard_bytes(fmt: str) -> bytes:
    return bytes(QGuiApplication.clipboard().mimeData().data(fmt).data())


@pytest.fixture
def clean_clipboard(qapp):
    QGuiApplication.clipboard().clear()
    yield QGuiApplication.clipboard()
    QGuiApplication.clipboard().clear()


# -- New Folder --------------------------------------------------------------------------------
def test_ctrl_shift_n_makes_a_new_folder_with_its_name_in_edit_and_undo_trashes_it(
    window, engine, qtbot, tmp_path, monkeypatch
):
    asked = []  # Ctrl+Shift+N must not be "Add Location…" (a folder picker that would wait here)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: asked.append(a) or "")
    folder = make_files(tmp_path / "work", "a.txt", dirs=("New Folder",))
    open_folder(qtbot, window, folder)
    view = focus_list(qtbot, window)
    qtbot.keyClick(view, Qt.Key.Key_N, CTRL | SHIFT)
    assert asked == []
    qtbot.waitUntil(lambda: window.inline_rename.active, timeout=10000)
    created = os.path.join(folder, b"New Folder 2")  # "New Folder" is taken
    assert os.path.isdir(created)
    editor = window.inline_rename.editor
    assert editor.text() == "New Folder 2" and editor.selectedText() == "New Folder 2"  # a folder: all of it
    assert editor.hasFocus()
    assert window.content.selected_rows() == [row_of(window, "New Folder 2")]
    qtbot.keyClicks(editor, "Projects")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: os.path.isdir(os.path.join(folder, b"Projects")), timeout=10000)
    assert not os.path.exists(created)
    qtbot.waitUntil(lambda: "Projects" in names(window), timeout=10000)
    stack = window.job_submit.undo_stack
    assert [stack.text(i) for i in range(stack.count())] == [
        "New Folder New Folder 2",
        "Rename New Folder 2 to Projects",
    ]
    window.actions["fa_undo"].trigger()  # the rename
    qtbot.waitUntil(lambda: os.path.isdir(created), timeout=10000)
    window.actions["fa_undo"].trigger()  # the new folder: to the Trash
    qtbot.waitUntil(lambda: not os.path.exists(created), timeout=20000)
    wait_idle(engine)
    assert sorted(os.listdir(folder)) == [b"New Folder", b"a.txt"]
    assert "New Folder 2" in os.listdir(trash_files())


# -- the clipboard -----------------------------------------------------------------------------
def test_copy_and_paste_through_the_clipboard_in_every_form(window, qtbot, tmp_path, clean_clipboard):
    src = make_files(tmp_path / "src", "a.txt", UNDECODABLE)
    dest = make_files(tmp_path / "dest")
    open_folder(qtbot, window, src)
    view = focus_list(qtbot, window)
    select(window, "a.txt", paths.display(UNDECODABLE))
    qtbot.keyClick(view, Qt.Key.Key_C, CTRL)
    uris = [b"file://" + src + b"/a.txt", b"file://" + src + b"/caf%E9%20menu.txt"]
    assert clipboard_bytes("x-special/gnome-copied-files") == b"copy\n" + b"\n".join(uris)
    assert clipboard_bytes("text/uri-list") == b"".join(u + b"\r\n" for u in uris)
    assert clipboard_bytes("application/x-kde-cutselection") == b"0"
    assert QGuiApplication.clipboard().mimeData().text().splitlines()[0] == os.fsdecode(src) + "/a.txt"
    assert window.actions["fa_paste"].isEnabled()
    open_folder(qtbot, window, dest)
    view = focus_list(qtbot, window)
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_V, CTRL)
    info = blocker.args[0]
    assert info.name == "file_copy" and info.config["move"] is False
    assert sorted(os.listdir(dest)) == sorted([b"a.txt", UNDECODABLE])  # the raw bytes survived
    assert sorted(os.listdir(src)) == sorted([b"a.txt", UNDECODABLE])
    assert window.job_submit.undo_stack.undoText() == "Copy 2 items"
    assert window.actions["fa_paste"].isEnabled()  # a copy can be pasted again


def test_cut_and_paste_moves_and_empties_the_clipboard(window, qtbot, tmp_path, clean_clipboard):
    src = make_files(tmp_path / "src", "a.txt", "b.txt")
    dest = make_files(tmp_path / "dest")
    open_folder(qtbot, window, src)
    view = focus_list(qtbot, window)
    select(window, "b.txt")
    qtbot.keyClick(view, Qt.Key.Key_X, CTRL)
    assert clipboard_bytes("x-special/gnome-copied-files") == b"cut\nfile://" + src + b"/b.txt"
    assert clipboard_bytes("application/x-kde-cutselection") == b"1"
    open_folder(qtbot, window, dest)
    view = focus_list(qtbot, window)
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_V, CTRL)
    assert blocker.args[0].config["move"] is True
    assert os.listdir(dest) == [b"b.txt"] and os.listdir(src) == [b"a.txt"]
    assert not window.actions["fa_paste"].isEnabled()  # a cut pastes once
    assert window.job_submit.undo_stack.undoText() == "Move b.txt"


@pytest.mark.parametrize(
    "formats",
    [
        # Nautilus (GTK 4): its own list, which says cut, and the plain URI list
        {
            "x-special/gnome-copied-files": b"cut\nfile://{a}\nfile://{b}",
            "text/uri-list": b"file://{a}\r\nfile://{b}\r\n",
        },
        # Dolphin: the URI list and KDE's cut mark
        {"text/uri-list": b"file://{a}\r\nfile://{b}\r\n", "application/x-kde-cutselection": b"1"},
    ],
    ids=["nautilus", "dolphin"],
)
def test_paste_of_files_cut_in_another_file_manager_moves_them(window, qtbot, tmp_path, clean_clipboard, formats):
    src = make_files(tmp_path / "src", "one.txt", UNDECODABLE)
    dest = make_files(tmp_path / "dest")
    a, b = b"/one.txt", b"/caf%E9%20menu.txt"
    mime = QMimeData()
    for fmt, data in formats.items():
        mime.setData(fmt, data.replace(b"{a}", src + a).replace(b"{b}", src + b))
    QGuiApplication.clipboard().setMimeData(mime)
    open_folder(qtbot, window, dest)
    qtbot.waitUntil(window.actions["fa_paste"].isEnabled, timeout=5000)
    view = focus_list(qtbot, window)
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_V, CTRL)
    assert blocker.args[0].config["move"] is True
    assert sorted(os.listdir(dest)) == sorted([b"one.txt", UNDECODABLE])
    assert os.listdir(src) == []


# -- the location bar --------------------------------------------------------------------------
def test_ctrl_l_edits_the_location_goes_there_or_says_no_folder(window, qtbot, tmp_path, artifacts):
    folder = make_files(tmp_path / "home", "a.txt", dirs=("sub", "subway"))
    make_files(tmp_path / "home" / "sub", "inner.txt")
    open_folder(qtbot, window, folder)
    view = focus_list(qtbot, window)
    bar = window.path_bar
    qtbot.keyClick(view, Qt.Key.Key_L, CTRL)
    assert bar.editing and bar.editor.hasFocus()
    assert bar.editor.text() == os.fsdecode(folder) and bar.editor.selectedText() == os.fsdecode(folder)
    # completion of folders (listed by QFileSystemModel on its own thread)
    bar.editor.setText(os.fsdecode(folder) + "/")
    qtbot.keyClicks(bar.editor, "su")
    popup = bar.editor.completer().popup()
    qtbot.waitUntil(popup.isVisible, timeout=10000)
    shown = {popup.model().index(r, 0).data() for r in range(popup.model().rowCount())}
    assert shown == {"sub", "subway"}
    qtbot.keyClick(popup, Qt.Key.Key_Escape)
    # a wrong path: said in place, the field stays
    bar.editor.setText(os.fsdecode(folder) + "/nowhere")
    qtbot.keyClick(bar.editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bar.error is not None, timeout=10000)
    assert bar.error == f"No folder at {os.fsdecode(folder)}/nowhere"
    assert bar.editing and bar.editor.toolTip() == bar.error and "c0392b" in bar.editor.styleSheet()
    assert bar.error_label.isVisible() and bar.error_label.toolTip() == bar.error
    assert window.current_path == folder
    window.grab().save(str(artifacts / "habits-location-bar-error.png"))
    # a good one: go there, the file list gets the focus, the breadcrumb is back
    bar.editor.selectAll()
    qtbot.keyClicks(bar.editor, "sub")  # relative to the folder shown
    assert bar.error is None and bar.editor.styleSheet() == "" and not bar.error_label.isVisible()
    with qtbot.waitSignal(window.model.loadingFinished, timeout=10000):
        qtbot.keyClick(bar.editor, Qt.Key.Key_Return)
    assert window.current_path == folder + b"/sub"
    assert not bar.editing
    qtbot.waitUntil(window.content.list.hasFocus, timeout=5000)
    # a click on the breadcrumb's empty part edits too; Escape goes back to the breadcrumb
    qtbot.mouseClick(bar.crumbs, Qt.MouseButton.LeftButton, pos=QPoint(bar.crumbs.width() - 5, 5))
    assert bar.editing and bar.editor.hasFocus()
    bar.editor.setText("~")
    window.grab().save(str(artifacts / "habits-location-bar-editing.png"))
    qtbot.keyClick(bar.editor, Qt.Key.Key_Escape)
    assert not bar.editing and window.current_path == folder + b"/sub"


# -- keys --------------------------------------------------------------------------------------
def test_navigation_keys_enter_type_ahead_and_context_menu_key(window, qtbot, tmp_path):
    folder = make_files(tmp_path / "top", "alpha.txt", "report.txt", "zeta.txt", dirs=("docs", "music"))
    make_files(tmp_path / "top" / "docs", "letter.txt")
    open_folder(qtbot, window, folder)
    view = window.content.list
    assert view.hasFocus() or QApplication.focusWidget() is view  # focus starts in the file list
    assert view.currentIndex().row() == 0  # and the first item is current
    # type-ahead selects by name
    qtbot.keyClicks(view, "rep")
    assert window.model.entry(view.currentIndex().row())[R_NAME] == "report.txt"
    qtbot.wait(QApplication.keyboardInputInterval() + 50)
    # Enter opens a folder
    view.setCurrentIndex(window.model.index(row_of(window, "docs"), COL_NAME))
    with qtbot.waitSignal(window.model.loadingFinished, timeout=10000):
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert window.current_path == folder + b"/docs"
    # Backspace goes up, and the folder just left is the current item
    with qtbot.waitSignal(window.model.loadingFinished, timeout=10000):
        qtbot.keyClick(view, Qt.Key.Key_Backspace)
    assert window.current_path == folder
    qtbot.waitUntil(lambda: view.currentIndex().row() == row_of(window, "docs"), timeout=5000)
    # Alt+Left / Alt+Right: back and forward
    with qtbot.waitSignal(window.model.loadingFinished, timeout=10000):
        qtbot.keyClick(view, Qt.Key.Key_Left, ALT)
    assert window.current_path == folder + b"/docs"
    with qtbot.waitSignal(window.model.loadingFinished, timeout=10000):
        qtbot.keyClick(view, Qt.Key.Key_Right, ALT)
    assert window.current_path == folder
    with qtbot.waitSignal(window.model.loadingFinished, timeout=10000):
        qtbot.keyClick(view, Qt.Key.Key_Up, ALT)
    assert window.current_path == os.path.dirname(folder)
    with qtbot.waitSignal(window.model.loadingFinished, timeout=10000):
        qtbot.keyClick(view, Qt.Key.Key_Left, ALT)
    # F5 reloads: a file made behind the window's back appears
    (tmp_path / "top" / "new.txt").write_text("n")
    with qtbot.waitSignal(window.model.loadingFinished, timeout=10000):
        qtbot.keyClick(view, Qt.Key.Key_F5)
    assert "new.txt" in names(window)
    # Shift+F10 and the Menu key: the context menu of the current item
    select(window, "zeta.txt")
    view.setCurrentIndex(window.model.index(row_of(window, "zeta.txt"), COL_NAME))
    qtbot.keyClick(view, Qt.Key.Key_F10, SHIFT)
    menu = window.context_menus.last_menu
    qtbot.waitUntil(menu.isVisible, timeout=5000)
    assert menu.objectName() == "context_menu_file"
    assert window.targets.context.paths == [folder + b"/zeta.txt"]
    menu.hide()
    qtbot.waitUntil(lambda: window.targets.context is None, timeout=5000)
    window.activateWindow()  # (the offscreen platform leaves no window active once the menu is gone)
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(view, Qt.Key.Key_Menu)
    qtbot.waitUntil(lambda: window.context_menus.last_menu is not menu, timeout=5000)
    assert window.context_menus.last_menu.isVisible()
    assert window.context_menus.last_menu.objectName() == "context_menu_file"
    window.context_menus.last_menu.hide()


# -- rename in place ---------------------------------------------------------------------------
def test_f2_renames_in_place_and_a_taken_name_is_said_beside_the_editor(window, qtbot, tmp_path, artifacts):
    folder = make_files(tmp_path / "r", "report.txt", "report 4.txt", "archive.tar.gz", dirs=("photos.2024",))
    asked = []  # in place, never the dialog (which would wait here)
    window.prompts.text = lambda *a: asked.append(a)
    open_folder(qtbot, window, folder)
    view = focus_list(qtbot, window)
    select(window, "report.txt")
    qtbot.keyClick(view, Qt.Key.Key_F2)
    assert asked == []
    editor = window.inline_rename.editor
    assert editor is not None and editor.isVisible() and editor.hasFocus()
    assert editor.text() == "report.txt" and editor.selectedText() == "report"  # the stem, not the extension
    qtbot.keyClicks(editor, "report 4")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    error = window.inline_rename.error
    qtbot.waitUntil(error.isVisible, timeout=10000)
    assert error.text() == "A file named “report 4.txt” is already here"
    assert editor.isVisible() and editor.text() == "report 4.txt"  # the field stays open
    assert sorted(os.listdir(folder)) == sorted([b"report.txt", b"report 4.txt", b"archive.tar.gz", b"photos.2024"])
    assert error.geometry().top() >= editor.geometry().bottom()  # said right below the field
    window.grab().save(str(artifacts / "habits-rename-taken.png"))
    # Backspace edits the name here (it goes up only in the file list)
    editor.setCursorPosition(len("report 4"))
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    assert editor.text() == "report .txt" and window.current_path == folder
    assert not error.isVisible()  # typing clears the complaint
    # an invalid name, in words
    editor.setText("a/b.txt")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert error.text() == "A name cannot contain “/”" and error.isVisible()
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert window.inline_rename.editor is None
    assert sorted(os.listdir(folder)) == sorted([b"report.txt", b"report 4.txt", b"archive.tar.gz", b"photos.2024"])
    # a known double suffix keeps all of it; a folder's whole name is selected
    select(window, "archive.tar.gz")
    qtbot.keyClick(view, Qt.Key.Key_F2)
    assert window.inline_rename.editor.selectedText() == "archive"
    qtbot.keyClick(window.inline_rename.editor, Qt.Key.Key_Escape)
    select(window, "photos.2024")
    qtbot.keyClick(view, Qt.Key.Key_F2)
    assert window.inline_rename.editor.selectedText() == "photos.2024"
    qtbot.keyClicks(window.inline_rename.editor, "Pictures")
    qtbot.keyClick(window.inline_rename.editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: (tmp_path / "r" / "Pictures").is_dir(), timeout=10000)
    qtbot.waitUntil(lambda: window.inline_rename.editor is None, timeout=10000)
    qtbot.waitUntil(lambda: "Pictures" in names(window), timeout=10000)
    qtbot.waitUntil(lambda: window.content.selected_rows() == [row_of(window, "Pictures")], timeout=10000)


# -- the filter --------------------------------------------------------------------------------
def test_filter_is_cleared_when_the_folder_changes_and_no_match_is_said(window, qtbot, tmp_path):
    folder = make_files(tmp_path / "f", "apple.txt", "pear.txt", dirs=("sub",))
    make_files(tmp_path / "f" / "sub", "inner.txt")
    open_folder(qtbot, window, folder)
    placeholder = window.content.placeholders[0]
    with qtbot.waitSignal(window.model.loadingFinished, timeout=10000):
        qtbot.keyClicks(window.filter, "xyz")
    assert window.model.rowCount() == 0
    assert placeholder.isVisible() and placeholder.text() == "No items match “xyz”"
    assert window.selection_label.text() == "0 items match “xyz”"
    window.filter.clear()
    with qtbot.waitSignal(window.model.loadingFinished, timeout=10000):
        qtbot.keyClicks(window.filter, "p")
    assert sorted(names(window)) == ["apple.txt", "pear.txt"]
    with qtbot.waitSignal(window.model.loadingFinished, timeout=10000):
        window.open_path(folder + b"/sub")
    assert window.filter.text() == "" and names(window) == ["inner.txt"]
    assert not placeholder.isVisible()


# -- actions that cannot act are grey ----------------------------------------------------------
def test_actions_are_enabled_only_when_they_can_act(window, qtbot, tmp_path, clean_clipboard):
    folder = make_files(tmp_path / "e", "a.txt", "b.txt")
    open_folder(qtbot, window, folder)
    a = window.actions
    selection_keys = ["fa_cut", "fa_copy", "fa_copy_to", "fa_move_to", "fa_rename", "fa_trash", "fa_delete"]

    def enabled(keys):
        return {k: a[k].isEnabled() for k in keys}

    window.content.selection_model().clearSelection()
    assert enabled(selection_keys + ["fa_paste"]) == dict.fromkeys(selection_keys + ["fa_paste"], False)
    view = focus_list(qtbot, window)
    qtbot.keyClick(view, Qt.Key.Key_C, CTRL)  # nothing selected: nothing copied
    assert QGuiApplication.clipboard().mimeData() is None
    select(window, "a.txt")
    assert enabled(selection_keys) == dict.fromkeys(selection_keys, True)
    select(window, "a.txt", "b.txt")
    assert not a["fa_rename"].isEnabled() and a["fa_trash"].isEnabled()
    QGuiApplication.clipboard().setText("just words")
    assert not a["fa_paste"].isEnabled()
    qtbot.keyClick(view, Qt.Key.Key_C, CTRL)
    assert a["fa_paste"].isEnabled()
    # a context menu on one row counts as that row, whatever was selected before
    rect = view.visualRect(window.model.index(row_of(window, "b.txt"), 0))
    menu = window.context_menus.menu_for(window.context_menus.content_context(rect.center(), view))
    assert a["fa_rename"].isEnabled() is False  # b.txt was already selected with a.txt: both
    window.targets.set_context(None)
    menu.deleteLater()


# -- icons by type -----------------------------------------------------------------------------
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><rect width="16" height="16" fill="{}"/></svg>'


@pytest.fixture
def icon_theme(tmp_path):
    """A small icon theme: text-plain, image-x-generic (no image-png), folder and the link emblem."""
    theme = tmp_path / "icons" / "habits-test"
    (theme / "scalable" / "mimetypes").mkdir(parents=True)
    (theme / "scalable" / "places").mkdir()
    (theme / "scalable" / "emblems").mkdir()
    (theme / "index.theme").write_text(
        "[Icon Theme]\nName=habits-test\nDirectories=scalable/mimetypes,scalable/places,scalable/emblems\n\n"
        + "".join(
            f"[scalable/{d}]\nSize=16\nMinSize=8\nMaxSize=512\nType=Scalable\n\n"
            for d in ("mimetypes", "places", "emblems")
        )
    )
    for sub, name, colour in (
        ("mimetypes", "text-plain", "#00ff00"),
        ("mimetypes", "image-x-generic", "#0000ff"),
        ("places", "folder", "#ffff00"),
        ("emblems", "emblem-symbolic-link", "#ff00ff"),
    ):
        (theme / "scalable" / sub / f"{name}.svg").write_text(SVG.format(colour))
    paths, name = QIcon.themeSearchPaths(), QIcon.themeName()
    QIcon.setThemeSearchPaths([str(tmp_path / "icons")])
    QIcon.setThemeName("habits-test")
    yield
    QIcon.setThemeSearchPaths(paths)
    QIcon.setThemeName(name)


def test_icons_come_from_the_theme_by_mime_type_with_bundled_fallbacks(icon_theme, tmp_path):
    from sd_desktop.ui.icons import KIND_DIR, KIND_FILE, KIND_SYMLINK, TypeIcons, bundled_icon

    icons = TypeIcons()
    assert icons.icon(KIND_FILE, "notes.txt").name() == "text-plain"
    assert icons.icon(KIND_FILE, "photo.png").name() == "image-x-generic"  # the generic icon of image/png
    assert icons.icon(KIND_DIR, "Music").name() == "folder"
    # by name only: a .txt holding PNG bytes is still text (its contents are never read here)
    (tmp_path / "fake.txt").write_bytes(b"\x89PNG\r\n\x1a\n")
    assert icons.icon(KIND_FILE, str(tmp_path / "fake.txt")).name() == "text-plain"
    # not in the theme: the bundled icon of the type's generic name
    song = icons.icon(KIND_FILE, "song.mp3")
    assert song.name() == "" and not song.isNull()
    assert song.pixmap(32).toImage() == bundled_icon("audio-x-generic").pixmap(32).toImage()
    # a symbolic link: its name's type with the theme's link emblem in the corner
    link = icons.icon(KIND_SYMLINK, "notes.txt").pixmap(32).toImage()
    assert link.pixelColor(2, 2).name() == "#00ff00" and link.pixelColor(30, 30).name() == "#ff00ff"
    assert icons.icon(KIND_FILE, "notes.txt").pixmap(32).toImage().pixelColor(30, 30).name() == "#00ff00"


def test_the_file_list_shows_type_icons(window, qtbot, tmp_path, icon_theme):
    from sd_desktop.ui.icons import TypeIcons

    window.model.icons = TypeIcons()  # made after the theme was set (the window's was made before)
    folder = make_files(tmp_path / "i", "a.txt", "b.png", dirs=("d",))
    os.symlink(folder + b"/a.txt", folder + b"/link.txt")
    open_folder(qtbot, window, folder)

    def icon_of(name):
        return window.model.index(row_of(window, name), COL_NAME).data(Qt.ItemDataRole.DecorationRole)

    assert icon_of("a.txt").name() == "text-plain"
    assert icon_of("b.png").name() == "image-x-generic"
    assert icon_of("d").name() == "folder"
    link = icon_of("link.txt").pixmap(32).toImage()  # a text file's icon, with the link emblem
    assert link.pixelColor(2, 2).name() == "#00ff00" and link.pixelColor(30, 30).name() == "#ff00ff"


def test_in_the_trash_page_only_the_deletes_follow_its_selection(window, qtbot, tmp_path):
    from tests.ui_file_actions.test_trash_view import open_trash, select_rows, trash_with

    docs = tmp_path / "docs"
    make_files(docs, "a.txt", "b.txt")
    trash_with(window, qtbot, docs, "a.txt")
    qtbot.waitUntil(lambda: window.model.loaded_rows() == 1, timeout=10000)
    select(window, "b.txt")  # the folder view keeps this selection while the Trash is shown
    view = open_trash(window, qtbot)
    a = window.actions
    view.tree.selectionModel().clearSelection()
    assert [a[k].isEnabled() for k in ("fa_trash", "fa_delete", "fa_cut", "fa_rename")] == [False] * 4
    select_rows(view, "a.txt")
    assert [a[k].isEnabled() for k in ("fa_trash", "fa_delete", "fa_cut", "fa_rename")] == [True, True, False, False]


def test_paste_of_copied_files_into_their_own_folder_makes_numbered_copies(window, qtbot, tmp_path, clean_clipboard):
    """Copy, then paste in the same folder: a copy beside each, "name (1).ext" (a folder too), as in
    Dolphin; the originals untouched, and Undo takes the copies back."""
    folder = make_files(tmp_path / "here", "notes.txt", "a (1).txt", dirs=("sub",))
    (tmp_path / "here" / "sub" / "inner.txt").write_bytes(b"inner")
    open_folder(qtbot, window, folder)
    select(window, "notes.txt", "sub")
    view = focus_list(qtbot, window)
    qtbot.keyClick(view, Qt.Key.Key_C, CTRL)
    qtbot.waitUntil(window.actions["fa_paste"].isEnabled, timeout=5000)
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_V, CTRL)
    assert blocker.args[0].status.succeeded
    assert sorted(os.listdir(folder)) == [b"a (1).txt", b"notes (1).txt", b"notes.txt", b"sub", b"sub (1)"]
    assert (tmp_path / "here" / "notes (1).txt").read_bytes() == b"xnotes.txt"
    assert (tmp_path / "here" / "sub (1)" / "inner.txt").read_bytes() == b"inner"
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=20000) as blocker:
        window.actions["fa_undo"].trigger()
    assert blocker.args[0].name == "delete" and blocker.args[0].config["mode"] == "trash"
    assert sorted(os.listdir(folder)) == [b"a (1).txt", b"notes.txt", b"sub"]
    assert (tmp_path / "here" / "notes.txt").read_bytes() == b"xnotes.txt"


def test_paste_of_cut_files_into_their_own_folder_leaves_them_and_says_so(window, qtbot, tmp_path, clean_clipboard):
    folder = make_files(tmp_path / "here", "notes.txt")
    open_folder(qtbot, window, folder)
    select(window, "notes.txt")
    view = focus_list(qtbot, window)
    qtbot.keyClick(view, Qt.Key.Key_X, CTRL)
    qtbot.waitUntil(window.actions["fa_paste"].isEnabled, timeout=5000)
    with qtbot.waitSignal(window.services.status, timeout=5000) as said:
        qtbot.keyClick(view, Qt.Key.Key_V, CTRL)
    assert said.args[0] == "“notes.txt” is already in this folder"
    assert os.listdir(folder) == [b"notes.txt"]

"""Find Duplicates and Validate on a network volume's folder open the same results tabs a local
search opens (a real sshd on 127.0.0.1, pytest-qt offscreen): a folder not indexed yet is offered
to be indexed in one click, then searched; the rows name ``NAME:/path``; Move to Trash, Move,
Replace with Links and Reveal are off with the reason as tooltip; Delete Permanently goes through
``remote_delete`` after the confirmation, and Validate's tab lists the volume's issues."""

# ruff: noqa: F811  (the fixtures imported below are named again as test parameters)
from __future__ import annotations

from PySide6.QtCore import QPoint

from sd_desktop.ops.files.duplicate_detection.select import Policy
from sd_desktop.ui.results.duplicates_view import DuplicatesView
from sd_desktop.ui.results.validation_model import COL_PATH, PathRole
from sd_desktop.ui.results.validation_view import ValidationView
from tests.ui.conftest import aloop, artifacts, engine  # noqa: F401  (the window's fixtures)
from tests.volumes.test_volume_window import TREE, finished_jobs, listed, make_tree, names, nas_window, window  # noqa: F401

NO_TRASH = "A network volume has no trash: use Delete Permanently… (asked first, cannot be undone)"
NO_MOVE = "Files on a network volume cannot be moved from here: download them from the volume's folder"
NO_LINKS = "Links cannot be made on a network volume: each copy there stays a file of its own"
NO_REVEAL = "A file on a network volume is in no local file manager: Open copies it here and opens it"


def _menu_action(window, text: str) -> None:
    view = window.content.list
    empty_space = QPoint(20, view.viewport().height() - 10)  # the folder shown
    menu = window.context_menus.remote_menu(view, empty_space)
    next(a for a in menu.actions() if a.text() == text).trigger()


def _tab(window, qtbot, kind):
    qtbot.waitUntil(lambda: any(isinstance(v, kind) for v in window.result_tabs.views), timeout=90000)
    view = next(v for v in window.result_tabs.views if isinstance(v, kind))
    assert window.result_tabs.tabs.currentWidget() is view
    return view


def test_find_duplicates_on_a_volume_indexes_when_asked_and_opens_a_duplicates_tab(
    window, qtbot, sshd, tmp_path, artifacts
):
    root = tmp_path / "nas root"
    make_tree(root)
    (root / "again.bin").write_bytes(TREE["100% sure.bin"])  # a duplicate of 100% sure.bin
    nas_window(window, qtbot, sshd, root)
    handled = finished_jobs(window)
    listed(window, qtbot, lambda: window.open_remote("nas"))
    asked = []
    window.remote_files.ask_index = lambda where: asked.append(where) or True
    _menu_action(window, "Find &Duplicates")
    view = _tab(window, qtbot, DuplicatesView)
    assert asked == ["nas:/"]  # not indexed yet: offered, indexed, then searched
    assert [i.name for i in handled] == ["remote_indexer", "cross_duplicates"]
    # the sidebar's location says what the index holds once its job finished
    section = window.sidebar.model.section("locations")
    qtbot.waitUntil(lambda: section.rowCount() == 1 and "not indexed yet" not in section.child(0).text(), timeout=20000)
    model = view.model
    assert [[f.path for f in g.files] for g in model.groups] == [["nas:/100% sure.bin", "nas:/again.bin"]]
    group = model.index(0, 0)
    rows = [(model.index(r, 0, group).data(), model.index(r, 1, group).data()) for r in range(2)]
    assert rows == [("100% sure.bin", "nas:/"), ("again.bin", "nas:/")]
    assert view.headline.text() == "1 duplicate group — 300.0 KB could be freed"

    view.auto_mark(Policy.KEEP_SHORTEST_PATH)
    assert [f.path for f in model.marked_files()] == ["nas:/100% sure.bin"]
    for button, why in ((view.trash_button, NO_TRASH), (view.move_button, NO_MOVE), (view.link_button, NO_LINKS)):
        assert (button.isEnabled(), button.toolTip()) == (False, why)
    assert view.delete_button.isEnabled()
    file_row = model.index(0, 0, group)
    view._context_menu(view.tree.visualRect(file_row).center())
    reveal = next(a for a in view.last_menu.actions() if a.text() == "Reveal in File Manager")
    assert (reveal.isEnabled(), reveal.toolTip()) == (False, NO_REVEAL)
    view.last_menu.close()
    window.grab().save(str(artifacts / "volume_remote_duplicates_tab.png"))

    # Delete Permanently: asked, then remote_delete on the volume; the tab shows what happened
    view.delete_button.click()
    dialog = window.result_tabs.prompts.last_dialog
    assert dialog.objectName() == "confirm_delete_dialog" and dialog.isVisible()
    dialog.accept()
    qtbot.waitUntil(lambda: any(i.name == "remote_delete" for i in handled), timeout=60000)
    done = next(i for i in handled if i.name == "remote_delete")
    assert done.status.value == "completed", done.error
    assert not (root / "100% sure.bin").exists()
    assert (root / "again.bin").read_bytes() == TREE["100% sure.bin"]
    assert view.banner.text() == "1 file deleted."
    assert view.headline.text() == "Every duplicate group is resolved"

    # the folder is indexed now: a second search asks nothing
    _menu_action(window, "Find &Duplicates")
    qtbot.waitUntil(lambda: len([v for v in window.result_tabs.views if isinstance(v, DuplicatesView)]) == 2)
    assert asked == ["nas:/"]


def test_validate_on_a_volume_opens_a_validation_tab_of_its_issues(window, qtbot, sshd, tmp_path):
    root = tmp_path / "nas root"
    make_tree(root)
    nas_window(window, qtbot, sshd, root)
    handled = finished_jobs(window)
    window.volume_actions.index("nas", "/")
    qtbot.waitUntil(lambda: any(i.name == "remote_indexer" for i in handled), timeout=60000)
    (root / "x#y.dat").write_bytes(b"changed, and of another size")
    listed(window, qtbot, lambda: window.open_remote("nas"))
    _menu_action(window, "&Validate")
    view = _tab(window, qtbot, ValidationView)
    issues = [(i["type"], i["path"]) for i in view.model.issues]
    assert issues == [("size_changed", b"nas:/x#y.dat")]
    assert view.model.index(0, COL_PATH).data() == "nas:/x#y.dat"
    assert view.model.index(0, COL_PATH).data(PathRole) == b"nas:/x#y.dat"
    view.table.selectRow(0)
    assert (view.reveal_button.isEnabled(), view.reveal_button.toolTip()) == (False, NO_REVEAL)
    assert view.open_button.isEnabled() and view.revalidate_button.isEnabled()
    # Open: the file is copied from the volume, then handed to its application
    opened = []
    window.file_ops.opener = lambda url: opened.append(url.toLocalFile()) or True
    view.open_button.click()
    qtbot.waitUntil(lambda: len(opened) == 1, timeout=30000)
    assert open(opened[0], "rb").read() == b"changed, and of another size"

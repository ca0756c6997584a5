"""Delete Permanently in a duplicates tab of a network volume (a real sshd, pytest-qt offscreen)
hands each marked copy's kept copies (the group's unmarked rows) to ``remote_delete``: a kept copy
deleted after the search keeps the marked one, and the tab says why (FAULTS 5)."""

# ruff: noqa: F811  (the fixtures imported below are named again as test parameters)
from __future__ import annotations

from sd_desktop.ops.files.duplicate_detection.select import Policy
from sd_desktop.ui.results.duplicates_view import DuplicatesView
from tests.ui.conftest import aloop, artifacts, engine  # noqa: F401  (the window's fixtures)
from tests.volumes.test_volume_window import TREE, finished_jobs, listed, make_tree, nas_window, window  # noqa: F401
from tests.volumes.test_volume_window_results import _menu_action, _tab


def test_a_kept_copy_deleted_after_the_search_keeps_the_marked_copy(window, qtbot, sshd, tmp_path):
    root = tmp_path / "nas root"
    make_tree(root)
    (root / "again.bin").write_bytes(TREE["100% sure.bin"])
    nas_window(window, qtbot, sshd, root)
    handled = finished_jobs(window)
    listed(window, qtbot, lambda: window.open_remote("nas"))
    window.remote_files.ask_index = lambda where: True
    _menu_action(window, "Find &Duplicates")
    view = _tab(window, qtbot, DuplicatesView)
    view.auto_mark(Policy.KEEP_SHORTEST_PATH)
    assert [f.path for f in view.model.marked_files()] == ["nas:/100% sure.bin"]
    (root / "again.bin").unlink()  # the kept copy goes after the search
    view.delete_button.click()
    window.result_tabs.prompts.last_dialog.accept()
    qtbot.waitUntil(lambda: any(i.name == "remote_delete" for i in handled), timeout=60000)
    done = next(i for i in handled if i.name == "remote_delete")
    assert (root / "100% sure.bin").read_bytes() == TREE["100% sure.bin"]
    assert [(o["path"], o["outcome"], o["reason"]) for o in done.output["outcomes"]] == [
        ("nas:/100% sure.bin", "skipped", "kept copy gone: nas:/again.bin is no longer there; left as it is")
    ]
    assert view.banner.text() == (
        "0 files deleted, 1 skipped because of this: kept copy gone: nas:/again.bin is no longer there; left as it is."
    )


def test_a_tab_mixing_local_and_remote_rows_keeps_trash_and_move_for_local_marks(window, qtbot, tmp_path):
    from PySide6.QtCore import Qt

    from sd_desktop.ui.results import remote_results

    (tmp_path / "a.bin").write_bytes(b"same")
    (tmp_path / "c.bin").write_bytes(b"other")
    groups = [
        {"size": 5, "hash": "1" * 64, "paths": [str(tmp_path / "c.bin"), "nas:/d.bin"]},
        {"size": 4, "hash": "0" * 64, "paths": [str(tmp_path / "a.bin"), "nas:/b.bin"]},
    ]
    output = {"verified": True, "mode": "content", "search_paths": [str(tmp_path), "nas:/"], "groups": groups}
    view = window.result_tabs.open_duplicates(None, output)
    model, trash, move, link = view.model, view.trash_button, view.move_button, view.link_button
    trash_tip = trash.toolTip()

    def mark(g: int, row: int, on: bool) -> None:
        model.setData(model.index(row, 0, model.index(g, 0)), on, Qt.ItemDataRole.CheckStateRole)

    def state() -> list[tuple[bool, str]]:
        return [(b.isEnabled(), b.toolTip()) for b in (trash, move, link)]

    files = [[f.path for f in g.files] for g in model.groups]
    local_row = [paths.index(next(p for p in paths if p.startswith("/"))) for paths in files]
    remote_row = [1 - r for r in local_row]
    mark(0, local_row[0], True)  # only a local row marked
    assert state()[:2] == [(True, trash_tip), (True, move.toolTip())]
    assert state()[2] == (False, remote_results.NO_LINKS)  # its kept copy is on a volume
    mark(1, remote_row[1], True)  # a remote row too: no trash, no move
    assert state() == [
        (False, remote_results.NO_TRASH),
        (False, remote_results.NO_MOVE),
        (False, remote_results.NO_LINKS),
    ]
    mark(1, remote_row[1], False)
    assert [s[0] for s in state()] == [True, True, False]

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

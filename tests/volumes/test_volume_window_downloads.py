"""The window's downloads from a volume (a real sshd on 127.0.0.1, pytest-qt offscreen): items of a
volume pasted into a local folder where some names are taken are asked about once, with the same
question an upload asks (Replace, Keep Both, Skip), and the answer is the ``remote_copy`` jobs'
``on_conflict``; a skip is told in the status bar, never silent."""

# ruff: noqa: F811  (the fixtures imported below are named again as test parameters)
from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.ui.conftest import aloop, artifacts, engine  # noqa: F401  (the window's fixtures)
from tests.volumes.test_volume_window import TREE, finished_jobs, listed, make_tree, names, nas_window, window  # noqa: F401


def _copy_from_volume(window, qtbot, wanted: list[str]) -> None:
    listed(window, qtbot, lambda: window.open_remote("nas"))
    selection = window.content.selection_model()
    selection.clearSelection()
    shown = names(window)
    for name in wanted:
        index = window.model.index(shown.index(name), 0)
        selection.select(index, QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    window.actions["fa_copy"].trigger()


def _paste_and_wait(window, qtbot, dest, handled, jobs: int) -> None:
    listed(window, qtbot, lambda: window.open_path(dest))
    before = len([i for i in handled if i.name == "remote_copy"])
    window.actions["fa_paste"].trigger()
    qtbot.waitUntil(lambda: len([i for i in handled if i.name == "remote_copy"]) == before + jobs, timeout=60000)
    for info in [i for i in handled if i.name == "remote_copy"][before:]:
        assert info.status.value == "completed", info.error


def test_a_paste_from_a_volume_asks_once_about_taken_names_and_follows_the_answer(
    window, qtbot, sshd, tmp_path, artifacts
):
    root = tmp_path / "nas root"
    make_tree(root)
    nas_window(window, qtbot, sshd, root)
    dest = tmp_path / "local dest"
    dest.mkdir()
    (dest / "a b.txt").write_bytes(b"mine")
    (dest / "x#y.dat").write_bytes(b"mine too")
    handled = finished_jobs(window)
    told: list[str] = []
    window.services.status.connect(told.append)

    # the real question box: shown, looked at, answered Keep Both
    seen: list[str] = []

    def answer_keep_both() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, answer_keep_both)
            return
        seen.append(box.text())
        box.grab().save(str(artifacts / "volume_download_conflict_dialog.png"))
        next(b for b in box.buttons() if b.text() == "Keep Both").click()

    _copy_from_volume(window, qtbot, ["100% sure.bin", "a b.txt", "x#y.dat"])
    QTimer.singleShot(50, answer_keep_both)
    _paste_and_wait(window, qtbot, dest, handled, 3)
    assert seen == [f"2 item(s) already in {dest}:\n\na b.txt\nx#y.dat"]
    assert sorted(p.name for p in dest.iterdir()) == [
        "100% sure.bin",
        "a b (1).txt",
        "a b.txt",
        "x#y (1).dat",
        "x#y.dat",
    ]
    assert (dest / "a b.txt").read_bytes() == b"mine"
    assert (dest / "a b (1).txt").read_bytes() == TREE["a b.txt"]
    assert (dest / "x#y (1).dat").read_bytes() == TREE["x#y.dat"]

    # Skip: nothing replaced, and the status bar says what was skipped
    asked = []
    window.remote_files.ask_conflict = lambda taken, where: asked.append((taken, where)) or "skip"
    _copy_from_volume(window, qtbot, ["a b.txt", "x#y.dat"])
    _paste_and_wait(window, qtbot, dest, handled, 2)
    assert asked == [(["a b.txt", "x#y.dat"], str(dest))]
    assert (dest / "a b.txt").read_bytes() == b"mine"
    skipped = sorted(t for t in told if "skipped" in t)
    assert skipped == [
        f"nas:/a b.txt → {dest}: 1 file(s) skipped, already there (see the job's details)",
        f"nas:/x#y.dat → {dest}: 1 file(s) skipped, already there (see the job's details)",
    ]

    # Replace: the new bytes under the old name, nothing else made
    window.remote_files.ask_conflict = lambda taken, where: asked.append((taken, where)) or "overwrite"
    _copy_from_volume(window, qtbot, ["a b.txt"])
    _paste_and_wait(window, qtbot, dest, handled, 1)
    assert asked[1] == (["a b.txt"], str(dest))
    assert (dest / "a b.txt").read_bytes() == TREE["a b.txt"]
    assert len(list(dest.iterdir())) == 5

    # Cancel: no job at all
    window.remote_files.ask_conflict = lambda taken, where: asked.append((taken, where)) and None
    _copy_from_volume(window, qtbot, ["x#y.dat"])
    listed(window, qtbot, lambda: window.open_path(dest))
    jobs_before = len(handled)
    window.actions["fa_paste"].trigger()
    qtbot.waitUntil(lambda: len(asked) == 3, timeout=30000)
    qtbot.wait(500)
    assert len(handled) == jobs_before
    assert (dest / "x#y.dat").read_bytes() == b"mine too"

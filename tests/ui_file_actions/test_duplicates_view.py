"""Find duplicates from the context menu on a generated tree: the view holds the manifest's groups;
auto-mark never marks every copy; trashing the marked set leaves one copy per group, and a file
changed since the scan is reported back, not deleted; the stored results reopen (restart)."""

from __future__ import annotations

import json
import os

from PySide6.QtCore import QPoint, Qt

from sd_desktop.ops.files.duplicate_detection import DuplicateConfig, DuplicateMode
from sd_desktop.ops.files.duplicate_detection.select import Policy
from sd_desktop.ui.results.duplicates_model import DuplicatesModel
from tests.support.make_corpus import main as make_corpus
from tests.ui_file_actions.conftest import open_folder, trash_files
from tests.ui_file_actions.multidata_check import assert_multidata_matches_data


def corpus(tmp_path):
    out = tmp_path / "corpus"
    make_corpus([str(out), "--files", "120", "--seed", "3", "--images", "4"])
    return out / "tree", json.loads((out / "manifest.json").read_text())


def rel_groups(model: DuplicatesModel, tree) -> list[list[str]]:
    root = os.path.realpath(tree)
    return sorted(sorted(os.path.relpath(f.path, root) for f in g.files) for g in model.groups)


def run_find_from_context_menu(window, qtbot, tree):
    open_folder(qtbot, window, tree)
    view = window.content.list
    corner = QPoint(view.viewport().width() - 5, view.viewport().height() - 5)
    menu = window.context_menus.menu_for(window.context_menus.content_context(corner, view))
    action = next(a for a in menu.actions() if a.text() == "Find Duplicates…")
    action.trigger()
    dialog = window.prompts.last_dialog
    assert dialog.objectName() == "find_duplicates_dialog" and dialog.isVisible()
    assert dialog.search.paths() == [os.fsencode(tree)]
    assert dialog.config().mode is DuplicateMode.CONTENT
    return dialog


def test_find_duplicates_fills_the_view_and_trash_keeps_one_copy(window, qtbot, qtmodeltester, tmp_path, artifacts):
    tree, manifest = corpus(tmp_path)
    dialog = run_find_from_context_menu(window, qtbot, tree)
    dialog.grab().save(str(artifacts / "ui2-find-duplicates-dialog.png"))
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000) as blocker:
        dialog.find_button.click()
    assert blocker.args[0].name == "duplicate_detection"
    view = window.result_tabs.views[-1]
    model = view.model
    qtmodeltester.check(model)
    assert assert_multidata_matches_data(model) > len(model.groups) * model.columnCount()  # groups and files
    assert rel_groups(model, tree) == sorted(sorted(g) for g in manifest["duplicate_groups"])
    wasted = [g.wasted for g in model.groups]
    assert wasted == sorted(wasted, reverse=True)
    assert sum(wasted) == manifest["duplicates"]["redundant_bytes"]

    # auto-mark: every policy keeps at least one copy of every group
    for policy, pattern in (
        (Policy.KEEP_OLDEST, None),
        (Policy.KEEP_NEWEST, None),
        (Policy.KEEP_SHORTEST_PATH, None),
        (Policy.KEEP_MATCHING, "*(copy)*"),
    ):
        view.auto_mark(policy, pattern)
        for g in model.groups:
            assert len(g.unmarked()) >= 1, (policy, g.files)
    model.clear_marks()
    assert model.summary() == (0, 0, 0)
    # marking by hand: the last unmarked copy cannot be marked
    group = model.groups[0]
    parent = model.index(0, 0)
    for row in range(len(group.files)):
        model.setData(model.index(row, 0, parent), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert len(group.unmarked()) == 1
    last = group.files.index(group.unmarked()[0])
    assert not model.flags(model.index(last, 0, parent)) & Qt.ItemFlag.ItemIsUserCheckable
    model.invert()
    assert all(len(g.unmarked()) >= 1 for g in model.groups)

    view.auto_mark(Policy.KEEP_SHORTEST_PATH)
    files, freed, groups = model.summary()
    assert groups == len(model.groups) and files == manifest["duplicates"]["redundant_files"]
    assert freed == manifest["duplicates"]["redundant_bytes"]
    assert "frees" in view.summary.text()
    assert window.result_tabs.tabs.currentWidget() is view
    # the results get room to be read: a tab of the main area, the groups most of it
    assert view.height() >= window.height() * 0.6
    assert view.tree.height() >= view.height() * 0.6
    window.grab().save(str(artifacts / "ui2-main-window-with-results.png"))  # before the view is resized alone
    view.resize(1200, 640)
    view.grab().save(str(artifacts / "ui2-duplicates-view.png"))

    # a marked file changes after the scan: the guarded delete skips its group's file and says why
    changed = model.marked_files()[0]
    with open(changed.path, "ab") as f:
        f.write(b"edited after the scan")
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000) as blocker:
        view.trash_button.click()
    info = blocker.args[0]
    assert info.name == "delete" and info.config["mode"] == "trash" and info.config["guarded"]
    assert os.path.exists(changed.path)
    assert changed.status.startswith("skipped")
    assert "changed since the scan" in view.banner.text()
    trashed = set(os.listdir(trash_files()))
    for g in model.groups:
        on_disk = [f for f in g.files if os.path.exists(f.path)]
        assert len(on_disk) >= 1
        if changed not in g.files:
            assert len(on_disk) == 1  # exactly the kept copy is left
            assert all(os.path.basename(f.path) in trashed for f in g.files if not os.path.exists(f.path))
    view.grab().save(str(artifacts / "ui2-duplicates-after-trash.png"))

    # the stored output reopens (what a restart shows): from the Tools menu and from the job history
    expected = sorted(sorted(g) for g in manifest["duplicate_groups"])
    before = len(window.result_tabs.views)
    window.actions["fa_last_duplicates"].trigger()
    qtbot.waitUntil(lambda: len(window.result_tabs.views) == before + 1, timeout=10000)
    assert rel_groups(window.result_tabs.views[-1].model, tree) == expected
    history = window.jobs.history
    model = window.jobs.history_model
    qtbot.waitUntil(
        lambda: any(model.job(r).name == "duplicate_detection" for r in range(model.rowCount())), timeout=10000
    )
    row = next(r for r in range(model.rowCount()) if model.job(r).name == "duplicate_detection")
    window.job_pane.set_expanded(True)
    history.scrollTo(model.index(row, 0))
    window.result_tabs.show_history_menu(history, model, history.visualRect(model.index(row, 0)).center())
    assert [a.text() for a in window.result_tabs.history_menu.actions()] == ["Show Results"]
    window.result_tabs.history_menu.actions()[0].trigger()
    qtbot.waitUntil(lambda: len(window.result_tabs.views) == before + 2, timeout=10000)
    assert rel_groups(window.result_tabs.views[-1].model, tree) == expected


def test_reference_folder_files_are_locked(window, qtbot, tmp_path):
    root = tmp_path / "ref"
    (root / "originals").mkdir(parents=True)
    (root / "copies").mkdir()
    for i in range(3):
        data = f"photo {i}".encode() * 100
        (root / "originals" / f"p{i}.jpg").write_bytes(data)
        (root / "copies" / f"p{i}.jpg").write_bytes(data)
        (root / "copies" / f"p{i} (2).jpg").write_bytes(data)
    config = DuplicateConfig(search_paths=[root], reference_paths=[root / "originals"])
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000):
        window.result_tabs.run_find_duplicates(config)
    view = window.result_tabs.views[-1]
    model = view.model
    assert len(model.groups) == 3
    for gi, g in enumerate(model.groups):
        for fi, f in enumerate(g.files):
            idx = model.index(fi, 0, model.index(gi, 0))
            if "/originals/" in f.path:
                assert f.reference
                assert not model.flags(idx) & Qt.ItemFlag.ItemIsUserCheckable
                assert not model.setData(idx, Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    view.auto_mark(Policy.KEEP_REFERENCE)
    assert {os.path.basename(os.path.dirname(f.path)) for f in model.marked_files()} == {"copies"}
    assert model.summary()[0] == 6
    model.invert()  # the references stay unmarked; the copies are kept now
    assert not model.marked_files()
    # export through the engine's exporter (the format follows the suffix)
    dest = tmp_path / "dupes.json"
    window.prompts.save_path = lambda *_: str(dest)
    view.export_button.click()
    qtbot.waitUntil(dest.exists, timeout=10000)
    assert len(json.loads(dest.read_text())["groups"]) == 3


def test_image_duplicates_show_thumbnails_from_sidecars(window, engine, qtbot, tmp_path, artifacts):
    """Indexed images with thumbnail sidecars show them in the duplicates tree."""
    from PIL import Image

    from sd_desktop.ui.results.duplicates_model import COL_NAME

    root = tmp_path / "Pictures"
    (root / "2024").mkdir(parents=True)
    (root / "backup").mkdir()
    for i, colour in enumerate(((220, 60, 40), (40, 160, 90))):
        img = Image.new("RGB", (320, 240), colour)
        for x in range(0, 320, 40):
            img.paste((250, 250, 250), (x, 100, x + 20, 140))
        img.save(root / "2024" / f"holiday-{i}.jpg", quality=90)
        (root / "backup" / f"holiday-{i}.jpg").write_bytes((root / "2024" / f"holiday-{i}.jpg").read_bytes())
    location_id = engine.run(engine.services.add_location(root))
    engine.run(engine.manager.wait_idle(), timeout=60000)
    engine.run(engine.manager.enqueue("thumbnails", {"location_id": location_id}))
    engine.run(engine.manager.wait_idle(), timeout=60000)
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000):
        window.result_tabs.run_find_duplicates(DuplicateConfig(search_paths=[root]))
    view = window.result_tabs.views[-1]
    model = view.model
    assert len(model.groups) == 2
    qtbot.waitUntil(lambda: all(f.content_id is not None for g in model.groups for f in g.files), timeout=10000)
    first = model.index(0, COL_NAME, model.index(0, 0))
    model.data(first, 1)  # asks the cache: the sidecar loads in the background
    cid = model.groups[0].files[0].content_id
    qtbot.waitUntil(lambda: engine.thumbnails.icon(cid) is not None, timeout=10000)
    assert model.data(first, 1) is engine.thumbnails.icon(cid)
    assert model.index(0, 2, model.index(0, 0)).data() == "Pictures"  # the location column
    view.resize(1000, 300)
    view.grab().save(str(artifacts / "ui2-duplicates-thumbnails.png"))
    # Properties of an indexed image: content id, integrity hash field, sidecars
    window.file_ops.properties(os.fsencode(root / "2024" / "holiday-0.jpg"))
    qtbot.waitUntil(
        lambda: (
            window.prompts.last_dialog is not None and window.prompts.last_dialog.objectName() == "properties_dialog"
        )
    )
    values = window.prompts.last_dialog.values
    assert len(values["Content id"].text()) >= 16
    assert values["Kind"].text() == "JPEG image" and values["Kind"].toolTip() == "image/jpeg"
    assert values["Library"].text() == "In “Pictures”"
    assert values["Thumbnails"].text() == "256×192 and 320×240"  # never larger than the picture
    window.prompts.last_dialog.grab().save(str(artifacts / "ui2-properties-indexed.png"))


def test_marked_duplicates_delete_permanently_after_confirmation_or_move(window, qtbot, tmp_path):
    root = tmp_path / "d"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    for i in range(2):
        for sub in ("a", "b"):
            (root / sub / f"f{i}.bin").write_bytes(bytes([i]) * 5000)
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000):
        window.result_tabs.run_find_duplicates(DuplicateConfig(search_paths=[root]))
    view = window.result_tabs.views[-1]
    view.auto_mark(Policy.KEEP_MATCHING, "*/a/*")
    assert sorted(os.path.basename(os.path.dirname(f.path)) for f in view.model.marked_files()) == ["b", "b"]
    # Move to folder: the marked copies land in the chosen folder
    moved_to = tmp_path / "moved"
    moved_to.mkdir()
    window.prompts.folder = lambda *_: str(moved_to)
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000) as blocker:
        view.move_button.click()
    assert blocker.args[0].config["move"] is True
    assert sorted(os.listdir(moved_to)) == ["f0.bin", "f1.bin"] and not os.listdir(root / "b")
    assert all(f.status == "moved" for g in view.model.groups for f in g.files if "/b/" in f.path)
    # a fresh scan; Delete Permanently asks first, then deletes the marked files for good
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000):
        window.result_tabs.run_find_duplicates(DuplicateConfig(search_paths=[root / "a", moved_to]))
    view = window.result_tabs.views[-1]
    view.auto_mark(Policy.KEEP_MATCHING, "*/a/*")
    view.delete_button.click()
    dialog = window.prompts.last_dialog
    assert dialog.objectName() == "confirm_delete_dialog" and dialog.isVisible()
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000) as blocker:
        dialog.delete_button.click()
    info = blocker.args[0]
    assert info.config["mode"] == "permanent" and info.config["confirm"] is True and info.config["guarded"]
    assert os.listdir(moved_to) == [] and sorted(os.listdir(root / "a")) == ["f0.bin", "f1.bin"]
    assert "deleted" in view.banner.text()


def test_move_to_trash_from_the_duplicates_view_is_undoable(window, qtbot, tmp_path):
    """Undo was grey after "Move to Trash" here: now it restores exactly the trashed copies."""
    root = tmp_path / "u"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    for i in range(3):
        for sub in ("a", "b"):
            (root / sub / f"f{i}.bin").write_bytes(bytes([i]) * 4000)
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000):
        window.result_tabs.run_find_duplicates(DuplicateConfig(search_paths=[root]))
    view = window.result_tabs.views[-1]
    view.auto_mark(Policy.KEEP_MATCHING, "*/a/*")
    assert not window.actions["fa_undo"].isEnabled()
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000) as blocker:
        view.trash_button.click()
    assert blocker.args[0].output["trashed"] == 3 and os.listdir(root / "b") == []
    assert sorted(os.listdir(trash_files())) == ["f0.bin", "f1.bin", "f2.bin"]
    stack = window.job_submit.undo_stack
    assert window.actions["fa_undo"].isEnabled() and stack.undoText() == "Move 3 items to the Trash"
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000) as blocker:
        window.actions["fa_undo"].trigger()
    assert blocker.args[0].name == "trash_restore" and blocker.args[0].output["restored"] == 3
    assert sorted(os.listdir(root / "b")) == ["f0.bin", "f1.bin", "f2.bin"]
    assert (root / "b" / "f2.bin").read_bytes() == bytes([2]) * 4000
    assert os.listdir(trash_files()) == []


def test_kept_copy_gone_after_the_scan_refuses_that_group(window, qtbot, tmp_path):
    """FAULTS 7: the copy the marks keep vanished after the scan; its group is skipped and reported."""
    root = tmp_path / "k"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    for i in range(2):
        for sub in ("a", "b"):
            (root / sub / f"f{i}.bin").write_bytes(bytes([i + 1]) * 4000)
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000):
        window.result_tabs.run_find_duplicates(DuplicateConfig(search_paths=[root]))
    view = window.result_tabs.views[-1]
    view.auto_mark(Policy.KEEP_MATCHING, "*/a/*")
    os.remove(root / "a" / "f0.bin")  # the kept copy of one group
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000):
        view.trash_button.click()
    assert (root / "b" / "f0.bin").exists()  # its duplicate was not removed: no copy would be left
    assert not (root / "b" / "f1.bin").exists()  # the other group went ahead
    skipped = next(f for g in view.model.groups for f in g.files if f.path.endswith("b/f0.bin"))
    assert skipped.status.startswith("skipped") and "gone" in skipped.status
    assert view.banner.text() == "1 file moved to the Trash, 1 skipped because its kept copy is gone."


def test_a_removal_that_touched_nothing_fails_and_still_shows_why(window, qtbot, tmp_path):
    """FAULTS 20: every kept copy vanished, so no file was removed: the job is failed (not completed),
    and the view and the job's details still say, per file, why it was kept."""
    from sd_desktop.jobs import JobStatus
    from sd_desktop.ui.job_panel import details_text

    root = tmp_path / "k"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    for i in range(2):
        for sub in ("a", "b"):
            (root / sub / f"f{i}.bin").write_bytes(bytes([i + 1]) * 4000)
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000):
        window.result_tabs.run_find_duplicates(DuplicateConfig(search_paths=[root]))
    view = window.result_tabs.views[-1]
    view.auto_mark(Policy.KEEP_MATCHING, "*/a/*")
    for i in range(2):
        os.remove(root / "a" / f"f{i}.bin")
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000) as handled:
        view.trash_button.click()
    info = handled.args[0]
    assert info.status is JobStatus.FAILED
    assert info.error == "nothing was done: all 2 items failed (the outcomes say why)"
    assert (root / "b" / "f0.bin").exists() and (root / "b" / "f1.bin").exists()
    statuses = sorted(f.status for g in view.model.groups for f in g.files if "/b/" in f.path)
    assert len(statuses) == 2 and all(s.startswith("skipped") and "gone" in s for s in statuses)
    assert view.banner.text() == "0 files moved to the Trash, 2 skipped because their kept copies are gone."
    text = details_text(info)
    assert "Status: Failed" in text and text.count("no verified copy is kept") == 2


def test_results_survive_a_restart(aloop, library, qtbot, tmp_path):
    """A new JobManager and window on the same library reopen the stored duplicate results."""
    from sd_desktop.ui.main_window import MainWindow
    from tests.ui.conftest import Engine

    root = tmp_path / "r"
    root.mkdir()
    for name in ("one.bin", "two.bin"):
        (root / name).write_bytes(b"same bytes" * 300)
    first = Engine(library, qtbot)
    try:
        job_id = first.run(first.manager.enqueue("duplicate_detection", {"search_paths": [str(root)]}))
        first.run(first.manager.wait(job_id))
    finally:
        first.close()  # the app quits
    second = Engine(library, qtbot)  # and starts again on the same library
    try:
        window = MainWindow(second.services)
        qtbot.addWidget(window)
        window.actions["fa_last_duplicates"].trigger()
        qtbot.waitUntil(lambda: bool(window.result_tabs.views), timeout=10000)
        view = window.result_tabs.views[-1]
        assert view.job_id == job_id
        assert sorted(os.path.basename(f.path) for f in view.model.groups[0].files) == ["one.bin", "two.bin"]
        window.dispose()
    finally:
        second.close()


def test_a_second_search_of_an_unchanged_folder_says_whose_groups_it_shows(window, qtbot, tmp_path, artifacts):
    tree, manifest = corpus(tmp_path)
    views = []
    for _ in range(2):
        dialog = run_find_from_context_menu(window, qtbot, tree)
        with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000):
            dialog.find_button.click()
        views.append(window.result_tabs.views[-1])
    first, again = views
    assert "nothing changed" not in first.subline.text()
    assert "nothing changed since the search of" in again.subline.text()
    assert (
        rel_groups(again.model, tree)
        == rel_groups(first.model, tree)
        == sorted(sorted(g) for g in manifest["duplicate_groups"])
    )
    again.resize(1200, 480)
    again.grab().save(str(artifacts / "ui2-duplicates-unchanged-tree.png"))

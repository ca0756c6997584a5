"""Words that read right, asserted on the real widgets: plurals where counts show, Properties in
plain words, "Cancel Move" during a move, why Auto-Mark left groups alone, Enter validates, and a
guarded removal that trashed one file and skipped one says exactly that."""

from __future__ import annotations

import os

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel

from sd_desktop.jobs import Progress
from sd_desktop.ops.files.duplicate_detection import DuplicateConfig
from sd_desktop.ops.files.duplicate_detection.select import Policy
from sd_desktop.ui.content_model import COL_SIZE
from sd_desktop.ui.job_panel import JobRow
from tests.ui._rows import add_entries, add_indexed_location
from tests.ui_file_actions.conftest import open_folder, shown, wait_idle


def pairs(root, groups: int, size: int = 5000) -> None:
    """``groups`` duplicate pairs: a/f<i>.bin and b/f<i>.bin."""
    for sub in ("a", "b"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i in range(groups):
        for sub in ("a", "b"):
            (root / sub / f"f{i}.bin").write_bytes(bytes([i + 1]) * size)


def find_duplicates(window, qtbot, root):
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000):
        window.result_tabs.run_find_duplicates(DuplicateConfig(search_paths=[root]))
    return window.result_tabs.views[-1]


def test_counts_of_one_read_in_the_singular(window, engine, qtbot, tmp_path):
    # a folder of the library that holds one item
    loc, root = add_indexed_location(engine.library, tmp_path / "lib")
    (folder,) = add_entries(engine.library, loc, root, b"", [("Letters", 1, 0)])
    add_entries(engine.library, loc, folder, b"Letters", [("one.txt", 0, 10)])
    engine.library.write_sync(lambda c: c.execute("UPDATE entry SET aggregate_size = 0 WHERE id = ?", (folder,)))
    open_folder(qtbot, window, tmp_path / "lib")
    assert window.model.index(0, COL_SIZE).data() == "1 item"
    assert window.selection_label.text() == "1 item"
    # a job's line: one item of one
    job_id = engine.run(engine.manager.enqueue("test_count", {"n": 1}))
    wait_idle(engine)
    row = JobRow(engine.manager.get(job_id), engine.services)
    qtbot.addWidget(row)
    row.set_progress(Progress(phase="counting", done=1, total=1))
    assert row.stats.text() == "1 / 1 item"
    row.set_error_count(1)
    assert row.errors.text() == "1 error"
    # one duplicate group, one file marked
    pairs(tmp_path / "d", 1)
    view = find_duplicates(window, qtbot, tmp_path / "d")
    assert view.headline.text() == "1 duplicate group — 5.0 KB could be freed"
    view.auto_mark(Policy.KEEP_MATCHING, "*/a/*")
    assert view.summary.text() == "1 file marked in 1 group — frees 5.0 KB"
    with qtbot.waitSignal(engine.services.status, timeout=10000) as queued:
        view.trash_button.click()
    assert queued.args[0].startswith("Remove 1 duplicate queued")
    wait_idle(engine)


def test_validate_takes_enter_and_counts_in_the_singular(window, engine, qtbot, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "empty.pdf").write_bytes(b"")
    open_folder(qtbot, window, folder)
    window.content.selection_model().clearSelection()
    dialog = window.result_tabs.validate()
    assert dialog.validate_button.isDefault()  # not Cancel: Enter validates
    dialog.set_mode("corruption")
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000) as handled:
        QTest.keyClick(dialog, Qt.Key.Key_Return)
    assert handled.args[0].name == "file_validation"
    view = window.result_tabs.views[-1]
    assert view.headline.text() == "1 issue found"
    assert [label.text() for label in view.findChildren(QLabel) if "checked" in label.text()] == [
        f"1 file checked (corruption mode, 0 B read) in {folder}"
    ]


def test_find_duplicates_takes_enter(window, qtbot, tmp_path):
    pairs(tmp_path / "d", 1)
    open_folder(qtbot, window, tmp_path / "d")
    window.content.selection_model().clearSelection()
    dialog = window.result_tabs.find_duplicates()
    assert dialog.find_button.isDefault()  # not the folder lists' "Add…"
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000) as handled:
        QTest.keyClick(dialog, Qt.Key.Key_Return)
    assert handled.args[0].name == "duplicate_detection"


def test_properties_of_a_folder_in_plain_words(window, engine, qtbot, tmp_path, artifacts):
    photos = tmp_path / "Photos"
    for sub in ("2024", "2025"):
        (photos / sub).mkdir(parents=True)
        for i in range(3):
            (photos / sub / f"p{i}.jpg").write_bytes(b"x" * 1000)
    Image.new("RGB", (40, 30), (200, 120, 40)).save(photos / "cover.jpg", quality=90)
    cover = (photos / "cover.jpg").stat().st_size
    engine.run(engine.services.add_location(photos))
    wait_idle(engine)
    window.file_ops.properties(os.fsencode(photos))
    qtbot.waitUntil(lambda: shown(window.prompts.last_dialog, "properties_dialog"), timeout=10000)
    dialog = window.prompts.last_dialog
    texts = {label: value.text() for label, value in dialog.values.items()}
    assert texts.pop("Modified")
    assert texts == {
        "Kind": "Folder",
        "Where": str(tmp_path),
        "Size": f"{(6000 + cover) / 1000:.1f} KB ({6000 + cover:,} bytes)",
        "Contains": "7 files in 2 folders",
        "Library": "In “Photos”",
    }
    dialog.grab().save(str(artifacts / "words-properties-folder.png"))
    dialog.close()
    window.file_ops.properties(os.fsencode(photos / "2024"))
    qtbot.waitUntil(lambda: shown(window.prompts.last_dialog, "properties_dialog"), timeout=10000)
    assert window.prompts.last_dialog.values["Contains"].text() == "3 files"
    window.prompts.last_dialog.close()
    window.file_ops.properties(os.fsencode(photos / "cover.jpg"))
    qtbot.waitUntil(lambda: shown(window.prompts.last_dialog, "properties_dialog"), timeout=10000)
    values = window.prompts.last_dialog.values
    assert values["Kind"].text() == "JPEG image" and values["Size"].text() == f"{cover} bytes"
    assert values["Library"].text() == "In “Photos”" and values["Thumbnails"].text() == "None yet"
    assert "location" not in " ".join(v.text() for v in values.values())


def test_the_conflict_dialog_names_the_move_it_cancels(window, engine, qtbot, tmp_path):
    src, dest = tmp_path / "src", tmp_path / "dest"
    for folder in (src, dest):
        folder.mkdir()
        (folder / "a.txt").write_text(folder.name)
    config = {"sources": [str(src / "a.txt")], "destination": str(dest), "on_conflict": "ask", "move": True}
    job_id = engine.run(engine.manager.enqueue("file_copy", config))
    qtbot.waitUntil(lambda: shown(window.copy_conflicts.dialog), timeout=20000)
    dialog = window.copy_conflicts.dialog
    assert dialog.cancel_button.text() == "Cancel Move"
    assert dialog.choice_buttons["rename"].isDefault()
    dialog.reject()
    qtbot.waitUntil(lambda: engine.manager.get(job_id).status.value == "cancelled", timeout=10000)
    assert (src / "a.txt").read_text() == "src"  # nothing moved
    # and a copy says so
    config["move"] = False
    engine.run(engine.manager.enqueue("file_copy", config))
    qtbot.waitUntil(
        lambda: shown(window.copy_conflicts.dialog) and window.copy_conflicts.dialog is not dialog, timeout=20000
    )
    assert window.copy_conflicts.dialog.cancel_button.text() == "Cancel Copy"
    window.copy_conflicts.dialog.reject()


def test_auto_mark_by_pattern_says_why_it_left_groups_alone(window, qtbot, tmp_path):
    root = tmp_path / "d"
    pairs(root, 3)
    (root / "c").mkdir()
    (root / "c" / "f0.bin").write_bytes((root / "a" / "f0.bin").read_bytes())  # a third copy of group 0
    view = find_duplicates(window, qtbot, root)
    view.auto_mark(Policy.KEEP_MATCHING, "*/c/*")
    assert view.banner.text() == (
        "2 groups were left unmarked because no copy in them matches “*/c/*”: mark them by hand or try another rule."
    )
    assert len(view.model.marked_files()) == 2  # group 0: a and b, the copy in c kept
    view.auto_mark(Policy.KEEP_MATCHING, "*.bin")
    assert view.banner.text() == "3 groups were left unmarked because every copy matches “*.bin”, so all are kept."


def test_a_removal_that_trashed_one_and_skipped_one_says_exactly_that(window, qtbot, tmp_path):
    root = tmp_path / "d"
    pairs(root, 2)
    view = find_duplicates(window, qtbot, root)
    view.auto_mark(Policy.KEEP_MATCHING, "*/a/*")
    with open(root / "b" / "f0.bin", "ab") as f:
        f.write(b"edited after the scan")
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000):
        view.trash_button.click()
    assert view.banner.text() == "1 file moved to the Trash, 1 skipped because it changed since the scan."
    assert (root / "b" / "f0.bin").exists() and not (root / "b" / "f1.bin").exists()

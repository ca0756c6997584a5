"""Validate from the dialog: the view lists a planted corruption; severity and type filters;
re-validate the selection; export; the models pass qtmodeltester."""

from __future__ import annotations

import io
import os

from PIL import Image
from PySide6.QtCore import QItemSelectionModel

from sd_desktop.ui.results.validation_model import COL_PATH, ValidationModel
from tests.ui_file_actions.conftest import open_folder, select
from tests.ui_file_actions.multidata_check import assert_multidata_matches_data


def plant(folder):
    folder.mkdir()
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buf, "JPEG")
    good = buf.getvalue()
    (folder / "good.jpg").write_bytes(good)
    (folder / "truncated.jpg").write_bytes(good[: len(good) // 2])  # cut in the middle of the scan data
    png = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(png, "PNG")
    (folder / "really-a-png.jpg").write_bytes(png.getvalue())
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "notes.txt").write_text("fine")


def test_validation_view_lists_a_planted_corruption(window, qtbot, qtmodeltester, tmp_path, artifacts):
    folder = tmp_path / "photos"
    plant(folder)
    open_folder(qtbot, window, folder)
    window.content.selection_model().clearSelection()
    dialog = window.result_tabs.validate()
    assert dialog.targets == [os.fsencode(folder)]
    dialog.set_mode("corruption")
    dialog.grab().save(str(artifacts / "ui2-validate-dialog.png"))
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000) as blocker:
        dialog.accept()
    info = blocker.args[0]
    assert info.name == "file_validation" and info.config["mode"] == "corruption"
    view = window.result_tabs.views[-1]
    qtmodeltester.check(view.model)
    qtmodeltester.check(view.proxy)
    by_name = {os.path.basename(i["path"]): i for i in view.model.issues}
    assert set(by_name) == {b"truncated.jpg", b"really-a-png.jpg", b"empty.pdf"}
    assert by_name[b"really-a-png.jpg"]["type"] == "extension_mismatch"
    assert by_name[b"truncated.jpg"]["severity"] in ("error", "critical")
    assert view.proxy.rowCount() == 3
    view.resize(1100, 420)
    view.grab().save(str(artifacts / "ui2-validation-view.png"))
    # filters: severity boxes and the type box
    view.severity_boxes["warning"].setChecked(False)
    shown = {os.path.basename(view.proxy.index(r, COL_PATH).data(0x0100 + 1)) for r in range(view.proxy.rowCount())}
    assert b"really-a-png.jpg" not in shown and b"truncated.jpg" in shown
    view.severity_boxes["warning"].setChecked(True)
    view.type_box.setCurrentIndex(view.type_box.findData("extension_mismatch"))
    assert view.proxy.rowCount() == 1
    view.type_box.setCurrentIndex(0)
    # re-validate the selected issue's file (after fixing it): a new view without it
    (folder / "truncated.jpg").write_bytes((folder / "good.jpg").read_bytes())
    row = next(r for r in range(view.proxy.rowCount()) if b"truncated" in view.proxy.index(r, COL_PATH).data(0x0101))
    view.table.selectionModel().select(
        view.proxy.index(row, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    assert view.selected_paths() == [os.fsencode(folder / "truncated.jpg")]
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000) as blocker:
        view.revalidate_button.click()
    assert [str(t) for t in blocker.args[0].config["targets"]] == [str(folder / "truncated.jpg")]
    assert window.result_tabs.views[-1].model.issues == []
    # export through the engine's exporter
    dest = tmp_path / "issues.csv"
    window.prompts.save_path = lambda *_: str(dest)
    view.export_button.click()
    qtbot.waitUntil(dest.exists, timeout=10000)
    text = dest.read_text()
    assert "really-a-png.jpg" in text and "extension_mismatch" in text


def test_validation_model_sorts_by_severity(qapp, qtmodeltester):  # icons need a QApplication
    out = {
        "mode": "complete",
        "issues": [
            {"path": b"/x/a", "type": "modified", "severity": "info", "message": "m", "suggested_action": "none"},
            {
                "path": b"/x/\xff",
                "type": "hash_mismatch",
                "severity": "critical",
                "message": "m",
                "suggested_action": "r",
            },
            {"path": "/x/c", "type": "size_changed", "severity": "warning", "message": "m", "suggested_action": "r"},
        ],
    }
    model = ValidationModel(out)
    qtmodeltester.check(model)
    assert [model.index(r, 0).data() for r in range(3)] == ["Critical", "Warning", "Info"]
    assert model.index(0, COL_PATH).data() == "/x/\\xff"
    assert assert_multidata_matches_data(model) == 3 * model.columnCount()  # one Python call per painted cell


def test_validate_uses_the_selection(window, qtbot, tmp_path):
    folder = tmp_path / "sel"
    plant(folder)
    open_folder(qtbot, window, folder)
    select(window, "good.jpg", "notes.txt")
    dialog = window.result_tabs.validate()
    assert sorted(dialog.targets) == sorted([os.fsencode(folder / "good.jpg"), os.fsencode(folder / "notes.txt")])
    dialog.reject()

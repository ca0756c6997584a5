"""Find similar pictures from the window on the generated look-alike set: the menu entries start the
job, the view shows the truth groups with thumbnails, "Keep the Largest" and "Keep the Sharpest"
mark all but one picture per group, the last kept picture cannot be marked, a double click opens a
picture, removal trashes exactly the marked pictures (re-checked), and the results reopen."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote

import pytest
from PIL import Image, ImageFilter, ImageOps
from PySide6.QtCore import QPoint, Qt

from sd_desktop.ops.files.delete.freedesktop_trash import home_trash
from sd_desktop.ops.media.similar.config import DEFAULT_THRESHOLD, SimilarConfig
from sd_desktop.ui.results.similar_model import DetailsRole, NoPreviewRole, PathRole, SimilarModel
from sd_desktop.ui.results.similar_view import SimilarView
from tests.support.make_corpus import make_similar_pictures
from tests.ui_file_actions.conftest import open_folder


@pytest.fixture
def pictures(tmp_path) -> tuple[Path, dict]:
    """2 pictures with their 8 variants each, and 4 look-alikes that belong to no group."""
    root = tmp_path / "pics"
    truth = make_similar_pictures(str(root), seed=7, pictures=2, size=(480, 360))
    (root / "similar.json").unlink()
    return root, truth


def rel_groups(model: SimilarModel, root: Path) -> set[frozenset[str]]:
    real = os.path.realpath(root)
    return {frozenset(os.path.relpath(p.path, real) for p in g) for g in model.groups}


def trashed_origins() -> list[str]:
    """The original paths of every item in the home trash (from its .trashinfo records)."""
    info = os.path.join(os.fsdecode(home_trash()), "info")
    found = []
    for name in os.listdir(info) if os.path.isdir(info) else []:
        for line in Path(info, name).read_text().splitlines():
            if line.startswith("Path="):
                found.append(unquote(line[5:]))
    return sorted(found)


def pixels_then_bytes(path: str) -> tuple[int, int]:
    with Image.open(path) as im:
        w, h = ImageOps.exif_transpose(im).size
    return w * h, os.path.getsize(path)


def find_from_context_menu(window, qtbot, root: Path):
    open_folder(qtbot, window, root)
    view = window.content.list
    corner = QPoint(view.viewport().width() - 5, view.viewport().height() - 5)
    menu = window.context_menus.menu_for(window.context_menus.content_context(corner, view))
    action = next(a for a in menu.actions() if a.text() == "Find Similar Pictures…")
    action.trigger()
    dialog = window.prompts.last_dialog
    assert dialog.objectName() == "find_similar_dialog" and dialog.isVisible()
    assert dialog.search.paths() == [os.fsencode(root)]
    assert dialog.config().threshold == DEFAULT_THRESHOLD
    return dialog


def test_menus_hold_find_similar(window):
    tools = [a.text() for a in window.tools_menu.actions()]
    assert tools.index("Find Similar Pictures…") == tools.index("Find Duplicates…") + 1
    assert "Last Similar Pictures Results" in tools
    for kind in ("folder", "location", "empty"):
        from sd_desktop.ui.context_menus import build_menu

        texts = [a.text() for a in build_menu(kind, window.actions, window).actions()]
        assert texts.index("Find Similar Pictures…") == texts.index("Find Duplicates…") + 1, kind


def test_find_similar_shows_groups_and_trashes_exactly_the_marked(
    window, engine, qtbot, qtmodeltester, pictures, artifacts
):
    root, truth = pictures
    dialog = find_from_context_menu(window, qtbot, root)
    dialog.spin.setValue(3)
    assert "Strict" in dialog.explanation.text()
    dialog.spin.setValue(14)
    assert "Loose" in dialog.explanation.text()
    dialog.slider.setValue(DEFAULT_THRESHOLD)
    assert dialog.spin.value() == DEFAULT_THRESHOLD and "Balanced" in dialog.explanation.text()
    dialog.grab().save(str(artifacts / "similar-dialog.png"))
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=60000) as blocker:
        dialog.find_button.click()
    assert blocker.args[0].name == "similar_pictures"
    assert blocker.args[0].status.value == "completed"
    view = window.result_tabs.views[-1]
    assert isinstance(view, SimilarView) and window.result_tabs.tabs.currentWidget() is view
    model = view.model
    qtmodeltester.check(model)
    assert rel_groups(model, root) == {frozenset(g) for g in truth["groups"]}
    assert model.rowCount() == 2 and model.columnCount() == 9
    assert view.headline.text() == "2 groups of similar pictures — 16 pictures beside the one to keep"
    first = model.index(0, 0)
    size_text, distance, status = first.data(DetailsRole)
    p0 = model.groups[0][0]
    assert size_text.endswith(f" · {p0.width}×{p0.height}") and distance == "first picture" and status == "Kept"
    later = model.groups[0][3]
    bits = "1 bit" if later.distance == 1 else f"{later.distance} bits"
    assert model.index(0, 3).data(DetailsRole)[1] == f"{bits} from the first"

    # thumbnails arrive from the thumbnail cache's workers (made on demand in the freedesktop cache)
    qtbot.waitUntil(
        lambda: all(
            model.index(g, i).data(Qt.ItemDataRole.DecorationRole) is not None for g in range(2) for i in range(9)
        ),
        timeout=60000,
    )

    # keep the largest: all but the picture with the most pixels, then the most bytes
    view.largest_button.click()
    for g in model.groups:
        kept = [p for p in g if not p.marked]
        assert len(kept) == 1
        assert kept[0].path == max((p.path for p in g), key=pixels_then_bytes)
    assert model.summary()[0] == 16
    assert view.summary.text().startswith("16 pictures marked in 2 groups — frees ")

    # by hand: the last kept picture cannot be marked; another one can be kept instead
    g0 = model.groups[0]
    kept_col = next(i for i, p in enumerate(g0) if not p.marked)
    kept_index = model.index(0, kept_col)
    assert not model.flags(kept_index) & Qt.ItemFlag.ItemIsUserCheckable
    assert not model.setData(kept_index, Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    other_col = (kept_col + 1) % 9
    assert model.toggle(model.index(0, other_col))  # unmark
    assert model.toggle(kept_index)  # now the first kept may be marked
    assert [not p.marked for p in g0].count(True) == 1 and not g0[other_col].marked

    # a click in a card's check box toggles it, as the delegate paints it
    rect = view.table.visualRect(model.index(1, 1))
    box = view.delegate.check_rect(rect).center()
    before = model.groups[1][1].marked
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=box)
    assert model.groups[1][1].marked is not before
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=box)
    assert model.groups[1][1].marked is before

    # Space toggles the current card
    view.table.setFocus()
    view.table.setCurrentIndex(model.index(1, 1))
    qtbot.keyClick(view.table, Qt.Key.Key_Space)
    assert model.groups[1][1].marked is not before
    qtbot.keyClick(view.table, Qt.Key.Key_Space)
    assert model.groups[1][1].marked is before

    # a double click opens the picture with the default application
    opened = []
    window.file_ops.opener = lambda url: opened.append(url.toLocalFile()) or True
    view.table.doubleClicked.emit(model.index(1, 2))
    assert opened == [model.groups[1][2].path]
    assert model.index(1, 2).data(PathRole) == os.fsencode(model.groups[1][2].path)

    view.resize(1400, 760)
    view.grab().save(str(artifacts / "similar-view.png"))

    marked = sorted(p.path for p in model.marked())
    keep = sorted(p.path for g in model.groups for p in g if not p.marked)
    assert len(marked) == 16 and len(keep) == 2
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=60000) as blocker:
        view.trash_button.click()
    info = blocker.args[0]
    assert info.name == "delete" and info.config["mode"] == "trash" and len(info.config["pictures"]) == 16
    assert trashed_origins() == marked
    assert [os.path.exists(p) for p in marked] == [False] * 16
    assert [os.path.exists(p) for p in keep] == [True] * 2
    assert all(os.path.exists(root / n) for n in truth["negatives"])
    assert view.banner.text() == "16 pictures moved to the Trash."
    assert view.headline.text() == "Every group of similar pictures is resolved"
    assert not view.trash_button.isEnabled()
    view.grab().save(str(artifacts / "similar-view-after-trash.png"))

    # the stored results reopen: from the Tools menu and from the job history
    before = len(window.result_tabs.views)
    window.actions["fa_last_similar"].trigger()
    qtbot.waitUntil(lambda: len(window.result_tabs.views) == before + 1, timeout=10000)
    reopened = window.result_tabs.views[-1]
    assert isinstance(reopened, SimilarView) and rel_groups(reopened.model, root) == rel_groups(model, root)
    history, hmodel = window.jobs.history, window.jobs.history_model
    qtbot.waitUntil(
        lambda: any(hmodel.job(r).name == "similar_pictures" for r in range(hmodel.rowCount())), timeout=10000
    )
    row = next(r for r in range(hmodel.rowCount()) if hmodel.job(r).name == "similar_pictures")
    window.job_pane.set_expanded(True)
    history.scrollTo(hmodel.index(row, 0))
    window.result_tabs.show_history_menu(history, hmodel, history.visualRect(hmodel.index(row, 0)).center())
    assert [a.text() for a in window.result_tabs.history_menu.actions()] == ["Show Results"]
    window.result_tabs.history_menu.actions()[0].trigger()
    qtbot.waitUntil(lambda: len(window.result_tabs.views) == before + 2, timeout=10000)
    assert isinstance(window.result_tabs.views[-1], SimilarView)


def test_keep_the_sharpest_keeps_the_unblurred_picture_and_a_changed_one_stays(window, qtbot, tmp_path):
    root = tmp_path / "pics"
    make_similar_pictures(str(root), seed=11, pictures=1, size=(480, 360))
    (root / "similar.json").unlink()
    folder = root / "set00"
    for name in ("cropped.jpg", "rotated.jpg", "copy.heic", "copy.webp", "lookalike0.jpg", "lookalike1.jpg"):
        (folder / name).unlink(missing_ok=True)
    with Image.open(folder / "copy.png") as im:
        im.filter(ImageFilter.GaussianBlur(2.5)).save(folder / "blurred.png")  # as large, and softer
    open_folder(qtbot, window, root)
    window.actions["fa_find_similar"].trigger()  # the Tools menu's entry: the open folder is searched
    dialog = window.prompts.last_dialog
    assert dialog.objectName() == "find_similar_dialog" and dialog.search.paths() == [os.fsencode(root)]
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=60000):
        dialog.find_button.click()
    view = window.result_tabs.views[-1]
    model = view.model
    names = {os.path.basename(p.path) for p in model.groups[0]}
    assert names == {"original.jpg", "resized.jpg", "quality.jpg", "copy.png", "brighter.jpg", "blurred.png"}

    view.sharpest_button.click()
    assert view.measuring and not view.sharpest_button.isEnabled()  # measured on workers
    qtbot.waitUntil(lambda: not view.measuring, timeout=30000)
    assert view.sharpest_button.isEnabled() and not view.banner.isVisible()
    scores = {os.path.basename(p): s for p, s in model.sharpness.items()}
    assert all(s is not None for s in scores.values())
    kept = [os.path.basename(p.path) for p in model.groups[0] if not p.marked]
    assert kept == [max(scores, key=scores.get)]
    assert kept != ["blurred.png"] and scores["blurred.png"] < scores["copy.png"] / 3

    # a marked picture edited after the search stays, and the view says why
    edited = next(p for p in model.groups[0] if p.marked)
    with open(edited.path, "ab") as f:
        f.write(b"edited after the search")
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=60000):
        view.trash_button.click()
    assert os.path.exists(edited.path)
    assert len(trashed_origins()) == 4
    assert view.banner.text() == (
        "4 pictures moved to the Trash, 1 kept: changed since the search (size or modification time)."
    )


def test_delete_permanently_asks_first_then_deletes_exactly_the_marked(window, qtbot, pictures):
    root, truth = pictures
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=60000):
        window.result_tabs.run_find_similar(SimilarConfig(paths=[root]))
    view = window.result_tabs.views[-1]
    view.largest_button.click()
    marked = sorted(p.path for p in view.model.marked())
    assert len(marked) == 16
    view.delete_button.click()
    dialog = window.prompts.last_dialog
    assert dialog.objectName() == "confirm_delete_dialog" and dialog.isVisible()
    dialog.reject()  # Cancel: nothing happens
    assert all(os.path.exists(p) for p in marked)
    view.delete_button.click()
    dialog = window.prompts.last_dialog
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=60000) as blocker:
        dialog.delete_button.click()
    info = blocker.args[0]
    assert info.config["mode"] == "permanent" and info.config["confirm"] is True and len(info.config["pictures"]) == 16
    assert [os.path.exists(p) for p in marked] == [False] * 16
    assert trashed_origins() == []  # deleted, not trashed
    left = sorted(str(p) for p in root.rglob("*") if p.is_file())
    assert len(left) == 2 + len(truth["negatives"])
    assert view.banner.text() == "16 pictures deleted."


def test_indexed_pictures_without_sidecars_get_thumbnails_and_a_broken_one_says_no_preview(
    window, engine, qtbot, pictures
):
    root, _truth = pictures
    engine.run(engine.services.add_location(root))  # standard: content ids, no thumbnails yet
    engine.run(engine.manager.wait_idle(), timeout=60000)
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=60000):
        window.result_tabs.run_find_similar(SimilarConfig(paths=[root]))
    model = window.result_tabs.views[-1].model
    cells = [model.index(g, i) for g in range(2) for i in range(9)]
    # the library knows every picture, but has no sidecar for them: the freedesktop cache makes
    # their thumbnails instead, without a job

    def all_shown() -> bool:  # asks for every card's picture, as painting them would
        icons = [c.data(Qt.ItemDataRole.DecorationRole) for c in cells]
        return len(model.without_sidecar) == 18 and all(i is not None for i in icons)

    qtbot.waitUntil(all_shown, timeout=60000)
    assert model._cids == {}
    assert not any(c.data(NoPreviewRole) for c in cells)

    broken = root / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a JPEG" * 20)
    st = broken.stat()
    fake = {
        "groups": [
            {
                "paths": [str(root / "set00" / "original.jpg"), str(broken)],
                "distances": [0, 1],
                "sizes": [os.path.getsize(root / "set00" / "original.jpg"), st.st_size],
                "widths": [480, 480],
                "heights": [360, 360],
                "mtimes_ns": [0, st.st_mtime_ns],
            }
        ]
    }
    view = window.result_tabs.open_similar(None, fake)
    cell = view.model.index(0, 1)
    cell.data(Qt.ItemDataRole.DecorationRole)
    qtbot.waitUntil(lambda: cell.data(NoPreviewRole) is True, timeout=30000)
    assert cell.data(Qt.ItemDataRole.DecorationRole) is None

"""The duplicate view's thumbnails fit their rows, and its preview pane shows the selected
picture large: the library's biggest thumbnail (decoded off the GUI thread), else the file
itself; the preview's size is remembered."""

from __future__ import annotations

import os

from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from sd_desktop.ops.files.duplicate_detection import DuplicateConfig
from sd_desktop.ui.results.duplicates_model import COL_NAME, DuplicatesModel
from sd_desktop.ui.results.duplicates_view import DuplicatesView
from tests.ui._rows import PALETTE, add_entries, add_indexed_location, add_thumbnail
from tests.ui_file_actions.conftest import wait_idle


def photo(path, colour, size=(1200, 900)) -> None:
    img = Image.new("RGB", size, colour)
    for x in range(0, size[0], 100):
        img.paste((250, 250, 250), (x, size[1] // 3, x + 50, size[1] // 2))
    img.save(path, quality=90)


def copies(root, n: int = 2) -> None:
    """``n`` pictures, each in 2024/ and again in backup/."""
    (root / "2024").mkdir(parents=True)
    (root / "backup").mkdir()
    for i in range(n):
        photo(root / "2024" / f"holiday-{i}.jpg", PALETTE[i])
        (root / "backup" / f"holiday-{i}.jpg").write_bytes((root / "2024" / f"holiday-{i}.jpg").read_bytes())


def file_index(model: DuplicatesModel, group: int, row: int, col: int = COL_NAME):
    return model.index(row, col, model.index(group, 0))


def test_thumbnails_fit_their_rows(engine, qtbot, tmp_path):
    loc, root = add_indexed_location(engine.library, tmp_path / "pics")
    entries = add_entries(engine.library, loc, root, b"", [("a.jpg", 0, 1000), ("b.jpg", 0, 1000)])
    cid = add_thumbnail(engine.library, entries[0], "ab" * 16, PALETTE[0])
    engine.library.write_sync(lambda c: c.execute("UPDATE entry SET content_id = ? WHERE id = ?", (cid, entries[1])))
    paths = [str(tmp_path / "pics" / n) for n in ("a.jpg", "b.jpg")]
    output = {"verified": True, "mode": "content", "search_paths": [str(tmp_path / "pics")]}
    output["groups"] = [{"size": 1000, "hash": "ab" * 16, "paths": paths}]
    model = DuplicatesModel(output, thumbnails=engine.thumbnails)
    view = DuplicatesView(model)
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    qtbot.waitExposed(view)
    model.set_content_ids({os.fsencode(p): cid for p in paths})
    first = file_index(model, 0, 0)
    model.data(first, Qt.ItemDataRole.DecorationRole)  # asks the cache
    qtbot.waitUntil(lambda: engine.thumbnails.icon(cid) is not None, timeout=10000)
    icon = view.tree.iconSize()
    assert icon.height() >= 32  # a thumbnail one can tell apart, not a type icon's size
    for index in (model.index(0, 0), first, file_index(model, 0, 1)):
        assert view.tree.visualRect(index).height() >= icon.height() + 2, index  # the picture and a margin
    view.preview.dispose()


def test_the_preview_shows_the_selected_picture_large(window, engine, qtbot, tmp_path, artifacts):
    root = tmp_path / "Pictures"
    copies(root)
    location = engine.run(engine.services.add_location(root))
    wait_idle(engine)
    engine.run(engine.manager.enqueue("thumbnails", {"location_id": location}))
    wait_idle(engine)
    window.resize(1000, 650)
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000):
        window.result_tabs.run_find_duplicates(DuplicateConfig(search_paths=[root]))
    view = window.result_tabs.views[-1]
    model, preview = view.model, view.preview
    assert preview.isVisible() and preview.picture.text() == "Select a file to see it here"
    qtbot.waitUntil(lambda: all(f.content_id is not None for g in model.groups for f in g.files), timeout=10000)
    target = file_index(model, 0, 1)
    chosen = model.groups[0].files[1]
    view.tree.setCurrentIndex(target)
    assert preview.name.text() == os.path.basename(chosen.path)
    assert preview.details.text().endswith(os.path.dirname(chosen.path))
    qtbot.waitUntil(lambda: preview.pixmap is not None, timeout=10000)
    # the 512 px thumbnail of the library, not the 256 px one of the rows nor the 1200 px file
    assert (preview.pixmap.width(), preview.pixmap.height()) == (512, 384)
    shown = preview.picture.pixmap()
    assert shown.width() <= preview.picture.width() and shown.height() <= preview.picture.height()
    assert max(shown.width(), shown.height()) >= 200  # large: the pane's room, not a row's icon
    colour = preview.pixmap.toImage().pixelColor(5, 5)  # that picture's colour (lossy formats: nearly)
    want = PALETTE[int(os.path.basename(chosen.path)[-5])]
    assert all(
        abs(got - exp) < 16 for got, exp in zip((colour.red(), colour.green(), colour.blue()), want, strict=True)
    )
    window.grab().save(str(artifacts / "layout-duplicates-preview-1000x650.png"))
    view.resize(1200, 640)
    view.grab().save(str(artifacts / "layout-duplicates-preview.png"))

    # a group's row shows its first copy
    view.tree.setCurrentIndex(model.index(1, 0))
    assert preview.name.text() == os.path.basename(model.groups[1].files[0].path)
    qtbot.waitUntil(lambda: preview.pixmap is not None, timeout=10000)


def test_the_preview_of_a_file_outside_the_library_and_of_no_picture(window, qtbot, tmp_path):
    root = tmp_path / "loose"
    copies(root, 1)
    (root / "2024" / "notes.txt").write_text("the same words")
    (root / "backup" / "notes.txt").write_text("the same words")
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000):
        window.result_tabs.run_find_duplicates(DuplicateConfig(search_paths=[root]))
    view = window.result_tabs.views[-1]
    model, preview = view.model, view.preview
    pictures = next(g for g, group in enumerate(model.groups) if group.files[0].path.endswith(".jpg"))
    view.tree.setCurrentIndex(file_index(model, pictures, 0))
    qtbot.waitUntil(lambda: preview.pixmap is not None, timeout=10000)
    assert (preview.pixmap.width(), preview.pixmap.height()) == (1024, 768)  # the file, scaled as it is read
    text = next(g for g, group in enumerate(model.groups) if group.files[0].path.endswith(".txt"))
    view.tree.setCurrentIndex(file_index(model, text, 0))
    qtbot.waitUntil(lambda: preview.picture.text() == "No preview for this file", timeout=10000)
    assert preview.pixmap is None and preview.name.text() == "notes.txt"


def test_the_preview_keeps_the_size_the_user_gave_it(window, qtbot, tmp_path):
    root = tmp_path / "d"
    copies(root, 1)
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000):
        window.result_tabs.run_find_duplicates(DuplicateConfig(search_paths=[root]))
    view = window.result_tabs.views[-1]
    handle = view.split.handle(1)
    qtbot.waitUntil(lambda: handle.isVisible() and handle.geometry().left() == view.split.sizes()[0], timeout=3000)
    start = handle.rect().center()
    QTest.mousePress(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(handle, start + QPoint(-120, 0))
    QTest.mouseRelease(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(-120, 0))
    sizes = view.split.sizes()
    window.result_tabs.tabs.tabCloseRequested.emit(window.result_tabs.tabs.indexOf(view))
    before = len(window.result_tabs.views)
    window.actions["fa_last_duplicates"].trigger()  # the stored results, in a new tab
    qtbot.waitUntil(lambda: len(window.result_tabs.views) == before + 1, timeout=10000)
    again = window.result_tabs.views[-1]
    qtbot.waitUntil(lambda: again.split.sizes() == sizes, timeout=3000)

"""Item models: qtmodeltester, SQL sorting/filtering, lazy loading, the ephemeral listing."""

from __future__ import annotations

import os

from PySide6.QtCore import QModelIndex, Qt

from sd_desktop.ui.content_model import (
    COL_MODIFIED,
    COL_NAME,
    COL_SIZE,
    FETCH_BATCH,
    R_NAME,
    ContentModel,
    PathRole,
)
from sd_desktop.ui.job_panel import JobHistoryModel
from sd_desktop.ui.sidebar import LocationRole, SidebarModel
from tests.ui._rows import add_entries, add_indexed_location, add_many_files

ITEMS = [("b.txt", 0, 300), ("A.jpg", 0, 100), ("c.bin", 0, 200), ("zdir", 1, 5000), (".secret", 0, 1)]


def loaded(qtbot, model: ContentModel, path) -> ContentModel:
    with qtbot.waitSignal(model.loadingFinished, timeout=10000):
        model.open_path(path)
    return model


def names(model: ContentModel) -> list[str]:
    model.fetch_all()
    return [model.entry(r)[R_NAME] for r in range(model.rowCount())]


def resort(qtbot, model, column, order):
    with qtbot.waitSignal(model.loadingFinished, timeout=10000):
        model.sort(column, order)


def test_library_folder_sorted_in_sql_with_folders_first(engine, qtbot, qtmodeltester, tmp_path):
    loc, root = add_indexed_location(engine.library, tmp_path / "loc")
    add_entries(engine.library, loc, root, b"", ITEMS)
    model = loaded(qtbot, ContentModel(engine.library), tmp_path / "loc")
    assert model.target.in_library and model.target.entry_id == root
    assert names(model) == ["zdir", "A.jpg", "b.txt", "c.bin"]  # hidden left out, case-insensitive
    qtmodeltester.check(model)
    resort(qtbot, model, COL_SIZE, Qt.SortOrder.DescendingOrder)
    assert names(model) == ["zdir", "b.txt", "c.bin", "A.jpg"]
    resort(qtbot, model, COL_MODIFIED, Qt.SortOrder.AscendingOrder)
    assert names(model) == ["zdir", "b.txt", "A.jpg", "c.bin"]  # insertion order = mtime order
    assert model.data(model.index(0, COL_SIZE)) == "5.0 KB"  # a folder shows its aggregate size
    assert model.data(model.index(1, COL_SIZE)) == "300 B"
    assert model.data(model.index(1, COL_NAME), PathRole) == os.fsencode(tmp_path / "loc" / "b.txt")
    with qtbot.waitSignal(model.loadingFinished):
        model.set_show_hidden(True)
    assert ".secret" in names(model)
    with qtbot.waitSignal(model.loadingFinished):
        model.set_filter("B")
    assert names(model) == ["b.txt", "c.bin"]  # LIKE, case-insensitive
    with qtbot.waitSignal(model.loadingFinished):
        model.set_filter("%")  # a LIKE wildcard is matched literally
    assert names(model) == []
    qtmodeltester.check(model)
    model.close()


def test_large_folder_loads_lazily_in_batches(engine, qtbot, qtmodeltester, tmp_path):
    loc, root = add_indexed_location(engine.library, tmp_path / "big")
    add_many_files(engine.library, loc, root, 12_000)
    model = ContentModel(engine.library)
    with qtbot.waitSignal(model.loadingFinished, timeout=20000) as blocker:
        model.open_path(tmp_path / "big")
    assert blocker.args == [12_000]
    assert model.total == 12_000
    assert model.rowCount() < 12_000  # the rest waits for the view to ask
    assert model.canFetchMore(QModelIndex())
    before = model.rowCount()
    model.fetchMore(QModelIndex())
    assert model.rowCount() == before + FETCH_BATCH
    qtmodeltester.check(model)
    model.fetch_all()
    assert model.rowCount() == 12_000 and not model.canFetchMore(QModelIndex())
    assert model.entry(0)[R_NAME] == "file-000000.dat" and model.entry(11_999)[R_NAME] == "file-011999.dat"
    model.close()


def test_folder_outside_locations_uses_ephemeral_listing(engine, qtbot, qtmodeltester, tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "b.txt").write_bytes(b"123")
    (folder / "a.txt").write_bytes(b"1")
    (folder / "sub").mkdir()
    os.symlink(folder / "sub", folder / "link")
    model = loaded(qtbot, ContentModel(engine.library), folder)
    assert not model.target.in_library
    assert names(model) == ["sub", "a.txt", "b.txt", "link"]
    resort(qtbot, model, COL_SIZE, Qt.SortOrder.DescendingOrder)
    assert names(model)[:2] == ["sub", "b.txt"]
    qtmodeltester.check(model)
    model.close()


def test_location_folder_not_indexed_yet_is_listed_from_disk(engine, qtbot, tmp_path):
    folder = tmp_path / "loc"
    folder.mkdir()
    (folder / "new.txt").write_text("x")
    from sd_desktop.library.locations import add_location

    add_location(engine.library, folder)  # a location without entries: indexing has not run
    model = loaded(qtbot, ContentModel(engine.library), folder)
    assert model.target.location_id is not None and not model.target.in_library
    assert names(model) == ["new.txt"]
    model.close()


def test_unlistable_folder_reports_failure(engine, qtbot, tmp_path):
    model = ContentModel(engine.library)
    with qtbot.waitSignal(model.loadFailed, timeout=10000) as blocker:
        model.open_path(tmp_path / "does-not-exist")
    assert "no such folder" in blocker.args[0]
    assert model.rowCount() == 0
    model.close()


def test_history_and_sidebar_models(engine, qtbot, qtmodeltester, tmp_path):
    from sd_desktop.library.locations import list_locations
    from sd_desktop.ui.icons import TypeIcons
    from sd_desktop.volumes import VolumeManager

    job_id = engine.run(engine.manager.enqueue("test_count", {"n": 2}))
    engine.run(engine.manager.wait(job_id))
    history = JobHistoryModel()
    history.set_jobs(engine.run(engine.manager.list()))
    assert (
        history.rowCount() == 1 and history.data(history.index(0, 2)) == "Done"
    )  # a short status: the history is a narrow table
    qtmodeltester.check(history)

    loc, root = add_indexed_location(engine.library, tmp_path / "loc")
    add_entries(engine.library, loc, root, b"", ITEMS)
    sidebar = SidebarModel(TypeIcons())
    sidebar.set_data(list_locations(engine.library), VolumeManager().volumes())
    section = sidebar.section("locations")
    assert section.rowCount() == 1
    item = section.child(0)
    assert item.data(LocationRole) == loc
    assert "5 items · 601 B" in item.text()  # files only: 300 + 100 + 200 + 1
    qtmodeltester.check(sidebar)


def test_views_paint_cells_through_one_multidata_call(engine, qtbot, tmp_path):
    """A painted cell costs one Python call (multiData) answering every role the delegate asks for,
    with the same values data() gives role by role."""
    from PySide6.QtCore import QModelRoleData, QModelRoleDataSpan
    from PySide6.QtWidgets import QTableView

    loc, root = add_indexed_location(engine.library, tmp_path / "loc")
    add_entries(engine.library, loc, root, b"", ITEMS)
    model = loaded(qtbot, ContentModel(engine.library), tmp_path / "loc")
    roles = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.TextAlignmentRole]
    roles += [Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.FontRole, PathRole]
    for row in range(model.rowCount()):
        for col in range(model.columnCount()):
            index = model.index(row, col)
            for role in roles:
                item = QModelRoleData(int(role))
                model.multiData(index, QModelRoleDataSpan(item))
                expected = model.data(index, role)
                got = item.data()
                if role == Qt.ItemDataRole.DecorationRole:
                    assert (got is None) == (expected is None)
                else:
                    assert got == expected, (row, col, role)
    # delegates reuse one span from cell to cell: a role this cell lacks must come back empty
    reused = QModelRoleData(int(Qt.ItemDataRole.DecorationRole))
    model.multiData(model.index(0, COL_NAME), QModelRoleDataSpan(reused))
    assert reused.data() is not None
    model.multiData(model.index(0, COL_SIZE), QModelRoleDataSpan(reused))
    assert reused.data() is None
    model.close()
    calls = {"data": 0, "multi": 0}

    class Counting(ContentModel):
        def data(self, *a):
            calls["data"] += 1
            return super().data(*a)

        def multiData(self, *a):
            calls["multi"] += 1
            return super().multiData(*a)

    view = QTableView()
    qtbot.addWidget(view)
    # the view owns the model: the model (and the selection model's pointer to it) goes with the view,
    # never before it (a model freed first crashed the view's teardown now and then)
    model = loaded(qtbot, Counting(engine.library, parent=view), tmp_path / "loc")
    view.setModel(model)
    view.resize(600, 300)
    view.show()
    qtbot.waitExposed(view)
    calls.update(data=0, multi=0)
    view.grab()
    assert calls["multi"] >= model.rowCount() * model.columnCount()
    assert calls["data"] == 0
    model.close()


def test_content_model_flags_come_from_qt_table_model(engine, qtbot, tmp_path):
    """flags() is left to QAbstractTableModel (no Python call per painted cell): rows are enabled,
    selectable and childless; the root has no flags."""
    loc, root = add_indexed_location(engine.library, tmp_path / "loc")
    add_entries(engine.library, loc, root, b"", ITEMS)
    model = loaded(qtbot, ContentModel(engine.library), tmp_path / "loc")
    want = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
    for col in range(model.columnCount()):
        assert model.flags(model.index(0, col)) == want
    assert model.flags(QModelIndex()) == Qt.ItemFlag.NoItemFlags
    model.close()


def test_a_model_dropped_while_its_loader_works_is_freed_on_the_gui_thread(engine, qtbot, tmp_path):
    """The loader's worker never holds the model: the last reference to a Qt object going away on a
    worker thread deletes it there, off its own thread (this crashed test teardowns now and then)."""
    import gc
    import threading
    import weakref

    (tmp_path / "f.txt").write_text("x")
    model = ContentModel(engine.library)
    loader = model._loader
    gate = threading.Event()
    loader._pool.submit(gate.wait)  # keep the worker busy: the folder load waits behind it
    model.open_path(tmp_path)
    model.close()
    freed_on: list[threading.Thread] = []
    weakref.finalize(model, lambda: freed_on.append(threading.current_thread()))
    del model
    gc.collect()
    assert freed_on == [threading.main_thread()]
    gate.set()
    loader._pool.shutdown(wait=True)  # the late load and the reader's close run against a gone model
    qtbot.wait(50)  # nothing is delivered to it


def test_refresh_edits_rows_in_place_also_past_the_rows_shown(engine, qtbot, qtmodeltester, tmp_path):
    """A refresh edits the rows (no reset: selection and scroll stay), in the rows shown and in
    those received but not asked for by the view yet; the result is what a fresh listing gives."""
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(5000):
        (folder / f"f{i:05d}.txt").write_bytes(b"x")
    model = loaded(qtbot, ContentModel(engine.library), folder)
    shown = model.rowCount()
    assert shown < 5000  # the rest waits for the view
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    (folder / "a-first.txt").write_bytes(b"new")  # before every row shown
    (folder / "f04000b.txt").write_bytes(b"new")  # among the rows not shown yet
    os.unlink(folder / "f00001.txt")  # a row shown
    os.unlink(folder / "f04500.txt")  # a row not shown yet
    with open(folder / "f00002.txt", "ab") as f:
        f.write(b"grown")
    with qtbot.waitSignal(model.loadingFinished, timeout=10000):
        model.refresh(sync=False)
    assert resets == [] and model.total == 5000 and model.rowCount() == shown
    assert model.entry(0)[R_NAME] == "a-first.txt" and model.entry(1)[R_NAME] == "f00000.txt"
    assert model.entry(2)[R_NAME] == "f00002.txt" and model.data(model.index(2, COL_SIZE)) == "6 B"
    qtmodeltester.check(model)
    got = names(model)
    again = loaded(qtbot, ContentModel(engine.library), folder)
    assert got == names(again) and len(got) == 5000 and "f04000b.txt" in got and "f04500.txt" not in got
    model.close()
    again.close()

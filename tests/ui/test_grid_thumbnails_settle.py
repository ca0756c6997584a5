"""The grid settles: broken pictures and files that are not pictures are asked for once at most, and
never again after a restart with the same library (their failure markers and kinds are known)."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtTest import QTest

from sd_desktop import ops
from sd_desktop.ui.content_view import GRID
from sd_desktop.ui.main_window import MainWindow
from tests.thumbnails._rows import index_tree, picture
from tests.ui.conftest import Engine

QUIET_MS = 4000  # long enough for several rounds of "job finished, cells look again" before the fix


def broken_folder(root: Path) -> Path:
    picture(root / "photo.jpg", (640, 480), seed=3, quality=85)
    good = (root / "photo.jpg").read_bytes()
    (root / "random.jpg").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(4000))
    (root / "truncated.jpg").write_bytes(good[: len(good) // 3])
    (root / "notes.txt").write_text("not a picture\n" * 20)
    (root / "blob.dat").write_bytes(os.urandom(5000))
    return root


def open_grid(eng: Engine, qtbot, folder: Path) -> tuple[MainWindow, list[int]]:
    window = MainWindow(eng.services)
    qtbot.addWidget(window)
    window.resize(1100, 700)
    window.show()
    qtbot.waitExposed(window)
    window.set_view_mode(GRID)
    asked: list[int] = []
    window.model.thumbnailsWanted.connect(lambda ids: asked.extend(ids))
    with qtbot.waitSignal(window.model.loadingFinished, timeout=10000):
        window.open_path(folder)
    return window, asked


def thumbnail_jobs(lib) -> int:
    return lib.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM job WHERE name = 'thumbnails'").fetchone()[0])


FINISHED = ("completed", "completed_with_errors", "failed", "cancelled")


def jobs_done(lib) -> bool:
    rows = lib.read_sync(lambda c: c.execute("SELECT status FROM job WHERE name = 'thumbnails'").fetchall())
    return bool(rows) and all(r[0] in FINISHED for r in rows)


def settle(lib, qtbot, asked: list[int]) -> None:
    """Let the window ask and the jobs run to their end (a loaded machine starts workers slowly)."""
    qtbot.waitUntil(lambda: bool(asked), timeout=30000)
    qtbot.waitUntil(lambda: jobs_done(lib), timeout=60000)


def test_broken_and_non_pictures_are_asked_for_once_then_never(library, qtbot, aloop, tmp_path):
    ops.load_all()  # the app registers every job before its window opens
    folder = broken_folder(tmp_path / "mixed")
    ids = index_tree(library, folder)
    eng = Engine(library, qtbot)
    try:
        window, asked = open_grid(eng, qtbot, folder)
        settle(library, qtbot, asked)
        # the three files that may be pictures, each once; notes.txt and blob.dat never
        assert sorted(asked) == sorted([ids["photo.jpg"], ids["random.jpg"], ids["truncated.jpg"]])
        jobs = thumbnail_jobs(library)
        # the finished job made the cells look again: nothing more happens, no request, no job
        QTest.qWait(QUIET_MS)
        qtbot.waitUntil(lambda: jobs_done(library), timeout=60000)
        assert sorted(asked) == sorted([ids["photo.jpg"], ids["random.jpg"], ids["truncated.jpg"]])
        assert thumbnail_jobs(library) == jobs
        failures = library.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM thumbnail_failure").fetchone()[0])
        assert failures == 2
        # the request jobs are background work: none of them is a row of the History
        qtbot.waitUntil(lambda: not window.jobs.rows, timeout=10000)
        window.jobs.reload()
        QTest.qWait(500)
        assert window.jobs.history_model.rowCount() == 0
        window.dispose()
    finally:
        eng.close()

    # a restart with the same library: the photo has its sidecar, the broken ones their markers
    eng = Engine(library, qtbot)
    try:
        window, asked = open_grid(eng, qtbot, folder)
        QTest.qWait(QUIET_MS)
        assert asked == []
        assert thumbnail_jobs(library) == jobs
        window.dispose()
    finally:
        eng.close()


def test_a_content_no_view_asked_for_is_announced_again_until_one_does(engine, qtbot, tmp_path):
    """A thumbnail looked up elsewhere first (the duplicates view) must still be asked for once the
    grid shows it; what was asked for is not announced again."""
    from tests.ui._rows import add_entries, add_indexed_location, set_content

    loc, root = add_indexed_location(engine.library, tmp_path / "pics")
    (entry,) = add_entries(engine.library, loc, root, b"", [("later.png", 0, 1000)])
    cid = set_content(engine.library, entry, "ab" * 16)
    cache, got = engine.thumbnails, []
    cache.missing.connect(lambda cids: got.append(list(cids)))
    assert cache.icon(cid) is None
    qtbot.waitUntil(lambda: got == [[cid]], timeout=10000)
    cache.invalidate_missing()
    cache.icon(cid)
    qtbot.waitUntil(lambda: got == [[cid], [cid]], timeout=10000)
    cache.mark_asked([cid])
    cache.invalidate_missing()
    cache.icon(cid)
    qtbot.waitUntil(lambda: cid not in cache._pending, timeout=10000)  # looked up: still no sidecar
    QTest.qWait(200)
    assert got == [[cid], [cid]]


def test_thumbnails_are_square_so_grid_cells_fit_icons_and_names(qapp):
    """A landscape thumbnail is centred on a transparent square: the grid sizes every cell from one
    item, and a short thumbnail there cut off the names of the type icons beside it."""
    from PySide6.QtGui import QColor, QImage

    from sd_desktop.ui.thumbnails import square

    wide = QImage(256, 192, QImage.Format.Format_RGB32)
    wide.fill(QColor(200, 10, 10))
    out = square(wide)
    assert (out.width(), out.height()) == (256, 256)
    assert out.pixelColor(128, 128) == QColor(200, 10, 10)  # the picture, centred
    assert out.pixelColor(128, 10).alpha() == 0 and out.pixelColor(128, 250).alpha() == 0  # bands
    tall = QImage(96, 128, QImage.Format.Format_RGB32)
    assert (square(tall).width(), square(tall).height()) == (128, 128)
    same = QImage(64, 64, QImage.Format.Format_RGB32)
    assert square(same) is same

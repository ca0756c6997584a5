"""The grid in a folder outside the library: thumbnails come from (and go to) the freedesktop cache
that other file managers share; broken files are recorded under fail/ and never tried again."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image, PngImagePlugin
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from sd_desktop.ops.media.thumbnail import freedesktop
from sd_desktop.ui.content_model import COL_NAME, R_NAME, R_PATH
from sd_desktop.ui.content_view import GRID
from sd_desktop.ui.main_window import MainWindow
from tests.thumbnails._rows import picture
from tests.ui.conftest import Engine

READ_PNG = """
import json, sys
from PIL import Image
im = Image.open(sys.argv[1])
print(json.dumps({"size": im.size, "text": dict(im.text)}))
"""
PHOTOS = [f"photo{i}.jpg" for i in range(4)]


def mixed_folder(root: Path) -> Path:
    for i, name in enumerate(PHOTOS):
        picture(root / name, (1200, 900) if i % 2 else (900, 1200), seed=40 * i, quality=85)
    good = (root / "photo0.jpg").read_bytes()
    (root / "random.jpg").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(4000))
    (root / "truncated.jpg").write_bytes(good[: len(good) // 3])
    (root / "notes.txt").write_text("not a picture\n" * 20)
    (root / "blob.dat").write_bytes(os.urandom(5000))
    return root


def open_grid(eng: Engine, qtbot, folder: Path, mode: int = GRID) -> MainWindow:
    window = MainWindow(eng.services)
    qtbot.addWidget(window)
    window.resize(1100, 700)
    window.show()
    qtbot.waitExposed(window)
    window.set_view_mode(mode)
    with qtbot.waitSignal(window.model.loadingFinished, timeout=10000):
        window.open_path(folder)
    return window


def cache_dir() -> bytes:
    return freedesktop.cache_root()


def nautilus_png(source: Path, color: tuple[int, int, int], mtime: int) -> bytes:
    """Write a 'large' thumbnail as Nautilus does: Thumb::URI and Thumb::MTime text chunks."""
    uri = freedesktop.file_uri(os.fsencode(source))
    info = PngImagePlugin.PngInfo()
    info.add_text("Thumb::URI", uri)
    info.add_text("Thumb::MTime", str(mtime))
    folder = os.path.join(cache_dir(), b"large")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    dest = os.path.join(folder, hashlib.md5(uri.encode()).hexdigest().encode() + b".png")
    Image.new("RGB", (256, 160), color).save(dest, pnginfo=info)
    return dest


def icon_of(window: MainWindow, name: str):
    model = window.model
    row = next(r for r in range(model.rowCount()) if model.entry(r)[R_NAME] == name)
    return model.data(model.index(row, COL_NAME), Qt.ItemDataRole.DecorationRole)


def shows_thumbnail(window: MainWindow, name: str) -> bool:
    sizes = icon_of(window, name).availableSizes()
    return bool(sizes) and max(sizes[0].width(), sizes[0].height()) == 256


def fail_markers() -> list[bytes]:
    try:
        return sorted(os.listdir(freedesktop.fail_dir(cache_dir())))
    except FileNotFoundError:
        return []


def test_outside_the_library_thumbnails_go_to_the_shared_cache_and_failures_are_not_retried(
    library, qtbot, aloop, tmp_path, artifacts
):
    folder = mixed_folder(tmp_path / "Downloads")
    eng = Engine(library, qtbot)
    try:
        window = open_grid(eng, qtbot, folder)
        assert not window.model.target.in_library
        qtbot.waitUntil(lambda: all(shows_thumbnail(window, n) for n in PHOTOS), timeout=60000)
        qtbot.waitUntil(lambda: len(fail_markers()) == 2, timeout=30000)
        QTest.qWait(3000)  # nothing more is made, and no job is queued for any of it
        assert eng.thumbnails.maker.submitted == 6  # 4 photos, 2 broken; never notes.txt or blob.dat
        assert not shows_thumbnail(window, "random.jpg") and not shows_thumbnail(window, "notes.txt")
        jobs = library.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM job").fetchone()[0])
        assert jobs == 0
        window.grab().save(str(artifacts / "grid-outside-library.png"))
        # the thumbnails, as another program reads them
        for i, name in enumerate(PHOTOS):
            src = folder / name
            uri = freedesktop.file_uri(os.fsencode(src))
            png = os.path.join(cache_dir(), b"large", hashlib.md5(uri.encode()).hexdigest().encode() + b".png")
            out = subprocess.run([sys.executable, "-c", READ_PNG, png], capture_output=True, check=True).stdout
            seen = json.loads(out)
            assert seen["size"] == ([256, 192] if i % 2 else [192, 256])
            assert seen["text"]["Thumb::URI"] == uri
            assert seen["text"]["Thumb::MTime"] == str(int(src.stat().st_mtime))
        names = {freedesktop.thumbnail_name(freedesktop.file_uri(folder / n)) for n in ("random.jpg", "truncated.jpg")}
        assert set(fail_markers()) == names
        window.dispose()
    finally:
        eng.close()

    # a restart: the cache has the photos, fail/ the broken files; nothing is decoded again
    eng = Engine(library, qtbot)
    try:
        window = open_grid(eng, qtbot, folder)
        qtbot.waitUntil(lambda: all(shows_thumbnail(window, n) for n in PHOTOS), timeout=30000)
        QTest.qWait(2000)
        assert eng.thumbnails.maker.submitted == 0
        window.dispose()
    finally:
        eng.close()


def test_a_thumbnail_nautilus_made_is_used_without_reading_the_original(library, qtbot, aloop, tmp_path):
    folder = tmp_path / "Pictures"
    folder.mkdir()
    photo = folder / "holiday.jpg"
    photo.write_bytes(os.urandom(20000))  # no decoder could make this red thumbnail from it
    nautilus_png(photo, (220, 20, 20), int(photo.stat().st_mtime))
    eng = Engine(library, qtbot)
    try:
        window = open_grid(eng, qtbot, folder)
        qtbot.waitUntil(lambda: shows_thumbnail(window, "holiday.jpg"), timeout=30000)
        image = icon_of(window, "holiday.jpg").pixmap(256, 160).toImage()
        assert image.pixelColor(128, 80).getRgb()[:3] == (220, 20, 20)
        QTest.qWait(1000)
        assert eng.thumbnails.maker.submitted == 0
        window.dispose()
    finally:
        eng.close()


def test_a_stale_thumbnail_is_made_again(library, qtbot, aloop, tmp_path):
    folder = tmp_path / "Pictures"
    photo = picture(folder / "edited.jpg", (800, 600), seed=7, quality=85)
    mtime = int(photo.stat().st_mtime)
    old = nautilus_png(photo, (0, 0, 0), mtime - 60)  # made before the last edit
    eng = Engine(library, qtbot)
    try:
        window = open_grid(eng, qtbot, folder)
        qtbot.waitUntil(lambda: shows_thumbnail(window, "edited.jpg"), timeout=60000)
        assert eng.thumbnails.maker.submitted == 1
        with Image.open(old) as im:
            assert im.text["Thumb::MTime"] == str(mtime) and im.size == (256, 192)
            assert im.convert("RGB").getpixel((128, 96)) != (0, 0, 0)
        assert window.model.entry(0)[R_PATH] == os.fsencode(photo)
        window.dispose()
    finally:
        eng.close()


def test_generate_thumbnails_outside_the_library_fills_the_shared_cache(library, qtbot, aloop, tmp_path):
    from PySide6.QtCore import QItemSelectionModel

    from sd_desktop.ui.content_view import LIST

    folder = mixed_folder(tmp_path / "Camera")
    eng = Engine(library, qtbot)
    try:
        window = open_grid(eng, qtbot, folder, LIST)  # the list makes no thumbnails: the job does
        model, sel = window.model, window.content.selection_model()
        for r in range(model.rowCount()):
            if model.entry(r)[R_NAME] in ("photo0.jpg", "photo1.jpg", "random.jpg"):
                sel.select(
                    model.index(r, 0), QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
                )
        window.actions["fa_thumbnails"].trigger()
        qtbot.waitUntil(lambda: len(eng.run(eng.manager.list())) == 3, timeout=20000)
        eng.run(eng.manager.wait_idle(), timeout=60000)
        jobs = {j.target: j for j in eng.run(eng.manager.list())}
        assert {os.path.basename(t) for t in jobs} == {"photo0.jpg", "photo1.jpg", "random.jpg"}
        for target, job in jobs.items():
            broken = target.endswith("random.jpg")
            assert job.status.value == ("completed_with_errors" if broken else "completed"), job.error
            assert job.output["generated"] == (0 if broken else 1)
        for name in ("photo0.jpg", "photo1.jpg"):
            assert freedesktop.find(folder / name).data is not None
        assert freedesktop.find(folder / "random.jpg").settled == "failed before"
        window.dispose()
    finally:
        eng.close()

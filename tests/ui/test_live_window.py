"""The folder shown follows the live index: a file written deep below it changes the size of the
sub-folder row that holds it, through the engine's own watcher (the real window and engine)."""

from __future__ import annotations

from argparse import Namespace

from sd_desktop.ui.content_model import R_NAME, R_SIZE
from tests.ui.conftest import run


def _sizes(window) -> dict[str, int | None]:
    model = window.model
    return {model.entry(r)[R_NAME]: model.entry(r)[R_SIZE] for r in range(model.loaded_rows())}


def test_a_change_below_the_folder_shown_updates_its_row(library, qtbot, aloop, tmp_path):
    from sd_desktop.ui.app import AppController

    data = tmp_path / "data"
    (data / "videos" / "2024").mkdir(parents=True)
    (data / "notes.txt").write_bytes(b"n" * 10)
    args = Namespace(paths=[], add_location=[str(data)], index_mode="content", quit_when_idle=False)
    controller = AppController(library, args)
    run(qtbot, controller.start(), timeout=60000)
    try:
        window = controller.window
        run(qtbot, controller.manager.wait_idle(), timeout=60000)
        qtbot.waitUntil(lambda: len(controller.watcher._watched) == 1, timeout=10000)
        window.open_path(data)
        qtbot.waitUntil(lambda: _sizes(window).get("videos") == 0, timeout=10000)
        (data / "videos" / "2024" / "clip.bin").write_bytes(b"v" * 5000)
        # two levels down: no inotify event on the folder shown; the engine's batch brings it
        qtbot.waitUntil(lambda: _sizes(window).get("videos") == 5000, timeout=10000)
        assert _sizes(window)["notes.txt"] == 10
    finally:
        run(qtbot, controller.stop(), timeout=60000)

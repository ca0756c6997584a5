"""The temporary folders "Open" on a volume's file copies it into (a real sshd on 127.0.0.1,
pytest-qt offscreen): removed when the window closes; folders a crashed run left in the app's temp
root are removed at the next start once a day old; nothing outside that root is touched, not even
through a link inside it."""

# ruff: noqa: F811  (the fixtures imported below are named again as test parameters)
from __future__ import annotations

import os
import tempfile
import time

import pytest

from tests.ui.conftest import aloop, artifacts, engine  # noqa: F401  (the window's fixtures)
from tests.volumes.test_volume_window import TREE, finished_jobs, listed, make_tree, names, nas_window, window  # noqa: F401

DAY = 24 * 3600


@pytest.fixture
def temp_dir(tmp_path, monkeypatch):
    """The temp dir Open's root is made in, with what a crashed run left in that root: a folder two
    days old (with a link to a folder outside), one an hour old, and a folder beside the root."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    root = temp / f"sd-desktop-open-{os.getuid()}"
    root.mkdir(mode=0o700)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_bytes(b"not the app's")
    old = root / "open-old"
    old.mkdir()
    (old / "a b.txt").write_bytes(b"left by a crash")
    (old / "link").symlink_to(outside)
    young = root / "open-young"
    young.mkdir()
    (young / "x.txt").write_bytes(b"a window may still use it")
    old_link = root / "old link"
    old_link.symlink_to(outside)
    beside = temp / "sd-desktop-open-other"
    beside.mkdir()
    now = time.time()
    for path, age in ((old, 2 * DAY), (young, 3600), (beside, 5 * DAY)):
        os.utime(path, (now - age, now - age))
    os.utime(old_link, (now - 2 * DAY, now - 2 * DAY), follow_symlinks=False)
    return temp, root, outside


def test_open_copies_go_when_the_window_closes_and_a_crash_s_leftovers_at_the_next_start(
    temp_dir, window, qtbot, sshd, tmp_path
):
    temp, root, outside = temp_dir
    # at start: the day-old leftovers in the root are gone, the rest stays
    qtbot.waitUntil(lambda: sorted(p.name for p in root.iterdir()) == ["open-young"], timeout=30000)
    assert sorted(p.name for p in outside.iterdir()) == ["keep.txt"]  # a link's target untouched
    assert (outside / "keep.txt").read_bytes() == b"not the app's"
    assert sorted(p.name for p in temp.iterdir()) == [f"sd-desktop-open-{os.getuid()}", "sd-desktop-open-other"]
    assert os.stat(root).st_mode & 0o777 == 0o700

    nas_root = tmp_path / "nas root"
    make_tree(nas_root)
    nas_window(window, qtbot, sshd, nas_root)
    handled = finished_jobs(window)
    listed(window, qtbot, lambda: window.open_remote("nas"))
    opened = []
    window.file_ops.opener = lambda url: opened.append(url.toLocalFile()) or True
    shown = names(window)
    for name in ("a b.txt", "x#y.dat"):
        window.content.list.activated.emit(window.model.index(shown.index(name), 0))
    qtbot.waitUntil(lambda: len(opened) == 2, timeout=60000)
    assert [os.path.dirname(os.path.dirname(p)) for p in opened] == [str(root), str(root)]
    assert sorted(open(p, "rb").read() for p in opened) == sorted([TREE["a b.txt"], TREE["x#y.dat"]])
    assert len([i for i in handled if i.name == "remote_copy"]) == 2

    window.dispose()  # what the app does when the window closes
    window.dispose = lambda: None  # done: the fixture's teardown must not stop its loaders twice
    assert not any(os.path.exists(os.path.dirname(p)) for p in opened)
    assert sorted(p.name for p in root.iterdir()) == ["open-young"]  # another window's folder stays
    assert (outside / "keep.txt").exists() and (temp / "sd-desktop-open-other").exists()


def test_a_root_that_is_a_link_is_not_used_nor_swept(tmp_path, monkeypatch):
    from sd_desktop.ui import open_copies

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "old").mkdir()
    os.utime(elsewhere / "old", (time.time() - 3 * DAY, time.time() - 3 * DAY))
    (tmp_path / f"sd-desktop-open-{os.getuid()}").symlink_to(elsewhere)
    assert open_copies.sweep_stale() == []
    assert (elsewhere / "old").is_dir()
    made = open_copies.make_folder()
    assert os.path.dirname(made) == str(tmp_path) and os.path.basename(made).startswith("sd-desktop-open-")
    assert sorted(p.name for p in elsewhere.iterdir()) == ["old"]
    open_copies.remove([made])
    assert not os.path.exists(made)

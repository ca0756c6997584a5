"""The window's network volumes with pytest-qt (offscreen) against real servers on 127.0.0.1:
the Add Network Volume dialog (Test, Add), the sidebar's Network section and its statuses, browsing
a remote folder in the main content views (listing, sorting, back/forward/up, the failure's line in
place of the rows), thumbnails in the grid, a drop on a local folder copying the bytes, a drop of
local files on a volume's folder uploading them (conflicts asked), the volume's context menu, and
Remove as the CLI does it."""

# ruff: noqa: F811  (the fixtures imported below are named again as test parameters)
from __future__ import annotations

import json
import os

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QToolButton

from sd_desktop.library.volumes import find_volume
from sd_desktop.ui import dnd
from sd_desktop.ui.content_model import COL_NAME, COL_SIZE
from sd_desktop.ui.content_view import GRID, LIST
from sd_desktop.volumes.remote import AUTH_FAILED, OFFLINE, ONLINE
from tests.ui.conftest import aloop, artifacts, engine  # noqa: F401  (the window's fixtures)
from tests.volumes import servers
from tests.volumes.test_volume_forms import test_keyring  # noqa: F401

TREE = {
    "a b.txt": b"hello world\n",
    "100% sure.bin": os.urandom(300_000),
    "x#y.dat": os.urandom(5000),
    "héllo wörld/ü #1.txt": b"unicode",
}


@pytest.fixture
def own_sshd(tmp_path):
    """An sshd of this test alone (it is stopped mid-test)."""
    server = servers.make_sshd(tmp_path / "sshd")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def window(engine, qtbot):
    from sd_desktop.ui.main_window import MainWindow

    w = MainWindow(engine.services)
    qtbot.addWidget(w)
    w.resize(1100, 700)
    w.show()
    yield w
    w.dispose()


def fill_sftp(dialog, server, root, key=None) -> None:
    dialog.set_scheme("sftp")
    e = dialog.edits["sftp"]
    e["user"].setText(server.user)
    e["host"].setText("127.0.0.1")
    e["port"].setText(str(server.port))
    e["root"].setText(str(root))
    e["key"].setText(str(key or server.key))
    e["trust_host_key"].setChecked(True)


def test_test(dialog, qtbot) -> tuple[str, str]:
    with qtbot.waitSignal(dialog.tested, timeout=30000) as blocker:
        dialog.test_button.click()
    return tuple(blocker.args)


test_test.__test__ = False  # a helper, not a test


def network_item(window, name):
    return window.sidebar.network.item_of(name)


def status_of(window, name):
    item = network_item(window, name)
    return None if item is None else item.data(Qt.ItemDataRole.UserRole + 11)


def names(window) -> list[str]:
    """The names the content view shows, in order."""
    model = window.model
    model.fetch_all()
    return [model.data(model.index(r, COL_NAME)) for r in range(model.rowCount())]


def listed(window, qtbot, action) -> None:
    """Run ``action`` (it opens or lists a folder) and wait for that listing to end."""
    with qtbot.waitSignal(window.model.loadingFinished, timeout=30000):
        action()


def placeholder(window) -> str | None:
    label = window.content.placeholders[window.content.mode]
    return label.text() if label.isVisibleTo(window.content) else None


def make_tree(root) -> None:
    for rel, data in TREE.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_add_an_sftp_volume_through_the_dialog_then_browse_it_and_lose_it(
    window,
    qtbot,
    own_sshd,
    tmp_path,
    artifacts,
):
    root = tmp_path / "nas root"
    make_tree(root)
    dialog = window.add_volume_dialog()
    assert not dialog.add_button.isEnabled()  # an empty form cannot be added
    dialog.name.setText("nas")
    fill_sftp(dialog, own_sshd, root, key=own_sshd.other_key)
    assert dialog.add_button.isEnabled()
    status, detail = test_test(dialog, qtbot)
    assert (status, detail) == (
        AUTH_FAILED,
        f"volume nas: 127.0.0.1:{own_sshd.port} refused the login; check the user, key or password",
    )
    assert dialog.result.text() == f"Auth failed: {detail}"
    dialog.edits["sftp"]["key"].setText(str(own_sshd.key))
    assert test_test(dialog, qtbot) == (ONLINE, "")
    assert dialog.result.text() == "Online"
    dialog.grab().save(str(artifacts / "volume_dialog_sftp.png"))
    dialog.add_button.click()
    qtbot.waitUntil(lambda: status_of(window, "nas") == ONLINE, timeout=30000)
    item = network_item(window, "nas")
    assert item.text() == "nas  —  online"
    assert item.toolTip() == f"SFTP {own_sshd.user}@127.0.0.1:{own_sshd.port}{root}\nonline"
    row = window.services.library.read_sync(lambda c: find_volume(c, "nas"))
    assert row.options == {
        "host": "127.0.0.1",
        "port": str(own_sshd.port),
        "user": own_sshd.user,
        "key": str(own_sshd.key),
        "known_hosts": "accept",
    }
    window.sidebar.grab().save(str(artifacts / "volume_sidebar_online.png"))
    menu = window.sidebar.network_menu(item.index())
    assert [a.text() for a in menu.actions()] == [
        "&Browse",
        "&Check Now",
        "&Index…",
        "",
        "Re&move Volume…",
        "",
        "&Add Network Volume…",
    ]
    menu.deleteLater()

    listed(window, qtbot, lambda: window.open_remote("nas"))
    assert window.pages.currentWidget() is window.content  # the same views as a local folder
    assert window.current_path == b"nas:/"
    assert window.windowTitle() == "nas:/ — sd_desktop"
    assert names(window) == ["héllo wörld", "100% sure.bin", "a b.txt", "x#y.dat"]
    assert window.model.data(window.model.index(1, COL_SIZE)) == "300.0 KB"
    assert window.model.data(window.model.index(1, COL_NAME), Qt.ItemDataRole.ToolTipRole) == "nas:/100% sure.bin"
    assert placeholder(window) is None
    assert window.selection_label.text() == "4 items"
    assert window.sidebar.view.currentIndex() == network_item(window, "nas").index()
    window.grab().save(str(artifacts / "volume_remote_folder.png"))
    # sorting by a header, as for a local folder: folders first, then the largest file
    listed(window, qtbot, lambda: window.content.list.sortByColumn(COL_SIZE, Qt.SortOrder.DescendingOrder))
    assert names(window) == ["héllo wörld", "100% sure.bin", "x#y.dat", "a b.txt"]
    listed(window, qtbot, lambda: window.content.list.sortByColumn(COL_NAME, Qt.SortOrder.AscendingOrder))
    # Enter (or a double-click) on a folder goes into it; the path bar follows
    view = window.content.list
    view.setFocus()
    view.setCurrentIndex(window.model.index(0, 0))
    listed(window, qtbot, lambda: qtbot.keyClick(view, Qt.Key.Key_Return))
    assert window.current_path == "nas:/héllo wörld".encode()
    assert [b.text() for b in window.path_bar.findChildren(QToolButton) if b.text()] == ["nas:", "héllo wörld"]
    assert names(window) == ["ü #1.txt"]
    listed(window, qtbot, lambda: window.actions["up"].trigger())  # Backspace / Alt+Up: up, on the volume too
    assert window.current_path == b"nas:/"
    assert not window.actions["up"].isEnabled()  # the volume's root
    listed(window, qtbot, lambda: window.actions["back"].trigger())
    assert window.current_path == "nas:/héllo wörld".encode()
    listed(window, qtbot, lambda: window.actions["forward"].trigger())
    assert window.current_path == b"nas:/"
    listed(window, qtbot, lambda: view.activated.emit(window.model.index(0, 0)))
    assert names(window) == ["ü #1.txt"]

    own_sshd.stop()
    listed(window, qtbot, lambda: window.actions["refresh"].trigger())
    text = placeholder(window)
    assert text.startswith(f"volume nas: cannot reach 127.0.0.1:{own_sshd.port}: ")
    assert "\n" not in text  # one line of why; the button under it lists the folder again
    assert window.content.retry_buttons[window.content.mode].isVisible()
    assert window.model.rowCount() == 0
    window.grab().save(str(artifacts / "volume_remote_lost.png"))
    # the failed listing has the sidebar check the volume at once: no Check Now needed
    qtbot.waitUntil(lambda: status_of(window, "nas") == OFFLINE, timeout=30000)
    tip = network_item(window, "nas").toolTip()
    assert tip.startswith(f"SFTP {own_sshd.user}@127.0.0.1:{own_sshd.port}{root}\noffline: volume nas: cannot reach")
    assert window.sidebar.network.schedule.failures["nas"] == 1
    window.sidebar.grab().save(str(artifacts / "volume_sidebar_offline.png"))


def test_webdav_password_goes_to_the_keyring_and_a_wrong_one_says_auth_failed(
    window,
    qtbot,
    tmp_path,
    test_keyring,
    artifacts,
):
    share = tmp_path / "share"
    (share / "pics").mkdir(parents=True)
    server = servers.WebDavServer(share, users={"me": "right pw"})
    server.start()
    try:
        dialog = window.add_volume_dialog()
        dialog.set_scheme("webdav")
        dialog.name.setText("dav")
        e = dialog.edits["webdav"]
        e["url"].setText("nas.local")
        assert dialog.errors["webdav"]["url"].text() == "an http:// or https:// address"
        dialog.grab().save(str(artifacts / "volume_dialog_webdav_invalid.png"))
        assert not dialog.add_button.isEnabled()
        e["url"].setText(f"http://127.0.0.1:{server.port}/pics")
        e["username"].setText("me")
        e["password"].setText("wrong")
        assert dialog.errors["webdav"]["url"].isHidden()
        status, detail = test_test(dialog, qtbot)
        assert (status, detail) == (
            AUTH_FAILED,
            f"volume dav: http://127.0.0.1:{server.port} refused access; check the keys or password",
        )
        e["password"].setText("right pw")
        assert test_test(dialog, qtbot) == (ONLINE, "")
        with qtbot.waitSignal(dialog.added, timeout=20000):
            dialog.add_button.click()
        assert b"right pw" not in (window.services.library.folder / "library.db").read_bytes()
        assert list(json.loads(test_keyring.read_text()).values()) == [json.dumps({"password": "right pw"})]
        qtbot.waitUntil(lambda: status_of(window, "dav") == ONLINE, timeout=30000)
    finally:
        server.stop()


def drop_remote(viewport, mime) -> QDropEvent:
    pos = QPointF(5, 5)
    actions, button, none = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos.toPoint(), actions, mime, button, none)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(viewport, QDragMoveEvent(pos.toPoint(), actions, mime, button, none))
    event = QDropEvent(pos, actions, mime, button, none)
    QApplication.sendEvent(viewport, event)
    return event


def test_a_drag_to_a_local_folder_copies_the_bytes_and_remove_follows_the_cli_rule(
    window,
    qtbot,
    sshd,
    tmp_path,
    artifacts,
):
    from PIL import Image

    from sd_desktop.volumes.registry import register

    root = tmp_path / "nas root"
    make_tree(root)
    Image.new("RGB", (400, 300), (30, 120, 200)).save(root / "photo ü.png")
    lib = window.services.library
    options = {"host": "127.0.0.1", "port": str(sshd.port), "user": sshd.user, "key": str(sshd.key)}
    register(lib, lib.folder, "nas", "sftp", str(root), {**options, "known_hosts": "accept"})
    window.sidebar.network.reload()
    qtbot.waitUntil(lambda: status_of(window, "nas") == ONLINE, timeout=30000)
    listed(window, qtbot, lambda: window.open_remote("nas"))
    shown = names(window)
    assert shown == ["héllo wörld", "100% sure.bin", "a b.txt", "photo ü.png", "x#y.dat"]
    thumbs = window.services.thumbnails
    row = window.model.entry(shown.index("photo ü.png"))
    key = (row[2], row[5], row[4])  # the thumbnail cache's key of a file: path, time and size as listed
    assert key[0] == "nas:/photo ü.png".encode()
    window.set_view_mode(GRID)
    qtbot.waitUntil(lambda: thumbs.icon(key) is not None, timeout=30000)
    icon = window.model.data(window.model.index(shown.index("photo ü.png"), 0), Qt.ItemDataRole.DecorationRole)
    assert icon.cacheKey() == thumbs.icon(key).cacheKey()  # the picture, not its type icon
    window.grab().save(str(artifacts / "volume_remote_grid.png"))
    window.set_view_mode(LIST)
    selection = window.content.selection_model()
    for n in ("héllo wörld", "100% sure.bin"):
        selection.select(window.model.index(shown.index(n), 0), selection.SelectionFlag.Select)
    mime = window.drops.drag_mime()  # what a drag out of the view carries
    assert dnd.mime_to_remote(mime) == ("nas", ["héllo wörld", "100% sure.bin"])
    assert mime.urls() == []
    dest = tmp_path / "local dest"
    dest.mkdir()
    window.open_path(dest)
    event = drop_remote(window.content.current_view().viewport(), mime)
    assert event.isAccepted()
    qtbot.waitUntil(lambda: (dest / "héllo wörld" / "ü #1.txt").exists(), timeout=30000)
    qtbot.waitUntil(lambda: (dest / "100% sure.bin").exists(), timeout=30000)
    assert (dest / "100% sure.bin").read_bytes() == TREE["100% sure.bin"]
    assert (dest / "héllo wörld" / "ü #1.txt").read_bytes() == b"unicode"
    assert sorted(os.listdir(dest)) == ["100% sure.bin", "héllo wörld"]

    actions = window.volume_actions
    handled = []
    window.job_submit.jobHandled.connect(handled.append)
    with qtbot.waitSignal(actions.indexQueued, timeout=20000) as queued:
        actions.index("nas", "/héllo wörld")
    assert queued.args == ["nas:/héllo wörld"]
    qtbot.waitUntil(lambda: any(i.name == "remote_indexer" for i in handled), timeout=30000)
    indexed = next(i for i in handled if i.name == "remote_indexer")
    assert indexed.status.value == "completed", indexed.error
    asked = []
    actions.ask = lambda title, text: asked.append(text) or False
    actions.remove("nas")
    qtbot.waitUntil(lambda: len(asked) == 1, timeout=20000)
    assert asked[0].startswith("The volume nas has 1 location(s):\n\nnas:/héllo wörld\n\nForget them with it?")
    assert lib.read_sync(lambda c: find_volume(c, "nas")) is not None
    actions.ask = lambda title, text: True
    with qtbot.waitSignal(actions.removed, timeout=20000):
        actions.remove("nas")
    assert lib.read_sync(lambda c: find_volume(c, "nas")) is None
    qtbot.waitUntil(lambda: network_item(window, "nas") is None, timeout=20000)
    assert sorted(p.name for p in root.iterdir()) == [
        "100% sure.bin",
        "a b.txt",
        "héllo wörld",
        "photo ü.png",
        "x#y.dat",
    ]


def test_s3_form_tests_signed_keys_and_browses_the_bucket(window, qtbot, test_keyring):
    checking = servers.S3Server(checks_signatures=True)
    checking.start()
    try:
        access, secret = checking.make_user()
        checking.make_bucket("signed", (access, secret))
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=checking.endpoint,
            region_name="us-east-1",
            aws_access_key_id=access,
            aws_secret_access_key=secret,
        )
        for key in ("a b.txt", "100% sure.bin", "x#y.dat", "dir é/in #1.txt"):
            client.put_object(Bucket="signed", Key=key, Body=key.encode())
        dialog = window.add_volume_dialog()
        dialog.set_scheme("s3")
        dialog.name.setText("bucket")
        e = dialog.edits["s3"]
        for field, value in (
            ("bucket", "signed"),
            ("endpoint", checking.endpoint),
            ("region", "us-east-1"),
            ("access_key_id", access),
            ("secret_access_key", "not-the-secret"),
        ):
            e[field].setText(value)
        status, detail = test_test(dialog, qtbot)
        assert (status, detail) == (
            AUTH_FAILED,
            f"volume bucket: {checking.endpoint} refused access; check the keys or password",
        )
        assert dialog.result.text() == f"Auth failed: {detail}"
        e["secret_access_key"].setText(secret)
        assert test_test(dialog, qtbot) == (ONLINE, "")
        with qtbot.waitSignal(dialog.added, timeout=20000):
            dialog.add_button.click()
        assert secret.encode() not in (window.services.library.folder / "library.db").read_bytes()
        assert list(json.loads(test_keyring.read_text()).values()) == [json.dumps({"secret_access_key": secret})]
        qtbot.waitUntil(lambda: status_of(window, "bucket") == ONLINE, timeout=30000)
        listed(window, qtbot, lambda: window.open_remote("bucket"))
        model = window.model
        assert [(model.data(model.index(r, 0)), model.data(model.index(r, 1))) for r in range(model.rowCount())] == [
            ("dir é", ""),
            ("100% sure.bin", "13 B"),
            ("a b.txt", "7 B"),
            ("x#y.dat", "7 B"),
        ]
        listed(window, qtbot, lambda: window.content.list.activated.emit(model.index(0, 0)))
        assert window.current_path == "bucket:/dir é".encode()
        assert [model.entry(r)[2] for r in range(model.rowCount())] == ["bucket:/dir é/in #1.txt".encode()]
        assert model.data(model.index(0, 1)) == f"{len('dir é/in #1.txt'.encode())} B"
    finally:
        checking.stop()


def test_a_server_that_never_answers_says_so_in_the_view_and_the_window_keeps_working(window, qtbot):
    from sd_desktop.volumes.registry import register

    silent = servers.SilentServer()
    silent.start()
    try:
        lib = window.services.library
        options = {"endpoint": f"http://127.0.0.1:{silent.port}", "timeout": "1"}
        register(lib, lib.folder, "hung", "webdav", "/", options)
        window.sidebar.network.reload()
        qtbot.waitUntil(lambda: network_item(window, "hung") is not None, timeout=20000)
        with qtbot.waitSignal(window.model.loadingFinished, timeout=30000):
            window.open_remote("hung")
            assert placeholder(window) == "Loading…"  # listed on a worker: the call returned at once
            ticks = []
            timer_id = window.startTimer(50)
            window.timerEvent = lambda _e: ticks.append(1)  # the GUI thread keeps turning meanwhile
        window.killTimer(timer_id)
        assert len(ticks) >= 5
        assert placeholder(window) == (
            f"volume hung: no answer from http://127.0.0.1:{silent.port} within 1s (list /); "
            "check that the server is up and reachable"
        )
        # a local folder opened while a volume hangs lists at once: the volume holds none of its workers
        register(lib, lib.folder, "slow", "webdav", "/", {**options, "timeout": "30"})
        window.sidebar.network.reload()
        qtbot.waitUntil(lambda: network_item(window, "slow") is not None, timeout=20000)
        window.open_path(b"slow:/")
        assert placeholder(window) == "Loading…"
        local = window.services.library.folder
        with qtbot.waitSignal(window.model.loadingFinished, timeout=10000):  # well before the 30 s deadline
            window.open_path(local)
        assert window.current_path == os.fsencode(local)
        assert "library.db" in names(window)
        assert placeholder(window) is None
        qtbot.waitUntil(lambda: status_of(window, "hung") == OFFLINE, timeout=30000)
    finally:
        silent.stop()


def nas_window(window, qtbot, sshd, root):
    """Register ``nas`` (the module's sshd, folder ``root``) and wait until the sidebar shows it online."""
    from sd_desktop.volumes.registry import register

    lib = window.services.library
    options = {"host": "127.0.0.1", "port": str(sshd.port), "user": sshd.user, "key": str(sshd.key)}
    register(lib, lib.folder, "nas", "sftp", str(root), {**options, "known_hosts": "accept"})
    window.sidebar.network.reload()
    qtbot.waitUntil(lambda: status_of(window, "nas") == ONLINE, timeout=30000)


def finished_jobs(window) -> list:
    handled = []
    window.job_submit.jobHandled.connect(handled.append)
    return handled


def test_a_drop_of_local_files_on_a_volume_folder_uploads_them_and_asks_about_taken_names(
    window, qtbot, sshd, tmp_path, artifacts
):
    root = tmp_path / "nas root"
    make_tree(root)
    nas_window(window, qtbot, sshd, root)
    listed(window, qtbot, lambda: window.open_remote("nas"))
    local = tmp_path / "local"
    (local / "album").mkdir(parents=True)
    photo = os.urandom(70_000)
    (local / "album" / "p #1.jpg").write_bytes(photo)
    (local / "a b.txt").write_bytes(b"the local one\n")
    asked = []
    window.remote_files.ask_conflict = lambda names, where: asked.append((names, where)) or "rename"
    handled = finished_jobs(window)
    viewport = window.content.current_view().viewport()
    mime = dnd.paths_to_mime([local / "album", local / "a b.txt"])
    with qtbot.waitSignal(window.model.loadingFinished, timeout=60000):  # the folder is listed again after
        with qtbot.waitSignal(window.remote_files.uploadQueued, timeout=30000) as queued:
            below_rows = QPoint(20, viewport.height() - 10)  # empty space: the folder shown
            assert drop_at(viewport, mime, below_rows).isAccepted()
        assert queued.args == ["nas:/"]
        qtbot.waitUntil(lambda: any(i.name == "remote_upload" for i in handled), timeout=60000)
    job = next(i for i in handled if i.name == "remote_upload")
    assert job.status.value == "completed", job.error
    assert asked == [(["a b.txt"], "nas:/")]  # the one taken name, asked about once
    assert (root / "album" / "p #1.jpg").read_bytes() == photo
    assert (root / "a b.txt").read_bytes() == TREE["a b.txt"]  # kept: the new one beside it
    assert (root / "a b (1).txt").read_bytes() == b"the local one\n"
    assert names(window) == ["album", "héllo wörld", "100% sure.bin", "a b (1).txt", "a b.txt", "x#y.dat"]
    window.grab().save(str(artifacts / "volume_remote_uploaded.png"))

    # dropped on a folder row: into that folder; Cancel on the question sends nothing
    window.remote_files.ask_conflict = lambda names, where: asked.append((names, where)) and None
    album = names(window).index("album")
    rect = window.content.list.visualRect(window.model.index(album, 0))
    with qtbot.waitSignal(window.remote_files.uploadQueued, timeout=30000):
        drop_at(viewport, dnd.paths_to_mime([local / "a b.txt"]), rect.center())
    qtbot.waitUntil(lambda: (root / "album" / "a b.txt").exists(), timeout=30000)
    assert (root / "album" / "a b.txt").read_bytes() == b"the local one\n"
    drop_at(viewport, dnd.paths_to_mime([local / "a b.txt"]), rect.center())
    qtbot.waitUntil(lambda: len(asked) == 2, timeout=30000)
    assert asked[1] == (["a b.txt"], "nas:/album")
    assert sorted(p.name for p in (root / "album").iterdir()) == ["a b.txt", "p #1.jpg"]


def drop_at(viewport, mime, pos) -> QDropEvent:
    actions, button, none = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QApplication.sendEvent(viewport, QDragEnterEvent(pos, actions, mime, button, none))
    QApplication.sendEvent(viewport, QDragMoveEvent(pos, actions, mime, button, none))
    event = QDropEvent(QPointF(pos), actions, mime, button, none)
    QApplication.sendEvent(viewport, event)
    return event


def test_the_volume_menu_deletes_after_asking_and_copy_paste_goes_both_ways(window, qtbot, sshd, tmp_path):
    root = tmp_path / "nas root"
    make_tree(root)
    nas_window(window, qtbot, sshd, root)
    listed(window, qtbot, lambda: window.open_remote("nas"))
    shown = names(window)
    view = window.content.list
    rect = view.visualRect(window.model.index(shown.index("x#y.dat"), 0))
    menu = window.context_menus.remote_menu(view, rect.center())
    assert [a.text() for a in menu.actions()] == [
        "&Open",
        "&Download to…",
        "&Copy",
        "",
        "&Delete Permanently…",
        "",
        "Find &Duplicates",
        "&Validate",
        "&Index…",
        "",
        "P&roperties",
    ]
    # the local-only actions are off while a volume's folder shows
    for key in ("fa_trash", "fa_rename", "fa_cut", "fa_move_to", "fa_new_folder"):
        assert not window.actions[key].isEnabled(), key
    asked = []
    window.remote_files.ask = lambda title, text: asked.append(text) or False
    next(a for a in menu.actions() if a.text() == "&Delete Permanently…").trigger()
    assert asked == ["Delete “x#y.dat” from nas permanently?\n\nA network volume has no trash: this cannot be undone."]
    assert (root / "x#y.dat").exists()  # said no
    window.remote_files.ask = lambda title, text: True
    with qtbot.waitSignal(window.model.loadingFinished, timeout=60000):
        window.actions["fa_delete"].trigger()  # Shift+Delete on the selection: the same question, then gone
        qtbot.waitUntil(lambda: not (root / "x#y.dat").exists(), timeout=30000)
    assert names(window) == ["héllo wörld", "100% sure.bin", "a b.txt"]

    # Copy on the volume, Paste in a local folder: downloaded
    window.content.selection_model().clearSelection()
    window.content.list.selectRow(names(window).index("100% sure.bin"))
    window.actions["fa_copy"].trigger()
    assert dnd.mime_to_remote(QApplication.clipboard().mimeData()) == ("nas", ["100% sure.bin"])
    dest = tmp_path / "local dest"
    dest.mkdir()
    listed(window, qtbot, lambda: window.open_path(dest))
    assert window.actions["fa_paste"].isEnabled()
    window.actions["fa_paste"].trigger()
    qtbot.waitUntil(lambda: (dest / "100% sure.bin").exists(), timeout=30000)
    assert (dest / "100% sure.bin").read_bytes() == TREE["100% sure.bin"]

    # Copy of local files, Paste in the volume's folder: uploaded
    (dest / "new é.txt").write_bytes(b"from here")
    listed(window, qtbot, lambda: window.model.refresh())
    window.content.list.selectRow(names(window).index("new é.txt"))
    window.actions["fa_copy"].trigger()
    listed(window, qtbot, lambda: window.open_remote("nas", "héllo wörld"))
    with qtbot.waitSignal(window.remote_files.uploadQueued, timeout=30000):
        window.actions["fa_paste"].trigger()
    qtbot.waitUntil(lambda: (root / "héllo wörld" / "new é.txt").exists(), timeout=30000)
    assert (root / "héllo wörld" / "new é.txt").read_bytes() == b"from here"


@pytest.fixture
def thumbnailed_nas(run_cli, own_sshd, tmp_path):
    """A volume ``nas`` with two pictures, indexed and given thumbnails by the command line (before
    the window opens the library)."""
    from PIL import Image

    from tests.volumes.test_volume_cli import add_sftp

    root = tmp_path / "nas root"
    root.mkdir()
    Image.new("RGB", (400, 300), (30, 120, 200)).save(root / "blue.png")
    Image.new("RGB", (300, 400), (200, 60, 30)).save(root / "red é.png")
    assert add_sftp(run_cli, own_sshd, root).returncode == 0
    assert run_cli("index", "nas:/").returncode == 0
    made = run_cli("thumbnails", "nas:/", "--json")
    assert made.returncode == 0, made.stderr
    assert made.result["output"]["generated"] == 2
    return root


def test_thumbnails_the_job_made_show_in_the_grid_with_no_read_of_the_pictures(
    thumbnailed_nas, window, qtbot, own_sshd, artifacts
):
    window.sidebar.network.reload()
    qtbot.waitUntil(lambda: status_of(window, "nas") == ONLINE, timeout=30000)
    # the indexed folder, a location in the sidebar, opens in the same views as the volume does
    from sd_desktop.ui.sidebar import PathRole

    section = window.sidebar.model.section("locations")
    qtbot.waitUntil(lambda: section.rowCount() == 1 and section.child(0).data(PathRole) == b"nas:/", timeout=20000)
    listed(window, qtbot, lambda: window.sidebar.view.activated.emit(section.child(0).index()))
    assert window.current_path == b"nas:/"
    assert names(window) == ["blue.png", "red é.png"]
    sidecars = sorted(p.name for p in window.services.library.sidecar_dir.rglob("*.webp"))
    own_sshd.stop()  # from here on, nothing can come from the volume
    thumbs = window.services.thumbnails
    keys = [(r[2], r[5], r[4]) for r in (window.model.entry(i) for i in range(2))]
    window.set_view_mode(GRID)
    qtbot.waitUntil(lambda: all(thumbs.icon(k) is not None for k in keys), timeout=30000)
    sizes = [thumbs.icon(k).availableSizes()[0] for k in keys]
    assert [(s.width(), s.height()) for s in sizes] == [(256, 256), (256, 256)]  # squared 256 px thumbnails
    assert sorted(p.name for p in window.services.library.sidecar_dir.rglob("*.webp")) == sidecars  # none made
    window.grab().save(str(artifacts / "volume_remote_grid_from_job.png"))


def test_open_validate_find_duplicates_and_properties_from_the_volume_menu(window, qtbot, sshd, tmp_path):
    root = tmp_path / "nas root"
    make_tree(root)
    (root / "again.bin").write_bytes(TREE["100% sure.bin"])  # a duplicate of 100% sure.bin
    nas_window(window, qtbot, sshd, root)
    handled = finished_jobs(window)

    def ran(name: str):
        qtbot.waitUntil(lambda: any(i.name == name for i in handled), timeout=60000)
        job = next(i for i in handled if i.name == name)
        assert job.status.value == "completed", job.error
        return job

    listed(window, qtbot, lambda: window.open_remote("nas"))
    shown = names(window)
    # Enter on a file: a copy in a temporary folder, handed to its application
    opened = []
    window.file_ops.opener = lambda url: opened.append(url.toLocalFile()) or True
    window.content.list.activated.emit(window.model.index(shown.index("a b.txt"), 0))
    ran("remote_copy")
    qtbot.waitUntil(lambda: len(opened) == 1, timeout=30000)
    assert os.path.basename(opened[0]) == "a b.txt"
    assert open(opened[0], "rb").read() == TREE["a b.txt"]

    view = window.content.list
    told = []
    window.remote_files.tell = lambda title, text: told.append(text)
    rect = view.visualRect(window.model.index(shown.index("x#y.dat"), 0))
    menu = window.context_menus.remote_menu(view, rect.center())
    next(a for a in menu.actions() if a.text() == "P&roperties").trigger()
    assert told[0].splitlines()[:3] == ["x#y.dat", "nas:/x#y.dat", "File, 5.0 KB (5000 bytes)"]
    # Download to…: the folder asked for gets the file (remote_copy)
    chosen = tmp_path / "downloads"
    chosen.mkdir()
    window.remote_files.ask_folder = lambda title: bytes(chosen)
    menu = window.context_menus.remote_menu(view, rect.center())
    next(a for a in menu.actions() if a.text() == "&Download to…").trigger()
    qtbot.waitUntil(lambda: (chosen / "x#y.dat").exists(), timeout=30000)
    qtbot.waitUntil(lambda: (chosen / "x#y.dat").read_bytes() == TREE["x#y.dat"], timeout=30000)

    window.volume_actions.index("nas", "/")
    ran("remote_indexer")
    empty_space = QPoint(20, view.viewport().height() - 10)  # the folder shown
    menu = window.context_menus.remote_menu(view, empty_space)
    assert [a.text() for a in menu.actions() if a.text()] == [
        "Find &Duplicates",
        "&Validate",
        "&Index…",
        "P&roperties",
    ]
    next(a for a in menu.actions() if a.text() == "Find &Duplicates").trigger()
    dups = ran("cross_duplicates")
    groups = dups.output["groups"]
    assert [sorted(g["paths"]) for g in groups] == [["nas:/100% sure.bin", "nas:/again.bin"]]
    next(a for a in menu.actions() if a.text() == "&Validate").trigger()
    checked = ran("remote_validation")
    assert (checked.output["targets"], checked.output["files_checked"], checked.output["issues"]) == (["nas:/"], 5, [])


def test_pictures_a_lost_volume_could_not_give_get_their_thumbnails_once_it_answers_again(
    window, qtbot, own_sshd, tmp_path
):
    from PIL import Image

    root = tmp_path / "nas root"
    root.mkdir()
    Image.new("RGB", (320, 200), (10, 160, 60)).save(root / "green.png")
    nas_window(window, qtbot, own_sshd, root)
    listed(window, qtbot, lambda: window.open_remote("nas"))
    row = window.model.entry(0)
    key = (row[2], row[5], row[4])
    thumbs = window.services.thumbnails
    own_sshd.stop()
    window.set_view_mode(GRID)
    qtbot.waitUntil(lambda: key in thumbs._missing, timeout=30000)  # the read failed: not settled for good
    assert thumbs.icon(key) is None
    own_sshd.start()
    listed(window, qtbot, lambda: window.actions["refresh"].trigger())
    qtbot.waitUntil(lambda: thumbs.icon(key) is not None, timeout=30000)

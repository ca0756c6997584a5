"""App bootstrap: QApplication, the qasync event loop, single instance, and orderly shutdown.

``run_gui(args)`` is what ``sd-desktop`` runs when no sub-command is given. Closing the window
does not end the process at once (``setQuitOnLastWindowClosed(False)``): the app first pauses
running jobs and persists them (``manager.shutdown()``), then closes the library.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_API", "pyside6")

import asyncio  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import urllib.parse  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import PySide6  # noqa: E402,F401  (before qasync, so qasync binds to PySide6)
from PySide6.QtCore import QObject, QTimer  # noqa: E402
from PySide6.QtGui import QGuiApplication, QIcon  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from sd_desktop import __version__, ops  # noqa: E402
from sd_desktop.engine.schedule import ReindexScheduler  # noqa: E402
from sd_desktop.engine.server import EngineServer  # noqa: E402
from sd_desktop.jobs import JobManager  # noqa: E402
from sd_desktop.library import Library  # noqa: E402
from sd_desktop.library.library import LibraryError, default_library_dir  # noqa: E402
from sd_desktop.library.locations import INDEX_MODES  # noqa: E402
from sd_desktop.library.lock import LibraryLocked  # noqa: E402
from sd_desktop.library.migrations import SchemaTooNew  # noqa: E402
from sd_desktop.ops.indexing.live import LocationWatcher  # noqa: E402
from sd_desktop.resources import APP_ID  # noqa: E402
from sd_desktop.ui.bridge import EngineBridge  # noqa: E402
from sd_desktop.ui.main_window import MainWindow, focus_window  # noqa: E402
from sd_desktop.ui.services import AppServices  # noqa: E402
from sd_desktop.ui.single_instance import InstanceServer, hand_off, server_name  # noqa: E402
from sd_desktop.ui.stall import StallMonitor  # noqa: E402
from sd_desktop.ui.tasks import TaskRunner  # noqa: E402
from sd_desktop.ui.thumbnails import ThumbnailCache  # noqa: E402

log = logging.getLogger(__name__)


def make_application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "sd-desktop"])
    assert isinstance(app, QApplication)
    app.setApplicationName("sd-desktop")
    app.setApplicationDisplayName("sd_desktop")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("sd-desktop")
    QGuiApplication.setDesktopFileName(APP_ID)
    app.setStyle("Fusion")  # the system colour scheme (light/dark) comes through Qt's palette
    app.setQuitOnLastWindowClosed(False)
    icon = app_icon()
    if icon is not None:
        app.setWindowIcon(icon)
    return app


def app_icon() -> QIcon | None:
    """The app icon from the packaged resources (absent in a build without them)."""
    try:
        from sd_desktop.resources import ICON_SIZES, app_icon_path
    except ImportError:
        return None
    icon = QIcon()
    for size in ICON_SIZES:
        try:
            icon.addFile(str(app_icon_path(size)))
        except (FileNotFoundError, ValueError):
            continue
    return None if icon.isNull() else icon


class AppController(QObject):
    """Owns the engine objects for one window and the shutdown sequence."""

    def __init__(self, library: Library, args: Any, server: InstanceServer | None = None):
        super().__init__()
        self.library = library
        self.args = args
        self.server = server
        self.manager = JobManager(library, run_queued=True)
        # the window's engine is long-lived: it keeps the library up to date with its locations
        self.watcher = LocationWatcher(self.manager)
        self.tasks = TaskRunner(self)
        self.bridge: EngineBridge | None = None
        self.window: MainWindow | None = None
        self.services: AppServices | None = None
        self.thumbnails: ThumbnailCache | None = None
        self.engine_server: EngineServer | None = None
        self._quit = asyncio.Event()
        self._stall: StallMonitor | None = None
        self.exit_code = 0

    async def start(self) -> None:
        report = os.environ.get("SD_DESKTOP_STALL_REPORT")
        if report:
            self._stall = StallMonitor(self)
            self._stall.start()
        threading.Thread(target=_warm_up_mime_database, name="sd-ui-mime", daemon=True).start()
        self.bridge = EngineBridge(self.manager, self)  # before start(): no event of resumed jobs is missed
        self.thumbnails = ThumbnailCache(self.library, parent=self)
        self.services = AppServices(self.library, self.manager, self.bridge, self.tasks, self.thumbnails, self)
        self.window = MainWindow(self.services)
        self.window.closeRequested.connect(self.request_quit)
        if getattr(self.args, "quit_when_idle", False):  # unattended runs: say on stderr what the status bar says
            self.services.status.connect(lambda text: print(f"sd-desktop: {text}", file=sys.stderr))
        if self.server is not None:
            self.server.received.connect(self._handoff)
        self.window.show()
        self.window.jobs_recovered(await self.manager.start())
        await self.watcher.start()
        self.tasks.spawn(ReindexScheduler(self.manager).run(), what="re-index remote locations on schedule")
        self.services.locationsChanged.connect(lambda: self.tasks.spawn(self.watcher.refresh(), what="watch locations"))
        self.engine_server = await self._serve()
        for path in getattr(self.args, "add_location", None) or []:
            await self.services.add_location(path, getattr(self.args, "index_mode", "content"))
        targets = list(getattr(self.args, "paths", None) or [])
        if targets:
            self.window.open_path(_folder_of(targets[0]))
        else:
            self.window.open_start()  # the last folder shown, or the first-launch page
        if getattr(self.args, "quit_when_idle", False):
            self.tasks.spawn(self._quit_when_idle(), what="quit when idle")

    async def _serve(self) -> EngineServer | None:
        """Serve the other ``sd-desktop`` commands on this library, as ``sd-desktop serve`` does: their
        jobs run in this manager, so they show in the job panel like the window's own."""
        if os.name != "posix":  # a named pipe would serve there; until then commands wait for the lock
            return None
        server = EngineServer(self.library, self.manager, on_locations_changed=self._locations_changed_elsewhere)
        try:
            await server.start()
        except OSError as exc:
            log.warning("cannot serve other commands on %s: %s", server.path, exc)
            return None
        return server

    async def _locations_changed_elsewhere(self) -> None:
        """A command added, changed or removed a location: the sidebar and the watcher follow."""
        if self.services is not None:
            self.services.locationsChanged.emit()

    async def run(self) -> int:
        try:
            await self.start()
            await self._quit.wait()
        finally:
            await self.stop()
        return self.exit_code

    async def _quit_when_idle(self) -> None:
        await self.manager.wait_idle()
        self.request_quit()

    def request_quit(self) -> None:
        self._quit.set()

    def _handoff(self, message: dict) -> None:
        if self.window is None or self.services is None:
            return
        modes = [m.decode("ascii", "replace") for m in message.get("index_mode") or []]
        mode = modes[0] if modes and modes[0] in INDEX_MODES else "content"
        for path in message.get("add_location") or []:
            self.tasks.spawn(self.services.add_location(path, mode), what="add location")
        for path in (message.get("paths") or [])[:1]:
            self.window.open_path(_folder_of(path))
        focus_window(self.window)

    async def stop(self) -> None:
        """Pause running jobs and persist them, then close the library. Safe to call twice."""
        if self.window is not None:
            self.window.save_settings()
            self.window.dispose()
            self.window.hide()
        if self.thumbnails is not None:
            self.thumbnails.close()
        if self.server is not None:
            self.server.close()
        await self.tasks.cancel_all()
        await self.watcher.stop()
        await self.manager.shutdown()  # a command waiting for a job of its own is told it paused
        if self.engine_server is not None:
            await self.engine_server.close()
        if self.bridge is not None:
            self.bridge.detach()
        if self._stall is not None:
            self._stall.stop()
            try:
                self._stall.write(os.environ["SD_DESKTOP_STALL_REPORT"])
            except OSError as exc:
                print(f"sd-desktop: cannot write the stall report: {exc}", file=sys.stderr)
        await asyncio.to_thread(self.library.close)
        if self.window is not None:
            self.window.deleteLater()


def _warm_up_mime_database() -> None:
    """QMimeDatabase reads the shared MIME info from disk on first use: do that off the GUI thread."""
    from PySide6.QtCore import QMimeDatabase

    QMimeDatabase().mimeTypeForFile("warm-up.txt", QMimeDatabase.MatchMode.MatchExtension)


def _folder_of(path: str | bytes) -> bytes:
    """ "Open with" may hand us a file: show the folder that holds it."""
    raw = os.path.abspath(os.fsencode(path))
    return os.path.dirname(raw) if os.path.isfile(raw) else raw


def _local_path(arg: str) -> str:
    """A path from the command line. Desktop "Open with" passes file:// URLs (``Exec=... %U``)."""
    if arg.startswith("file://"):
        return os.fsdecode(urllib.parse.unquote_to_bytes(urllib.parse.urlsplit(arg).path))
    return arg


def _absolute(items: list[str] | None) -> list[str]:
    return [os.path.abspath(_local_path(p)) for p in items or []]


def _fail(app: QApplication, message: str, interactive: bool) -> int:
    print(f"sd-desktop: {message}", file=sys.stderr)
    if interactive and QGuiApplication.platformName() not in ("offscreen", "minimal"):
        QMessageBox.critical(None, "sd_desktop", message)
    return 1


def _quit_on_signals(loop: asyncio.AbstractEventLoop, controller: AppController) -> None:
    """SIGTERM/SIGINT (logout, Ctrl+C in a terminal) take the orderly way out: jobs pause and persist."""

    def handler(_signum: int, _frame: object) -> None:
        loop.call_soon_threadsafe(controller.request_quit)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handler)
    # Python runs signal handlers only when it gets control back from Qt's C++ loop
    heartbeat = QTimer(controller)
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(200)


def run_gui(args: Any) -> int:
    """Start the desktop app; returns the process exit code."""
    import qasync  # after PySide6 (imported above): qasync binds to it

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app = make_application()
    library_dir = Path(args.library) if getattr(args, "library", None) else default_library_dir()
    name = server_name(library_dir)
    message = {
        "paths": _absolute(getattr(args, "paths", None)),
        "add_location": _absolute(args.add_location),
        "index_mode": [getattr(args, "index_mode", "content")],  # the message holds lists of strings/paths
    }
    interactive = not getattr(args, "quit_when_idle", False)
    if hand_off(name, message):
        print("sd-desktop: handed over to the window already open on this library", file=sys.stderr)
        return 0
    server = InstanceServer(name)
    if not server.listen():
        log.warning("single-instance server could not listen on %s", name)
        server = None
    try:
        library = Library.open(library_dir, holder="the sd-desktop window")
    except LibraryLocked as exc:
        holder = exc.holder
        if holder.what:  # one engine per library: say which process holds it (`sd-desktop serve`...)
            return _fail(app, f"library in use by PID {holder.pid} ({holder.what}, {exc.path})", interactive)
        return _fail(app, f"{exc}", interactive)
    except (LibraryError, SchemaTooNew, OSError) as exc:
        return _fail(app, f"cannot open the library {library_dir}: {exc}", interactive)

    # the engine knows only the jobs that registered: import every job module once, now (Pillow,
    # pillow-heif, the indexer...: ~150 ms, mostly extension modules initialising with the GIL held,
    # so a thread would not help), before the window exists and the scheduler rebuilds stored jobs
    ops.load_all()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    controller = AppController(library, args, server)
    app.aboutToQuit.connect(controller.request_quit)
    _quit_on_signals(loop, controller)
    try:
        with loop:
            code = loop.run_until_complete(controller.run())
    except Exception as exc:
        log.exception("the app stopped on an error")
        if not library.closed:
            library.close()
        return _fail(app, f"the app stopped on an error: {exc}", interactive)
    finally:
        asyncio.set_event_loop(None)
    app.processEvents()
    return code


__all__ = ["AppController", "make_application", "run_gui"]

"""UI test fixtures: a qasync loop marked as running for each test (pytest-qt spins Qt's
event loop, and with it asyncio's callbacks) — per test, so engine tests that follow can use
asyncio.run — and the engine objects the window needs."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_API", "pyside6")
import PySide6  # noqa: E402,F401
import qasync  # noqa: E402

import tests.engine.jobs_for_tests  # noqa: E402,F401  (registers test_count, test_sleep)
from sd_desktop.jobs import JobManager  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def open_loop(qapp) -> qasync.QEventLoop:
    qapp.setStyle("Fusion")
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    return loop


def close_loop(loop: qasync.QEventLoop) -> None:
    asyncio.events._set_running_loop(None)
    loop._QEventLoop__is_running = False  # it never ran run_forever: let close() release its executor
    loop.close()
    # qasync's close() only marks its timer object stopped: Qt timers still pending (a call_later of a
    # job's heartbeat, a wait's timeout) stay registered. The loop sits in reference cycles, and the
    # cyclic GC may free it on any thread, even a worker's; a QObject freed there cannot unregister
    # its timers, which then fire at freed memory (the crashes seen in tests/ui). Kill them here, and
    # collect the cycles now, on this thread.
    timer = loop._timer
    for timer_id in list(timer._SimpleTimer__callbacks):
        timer.killTimer(timer_id)
    timer._SimpleTimer__callbacks.clear()
    gc.collect()


@pytest.fixture
def aloop(qapp):
    loop = open_loop(qapp)
    yield loop
    close_loop(loop)


def run(qtbot, coro: Coroutine[Any, Any, Any], timeout: int = 20000) -> Any:
    """Run a coroutine on the qasync loop while pytest-qt processes Qt events."""
    task = asyncio.ensure_future(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


class Engine:
    def __init__(self, library, qtbot):
        from sd_desktop.ui.bridge import EngineBridge
        from sd_desktop.ui.services import AppServices
        from sd_desktop.ui.tasks import TaskRunner
        from sd_desktop.ui.thumbnails import ThumbnailCache

        self.library = library
        self.qtbot = qtbot
        self.manager = JobManager(library, run_queued=True)
        self.recovered = run(qtbot, self.manager.start())
        self.bridge = EngineBridge(self.manager)
        self.tasks = TaskRunner()
        self.thumbnails = ThumbnailCache(library)
        self.services = AppServices(library, self.manager, self.bridge, self.tasks, self.thumbnails)

    def run(self, coro, timeout: int = 20000):
        return run(self.qtbot, coro, timeout)

    def close(self) -> None:
        self.run(self.tasks.cancel_all())
        self.run(self.manager.shutdown(grace=5))
        self.bridge.detach()
        self.thumbnails.close()


@pytest.fixture
def engine(library, qtbot, aloop):
    eng = Engine(library, qtbot)
    yield eng
    eng.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

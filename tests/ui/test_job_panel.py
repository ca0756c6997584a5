"""The job panel: live progress, pause/resume/cancel buttons acting on the engine, history that
survives a restart, and jobs interrupted by a real crash (kill -9) labelled as such."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys

from PySide6.QtCore import Qt

from sd_desktop.jobs import JobStatus
from sd_desktop.library import Library
from sd_desktop.ui.job_panel import CRASH_NOTE, JobPanel, details_text
from sd_desktop.ui.main_window import MainWindow
from tests.conftest import REPO, cli_env
from tests.ui._rows import populate
from tests.ui.conftest import Engine


def status(engine, job_id) -> JobStatus:
    return engine.manager.get(job_id).status


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def answer(qtbot, box, text: str) -> None:
    """Click the button ``text`` of an open message box."""
    qtbot.waitUntil(box.isVisible, timeout=5000)
    (button,) = [b for b in box.buttons() if b.text() == text]
    click(qtbot, button)


def test_running_job_shows_progress_and_buttons_drive_the_engine(engine, qtbot, artifacts, tmp_path):
    window = MainWindow(engine.services)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    populate(engine.library, tmp_path / "Home")
    window.open_path(tmp_path / "Home")
    window.sidebar.refresh()
    panel = window.jobs
    job_id = engine.run(engine.manager.enqueue("test_count", {"n": 3000, "delay": 0.01, "tag": "photos"}))
    other = engine.run(
        engine.manager.enqueue("test_count", {"n": 2000, "delay": 0.02, "noncritical_every": 7, "tag": "music"})
    )
    qtbot.waitUntil(lambda: job_id in panel.rows and panel.rows[job_id].bar.value() > 0, timeout=10000)
    row = panel.rows[job_id]
    assert "count to 3000 photos" in row.title.text()
    assert row.state.text() == "Running"
    assert "items" in row.stats.text()
    assert row.phase.text().startswith("Counting")
    qtbot.waitUntil(lambda: panel.rows[other].errors.isVisible(), timeout=10000)
    assert "error" in panel.rows[other].errors.text()
    qtbot.waitUntil(lambda: "2 jobs running" == window.job_label.text(), timeout=10000)
    qtbot.waitUntil(lambda: "items/s" in row.stats.text(), timeout=10000)
    window.grab().save(str(artifacts / "main-window-job-panel-running.png"))

    click(qtbot, row.pause_button)
    qtbot.waitUntil(lambda: status(engine, job_id) is JobStatus.PAUSED, timeout=10000)
    qtbot.waitUntil(lambda: row.state.text() == "Paused", timeout=10000)
    assert row.pause_button.toolTip() == "Resume this job"
    click(qtbot, row.pause_button)
    qtbot.waitUntil(lambda: status(engine, job_id) is JobStatus.RUNNING, timeout=10000)
    qtbot.waitUntil(lambda: row.state.text() == "Running", timeout=10000)
    click(qtbot, row.cancel_button)
    qtbot.waitUntil(lambda: status(engine, job_id) is JobStatus.CANCELLED, timeout=10000)
    qtbot.waitUntil(lambda: job_id not in panel.rows, timeout=10000)
    history = panel.history_model
    assert history.rowCount() == 1 and history.job(0).id == job_id
    assert history.data(history.index(0, 2)) == "Cancelled"
    click(qtbot, panel.rows[other].cancel_button)
    qtbot.waitUntil(lambda: history.rowCount() == 2, timeout=10000)
    assert history.job(0).error_count > 0
    assert "Problems (" in details_text(history.job(0)) and "could not do item" in details_text(history.job(0))
    qtbot.waitUntil(lambda: window.job_label.text() == "No jobs", timeout=10000)
    click(qtbot, window.job_label)  # the history shows in the expanded panel
    assert window.job_pane.expanded and panel.clear_button.isVisible()
    click(qtbot, panel.clear_button)
    answer(qtbot, panel.clear_prompt, "Clear History")
    qtbot.waitUntil(lambda: history.rowCount() == 0, timeout=10000)
    assert engine.run(engine.manager.list()) == []
    window.dispose()


def test_history_and_outputs_after_restart(library_dir, qtbot, aloop):
    lib = Library.open(library_dir)
    eng = Engine(lib, qtbot)
    job_id = eng.run(eng.manager.enqueue("test_count", {"n": 5}))
    eng.run(eng.manager.wait(job_id))
    eng.close()
    lib.close()

    lib = Library.open(library_dir)
    eng = Engine(lib, qtbot)
    try:
        panel = JobPanel(eng.services)
        qtbot.addWidget(panel)
        qtbot.waitUntil(lambda: panel.history_model.rowCount() == 1, timeout=10000)
        info = panel.history_model.job(0)
        assert info.id == job_id and info.status is JobStatus.COMPLETED
        text = details_text(info)
        assert '"count": 5' in text and '"total": 10' in text  # the job's output, viewable
        assert not panel.rows
    finally:
        eng.close()
        lib.close()


def test_job_interrupted_by_a_crash_is_labelled(library_dir, qtbot, aloop):
    env = cli_env({"SD_DESKTOP_EXTRA_JOBS": "tests.engine.jobs_for_tests"})
    config = json.dumps({"n": 100_000, "delay": 0.01, "tag": "crash"})
    cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), "jobs", "run", "test_count"]
    proc = subprocess.Popen([*cmd, "--config", config], env=env, cwd=REPO, stdout=subprocess.DEVNULL)
    db = library_dir / "library.db"

    def steps() -> int:
        if not db.exists():
            return 0
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT COUNT(*) FROM test_steps").fetchone()[0]
        except sqlite3.OperationalError:
            return 0
        finally:
            conn.close()

    try:
        qtbot.waitUntil(lambda: steps() >= 5, timeout=30000)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

    lib = Library.open(library_dir)
    eng = Engine(lib, qtbot)
    try:
        assert eng.recovered  # found 'running' with nobody running it
        panel = JobPanel(eng.services)
        qtbot.addWidget(panel)
        qtbot.waitUntil(lambda: len(panel.rows) == 1, timeout=10000)
        (row,) = panel.rows.values()
        qtbot.waitUntil(lambda: CRASH_NOTE in row.state.text(), timeout=10000)
        assert row.info.interrupted == 1
        # it only adds rows: the app resumed it by itself, and the window says so
        window = MainWindow(eng.services)
        qtbot.addWidget(window)
        window.jobs_recovered(eng.recovered)
        qtbot.waitUntil(
            lambda: window.statusBar().currentMessage() == "Resumed 1 job a crash interrupted: Test count",
            timeout=10000,
        )
        assert not window.resume_offer.isVisible()
        window.dispose()
    finally:
        eng.close()
        lib.close()


def test_the_bridge_hands_progress_snapshots_to_the_widgets(engine, qtbot):
    """Widgets get ``Progress`` objects (with the error count), never the engine's dicts."""
    from sd_desktop.jobs import Progress

    got: list[tuple] = []
    engine.bridge.jobProgress.connect(lambda job_id, progress, errors: got.append((job_id, progress, errors)))
    panel = JobPanel(engine.services)
    qtbot.addWidget(panel)
    job_id = engine.run(engine.manager.enqueue("test_count", {"n": 40, "delay": 0.01, "noncritical_every": 7}))
    engine.run(engine.manager.wait(job_id))
    assert got and all(j == job_id and type(p) is Progress for j, p, _e in got)
    last = got[-1]
    assert (last[1].phase, last[1].done, last[1].total) == ("counting", 40, 40)
    assert last[2] == 6  # items 0, 7, 14, 21, 28 and 35

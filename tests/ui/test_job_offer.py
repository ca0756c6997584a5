"""Paused means paused: no speed or ETA, "1 paused" in the status bar, also after a restart; at
start-up a delete a crash interrupted is offered (Resume / Discard) and never resumed by itself;
Clear History asks first and keeps the last result of each search."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt

from sd_desktop.jobs import JobStatus
from sd_desktop.library import Library
from sd_desktop.ops.files.duplicate_detection import DuplicateConfig
from sd_desktop.ui.job_panel import CRASH_NOTE
from sd_desktop.ui.main_window import MainWindow
from tests.conftest import REPO, cli_env
from tests.ui.conftest import Engine


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def make_window(eng: Engine, qtbot) -> MainWindow:
    window = MainWindow(eng.services)
    qtbot.addWidget(window)
    window.resize(1100, 700)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_a_paused_job_shows_no_speed_and_counts_as_paused(library_dir, qtbot, aloop):
    lib = Library.open(library_dir)
    eng = Engine(lib, qtbot)
    try:
        window = make_window(eng, qtbot)
        job_id = eng.run(eng.manager.enqueue("test_count", {"n": 3000, "delay": 0.01, "tag": "photos"}))
        qtbot.waitUntil(lambda: job_id in window.jobs.rows, timeout=10000)
        row = window.jobs.rows[job_id]
        qtbot.waitUntil(lambda: "items/s" in row.stats.text() and " left" in row.stats.text(), timeout=10000)
        assert window.job_label.text() == "1 job running"
        click(qtbot, row.pause_button)
        qtbot.waitUntil(lambda: eng.manager.get(job_id).status is JobStatus.PAUSED, timeout=10000)
        qtbot.waitUntil(lambda: row.state.text() == "Paused", timeout=10000)
        assert "items/s" not in row.stats.text() and " left" not in row.stats.text()
        assert row.stats.text().endswith(" / 3,000 items")  # how far it got stays
        assert window.job_label.text() == "1 paused"
        assert not window.job_bar.isVisible()
        window.dispose()
    finally:
        eng.close()
        lib.close()
    stored = lib_progress(library_dir, job_id)
    assert stored["rate"] and stored["eta_seconds"] is not None  # the last live figures are stored

    lib = Library.open(library_dir)  # a restart
    eng = Engine(lib, qtbot)
    try:
        window = make_window(eng, qtbot)
        qtbot.waitUntil(lambda: job_id in window.jobs.rows, timeout=10000)
        row = window.jobs.rows[job_id]
        assert row.state.text() == "Paused"
        assert "items/s" not in row.stats.text() and " left" not in row.stats.text()
        assert window.job_label.text() == "1 paused"
        # offered at start-up, and not resumed until asked
        qtbot.waitUntil(window.resume_offer.isVisible, timeout=10000)
        assert "Test count — count to 3000 photos (paused)" in window.resume_offer.text.text()
        qtbot.wait(500)
        assert eng.manager.get(job_id).status is JobStatus.PAUSED
        click(qtbot, window.resume_offer.resume_button)
        qtbot.waitUntil(lambda: eng.manager.get(job_id).status is JobStatus.RUNNING, timeout=10000)
        assert not window.resume_offer.isVisible()
        qtbot.waitUntil(lambda: window.job_label.text() == "1 job running", timeout=10000)
        eng.run(eng.manager.cancel(job_id))
        window.dispose()
    finally:
        eng.close()
        lib.close()


def lib_progress(library_dir, job_id: int) -> dict:
    import sqlite3

    conn = sqlite3.connect(library_dir / "library.db")
    try:
        return json.loads(conn.execute("SELECT progress FROM job WHERE id = ?", (job_id,)).fetchone()[0])
    finally:
        conn.close()


def _kill_delete_midway(library_dir, victims) -> int:
    """A real CLI secure delete, SIGKILLed after two files: its job id."""
    cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), "delete", *map(str, victims)]
    cmd += ["--mode", "secure", "--passes", "12", "--yes", "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=cli_env(), cwd=REPO, text=True)
    job_id = None
    try:
        for line in proc.stdout:
            event = json.loads(line)
            job_id = event.get("job_id", job_id)
            if event.get("event") == "progress" and event.get("done", 0) >= 2:
                proc.send_signal(signal.SIGKILL)
                break
            if event.get("event") == "result":
                pytest.fail("the delete finished before it could be killed")
    finally:
        proc.wait(timeout=60)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    return job_id


def test_startup_offers_a_delete_a_crash_interrupted_and_does_not_resume_it(
    library_dir, qtbot, aloop, tmp_path, artifacts
):
    box = tmp_path / "box"
    box.mkdir()
    victims = []
    for i in range(8):
        p = box / f"v{i}"
        p.write_bytes(b"x" * (2 * 1024 * 1024))
        victims.append(p)
    job_id = _kill_delete_midway(library_dir, victims)
    remaining = [v for v in victims if v.exists()]
    assert 0 < len(remaining) < len(victims)

    lib = Library.open(library_dir)
    eng = Engine(lib, qtbot)  # the app's manager: it runs the queue by itself
    try:
        assert eng.recovered == [job_id]
        window = make_window(eng, qtbot)
        window.jobs_recovered(eng.recovered)
        qtbot.waitUntil(window.resume_offer.isVisible, timeout=10000)
        text = window.resume_offer.text.text()
        assert text == f"1 job did not finish and waits for you: Delete — secure: 8 items ({CRASH_NOTE})."
        qtbot.waitUntil(lambda: job_id in window.jobs.rows, timeout=10000)
        assert window.jobs.rows[job_id].state.text() == f"Paused — {CRASH_NOTE}"
        assert window.job_label.text() == "1 paused"
        window.grab().save(str(artifacts / "window-startup-resume-offer.png"))
        qtbot.wait(1500)  # given every chance to start, it does not
        assert eng.manager.get(job_id).status is JobStatus.PAUSED
        assert [v for v in victims if v.exists()] == remaining
        assert not window.statusBar().currentMessage().startswith("Resumed")

        click(qtbot, window.resume_offer.resume_button)
        qtbot.waitUntil(lambda: eng.manager.get(job_id).status is not JobStatus.PAUSED, timeout=10000)
        info = eng.run(eng.manager.wait(job_id), timeout=60000)
        assert info.status is JobStatus.COMPLETED
        assert not any(v.exists() for v in victims)
        window.dispose()
    finally:
        eng.close()
        lib.close()


def test_discard_cancels_the_offered_jobs(library_dir, qtbot, aloop):
    lib = Library.open(library_dir)
    eng = Engine(lib, qtbot)
    try:
        job_id = eng.run(eng.manager.enqueue("test_count", {"n": 100_000, "delay": 0.01}))
        eng.run(eng.manager.pause(job_id))
        eng.run(eng.manager.wait(job_id))
        window = make_window(eng, qtbot)
        qtbot.waitUntil(window.resume_offer.isVisible, timeout=10000)
        click(qtbot, window.resume_offer.discard_button)
        qtbot.waitUntil(lambda: eng.manager.get(job_id).status is JobStatus.CANCELLED, timeout=10000)
        assert not window.resume_offer.isVisible()
        window.dispose()
    finally:
        eng.close()
        lib.close()


def answer(qtbot, box, text: str) -> None:
    qtbot.waitUntil(box.isVisible, timeout=5000)
    (button,) = [b for b in box.buttons() if b.text() == text]
    click(qtbot, button)


def test_clear_history_asks_and_keeps_the_last_result_of_each_search(engine, qtbot, tmp_path):
    folder = tmp_path / "pics"
    folder.mkdir()
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        (folder / name).write_bytes(b"same bytes" * 100)
    (folder / "tiny").write_bytes(b"x")
    (folder / "tiny2").write_bytes(b"x")

    def finished(config) -> int:
        job_id = engine.run(engine.manager.submit(config))
        assert engine.run(engine.manager.wait(job_id)).status is JobStatus.COMPLETED
        return job_id

    older = finished(DuplicateConfig(search_paths=[folder]))
    newer = finished(DuplicateConfig(search_paths=[folder]))  # the same search again
    other = finished(DuplicateConfig(search_paths=[folder], min_size=2))  # another search
    count = finished_count(engine)
    window = make_window(engine, qtbot)
    panel = window.jobs
    qtbot.waitUntil(lambda: panel.history_model.rowCount() == 4, timeout=10000)

    click(qtbot, panel.clear_button)
    prompt = panel.clear_prompt
    qtbot.waitUntil(prompt.isVisible, timeout=5000)
    assert prompt.text() == "Remove the finished jobs from the history?"
    assert (
        "last result of each duplicate search, similar-pictures search and validation is kept"
        in prompt.informativeText()
    )
    answer(qtbot, prompt, "Cancel")
    qtbot.wait(300)
    assert sorted(j.id for j in engine.run(engine.manager.list())) == [older, newer, other, count]

    click(qtbot, panel.clear_button)
    answer(qtbot, panel.clear_prompt, "Clear History")
    qtbot.waitUntil(lambda: panel.history_model.rowCount() == 2, timeout=10000)
    assert {panel.history_model.job(r).id for r in range(2)} == {newer, other}
    assert sorted(j.id for j in engine.run(engine.manager.list())) == [newer, other]
    kept = engine.run(engine.manager.info(newer))
    assert sorted(len(g["files"]) for g in kept.output["groups"]) == [2, 3]  # still shown by Show Results
    window.dispose()


def finished_count(engine) -> int:
    job_id = engine.run(engine.manager.enqueue("test_count", {"n": 2}))
    engine.run(engine.manager.wait(job_id))
    return job_id

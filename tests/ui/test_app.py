"""The app as a real process: --add-location --quit-when-idle, the stall report, orderly exit on
SIGTERM, and the single-instance hand-off between two launches on one library."""

from __future__ import annotations

import configparser
import json
import os
import signal
import sqlite3
import subprocess
import sys

from PySide6.QtNetwork import QLocalSocket

from sd_desktop import jobs
from sd_desktop.ui.single_instance import InstanceServer, hand_off, server_name
from tests.conftest import REPO, cli_env


def launch(library_dir, *args, env=None, **kw) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), *map(str, args)]
    return subprocess.Popen(cmd, env=cli_env(env), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def rows(db, sql):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def test_add_location_quit_when_idle_and_stall_report(library_dir, tmp_path):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.txt").write_text("hello")
    report = tmp_path / "stall.json"
    proc = launch(library_dir, "--add-location", data, "--quit-when-idle", env={"SD_DESKTOP_STALL_REPORT": str(report)})
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    locs = rows(library_dir / "library.db", "SELECT path FROM location")
    assert [bytes(p) for (p,) in locs] == [os.fsencode(data)]
    stats = json.loads(report.read_text())
    assert set(stats) == {"ticks", "max_ms", "p99_ms"} and stats["ticks"] > 0
    assert stats["max_ms"] >= stats["p99_ms"] >= 0
    if "indexer" in jobs.registered():
        statuses = rows(library_dir / "library.db", "SELECT status FROM job WHERE name = 'indexer'")
        assert statuses and all(s in ("completed", "completed_with_errors") for (s,) in statuses)
    else:
        assert b"no \xe2\x80\x9cindexer\xe2\x80\x9d job" in err  # said plainly, nothing faked
        assert rows(library_dir / "library.db", "SELECT id FROM job") == []


def test_second_launch_hands_paths_to_the_running_window(library_dir, tmp_path, qtbot, qapp):
    first = launch(library_dir, tmp_path)
    try:
        name = server_name(library_dir)

        def listening() -> bool:
            sock = QLocalSocket()
            sock.connectToServer(name)
            ok = sock.waitForConnected(100)
            sock.abort()
            return ok

        qtbot.waitUntil(listening, timeout=60000)
        other = tmp_path / "other"
        other.mkdir()
        second = launch(library_dir, "--add-location", other, "--index-mode", "shallow")
        _, err = second.communicate(timeout=60)
        assert second.returncode == 0 and b"handed over" in err
        qtbot.waitUntil(lambda: len(rows(library_dir / "library.db", "SELECT id FROM location")) == 1, timeout=30000)
        assert rows(library_dir / "library.db", "SELECT index_mode FROM location") == [("shallow",)]
        third = launch(library_dir, other / ".." / "other")
        third.communicate(timeout=60)
        assert third.returncode == 0
    finally:
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    ini = configparser.ConfigParser()
    ini.read(os.environ["SD_DESKTOP_HOME"] + "/ui-settings.ini")
    assert ini["view"]["last_path"] == str(tmp_path / "other")


def test_hand_off_in_process_and_stale_socket(qtbot, qapp, tmp_path):
    name = server_name(tmp_path / "lib")
    assert not hand_off(name, {"paths": []})  # nobody listening
    server = InstanceServer(name)
    assert server.listen()
    with qtbot.waitSignal(server.received, timeout=10000) as blocker:
        assert hand_off(name, {"paths": ["/x/caf\udce9"], "add_location": []})
    assert blocker.args[0] == {"paths": [b"/x/caf\xe9"], "add_location": []}
    server.close()
    # a crashed instance leaves its socket behind: the next one takes it over
    again = InstanceServer(name)
    assert again.listen()
    again.close()


def test_sigterm_pauses_the_running_job_and_persists_it(library_dir, qtbot, aloop):
    from sd_desktop.jobs import JobManager
    from sd_desktop.library import Library
    from tests.ui.conftest import run

    lib = Library.open(library_dir)
    job_id = run(qtbot, JobManager(lib).enqueue("test_count", {"n": 100_000, "delay": 0.01, "tag": "long"}))
    lib.close()
    db = library_dir / "library.db"
    app = launch(library_dir, library_dir, env={"SD_DESKTOP_EXTRA_JOBS": "tests.engine.jobs_for_tests"})
    try:
        qtbot.waitUntil(lambda: (rows(db, "SELECT COUNT(*) FROM test_steps") or [(0,)])[0][0] >= 3, timeout=60000)
    finally:
        app.send_signal(signal.SIGTERM)
        _, err = app.communicate(timeout=60)
    assert app.returncode == 0, err
    ((status, state),) = rows(db, f"SELECT status, state IS NOT NULL FROM job WHERE id = {job_id}")
    assert status == "paused" and state == 1  # paused with its checkpoint, not lost and not 'running'
    Library.open(library_dir).close()  # the app released the library (no stale lock)


def test_locked_library_gives_a_clear_message(library_dir, library):
    proc = launch(library_dir, "--quit-when-idle")  # the `library` fixture holds the lock in this process
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    line = err.decode().strip().splitlines()[-1]
    assert line.startswith("sd-desktop: library in use by PID") and "Traceback" not in err.decode()

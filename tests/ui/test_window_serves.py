"""The window serves its library as ``sd-desktop serve`` does: a command in a terminal runs its job
through the window's engine (instead of "library in use"), and the job shows in the job panel."""

from __future__ import annotations

import json
import subprocess
import sys
from argparse import Namespace

from tests.conftest import REPO, cli_env
from tests.ui.conftest import run


def test_a_command_runs_its_job_in_the_open_window(library, qtbot, aloop, tmp_path):
    from sd_desktop.ui.app import AppController

    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    for i in range(3):
        (data / "sub" / f"f{i}.txt").write_text(f"file {i}\n")
    args = Namespace(paths=[], add_location=[], index_mode="content", quit_when_idle=False)
    controller = AppController(library, args)
    run(qtbot, controller.start(), timeout=60000)
    seen = []
    controller.bridge.jobEvent.connect(lambda event: seen.append((event.job_id, event.name, str(event.kind))))
    try:
        assert controller.engine_server is not None and controller.engine_server.path.exists()
        cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library.folder), "index", str(data), "--json"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(), cwd=REPO)
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=60000)
        out, err = proc.communicate()
        assert proc.returncode == 0, err
        result = json.loads(out.splitlines()[-1])
        assert (result["event"], result["name"], result["status"]) == ("result", "indexer", "completed")
        assert result["output"]["files"] == 3
        job_id = result["job_id"]
        # its events went through the window's manager, so the bridge (and the job panel) saw them
        assert (job_id, "indexer", "completed") in seen
        history = controller.window.jobs.history_model
        qtbot.waitUntil(lambda: job_id in [history.job(r).id for r in range(history.rowCount())], timeout=10000)
        # a location the command added reached the window's watcher too
        qtbot.waitUntil(lambda: len(controller.watcher._watched) == 1, timeout=10000)
    finally:
        run(qtbot, controller.stop(), timeout=60000)
    assert not controller.engine_server.path.exists()

"""SIGTERM always works (FAULTS 18): a run whose job does not answer the pause a first signal asks
for stops at the second; after that the default action applies, even to work stuck in a thread."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from tests.conftest import REPO, cli_env

EXTRA = {"SD_DESKTOP_EXTRA_JOBS": "tests.engine.jobs_for_tests"}


def _wait_for(path, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_sigterm_ends_a_run_stuck_in_blocking_work(library_dir, tmp_path, run_cli):
    marker = tmp_path / "blocking"
    config = json.dumps({"seconds": 120, "marker": str(marker)})
    cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), "jobs", "run", "test_block"]
    proc = subprocess.Popen(
        [*cmd, "--config", config], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(EXTRA), cwd=REPO
    )
    try:
        _wait_for(marker)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)  # asks the job to pause: it cannot hear it
        time.sleep(0.5)
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)  # stops waiting for it; the stuck thread still holds the exit
        time.sleep(2.5)
        proc.send_signal(signal.SIGTERM)  # the default action: the process ends
        proc.communicate(timeout=20)
        assert time.monotonic() - started < 20
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == -signal.SIGTERM
    # killed mid-run like a crash: the next start finds the job interrupted and resumable
    [job] = run_cli("jobs", "list", "--json", env=EXTRA).result["output"]["jobs"]
    assert (job["name"], job["status"], job["interrupted"]) == ("test_block", "queued", 1)

"""``sd-desktop ... --json | head``: the reader goes away mid-job. The command must neither print a
traceback nor hang: it pauses its job (as Ctrl+C would), says so on stderr and exits 3, and the job
resumes to the same result."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import cli_env


def test_a_closed_stdout_pauses_the_job_without_a_traceback(tmp_path, run_cli, library_dir):
    tree = tmp_path / "t"
    tree.mkdir()
    for i in range(3000):
        (tree / f"f{i}").write_bytes(b"x%d" % (i % 100))
    proc = subprocess.Popen(
        [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), "duplicates", str(tree), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
    )
    first = proc.stdout.readline()  # the reader takes one line, as `head -1` does, and leaves
    assert b'"event": "queued"' in first
    proc.stdout.close()
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("the command hung after its stdout was closed") from None
    text = err.decode()
    assert "Traceback" not in text and "never retrieved" not in text
    if proc.returncode == 3:  # stopped mid-job: paused, and it continues to the full result
        assert "standard output was closed" in text and "jobs resume 1" in text
        resumed = run_cli("jobs", "resume", "1", "--json")
        assert resumed.returncode == 0, resumed.stderr
        output = resumed.result["output"]
    else:  # the job ended before the next line was written: nothing to pause
        assert proc.returncode == 0, text
        output = run_cli("jobs", "show", "1", "--json").result["output"]
    assert len(output["groups"]) == 100 and output["duplicate_files"] == 2900

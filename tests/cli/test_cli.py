"""The headless CLI contract, through real subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from tests.conftest import REPO, cli_env

EXTRA = {"SD_DESKTOP_EXTRA_JOBS": "tests.engine.jobs_for_tests"}


def test_version(run_cli):
    from sd_desktop import __version__

    res = run_cli("--version")
    assert res.returncode == 0 and res.stdout.strip() == f"sd-desktop {__version__}"


def test_bad_arguments_are_one_line_exit_2(run_cli, tmp_path):
    res = run_cli("location", "add", str(tmp_path / "missing"))
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and "no such file or folder" in res.stderr
    assert "Traceback" not in res.stderr
    res = run_cli("jobs", "frobnicate")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    res = run_cli("jobs", "run", "test_count", "--config", "{not json", env=EXTRA)
    assert res.returncode == 2 and "bad --config" in res.stderr


def test_location_add_and_list_json(run_cli, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    res = run_cli("location", "add", str(folder), "--name", "Photos", "--json")
    assert res.returncode == 0
    res = run_cli("location", "list", "--json")
    out = res.result
    assert out["status"] == "completed"
    [row] = out["output"]["locations"]
    assert row["name"] == "Photos" and row["path"] == str(folder)
    for key in ("id", "entries", "files", "dirs", "symlinks", "total_bytes", "last_indexed"):
        assert key in row


def test_location_index_mode_is_kept_and_used_by_index(run_cli, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"hello")
    res = run_cli("location", "add", str(folder), "--mode", "shallow", "--json")
    assert res.returncode == 0, res.stderr
    loc_id = res.result["output"]["id"]
    assert res.result["output"]["index_mode"] == "shallow"
    res = run_cli("index", str(folder), "--json")  # no --mode: the location's own
    assert res.returncode == 0, res.stderr
    assert res.result["output"]["mode"] == "shallow" and res.result["output"]["hashed"] == 0
    res = run_cli("location", "mode", str(loc_id), "content", "--json")
    assert res.returncode == 0 and res.result["output"]["index_mode"] == "content"
    res = run_cli("index", str(folder), "--json")
    assert res.result["output"]["mode"] == "content" and res.result["output"]["hashed"] == 1
    res = run_cli("location", "mode", "99", "deep")
    assert res.returncode == 1 and "no location with id 99" in res.stderr
    res = run_cli("location", "add", str(folder), "--mode", "turbo")
    assert res.returncode == 2 and "invalid choice" in res.stderr


def test_jobs_run_streams_progress_and_result(run_cli):
    res = run_cli("jobs", "run", "test_count", "--config", '{"n": 5}', "--json", env=EXTRA)
    assert res.returncode == 0, res.stderr
    kinds = [line["event"] for line in res.lines]
    assert kinds[0] == "queued" and "started" in kinds and kinds[-1] == "result"
    result = res.result
    assert result["status"] == "completed" and result["output"] == {"count": 5, "total": 10}
    assert result["errors"] == [] and isinstance(result["job_id"], int)
    listed = run_cli("jobs", "list", "--json", env=EXTRA).result["output"]["jobs"]
    assert [(j["id"], j["name"], j["status"]) for j in listed] == [(result["job_id"], "test_count", "completed")]
    for key in ("created_at", "progress"):
        assert key in listed[0]


def test_failed_job_exit_code_1_and_error_text(run_cli):
    res = run_cli("jobs", "run", "test_count", "--config", '{"n": 5, "fail_at": 2}', "--json", env=EXTRA)
    assert res.returncode == 1
    assert res.result["status"] == "failed" and res.result["error"] == "failed on purpose at 2"


def test_non_critical_errors_listed_and_exit_4(run_cli):
    res = run_cli("jobs", "run", "test_count", "--config", '{"n": 4, "noncritical_every": 2}', "--json", env=EXTRA)
    assert res.returncode == 4  # completed with errors (FAULTS 20): not the 0 of a clean run
    assert res.result["status"] == "completed_with_errors"
    assert res.result["errors"] == [
        {"path": "/item/0", "message": "could not do item"},
        {"path": "/item/2", "message": "could not do item"},
    ]


def _start(library_dir, *args, env=None):
    cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), *args]
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env({**EXTRA, **(env or {})}), cwd=REPO
    )


def _wait_for(path, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_sigterm_pauses_exit_3_then_resume_finishes(library_dir, tmp_path, run_cli):
    markers = tmp_path / "markers"
    markers.mkdir()
    config = json.dumps({"n": 60, "delay": 0.02, "marker_dir": str(markers)})
    proc = _start(library_dir, "jobs", "run", "test_count", "--config", config, "--json")
    _wait_for(markers / "step-3")
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 3, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == "paused"
    job_id = result["job_id"]
    res = run_cli("jobs", "resume", str(job_id), "--json", env=EXTRA)
    assert res.returncode == 0, res.stderr
    assert res.result["status"] == "completed" and res.result["output"] == {"count": 60, "total": sum(range(60))}


def test_kill_9_after_a_checkpoint_then_rerun_resumes_without_repeats(library_dir, tmp_path, run_cli):
    import sqlite3

    markers = tmp_path / "markers"
    markers.mkdir()
    config = json.dumps({"n": 50, "delay": 0.02, "marker_dir": str(markers)})
    proc = _start(library_dir, "jobs", "run", "test_count", "--config", config, "--json")
    _wait_for(markers / "step-5")
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    db = sqlite3.connect(library_dir / "library.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    (status,) = db.execute("SELECT status FROM job").fetchone()
    committed = db.execute("SELECT COUNT(*) FROM test_steps").fetchone()[0]
    db.close()
    assert status == "running" and committed >= 6

    listed = run_cli("jobs", "list", "--json", env=EXTRA).result["output"]["jobs"]
    assert listed[0]["status"] == "queued" and listed[0]["interrupted"] == 1  # found interrupted at start
    # running the same command again continues the interrupted job instead of starting over
    res = run_cli("jobs", "run", "test_count", "--config", config, "--json", env=EXTRA)
    assert res.returncode == 0, res.stderr
    assert res.result["job_id"] == listed[0]["id"]
    assert res.result["output"] == {"count": 50, "total": sum(range(50))}
    db = sqlite3.connect(library_dir / "library.db")
    steps = [r[0] for r in db.execute("SELECT step FROM test_steps ORDER BY step")]
    db.close()
    assert steps == list(range(50))  # nothing repeated (UNIQUE), nothing skipped


def test_locked_library_is_a_clear_error(library_dir, tmp_path, run_cli):
    markers = tmp_path / "m"
    markers.mkdir()
    proc = _start(
        library_dir,
        "jobs",
        "run",
        "test_count",
        "--config",
        json.dumps({"n": 400, "delay": 0.02, "marker_dir": str(markers)}),
    )
    try:
        _wait_for(markers / "step-1")
        res = run_cli("location", "add", str(tmp_path))  # a change needs the library, or an engine serving it
        assert res.returncode == 1
        assert res.stderr.strip() == (
            f"sd-desktop: library in use by PID {proc.pid} (sd-desktop jobs run, which serves no other commands); "
            "wait for it or run `sd-desktop serve`"
        )
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 3


def test_read_only_commands_answer_while_another_process_runs_a_job(library_dir, tmp_path, run_cli):
    """``location list``, ``jobs list`` and ``info`` read the library read-only, without its lock: they
    answer while a job runs in another process, and its job shows as running (not recovered as if
    its process had died)."""
    markers = tmp_path / "m"
    markers.mkdir()
    assert run_cli("location", "add", str(tmp_path), "--name", "here").returncode == 0
    proc = _start(
        library_dir,
        "jobs",
        "run",
        "test_count",
        "--config",
        json.dumps({"n": 400, "delay": 0.02, "marker_dir": str(markers)}),
    )
    try:
        _wait_for(markers / "step-1")
        listed = run_cli("location", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        assert [loc["name"] for loc in listed.result["output"]["locations"]] == ["here"]
        jobs = run_cli("jobs", "list", "--json")
        assert jobs.returncode == 0, jobs.stderr
        [job] = jobs.result["output"]["jobs"]
        assert (job["name"], job["status"], job["interrupted"]) == ("test_count", "running", 0)
        info = run_cli("info", str(markers), "--json")
        assert info.returncode == 0, info.stderr
        assert info.result["output"]["location_id"] == listed.result["output"]["locations"][0]["id"]
        assert proc.poll() is None  # still running: nothing took its library from it
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 3
    [job] = run_cli("jobs", "list", "--json").result["output"]["jobs"]
    assert (job["status"], job["interrupted"]) == ("paused", 0)


def test_jobs_cancel_of_paused_job(library_dir, tmp_path, run_cli):
    markers = tmp_path / "m"
    markers.mkdir()
    proc = _start(
        library_dir,
        "jobs",
        "run",
        "test_count",
        "--config",
        json.dumps({"n": 400, "delay": 0.02, "marker_dir": str(markers)}),
        "--json",
    )
    _wait_for(markers / "step-1")
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    job_id = json.loads(out.strip().splitlines()[-1])["job_id"]
    res = run_cli("jobs", "cancel", str(job_id), "--json", env=EXTRA)
    assert res.returncode == 0 and res.result["status"] == "cancelled"  # the cancel did what it was asked
    show = run_cli("jobs", "show", str(job_id), "--json", env=EXTRA).result
    assert show["status"] == "cancelled"
    again = run_cli("jobs", "resume", str(job_id), env=EXTRA)
    assert again.returncode == 1 and "only paused or interrupted jobs" in again.stderr


def test_schema_command(run_cli):
    res = run_cli("jobs", "schema", "test_count", env=EXTRA)
    assert res.returncode == 0
    assert json.loads(res.stdout)["properties"]["n"]["type"] == "integer"

"""FAULT 15 for the delete job: kill -9 of a real CLI process mid-way, then ``jobs resume``:
committed deletions are not repeated, the rest is deleted, and the job reports every path."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from tests.conftest import REPO, cli_env


def test_kill_mid_secure_delete_then_resume(library_dir, run_cli, tmp_path):
    box = tmp_path / "box"
    box.mkdir()
    victims = []
    for i in range(8):
        p = box / f"v{i}"
        p.write_bytes(b"x" * (2 * 1024 * 1024))
        victims.append(p)
    cmd = [
        sys.executable,
        "-m",
        "sd_desktop",
        "--library",
        str(library_dir),
        "delete",
        *map(str, victims),
        "--mode",
        "secure",
        "--passes",
        "12",
        "--yes",
        "--json",
    ]
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
    remaining = [v for v in victims if v.exists()]
    assert 0 < len(remaining) < len(victims)
    res = run_cli("jobs", "resume", str(job_id), "--json")
    assert res.returncode == 0, res.stderr
    assert not any(v.exists() for v in victims)
    outcomes = [r["outcome"] for r in res.result["output"]["outcomes"]]
    assert len(outcomes) == len(victims)
    # at most the one path whose deletion finished but was not yet committed reads "already gone"
    assert outcomes.count("deleted") >= len(victims) - 1 and set(outcomes) <= {"deleted", "skipped"}
    assert os.listdir(box) == []  # the killed overwrite's scrambled name was cleaned up on resume too


def _kill_when_done(cmd: list[str], done: int, name: str = "delete") -> int:
    """Run ``cmd`` (with --json), SIGKILL it once job ``name`` reports ``done`` items; its job id."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=cli_env(), cwd=REPO, text=True)
    job_id = None
    try:
        for line in proc.stdout:
            event = json.loads(line)
            if event.get("event") == "result":
                pytest.fail("the command finished before it could be killed")
            if event.get("name") == name:
                job_id = event.get("job_id", job_id)
                if event.get("event") == "progress" and event.get("done", 0) >= done:
                    proc.send_signal(signal.SIGKILL)
                    break
    finally:
        proc.wait(timeout=60)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    return job_id


def test_the_same_delete_again_after_a_kill_continues_that_job(library_dir, run_cli, tmp_path):
    """The re-run names paths the killed run already deleted: it continues the interrupted job (same
    id) instead of refusing those paths and leaving the job queued forever."""
    box = tmp_path / "box"
    box.mkdir()
    victims = []
    for i in range(8):
        p = box / f"v{i}"
        p.write_bytes(b"x" * (2 * 1024 * 1024))
        victims.append(p)
    args = ["delete", *map(str, victims), "--mode", "secure", "--passes", "12", "--yes", "--json"]
    job_id = _kill_when_done([sys.executable, "-m", "sd_desktop", "--library", str(library_dir), *args], 2)
    remaining = [v for v in victims if v.exists()]
    assert 0 < len(remaining) < len(victims)
    (box / "bystander").write_bytes(b"not named")

    res = run_cli(*args)
    assert res.returncode == 0, res.stderr
    assert res.result["job_id"] == job_id and res.result["status"] == "completed"
    outcomes = [r["outcome"] for r in res.result["output"]["outcomes"]]
    assert len(outcomes) == len(victims)
    assert outcomes.count("deleted") >= len(victims) - 1 and set(outcomes) <= {"deleted", "skipped"}
    assert os.listdir(box) == ["bystander"]
    jobs = run_cli("jobs", "list", "--json").result["output"]["jobs"]
    assert [(j["id"], j["status"], j["interrupted"]) for j in jobs] == [(job_id, "completed", 1)]
    # with nothing interrupted to continue, a missing path is a usage error again
    again = run_cli(*args)
    assert again.returncode == 2 and again.stderr == f"sd-desktop: error: no such file or folder: {victims[0]}\n"


def test_the_same_duplicates_delete_again_after_a_kill_continues_the_removal(library_dir, run_cli, tmp_path):
    root = tmp_path / "dupes"
    for i in range(600):
        data = os.urandom(8192)
        for side, mtime in (("a", 1_500_000_000), ("b", 1_600_000_000)):
            path = root / side / f"{i:04}.bin"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            os.utime(path, (mtime, mtime))
    args = ["duplicates", str(root), "--delete", "keep-oldest", "--mode-delete", "permanent", "--yes", "--json"]
    job_id = _kill_when_done([sys.executable, "-m", "sd_desktop", "--library", str(library_dir), *args], 20)
    left = len(os.listdir(root / "b"))
    assert 0 < left < 600

    res = run_cli(*args)
    assert res.returncode == 0, res.stderr
    assert res.result["job_id"] == job_id and res.result["status"] == "completed"
    assert res.result["name"] == "delete" and len(res.result["output"]["outcomes"]) == 600
    assert os.listdir(root / "b") == [] and len(os.listdir(root / "a")) == 600  # every oldest copy kept
    jobs = run_cli("jobs", "list", "--json").result["output"]["jobs"]
    assert [(j["name"], j["status"]) for j in jobs] == [("delete", "completed"), ("duplicate_detection", "completed")]

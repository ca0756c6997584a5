"""FAULTS 10 and 15 for copy/move: kill -9 of a real CLI process mid-copy and mid-move, then resume.

Nothing is lost (every source exists unless its copy is complete and equal), nothing
half-written sits under a final name, no temporary file is left, and the resumed job finishes
the same tree an uninterrupted run would have made.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, cli_env
from tests.fileops.helpers import temp_leftovers

FILES = 24
SIZE = 1024 * 1024


def _tree(root: Path) -> dict[str, bytes]:
    (root / "inner").mkdir(parents=True)
    content = {}
    for i in range(FILES):
        rel = f"inner/f{i:02d}" if i % 2 else f"f{i:02d}"
        data = os.urandom(SIZE)
        (root / rel).write_bytes(data)
        content[rel] = data
    return content


def _start_and_kill(library_dir: Path, args: list[str]) -> int:
    """Run ``copy ... --json`` and SIGKILL it once a third of the bytes are written; returns the job id."""
    cmd = [
        sys.executable,
        "-m",
        "sd_desktop",
        "--library",
        str(library_dir),
        "copy",
        *args,
        "--json",
        "--bwlimit",
        str(8 * SIZE),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(), cwd=REPO, text=True)
    job_id = None
    try:
        for line in proc.stdout:
            event = json.loads(line)
            job_id = event.get("job_id", job_id)
            if event.get("event") == "progress" and event.get("bytes_done", 0) >= FILES * SIZE // 3:
                proc.send_signal(signal.SIGKILL)
                break
            if event.get("event") == "result":
                pytest.fail("the copy finished before it could be killed")
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    return job_id


def _check_nothing_lost(src: Path, dest: Path, content: dict[str, bytes], move: bool) -> None:
    for rel, data in content.items():
        target = dest / rel
        if target.exists():
            assert target.read_bytes() == data, f"{rel}: a final name holds a partial or wrong file"
        if move and not (src / rel).exists():
            assert target.exists() and target.read_bytes() == data, f"{rel}: source deleted before its copy was safe"
        if not move:
            assert (src / rel).read_bytes() == data


def test_kill_mid_copy_then_rerun_the_same_command(library_dir, run_cli, tmp_path):
    src, dest = tmp_path / "src", tmp_path / "dest"
    content = _tree(src)
    job_id = _start_and_kill(library_dir, [str(src), str(dest)])
    _check_nothing_lost(src, dest / "src", content, move=False)
    res = run_cli("copy", src, dest, "--json", "--bwlimit", str(8 * SIZE))  # the same command continues the job
    assert res.returncode == 0, res.stderr
    assert res.result["job_id"] == job_id
    for rel, data in content.items():
        assert (dest / "src" / rel).read_bytes() == data
    assert temp_leftovers(dest) == []
    assert res.result["output"]["outcomes"][0]["outcome"] == "copied"
    conn = sqlite3.connect(library_dir / "library.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_kill_mid_cross_device_move_then_jobs_resume(library_dir, run_cli, tmp_path):
    if os.stat("/dev/shm").st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("/dev/shm is not a separate file system here")
    root = Path(os.fsdecode(subprocess.check_output(["mktemp", "-d", "-p", "/dev/shm"]).strip()))
    try:
        src, dest = root / "src", tmp_path / "dest"
        content = _tree(src)
        job_id = _start_and_kill(library_dir, [str(src), str(dest), "--move"])
        _check_nothing_lost(src, dest / "src", content, move=True)
        assert any((src / rel).exists() for rel in content), "the kill came too late to test anything"
        listed = run_cli("jobs", "list", "--json").result["output"]["jobs"]
        assert any(j["id"] == job_id and j["status"] == "running" for j in listed)
        res = run_cli("jobs", "resume", str(job_id), "--json")
        assert res.returncode == 0, res.stderr
        for rel, data in content.items():
            assert (dest / "src" / rel).read_bytes() == data
        assert not src.exists()  # every source moved, then its emptied folders removed
        assert temp_leftovers(dest) == []
        assert res.result["output"]["outcomes"][0]["outcome"] == "moved"
    finally:
        subprocess.run(["rm", "-rf", str(root)])

"""A lost ``-wal`` file rolls job ids back: a new job then gets the id of one that died with its
temporary file still on disk. Temporary names carry a random token per job, so the new job never
writes over, fails on, or removes the older job's file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from tests.conftest import REPO, cli_env
from tests.fileops.helpers import mount_tmpfs  # noqa: F401  (fixture)


def test_a_new_job_with_a_reused_id_leaves_the_older_jobs_temp_file_alone(
    run_cli,
    library_dir,
    tmp_path,
    mount_tmpfs,  # noqa: F811
):
    first, second = tmp_path / "first.bin", tmp_path / "second.bin"
    first.write_bytes(os.urandom(1024 * 1024))
    second.write_bytes(os.urandom(200 * 1024))
    dst = mount_tmpfs("dst", "8m")  # another file system: the bytes are copied into a temp file
    cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library_dir)]
    cmd += ["copy", "--bwlimit", "200000", str(first), str(dst), "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(), cwd=REPO)
    try:
        for raw in proc.stdout:
            event = json.loads(raw)
            if event.get("event") == "progress" and event.get("bytes_done"):
                break
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate()
    [older_temp] = list(dst.iterdir())
    assert older_temp.name.startswith(".sd-desktop-1-") and older_temp.name.endswith(".part")
    partial = older_temp.read_bytes()

    for log in ("library.db-wal", "library.db-shm"):  # job 1 was only ever in the log
        (library_dir / log).unlink()
    res = run_cli("copy", str(second), str(dst), "--json")
    assert res.returncode == 0, res.stderr
    assert res.result["job_id"] == 1  # the id came back
    assert res.result["output"]["files"] == 1 and res.result["output"]["failed"] == 0
    assert (dst / "second.bin").read_bytes() == second.read_bytes()
    assert sorted(p.name for p in dst.iterdir()) == sorted([older_temp.name, "second.bin"])
    assert older_temp.read_bytes() == partial

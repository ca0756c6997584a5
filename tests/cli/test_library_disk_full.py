"""The library's own disk fills up (FAULTS 18): move, delete and duplicate removal end with one
clear line and exit 1, never hang, lose no file, and once there is space the job they left
resumes and completes. SIGTERM ends a run whose library fails under it."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sd_desktop.library import Library
from tests.conftest import REPO, cli_env
from tests.fileops.helpers import fill, mount_tmpfs  # noqa: F401  (fixture)

FILES = 40
TIMEOUT = 60
# how much room is left on the library's 1 MB disk: from none (the lock file cannot be written) to
# enough for some jobs to start and fail part-way; every level must end cleanly
LEAVE = (0, 16 * 1024, 48 * 1024, 96 * 1024, 160 * 1024, 256 * 1024, 400 * 1024)
RESUMABLE = {"queued", "paused"}


def _digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes()).hexdigest()


def _tree(root: Path, duplicates: bool) -> dict[str, str]:
    """FILES distinct files (each with a copy ``dup-*`` when ``duplicates``): name -> digest."""
    root.mkdir(parents=True)
    for i in range(FILES):
        data = os.urandom(6000)
        (root / f"file-{i:02d}").write_bytes(data)
        if duplicates:
            (root / f"dup-{i:02d}").write_bytes(data)
            os.utime(root / f"dup-{i:02d}", (2_000_000_000, 2_000_000_000))  # newer: keep-oldest trashes it
    return {p.name: _digest(p) for p in root.iterdir()}


def _trashed(home_data: Path) -> dict[str, str]:
    files = home_data / "Trash" / "files"
    return {p.name: _digest(p) for p in files.iterdir()} if files.is_dir() else {}


def _command(kind: str, src: Path, dst: Path) -> list[str]:
    if kind == "move":
        return ["copy", "--move", *sorted(str(p) for p in src.iterdir()), str(dst)]
    if kind == "delete":
        return ["delete", *sorted(str(p) for p in src.iterdir())]
    return ["duplicates", str(src), "--delete", "keep-oldest"]


def _nothing_lost(kind: str, want: dict[str, str], src: Path, dst: Path, trash: dict[str, str]) -> None:
    """Every file is still somewhere people can get it back from: the source, the target, the trash."""
    have = {p.name: _digest(p) for p in src.iterdir()}
    if kind == "move":
        have.update({p.name: _digest(p) for p in dst.iterdir()})
    else:
        have.update(trash)
    assert have == want


def _finished(kind: str, want: dict[str, str], src: Path, dst: Path, trash: dict[str, str]) -> None:
    left = {p.name: _digest(p) for p in src.iterdir()}
    if kind == "move":
        assert left == {}
        assert {p.name: _digest(p) for p in dst.iterdir()} == want
    elif kind == "delete":
        assert left == {} and trash == want
    else:
        assert left == {n: d for n, d in want.items() if n.startswith("file-")}
        assert trash == {n: d for n, d in want.items() if n.startswith("dup-")}


def _jobs(cli) -> list[dict]:
    res = cli("jobs", "list", "--json")
    assert res.returncode == 0, res.stderr
    return res.result["output"]["jobs"]


def _one_line(stderr: str) -> str:
    assert "Traceback" not in stderr and "never retrieved" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def _check_one_level(kind, leave, run_cli, tmp_path, mount_tmpfs) -> bool:  # noqa: F811
    """One run on a library disk with ``leave`` bytes free; True when it stopped inside a job."""
    base = tmp_path / f"at-{leave}"
    src, dst, home_data = base / "src", base / "dst", base / "data"  # a trash of its own
    want = _tree(src, duplicates=kind == "duplicates")
    dst.mkdir()
    disk = mount_tmpfs(f"disk-{leave}", "1m")
    library = disk / "lib"

    def cli(*args: str):
        return run_cli(*args, library=library, env={"XDG_DATA_HOME": str(home_data)}, timeout=TIMEOUT)

    Library.open(library).close()
    fill(disk, leave)

    started = time.monotonic()
    res = cli(*_command(kind, src, dst))
    assert time.monotonic() - started < TIMEOUT
    if res.returncode == 0:  # enough room after all: it simply worked
        _finished(kind, want, src, dst, _trashed(home_data))
        return False
    assert res.returncode == 1, (res.stdout, res.stderr)
    line = _one_line(res.stderr)
    assert line.startswith(f"sd-desktop: cannot write to the library {library}: its disk is full ("), line
    _nothing_lost(kind, want, src, dst, _trashed(home_data))

    # room again (WAL frames need more than the database itself)
    (disk / "filler").unlink()
    subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
    jobs = _jobs(cli)
    assert {j["status"] for j in jobs} <= RESUMABLE | {"completed"}, jobs  # never failed or cancelled
    pending = [j for j in jobs if j["status"] in RESUMABLE]
    if pending:
        assert f"sd-desktop jobs resume {pending[0]['id']}" in line, line
    for job in sorted(pending, key=lambda j: j["id"]):
        resumed = cli("jobs", "resume", str(job["id"]))
        assert resumed.returncode == 0, resumed.stderr
    if kind == "duplicates" or not pending:  # the removal follows the search: the command again
        again = cli(*_command(kind, src, dst))
        assert again.returncode == 0, again.stderr
    assert {j["status"] for j in _jobs(cli)} == {"completed"}
    _finished(kind, want, src, dst, _trashed(home_data))
    return bool(pending)


def _run_levels(kind, run_cli, tmp_path, mount_tmpfs) -> None:  # noqa: F811
    in_a_job = [leave for leave in LEAVE if _check_one_level(kind, leave, run_cli, tmp_path, mount_tmpfs)]
    assert in_a_job, f"no fill level stopped a {kind} job part-way; the levels need adjusting"


def test_move_with_the_library_disk_full(run_cli, tmp_path, mount_tmpfs):  # noqa: F811
    _run_levels("move", run_cli, tmp_path, mount_tmpfs)


def test_delete_with_the_library_disk_full(run_cli, tmp_path, mount_tmpfs):  # noqa: F811
    _run_levels("delete", run_cli, tmp_path, mount_tmpfs)


def test_duplicate_removal_with_the_library_disk_full(run_cli, tmp_path, mount_tmpfs):  # noqa: F811
    _run_levels("duplicates", run_cli, tmp_path, mount_tmpfs)


def test_sigterm_ends_a_run_whose_library_fills_under_it(run_cli, tmp_path, mount_tmpfs):  # noqa: F811
    """The pause SIGTERM asks for cannot be recorded: the process still ends, exit 1, one line."""
    src = tmp_path / "big.bin"
    data = os.urandom(1024 * 1024)
    src.write_bytes(data)
    dst = mount_tmpfs("dst", "8m")  # another file system: the move copies the bytes, slowly
    disk = mount_tmpfs("disk", "1m")
    library = disk / "lib"
    cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library)]
    cmd += ["copy", "--move", "--bwlimit", "250000", str(src), str(dst), "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(), cwd=REPO)
    try:
        for raw in proc.stdout:  # copying: the plan is committed, the file is being written
            event = json.loads(raw)
            if event.get("event") == "progress" and event.get("bytes_done"):
                break
        fill(disk, 0)
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1, err
    line = _one_line(err)
    assert line.startswith(f"sd-desktop: cannot write to the library {library}: its disk is full ("), line
    assert line.endswith("or: sd-desktop jobs resume 1)"), line
    assert src.read_bytes() == data and list(dst.iterdir()) == []  # the half-written copy is a temp file

    (disk / "filler").unlink()
    subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
    [job] = _jobs(lambda *a: run_cli(*a, library=library))
    assert (job["id"], job["status"], job["interrupted"]) == (1, "queued", 1)
    res = run_cli("jobs", "resume", "1", library=library, timeout=TIMEOUT)
    assert res.returncode == 0, res.stderr
    assert not src.exists() and (dst / "big.bin").read_bytes() == data
    assert [p.name for p in dst.iterdir()] == ["big.bin"]  # no temporary file left behind

"""FAULTS 15 for validation: kill -9 of a real ``sd-desktop validate --mode complete`` while one of
its commits is in flight (the work list's, a batch's, the last one's), then ``jobs resume``: the
findings equal an uninterrupted run's on the same tree, nothing repeated or left out, and the
library passes SQLite's integrity check.

The tree has one problem of each kind: a file gone, a file changed (size and mtime), a damaged
image, and a one-byte flip under the same size and mtime that only the stored checksum catches.
Each commit is held open inside its transaction (``SD_DESKTOP_VALIDATE_COMMIT_DELAY_MS``) so the
kill lands while one is written; the stored state read after the kill says it did.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from sd_desktop.jobs import codec
from sd_desktop.ops.files.validation.job import ValidationState
from tests.conftest import REPO, cli_env

BATCH = 8
ITEMS = 46  # the work list: 45 files on disk and the one gone from it; six batches, the last one short
SLOW = {"SD_DESKTOP_VALIDATE_BATCH": str(BATCH), "SD_DESKTOP_VALIDATE_COMMIT_DELAY_MS": "400"}
MTIME = 1_600_000_000


def _cli(library: Path, *args) -> list[str]:
    return [sys.executable, "-m", "sd_desktop", "--library", str(library), *map(str, args)]


def _run(library: Path, *args, env=None) -> dict:
    proc = subprocess.run(_cli(library, *args), capture_output=True, text=True, env=cli_env(env), timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (160, 120), (200, 30, 90)).save(buf, "JPEG")
    return buf.getvalue()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (MTIME, MTIME))


@pytest.fixture(scope="module")
def indexed(tmp_path_factory) -> tuple[Path, Path]:
    """(the tree, a library that indexed it in deep mode (checksums) before the problems were planted)."""
    base = tmp_path_factory.mktemp("validate-crash")
    tree, library = base / "tree", base / "lib"
    for n in range(ITEMS - 5):
        _write(tree / f"d{n % 4}" / f"{n:02d}.txt", os.urandom(500 + n))
    _write(tree / "d0" / "missing.txt", b"soon gone\n")
    _write(tree / "d1" / "modified.txt", b"first version\n")
    _write(tree / "d2" / "flipped.bin", os.urandom(40_000))
    jpeg = _jpeg()
    _write(tree / "d3" / "corrupt.jpg", jpeg[: len(jpeg) // 2])
    _write(tree / "d3" / "good.jpg", jpeg)
    assert _run(library, "index", tree, "--mode", "deep", "--json")["status"] == "completed"

    (tree / "d0" / "missing.txt").unlink()
    _write(tree / "d1" / "modified.txt", b"second, longer version\n")
    flipped = bytearray((tree / "d2" / "flipped.bin").read_bytes())
    flipped[20_000] ^= 0x01
    _write(tree / "d2" / "flipped.bin", bytes(flipped))  # same size, same mtime
    return tree, library


@pytest.fixture(scope="module")
def reference(indexed, tmp_path_factory) -> dict:
    tree, library = indexed
    copy = tmp_path_factory.mktemp("reference") / "lib"
    shutil.copytree(library, copy)
    result = _run(copy, "validate", tree, "--mode", "complete", "--json")
    assert result["status"] == "completed"
    found = {os.path.basename(i["path"]): i["type"] for i in result["output"]["issues"]}
    assert found == {
        "missing.txt": "missing",
        "modified.txt": "modified",
        "flipped.bin": "content_changed_mtime_same",
        "corrupt.jpg": "truncated",
    }
    assert result["output"]["files_checked"] == ITEMS - 1  # the one gone is reported, not checked
    return result["output"]


def _kill_at(library: Path, tree: Path, done: int) -> int:
    """Start the validation and SIGKILL it right after it reports ``done`` files checked (the commit
    of those findings is then in flight); returns the job id."""
    proc = subprocess.Popen(
        _cli(library, "validate", tree, "--mode", "complete", "--json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(SLOW),
        cwd=REPO,
    )
    job_id = None
    try:
        for line in proc.stdout:
            event = json.loads(line)
            job_id = event.get("job_id", job_id)
            if event.get("event") == "progress" and event.get("phase") == "checking" and event.get("done") == done:
                proc.send_signal(signal.SIGKILL)
                break
            if event.get("event") == "result":
                pytest.fail(f"the validation ended before the kill point ({done} files checked)")
    finally:
        if proc.poll() is None and proc.returncode is None:
            proc.wait(timeout=60)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    return job_id


# the work list's commit, the first batch's, one in the middle, and the last one
@pytest.mark.parametrize("done", [0, BATCH, 3 * BATCH, ITEMS])
def test_kill_9_mid_commit_then_resume_equals_uninterrupted(indexed, reference, tmp_path, done):
    tree, indexed_library = indexed
    library = tmp_path / "lib"
    shutil.copytree(indexed_library, library)

    job_id = _kill_at(library, tree, done)

    db = sqlite3.connect(library / "library.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        status, packed = db.execute("SELECT status, state FROM job WHERE id = ?", (job_id,)).fetchone()
    finally:
        db.close()
    assert status == "running"  # died mid-run
    state = codec.unpack(packed, ValidationState) if packed is not None else ValidationState()
    # the findings of the files before ``done`` were being committed: the stored cursor is the
    # batch boundary before it (the work list not even stored when ``done`` is 0)
    boundaries = [*range(0, ITEMS, BATCH), ITEMS]
    if done == 0:
        assert state.phase == "list"
    else:
        assert (state.phase, state.cursor) == ("check", boundaries[boundaries.index(done) - 1])

    result = _run(library, "jobs", "resume", job_id, "--json")

    assert result["status"] == "completed" and result["job_id"] == job_id
    assert result["output"]["issues"] == reference["issues"]
    assert result["output"]["counts"] == reference["counts"]
    assert result["output"]["files_checked"] == reference["files_checked"]
    assert result["output"]["bytes_read"] == reference["bytes_read"]
    db = sqlite3.connect(library / "library.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()

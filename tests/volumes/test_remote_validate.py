"""``validate NAME:/path`` against a real sshd: full hashes through ranged reads stored with the
entries on the first run, bytes changed under the same size and time reported as corruption on the
next, and a server gone pauses the job (exit 3) until ``jobs resume``."""

from __future__ import annotations

import os
import sqlite3

from tests.volumes import servers
from tests.volumes.test_volume_cli import add_sftp, make_tree


def _hashes(library_dir) -> dict[bytes, str | None]:
    conn = sqlite3.connect(library_dir / "library.db")
    try:
        return {bytes(p): h for p, h in conn.execute("SELECT path, integrity_hash FROM entry WHERE kind = 0")}
    finally:
        conn.close()


def _corrupt_in_place(path, offset: int) -> None:
    """Flip one byte, keeping size and modification time: what bit rot looks like."""
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_validate_records_hashes_then_reports_bytes_changed_under_the_same_size_and_time(
    run_cli, sshd, tmp_path, library_dir
):
    root = tmp_path / "r"
    files = make_tree(root)
    assert add_sftp(run_cli, sshd, root).returncode == 0
    assert run_cli("index", "nas:/").returncode == 0
    first = run_cli("validate", "nas:/", "--mode", "integrity", "--json")
    assert first.returncode == 0, first.stderr
    out = first.result["output"]
    assert first.result["status"] == "completed"
    assert out["files_checked"] == len(files)
    assert out["bytes_read"] == sum(len(b) for b in files.values())
    assert out["targets"] == ["nas:/"]
    assert [(i["type"], i["path"]) for i in out["issues"]] == [("hashes_recorded", "nas:/")]
    assert out["counts"] == {"critical": 0, "error": 0, "warning": 0, "info": 1}
    import blake3

    assert _hashes(library_dir) == {rel.encode(): blake3.blake3(data).hexdigest() for rel, data in files.items()}

    _corrupt_in_place(root / "100% sure.bin", 123_456)
    _corrupt_in_place(root / "héllo wörld" / "ü #1.txt", 0)
    (root / "a b.txt").write_bytes(b"hello again\n")  # same size, a new time: changed by someone
    os.utime(root / "a b.txt", (1_000_000_000, 1_000_000_000))
    (root / "x#y.dat").unlink()
    (root / "new one.txt").write_bytes(b"new")
    second = run_cli("validate", "nas:/", "--mode", "integrity", "--json")
    assert second.returncode == 0, second.stderr
    out = second.result["output"]
    assert [(i["severity"], i["type"], i["path"]) for i in out["issues"]] == [
        ("critical", "content_changed_mtime_same", "nas:/100% sure.bin"),
        ("critical", "content_changed_mtime_same", "nas:/héllo wörld/ü #1.txt"),
        ("error", "missing", "nas:/x#y.dat"),
        ("info", "modified", "nas:/a b.txt"),
        ("info", "new", "nas:/new one.txt"),
    ]
    assert out["counts"] == {"critical": 2, "error": 1, "warning": 0, "info": 2}
    assert out["files_checked"] == len(files)  # five left of six, and the new one
    text = run_cli("validate", "nas:/", "--mode", "integrity")
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[0] == (
        "critical content_changed_mtime_same nas:/100% sure.bin: content differs from the stored checksum "
        "although size and modification time did not change: likely corruption (bit rot, a bad sector or a "
        "failed write)"
    )
    assert text.stdout.splitlines()[-1] == "6 files checked; 2 critical, 1 error, 0 warning, 2 info"


def test_validate_a_remote_file_with_corruption_probes(run_cli, sshd, tmp_path):
    root = tmp_path / "r"
    root.mkdir()
    (root / "photo.jpg").write_bytes(b"this is no JPEG at all" * 100)
    (root / "fine.txt").write_bytes(b"text")
    assert add_sftp(run_cli, sshd, root).returncode == 0
    res = run_cli("validate", "nas:/photo.jpg", "--mode", "corruption", "--json")
    assert res.returncode == 0, res.stderr
    out = res.result["output"]
    assert [(i["type"], i["path"]) for i in out["issues"]] == [("unrecognized_content", "nas:/photo.jpg")]
    assert (out["files_checked"], out["bytes_read"]) == (1, 2200)


def test_usage_errors_of_a_remote_validate_are_one_line(run_cli, sshd, tmp_path):
    (tmp_path / "r").mkdir()
    assert add_sftp(run_cli, sshd, tmp_path / "r").returncode == 0
    both = run_cli("validate", "nas:/", str(tmp_path))
    assert (both.returncode, both.stderr) == (
        2,
        "sd-desktop: error: validate a volume path on its own: one NAME:/path per command\n",
    )
    perms = run_cli("validate", "nas:/", "--check-permissions")
    assert (perms.returncode, perms.stderr) == (
        2,
        "sd-desktop: error: --check-permissions is for local files: a volume's permissions are its server's\n",
    )
    gone = run_cli("validate", "nas:/nothing here")
    assert gone.returncode == 1
    assert gone.stderr.splitlines()[0] == (
        "sd-desktop: remote_validation job 1 failed: no such file or folder on volume nas: /nothing here"
    )


def test_a_server_gone_pauses_the_validation_and_resume_finishes_it(run_cli, tmp_path):
    server = servers.make_sshd(tmp_path / "ssh")
    files = make_tree(tmp_path / "r")
    server.start()
    try:
        assert add_sftp(run_cli, server, tmp_path / "r").returncode == 0
        assert run_cli("index", "nas:/").returncode == 0
        server.stop()
        paused = run_cli("validate", "nas:/", "--mode", "integrity")
        assert paused.returncode == 3
        lines = paused.stderr.splitlines()
        assert lines[0] == "job 2 paused; continue it with: sd-desktop jobs resume 2"
        assert lines[1].startswith(f"  ! nas:/: volume nas: cannot reach 127.0.0.1:{server.port}: ")
        server.start()
        resumed = run_cli("jobs", "resume", "2", "--json")
        assert resumed.returncode == 0, resumed.stderr
        assert (resumed.result["status"], resumed.result["errors"]) == ("completed", [])
        assert resumed.result["output"]["files_checked"] == len(files)
    finally:
        server.stop()


def _committed_cursor(library_dir, job_id: int) -> int:
    import msgpack

    conn = sqlite3.connect(library_dir / "library.db")
    try:
        row = conn.execute("SELECT state FROM job WHERE id = ?", (job_id,)).fetchone()
    finally:
        conn.close()
    if not row or row[0] is None:
        return 0
    state = msgpack.unpackb(row[0], raw=False, strict_map_key=False)
    return state.get("cursor", 0) if state.get("phase") == "check" else 0


def test_a_connection_lost_while_checking_resumes_after_the_last_committed_file(run_cli, tmp_path, library_dir):
    import subprocess
    import sys
    import time

    from tests.conftest import REPO, cli_env
    from tests.volumes.test_volume_cli import NO_KEYRING

    server = servers.make_sshd(tmp_path / "ssh")
    root = tmp_path / "r"
    root.mkdir()
    for n in range(8):
        (root / f"f{n}.bin").write_bytes(os.urandom(100_000))
    # checked after them, each committed on its own, then a big one: time to cut the server
    for n in range(300):
        (root / f"g{n:03}.bin").write_bytes(os.urandom(2000))
    (root / "z big.bin").write_bytes(os.urandom(32 * 1024 * 1024))
    server.start()
    try:
        assert add_sftp(run_cli, server, root).returncode == 0
        assert run_cli("index", "nas:/").returncode == 0
        assert run_cli("validate", "nas:/", "--mode", "integrity").returncode == 0  # hashes recorded (job 2)
        env = cli_env({**NO_KEYRING, "SD_DESKTOP_REMOTE_VALIDATE_COMMIT_S": "0"})
        cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), "validate", "nas:/", "--mode"]
        proc = subprocess.Popen(
            [*cmd, "integrity"], env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        while _committed_cursor(library_dir, 3) < 8:
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.002)
        server.kill()
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 3, err
        assert err.splitlines()[0] == "job 3 paused; continue it with: sd-desktop jobs resume 3"
        # bytes changed in a file checked and committed before the cut: a resume that checked it
        # again would report it; one that continues does not
        _corrupt_in_place(root / "f0.bin", 10)
        server.start()
        resumed = run_cli("jobs", "resume", "3", "--json")
        assert resumed.returncode == 0, resumed.stderr
        out = resumed.result["output"]
        assert (resumed.result["errors"], out["issues"], out["files_checked"]) == ([], [], 309)
        again = run_cli("validate", "nas:/", "--mode", "integrity", "--json")
        assert [(i["type"], i["path"]) for i in again.result["output"]["issues"]] == [
            ("content_changed_mtime_same", "nas:/f0.bin")
        ]
    finally:
        server.stop()

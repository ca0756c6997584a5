"""FAULTS 24: ``copy NAME:/path DEST`` killed (SIGKILL) right after a finished file got its name and
before that was recorded. The resumed job keeps the one copy the first run made, under the name
it chose, reports it as that run would have ("copied", "renamed", "replaced"), and reads nothing
again; a target the user deleted or replaced meanwhile is not taken for the job's own: the file is
copied again. A real sshd on 127.0.0.1, real CLI processes; the kill is the process's own
``SIGKILL`` sent from a wrapper around the local rename (the exact point, every run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sd_desktop.ops.files.remote_copy import CHUNK
from tests.conftest import REPO, cli_env
from tests.volumes.test_volume_cli import NO_KEYRING, add_sftp

# ``python -c WRAP MODE READS ARGS...``: the CLI, with every read from the volume counted in READS
# (path and bytes, one line each) and, in MODE "kill", a SIGKILL right after the first finished
# part file is renamed to its target (before the job can record it); in MODE "kill-before", just
# before that rename; in MODE "hold", right after a.txt's rename, with b.txt and c.txt in flight
WRAP = """
import os, signal, sys, time
mode, reads, sys.argv = sys.argv[1], sys.argv[2], ["sd-desktop", *sys.argv[3:]]
from sd_desktop.volumes import local_writes, remote

commit = local_writes.LocalWrites.commit


def commit_then_die(self, tmp, dst, *, replace=False):
    if mode == "hold":
        hold(self, tmp, dst, replace)
    if mode == "kill-before" and tmp.endswith(b".sd-part"):
        os.kill(os.getpid(), signal.SIGKILL)
    commit(self, tmp, dst, replace=replace)
    if mode == "kill" and tmp.endswith(b".sd-part"):
        os.kill(os.getpid(), signal.SIGKILL)


def hold(self, tmp, dst, replace):
    # three small files in flight at once: b.txt's rename held back, c.txt placed and its record
    # held back, then a.txt placed and the kill (each rename runs on a thread of its own)
    name = os.path.basename(tmp)
    if name == b".b.txt.sd-part":
        open(reads + ".b", "w").close()
        time.sleep(120)
    if name == b".c.txt.sd-part":
        commit(self, tmp, dst, replace=replace)
        open(reads + ".c", "w").close()
        time.sleep(120)
    if name == b".a.txt.sd-part":
        deadline = time.monotonic() + 60
        while not (os.path.exists(reads + ".b") and os.path.exists(reads + ".c")):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        commit(self, tmp, dst, replace=replace)
        os.kill(os.getpid(), signal.SIGKILL)


local_writes.LocalWrites.commit = commit_then_die
read_ranges = remote.SftpBackend.read_ranges


async def counted(self, path, ranges):
    got = await read_ranges(self, path, ranges)
    with open(reads, "a") as f:
        f.write(f"{path} {sum(map(len, got))}\\n")
    return got


remote.SftpBackend.read_ranges = counted
reader_read = remote._SftpReader.read


async def counted_read(self, want):
    got = await reader_read(self, want)
    if got:
        with open(reads, "a") as f:
            f.write(f"{self._path} {len(got)}\\n")
    return got


remote._SftpReader.read = counted_read
from sd_desktop.__main__ import main
sys.exit(main())
"""

A = os.urandom(300 * 1024)  # tree/a.txt on the volume
# tree/b.txt: larger than a chunk, so it is copied alone, once a.txt is done (small files go several
# at once: a test below has them in flight together)
B = os.urandom(CHUNK + 70 * 1024)


def _wrapped(library_dir, mode: str, reads, *args: str) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-c", WRAP, mode, str(reads), "--library", str(library_dir), *args]
    return subprocess.run(argv, capture_output=True, text=True, env=cli_env(NO_KEYRING), cwd=REPO, timeout=120)


def _read(reads) -> dict[str, int]:
    """Bytes read from the volume per path, as the wrapper counted them."""
    total: dict[str, int] = {}
    if reads.exists():
        for line in reads.read_text().splitlines():
            path, n = line.rsplit(" ", 1)
            total[path] = total.get(path, 0) + int(n)
    return total


@pytest.fixture
def setup(run_cli, sshd, tmp_path, library_dir):
    """A volume holding tree/a.txt and tree/b.txt; a destination already holding tree/a.txt."""
    remote = tmp_path / "remote" / "tree"
    remote.mkdir(parents=True)
    (remote / "a.txt").write_bytes(A)
    (remote / "b.txt").write_bytes(B)
    assert add_sftp(run_cli, sshd, tmp_path / "remote").returncode == 0
    dest = tmp_path / "dest"
    (dest / "tree").mkdir(parents=True)
    (dest / "tree" / "a.txt").write_bytes(b"mine a")
    return dest


def _kill_after_rename(library_dir, tmp_path, dest, policy: str, mode: str = "kill") -> None:
    first = _wrapped(
        library_dir, mode, tmp_path / "reads-1", "copy", "nas:/tree", str(dest), "--on-conflict", policy, "--json"
    )
    assert first.returncode == -9, first.stderr


def _resume(library_dir, tmp_path):
    reads = tmp_path / "reads-2"
    resumed = _wrapped(library_dir, "count", reads, "jobs", "resume", "1", "--json")
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout.splitlines()[-1])
    assert result["errors"] == []
    return result["output"], _read(reads)


def _names(dest) -> list[str]:
    return sorted(p.name for p in (dest / "tree").iterdir())


def _outcomes(out) -> list[tuple[str, str, str]]:
    """(planned name, outcome, reason) of each file listed in the output."""
    return sorted((os.path.basename(o["target"]), o["outcome"], o["reason"]) for o in out["outcomes"])


def test_rename_killed_after_keep_both_placed_the_copy_resumes_without_a_second_copy(library_dir, tmp_path, setup):
    dest = setup
    _kill_after_rename(library_dir, tmp_path, dest, "rename")
    assert _names(dest) == ["a (1).txt", "a.txt"]  # killed right after the rename
    out, reads = _resume(library_dir, tmp_path)
    assert _names(dest) == ["a (1).txt", "a.txt", "b.txt"]
    assert (dest / "tree" / "a.txt").read_bytes() == b"mine a"
    assert (dest / "tree" / "a (1).txt").read_bytes() == A
    assert (dest / "tree" / "b.txt").read_bytes() == B
    assert (out["files"], out["skipped"], out["replaced"], out["renamed"], out["failed"]) == (2, 0, 0, 1, 0)
    assert out["bytes"] == len(A) + len(B)
    assert _outcomes(out) == [("a.txt", "renamed", "kept both: saved as a (1).txt")]
    assert reads == {"tree/b.txt": len(B)}  # a.txt was not read again


def test_skip_killed_after_placing_a_new_file_reports_it_copied_not_skipped(library_dir, tmp_path, setup):
    dest = setup
    _kill_after_rename(library_dir, tmp_path, dest, "skip")
    assert _names(dest) == ["a.txt", "b.txt"]  # a.txt skipped, b.txt placed, then the kill
    out, reads = _resume(library_dir, tmp_path)
    assert _names(dest) == ["a.txt", "b.txt"]
    assert (dest / "tree" / "a.txt").read_bytes() == b"mine a"
    assert (dest / "tree" / "b.txt").read_bytes() == B
    assert (out["files"], out["skipped"], out["replaced"], out["renamed"], out["failed"]) == (1, 1, 0, 0, 0)
    assert out["bytes"] == len(B)
    assert _outcomes(out) == [("a.txt", "skipped", "the target exists")]
    assert reads == {}


def test_overwrite_killed_after_replacing_reports_it_replaced_and_reads_nothing_again(library_dir, tmp_path, setup):
    dest = setup
    _kill_after_rename(library_dir, tmp_path, dest, "overwrite")
    assert (dest / "tree" / "a.txt").read_bytes() == A
    out, reads = _resume(library_dir, tmp_path)
    assert _names(dest) == ["a.txt", "b.txt"]
    assert (dest / "tree" / "a.txt").read_bytes() == A
    assert (dest / "tree" / "b.txt").read_bytes() == B
    assert (out["files"], out["skipped"], out["replaced"], out["renamed"], out["failed"]) == (2, 0, 1, 0, 0)
    assert out["bytes"] == len(A) + len(B)
    assert _outcomes(out) == [("a.txt", "replaced", "the file that was there was replaced")]
    assert reads == {"tree/b.txt": len(B)}


def test_a_copy_the_user_deleted_before_the_resume_is_made_again(library_dir, tmp_path, setup):
    dest = setup
    _kill_after_rename(library_dir, tmp_path, dest, "rename")
    (dest / "tree" / "a (1).txt").unlink()
    out, reads = _resume(library_dir, tmp_path)
    assert _names(dest) == ["a (1).txt", "a.txt", "b.txt"]
    assert (dest / "tree" / "a (1).txt").read_bytes() == A
    assert (out["files"], out["renamed"], out["bytes"]) == (2, 1, len(A) + len(B))
    assert reads == {"tree/a.txt": len(A), "tree/b.txt": len(B)}


def test_a_copy_the_user_replaced_before_the_resume_is_never_taken_for_the_jobs_own(library_dir, tmp_path, setup):
    dest = setup
    _kill_after_rename(library_dir, tmp_path, dest, "rename")
    # another file under that name, of the same size and mtime: only its identity differs
    placed = dest / "tree" / "a (1).txt"
    was = placed.stat()
    theirs = dest / "tree" / "theirs"
    theirs.write_bytes(b"t" * len(A))
    os.utime(theirs, ns=(was.st_atime_ns, was.st_mtime_ns))
    os.replace(theirs, placed)
    out, reads = _resume(library_dir, tmp_path)
    assert _names(dest) == ["a (1).txt", "a (2).txt", "a.txt", "b.txt"]
    assert placed.read_bytes() == b"t" * len(A)
    assert (dest / "tree" / "a (2).txt").read_bytes() == A
    assert (out["files"], out["renamed"], out["bytes"]) == (2, 1, len(A) + len(B))
    assert _outcomes(out) == [("a.txt", "renamed", "kept both: saved as a (2).txt")]
    assert reads == {"tree/a.txt": len(A), "tree/b.txt": len(B)}


def test_overwrite_whose_target_the_user_replaced_before_the_resume_replaces_it_again(library_dir, tmp_path, setup):
    dest = setup
    _kill_after_rename(library_dir, tmp_path, dest, "overwrite")
    (dest / "tree" / "a.txt").unlink()
    (dest / "tree" / "a.txt").write_bytes(b"newer mine")
    out, reads = _resume(library_dir, tmp_path)
    assert (dest / "tree" / "a.txt").read_bytes() == A
    assert (out["files"], out["replaced"], out["bytes"]) == (2, 1, len(A) + len(B))
    assert reads == {"tree/a.txt": len(A), "tree/b.txt": len(B)}


@pytest.mark.parametrize(
    ("policy", "placed", "counts"),
    [("rename", "a (1).txt", (2, 0, 0, 1, 0)), ("overwrite", "a.txt", (2, 0, 1, 0, 0))],
)
def test_killed_once_the_name_was_chosen_but_before_the_rename_places_the_file_once(
    library_dir, tmp_path, setup, policy, placed, counts
):
    dest = setup
    _kill_after_rename(library_dir, tmp_path, dest, policy, "kill-before")
    assert _names(dest) == [".a.txt.sd-part", "a.txt"]
    assert (dest / "tree" / "a.txt").read_bytes() == b"mine a"  # not taken for the job's own
    out, reads = _resume(library_dir, tmp_path)
    assert _names(dest) == sorted({"a.txt", placed, "b.txt"})
    assert (dest / "tree" / placed).read_bytes() == A
    assert (out["files"], out["skipped"], out["replaced"], out["renamed"], out["failed"]) == counts
    assert out["bytes"] == len(A) + len(B)
    assert reads == {"tree/b.txt": len(B)}  # the finished part was placed, not read again


def test_small_files_in_flight_at_once_killed_after_one_rename_are_each_placed_once(
    run_cli, sshd, tmp_path, library_dir
):
    """Three small files copied at once, each with its own name committed: killed right after
    a.txt's rename, with c.txt renamed and not recorded and b.txt about to be renamed. The resume
    places b.txt's finished part and counts all three copied, reading none of them again."""
    files = {"a.txt": os.urandom(40 * 1024), "b.txt": os.urandom(50 * 1024), "c.txt": os.urandom(60 * 1024)}
    remote = tmp_path / "remote" / "tree"
    remote.mkdir(parents=True)
    for name, data in files.items():
        (remote / name).write_bytes(data)
    assert add_sftp(run_cli, sshd, tmp_path / "remote").returncode == 0
    dest = tmp_path / "dest"
    dest.mkdir()
    first = _wrapped(library_dir, "hold", tmp_path / "reads-1", "copy", "nas:/tree", str(dest), "--json")
    assert first.returncode == -9, first.stderr
    assert _names(dest) == [".b.txt.sd-part", "a.txt", "c.txt"]
    out, reads = _resume(library_dir, tmp_path)
    assert _names(dest) == ["a.txt", "b.txt", "c.txt"]
    assert {name: (dest / "tree" / name).read_bytes() for name in files} == files
    assert (out["files"], out["skipped"], out["replaced"], out["renamed"], out["failed"]) == (3, 0, 0, 0, 0)
    assert out["bytes"] == sum(map(len, files.values()))
    assert out["outcomes"] == []
    assert reads == {}  # each placed once, none read again

"""``duplicates PATH... --folders`` as real subprocesses on real trees: the generated corpus's planted
duplicate folders and near misses found exactly (its manifest's ``folder_groups``), the JSON shape,
exit codes 0/2/4, bad input (unreadable folders and files, symlinks, FIFOs), a change the hash cache
must not hide (FAULTS 6), and pause or kill -9 then resume giving the uninterrupted result (FAULTS 15)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sd_desktop.jobs import JobContext, JobManager, JobStatus, codec
from sd_desktop.ops.files.duplicate_folders import FolderConfig
from sd_desktop.ops.files.duplicate_folders.config import FolderState
from sd_desktop.ops.files.duplicate_folders.job import COMMIT_GROUPS
from tests.conftest import REPO, cli_env
from tests.duplicates._helpers import resume_job, resume_with_cli, run_job


@pytest.fixture(scope="module")
def folder_corpus(tmp_path_factory) -> Path:
    from tests.support.make_corpus import main as make_corpus

    out = tmp_path_factory.mktemp("corpus") / "folders"
    make_corpus([str(out), "--files", "400", "--seed", "7", "--folder-copies"])
    return out


def rel_groups(output: dict, root: Path) -> list[list[str]]:
    return sorted(sorted(os.path.relpath(p, root) for p in g["paths"]) for g in output["folder_groups"])


def disk_totals(folder: str) -> tuple[int, int]:
    """(bytes, regular files) below ``folder``, symlinks not followed."""
    size = files = 0
    for dp, _dn, fn in os.walk(folder):
        for name in fn:
            st = os.lstat(os.path.join(dp, name))
            if not os.path.islink(os.path.join(dp, name)):
                size, files = size + st.st_size, files + 1
    return size, files


def test_corpus_folder_groups_exactly(run_cli, folder_corpus):
    tree = (folder_corpus / "tree").resolve()
    manifest = json.loads((folder_corpus / "manifest.json").read_text())
    res = run_cli("duplicates", tree, "--folders", "--json")
    assert res.returncode == 0, res.stderr
    assert res.result["status"] == "completed"
    out = res.result["output"]
    assert rel_groups(out, tree) == manifest["folder_groups"]
    assert ["Copies/atlas", "Copies/backup/atlas"] in manifest["folder_groups"]
    # near misses: one byte in the middle of a 1.5 MiB file, an extra file, a renamed file
    reported = {p for g in rel_groups(out, tree) for p in g}
    assert {m["kind"] for m in manifest["folder_near_misses"]} == {
        "one_byte_in_the_middle",
        "extra_file",
        "renamed_file",
    }
    for miss in manifest["folder_near_misses"]:
        assert miss["path"] not in reported
    # below a duplicated parent, a folder is reported only with a copy outside that parent's group
    for g in rel_groups(out, tree):
        if "Copies/atlas/src" in g:
            assert "Copies/atlas (big byte)/src" in g
    for g in out["folder_groups"]:
        assert set(g) == {"paths", "size", "files"}
        assert (g["size"], g["files"]) == disk_totals(g["paths"][0])
    assert out["group_count"] == len(manifest["folder_groups"])
    assert out["duplicate_folders"] == sum(len(g) - 1 for g in manifest["folder_groups"])
    assert out["wasted_bytes"] == sum(g["size"] * (len(g["paths"]) - 1) for g in out["folder_groups"])
    assert out["files_scanned"] == manifest["totals"]["files"]
    # the text form: each group with its size and file count, then the totals
    text = run_cli("duplicates", tree, "--folders")
    assert text.returncode == 0, text.stderr
    assert f"{len(manifest['folder_groups'])} groups of identical folders" in text.stdout
    assert f"    {tree}/Copies/backup/atlas\n" in text.stdout


def make_project(root: Path, big: int = 2 * 1024 * 1024) -> Path:
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "hollow").mkdir()  # an empty folder counts as content
    (root / "big.bin").write_bytes(bytes(range(256)) * (big // 256))
    (root / "sub" / "a.txt").write_bytes(b"alpha")
    (root / "sub" / "deeper" / "b.txt").write_bytes(b"beta")
    (root / ".hidden").write_bytes(b"secret")
    (root / "empty").write_bytes(b"")
    return root


def test_nested_duplicates_reported_at_the_highest_level_only(run_cli, tmp_path):
    one = make_project(tmp_path / "t" / "one")
    shutil.copytree(one, tmp_path / "t" / "two", symlinks=True)
    shutil.copytree(one / "sub", tmp_path / "t" / "loose", symlinks=True)
    shutil.copytree(one, tmp_path / "t" / "no-hollow", symlinks=True)
    (tmp_path / "t" / "no-hollow" / "hollow").rmdir()
    res = run_cli("duplicates", tmp_path / "t", "--folders", "--json")
    assert res.returncode == 0, res.stderr
    assert rel_groups(res.result["output"], tmp_path / "t") == [
        ["loose", "no-hollow/sub", "one/sub", "two/sub"],  # ``loose`` has no duplicated parent: reported whole
        ["one", "two"],  # not ``no-hollow``: it lacks the empty folder
    ]


def test_changed_file_with_its_mtime_put_back_is_seen(run_cli, tmp_path):
    """FAULTS 4 and 6: a byte changed in the middle of a big file, its mtime restored, after a search
    that put its hash in the cache: the folders are no longer duplicates."""
    one = make_project(tmp_path / "t" / "one")
    shutil.copytree(one, tmp_path / "t" / "two", symlinks=True)
    first = run_cli("duplicates", tmp_path / "t", "--folders", "--json")
    assert rel_groups(first.result["output"], tmp_path / "t") == [["one", "two"]]
    big = tmp_path / "t" / "two" / "big.bin"
    st = big.stat()
    with open(big, "r+b") as f:
        f.seek(st.st_size // 2)
        f.write(b"\xff")
    os.utime(big, ns=(st.st_atime_ns, st.st_mtime_ns))
    again = run_cli("duplicates", tmp_path / "t", "--folders", "--json")
    assert again.returncode == 0, again.stderr
    assert rel_groups(again.result["output"], tmp_path / "t") == [["one/sub", "two/sub"]]


def test_symlinks_are_not_followed_and_fifos_are_skipped(run_cli, tmp_path):
    one = make_project(tmp_path / "t" / "one", big=4096)
    shutil.copytree(one, tmp_path / "t" / "two", symlinks=True)
    os.symlink(one, tmp_path / "t" / "link-to-one")  # a link to a folder is no folder of its own
    os.symlink("sub/a.txt", one / "a-link")
    os.symlink("sub/a.txt", tmp_path / "t" / "two" / "a-link")
    shutil.copytree(tmp_path / "t" / "two", tmp_path / "t" / "other-link", symlinks=True)
    os.unlink(tmp_path / "t" / "other-link" / "a-link")
    os.symlink("sub/deeper/b.txt", tmp_path / "t" / "other-link" / "a-link")  # same name, other target
    os.mkfifo(one / "pipe")  # never opened (a read would hang), and no content
    res = run_cli("duplicates", tmp_path / "t", "--folders", "--json", timeout=60)
    assert res.returncode == 0, res.stderr
    assert rel_groups(res.result["output"], tmp_path / "t") == [
        ["one", "two"],
        ["one/sub", "other-link/sub", "two/sub"],
    ]


def _without_root_read_rights() -> list[str]:
    """As ``test_exit_codes``: drop root's read-anything capabilities, so mode 000 means unreadable."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv (util-linux) to drop root's read-anything capabilities")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--inh-caps=-all"]


def run_unprivileged(library_dir: Path, *args) -> tuple[int, dict, str]:
    cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), *map(str, args), "--json"]
    proc = subprocess.run(
        _without_root_read_rights() + cmd, capture_output=True, text=True, env=cli_env(), cwd=REPO, timeout=120
    )
    result = [json.loads(line) for line in proc.stdout.splitlines() if '"event": "result"' in line][-1]
    return proc.returncode, result, proc.stderr


def test_unreadable_folder_or_file_is_no_duplicate_and_is_reported(library_dir, tmp_path):
    tree = tmp_path / "t"
    for name in ("a", "b", "c", "d"):
        make_project(tree / name, big=4096)
    os.chmod(tree / "b" / "sub" / "deeper", 0)  # the walk cannot list it
    os.chmod(tree / "d" / "sub" / "a.txt", 0)  # listed, but cannot be read
    try:
        code, result, stderr = run_unprivileged(library_dir, "duplicates", tree, "--folders")
    finally:
        os.chmod(tree / "b" / "sub" / "deeper", 0o755)
        os.chmod(tree / "d" / "sub" / "a.txt", 0o644)
    assert code == 4, stderr
    assert result["status"] == "completed_with_errors"
    assert sorted(e["path"] for e in result["errors"]) == [
        str(tree / "b" / "sub" / "deeper"),
        str(tree / "d" / "sub" / "a.txt"),
    ]
    # b's content is not known, d's cannot be read whole; d/sub/deeper is a copy outside {a, c}
    assert rel_groups(result["output"], tree) == [["a", "c"], ["a/sub/deeper", "c/sub/deeper", "d/sub/deeper"]]


@pytest.mark.parametrize(
    "extra",
    [
        ["--mode", "size"],
        ["--min-size", "10"],
        ["--exclude-hidden"],
        ["--ext", "txt"],
        ["--reference", "."],
        ["--link", "hardlink", "--yes"],
    ],
)
def test_file_search_options_are_usage_errors(run_cli, tmp_path, extra):
    (tmp_path / "t").mkdir()
    res = run_cli("duplicates", tmp_path / "t", "--folders", *extra)
    assert res.returncode == 2
    expected = f"--folders compares whole folders, every file included: it takes no {extra[0]}"
    assert res.stderr == f"sd-desktop: error: {expected}\n"


def test_delete_keeps_the_shortest_path_and_trashes_the_other_copies(run_cli, tmp_path):
    one = make_project(tmp_path / "t" / "a", big=4096)
    shutil.copytree(one, tmp_path / "t" / "copy-b", symlinks=True)
    shutil.copytree(one, tmp_path / "t" / "copy-c", symlinks=True)
    shutil.copytree(one / "sub", tmp_path / "t" / "x" / "sub", symlinks=True)
    for policy, mode, code in (("keep-oldest", "trash", 2), ("keep-shortest-path", "permanent", 2)):
        res = run_cli("duplicates", tmp_path / "t", "--folders", "--delete", policy, "--mode-delete", mode)
        assert res.returncode == code
        assert res.stderr.count("\n") == 1, res.stderr
    res = run_cli("duplicates", tmp_path / "t", "--folders", "--delete", "keep-shortest-path", "--json")
    assert res.returncode == 0, res.stderr
    search, removal = [x for x in res.lines if x.get("event") == "result"]
    assert rel_groups(search["output"], tmp_path / "t") == [
        ["a", "copy-b", "copy-c"],
        ["a/sub", "copy-b/sub", "copy-c/sub", "x/sub"],  # the copies inside copy-b and copy-c go with them
    ]
    outcomes = [(os.path.relpath(o["path"], tmp_path / "t"), o["outcome"]) for o in removal["output"]["outcomes"]]
    assert outcomes == [("copy-b", "trashed"), ("copy-c", "trashed"), ("x/sub", "trashed")]
    assert sorted(os.listdir(tmp_path / "t")) == ["a", "x"]
    assert sorted(os.listdir(tmp_path / "t" / "a")) == [".hidden", "big.bin", "empty", "hollow", "sub"]


def test_a_file_path_is_a_usage_error(run_cli, tmp_path):
    (tmp_path / "f.txt").write_bytes(b"x")
    res = run_cli("duplicates", tmp_path / "f.txt", "--folders")
    assert res.returncode == 2
    assert res.stderr.strip() == f"sd-desktop: error: --folders compares folders: {tmp_path / 'f.txt'} is not a folder"


# -- interrupted and resumed (FAULTS 15) --------------------------------------------------------
GROUPS = 16 * COMMIT_GROUPS  # sixteen checkpoints of confirmed groups at least


@pytest.fixture(scope="module")
def pairs_tree(tmp_path_factory) -> Path:
    """``GROUPS`` pairs of identical folders (p<i> and q<i>), each pair different from the others."""
    root = tmp_path_factory.mktemp("folderpairs") / "tree"
    for i in range(GROUPS):
        data = os.urandom(5000 + i)
        for side in ("p", "q"):
            d = root / f"{side}{i:04d}"
            d.mkdir(parents=True)
            (d / "one.bin").write_bytes(data)
            (d / "two.txt").write_bytes(b"%d" % i)
    return root


def expected_pairs() -> list[list[str]]:
    return sorted([f"p{i:04d}", f"q{i:04d}"] for i in range(GROUPS))


def stored_state(db_path, job_id) -> tuple[str, FolderState]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)  # never creates it
    try:
        status, state = conn.execute("SELECT status, state FROM job WHERE id = ?", (job_id,)).fetchone()
    finally:
        conn.close()
    return status, codec.unpack(state, FolderState)


def test_pause_after_a_checkpoint_then_resume_equals_uninterrupted(library, pairs_tree, monkeypatch):
    cfg = FolderConfig(search_paths=[pairs_tree])
    original = JobContext.checkpoint
    calls = []

    async def checkpoint_then_pause(self, fn=None, **kw):
        result = await original(self, fn, **kw)
        calls.append(1)
        if len(calls) == 2:  # the scan's, then the first batch of confirmed groups
            await self.manager.pause(self.job_id)
        return result

    async def first() -> int:
        manager = JobManager(library, run_queued=True)
        await manager.start()
        job_id = await manager.enqueue("duplicate_folders", cfg)
        info = await manager.wait(job_id)
        await manager.shutdown()
        assert info.status is JobStatus.PAUSED
        return job_id

    monkeypatch.setattr(JobContext, "checkpoint", checkpoint_then_pause)
    job_id = asyncio.run(first())
    monkeypatch.setattr(JobContext, "checkpoint", original)
    status, state = stored_state(library.db_path, job_id)
    assert (state.phase, state.cursor, state.results) == ("confirm", COMMIT_GROUPS, COMMIT_GROUPS)
    info = resume_job(library, job_id)
    assert info.status is JobStatus.COMPLETED
    assert rel_groups(info.output, pairs_tree) == expected_pairs()
    reference = run_job(library, "duplicate_folders", cfg)
    assert reference.output["folder_groups"] == info.output["folder_groups"]


def test_kill_9_while_confirming_then_resume(pairs_tree, library_dir):
    from sd_desktop.library import Library

    Library.open(library_dir).close()
    cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), "duplicates", str(pairs_tree)]
    proc = subprocess.Popen(
        [*cmd, "--folders", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(), cwd=REPO
    )
    db_path = library_dir / "library.db"
    cursor = None
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                _status, state = stored_state(db_path, 1)
            except (sqlite3.Error, TypeError, codec.CodecError):
                time.sleep(0.002)
                continue
            if state.phase == "confirm" and state.cursor > 0:
                os.kill(proc.pid, signal.SIGSTOP)  # freeze it, read what is committed, then kill
                _status, state = stored_state(db_path, 1)
                cursor = state.cursor
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.002)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert cursor is not None, "the job finished before it could be killed mid-way"
    assert 0 < cursor < GROUPS
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    result = resume_with_cli(library_dir)
    assert result["status"] == "completed"
    assert rel_groups(result["output"], pairs_tree) == expected_pairs()


def test_a_folder_given_twice_or_nested_is_never_its_own_duplicate(run_cli, tmp_path):
    """FAULTS 1 and 2 for folders: the same folder reached twice, and a copy whose files are hard
    links of the other's (``cp -al``: removing it frees nothing), are no duplicates."""
    one = make_project(tmp_path / "t" / "one", big=4096)
    links = tmp_path / "t" / "links"
    for dp, _dn, fn in os.walk(one):
        rel = os.path.relpath(dp, one)
        os.makedirs(links / rel, exist_ok=True)
        for name in fn:
            os.link(os.path.join(dp, name), links / rel / name)
    res = run_cli("duplicates", one, one, tmp_path / "t" / "one" / "sub", tmp_path / "t", "--folders", "--json")
    assert res.returncode == 0, res.stderr
    assert res.result["output"]["folder_groups"] == []
    shutil.copytree(one, tmp_path / "t" / "copy", symlinks=True)  # a real copy is one
    res = run_cli("duplicates", tmp_path / "t", "--folders", "--json")
    assert rel_groups(res.result["output"], tmp_path / "t") == [["copy", "links"]]


def test_a_pause_mid_group_keeps_what_was_read_in_the_hash_cache(library, tmp_path, monkeypatch):
    """A pause while a big group is read: the files read whole so far go to the hash cache, so the
    resumed job reads only the others."""
    from sd_desktop.ops.files.duplicate_folders import content

    one = tmp_path / "t" / "one"
    one.mkdir(parents=True)
    for i in range(4):
        (one / f"part{i}.bin").write_bytes(os.urandom(300_000))
    shutil.copytree(one, tmp_path / "t" / "two")
    original = content.Pipeline.full
    reads = []
    hooks: dict = {}

    def full_then_pause(self, info, fd):
        digest = original(self, info, fd)
        reads.append(info.path)
        if len(reads) == 3:  # three of eight files read: ask for a pause (from this worker thread)
            asyncio.run_coroutine_threadsafe(hooks["manager"].pause(hooks["job_id"]), hooks["loop"])
            time.sleep(0.5)  # the pause lands before the next file
        return digest

    async def first() -> int:
        manager = JobManager(library, run_queued=True)
        await manager.start()
        hooks.update(manager=manager, loop=asyncio.get_running_loop())
        hooks["job_id"] = await manager.enqueue("duplicate_folders", FolderConfig(search_paths=[tmp_path / "t"]))
        info = await manager.wait(hooks["job_id"])
        await manager.shutdown()
        assert info.status is JobStatus.PAUSED
        return hooks["job_id"]

    monkeypatch.setattr(content.Pipeline, "full", full_then_pause)
    job_id = asyncio.run(first())
    monkeypatch.setattr(content.Pipeline, "full", original)
    assert len(reads) == 3
    info = resume_job(library, job_id)
    assert info.status is JobStatus.COMPLETED
    assert rel_groups(info.output, tmp_path / "t") == [["one", "two"]]
    assert info.output["files_hashed"] == 8 - 3  # the three read before the pause came from the cache

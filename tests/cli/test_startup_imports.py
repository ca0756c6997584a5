"""A command loads only what it uses: ``--version`` neither the engine nor its libraries, and the
read-only commands (``location list``, ``jobs list``, ``info``) no peewee, no job module and no
multiprocessing. Checked in real processes, from the modules loaded at their end."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

import pytest

from sd_desktop.enums import JobStatus
from sd_desktop.jobs import JobInfo
from sd_desktop.library import SCHEMA_VERSION, Library, jobstore
from sd_desktop.library.locations import add_location
from tests.conftest import REPO, cli_env
from tests.support.modules_loaded import SCRIPT as RUN

# what a command that runs no job must not import (each is a noticeable part of a start-up)
STORED = [s for s in JobStatus if s is not JobStatus.RUNNING]
ENGINE = ("asyncio", "msgpack", "peewee", "psutil", "PySide6", "multiprocessing", "blake3", "pathspec", "PIL")


def imported(tmp_path, *args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run the CLI with ``ARGS`` in a process of its own; its result and every module it loaded
    (``sys.modules`` at its end: ``-X importtime`` misses what ``importlib.import_module`` loads)."""
    out = tmp_path / "modules.json"
    argv = [sys.executable, "-c", RUN, str(out), *args]
    proc = subprocess.run(argv, capture_output=True, text=True, env=cli_env(), cwd=REPO, timeout=60)
    return proc, set(json.loads(out.read_text()))


def heavy(names: set[str]) -> list[str]:
    """The modules of ``ENGINE`` (and their sub-modules) among ``names``."""
    return sorted(n for n in names if n.split(".")[0] in ENGINE)


def ours(names: set[str], *prefixes: str) -> list[str]:
    return sorted(n for n in names if n.startswith(prefixes))


@pytest.fixture
def populated(library_dir, tmp_path):
    """A library with a location and a job of each status but running (a running job that no process
    runs is recovered first: see the last test), as the engine stores them."""
    with Library.open(library_dir) as lib:
        add_location(lib, tmp_path)

        def plant(conn):
            for n, status in enumerate(STORED):
                jobstore.insert(
                    conn,
                    name="file_copy",
                    version=1,
                    config=b"\x80",
                    config_key=f"k{n}",
                    target=f"/t/{n}",
                    priority=n % 2,
                    parent_id=None,
                    now=1000.0 + n,
                )
                conn.execute(
                    "UPDATE job SET status = ?, progress = ?, error = ?, error_count = ? WHERE id = ?",
                    (status, json.dumps({"phase": "copying", "done": n, "total": 9}), f"e{n}" if n else None, n, n + 1),
                )

        lib.write_sync(plant)
    return library_dir


def test_version_imports_no_engine(tmp_path):
    proc, names = imported(tmp_path, "--version")
    assert proc.returncode == 0 and proc.stdout.startswith("sd-desktop "), proc.stderr
    assert sorted(names & {"argparse", "sd_desktop.cli"}) == []
    assert heavy(names) == []
    assert ours(names, "sd_desktop.jobs", "sd_desktop.ops", "sd_desktop.ui", "sd_desktop.volumes") == []
    assert ours(names, "sd_desktop.commands.", "sd_desktop.library") == []  # not even what every command shares


# as text: the CLI's own path (``--json`` on a healthy library is answered before it: next test)
@pytest.mark.parametrize("command", [("location", "list"), ("jobs", "list"), ("info", ".", "--json")])
def test_read_only_commands_import_no_peewee_jobs_or_multiprocessing(populated, tmp_path, command):
    proc, names = imported(tmp_path, "--library", str(populated), *command)
    assert proc.returncode == 0, proc.stderr
    assert heavy(names) == []
    assert ours(names, "sd_desktop.jobs", "sd_desktop.ops", "sd_desktop.ui", "sd_desktop.volumes") == []
    assert ours(names, "sd_desktop.library.library", "sd_desktop.library.models", "sd_desktop.engine") == []
    # the command's own module and nothing of the others
    assert ours(names, "sd_desktop.commands.") == ["sd_desktop.commands.common", f"sd_desktop.commands.{command[0]}"]


@pytest.mark.parametrize("command", [("location", "list"), ("jobs", "list")])
def test_list_commands_as_json_answer_before_the_cli_loads(populated, tmp_path, command):
    """``quick_answers``: on a healthy library, neither the CLI (argparse) nor pathlib, typing or the
    library's error modules; a cold start reads each of them from disk."""
    proc, names = imported(tmp_path, "--library", str(populated), *command, "--json")
    assert proc.returncode == 0, proc.stderr
    assert sorted(names & {"argparse", "pathlib", "typing", "dataclasses", "sd_desktop.cli"}) == []
    assert ours(names, "sd_desktop") == [
        "sd_desktop",
        "sd_desktop.__main__",
        "sd_desktop.library",
        "sd_desktop.library.light_reads",
        "sd_desktop.library.migrations",
        "sd_desktop.quick_answers",
    ]


def test_a_command_that_runs_jobs_still_loads_them(populated, tmp_path):
    proc, names = imported(tmp_path, "--library", str(populated), "jobs", "schema", "--json")
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)["output"]
    assert {"file_copy", "indexer", "duplicate_detection", "delete", "trash_restore"} <= set(schema)


def test_jobs_list_rows_read_as_the_engine_shows_them(populated):
    """``jobs list`` renders rows itself (no engine): the same objects as ``JobInfo.to_json``, key by key
    and in the same order, for every status."""
    with Library.open(populated) as lib:
        records = lib.read_sync(lambda c: jobstore.history(c, 50))
    assert len(records) == len(STORED)
    for record in records:
        light = jobstore.summary(record)
        assert list(light.items()) == list(JobInfo.from_record(record).to_json().items())
    proc = subprocess.run(
        [sys.executable, "-m", "sd_desktop", "--library", str(populated), "jobs", "list", "--json"],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)["output"]["jobs"]
    assert listed == [JobInfo.from_record(r).to_json() for r in records]
    assert [j["status"] for j in listed] == [s.value for s in reversed(STORED)]  # newest first


@pytest.mark.parametrize(
    "command, output",
    [
        (("location", "list"), {"locations": []}),
        (("jobs", "list"), {"jobs": []}),
    ],
)
def test_reading_where_there_is_no_library_creates_none(tmp_path, run_cli, command, output):
    """What today's empty library shows, but nothing is made: no folder, no database, no lock."""
    for library in (tmp_path / "none", tmp_path / "empty-folder"):
        if library.name == "empty-folder":
            library.mkdir()
        res = run_cli(*command, "--json", library=library)
        assert (res.returncode, res.result["output"], res.result["status"]) == (0, output, "completed"), res.stderr
        assert (sorted(p.name for p in library.iterdir()) if library.exists() else None) == (
            [] if library.name == "empty-folder" else None
        )


def test_info_where_there_is_no_library(tmp_path, run_cli):
    (tmp_path / "a.txt").write_bytes(b"abc")
    res = run_cli("info", str(tmp_path / "a.txt"), "--json", library=tmp_path / "none")
    assert res.returncode == 0, res.stderr
    out = res.result["output"]
    assert (out["kind"], out["size"], out["indexed"], out["location_id"]) == ("file", 3, False, None)
    assert not (tmp_path / "none").exists()


def test_a_library_of_a_newer_build_is_refused_by_a_read(run_cli, library_dir):
    Library.open(library_dir).close()
    conn = sqlite3.connect(library_dir / "library.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    for command in (("location", "list"), ("jobs", "list")):
        res = run_cli(*command)
        assert res.returncode == 1
        assert res.stderr == (
            f"sd-desktop: this library has schema version {SCHEMA_VERSION + 1}, but this sd_desktop only knows "
            f"versions up to {SCHEMA_VERSION}; upgrade sd_desktop to open it\n"
        )


def test_jobs_list_recovers_a_job_a_crash_left_running(populated, run_cli, library_dir):
    """No process owns the library: a job stored as running was stopped by a crash; the listing shows
    it recovered (queued, interrupted once), as the engine's start-up recovery stores it."""
    with Library.open(library_dir) as lib:
        lib.write_sync(lambda c: c.execute("UPDATE job SET status = 'running' WHERE id = 2"))
        assert lib.read_sync(lambda c: jobstore.get(c, 2)).interrupted == 0
    started = time.time()
    listed = {j["id"]: j for j in run_cli("jobs", "list", "--json").result["output"]["jobs"]}
    assert (listed[2]["status"], listed[2]["interrupted"]) == ("queued", 1)
    with Library.open(library_dir) as lib:
        row = lib.read_sync(lambda c: jobstore.get(c, 2))
    assert (row.status, row.interrupted) == (JobStatus.QUEUED, 1) and row.updated_at >= started


def _small_tree(root):
    root.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (root / name).write_bytes(b"the same bytes")
    (root / "other.txt").write_bytes(b"something else")
    return root


def test_duplicates_loads_only_the_jobs_it_runs(tmp_path, library_dir):
    tree = _small_tree(tmp_path / "tree")
    proc, names = imported(tmp_path, "--library", str(library_dir), "duplicates", str(tree), "--json")
    assert proc.returncode == 0, proc.stderr
    [group] = json.loads(proc.stdout.splitlines()[-1])["output"]["groups"]
    assert sorted(group["paths"]) == [str(tree / n) for n in ("a.txt", "b.txt", "c.txt")]
    # the search only: the removal (--delete) and its modules are loaded by the option that asks for
    # it; not the thumbnails, trash, validation or index jobs, nor what only they use (Pillow,
    # pathspec) in this process (a walker's fork server is another)
    assert "sd_desktop.ops.files.duplicate_detection" in names
    assert ours(names, "sd_desktop.ops.files.delete", "sd_desktop.commands.delete", "sd_desktop.ops.files.link") == []
    assert ours(names, "sd_desktop.ops.files.duplicate_detection.export", "sd_desktop.ops.files.fsops") == []
    assert sorted({n.split(".")[0] for n in heavy(names)} - {"asyncio", "msgpack", "peewee", "psutil", "blake3"}) == [
        "multiprocessing"  # the walker's fork server
    ]
    assert ours(names, "sd_desktop.ops.media", "sd_desktop.ops.files.trash") == []
    assert ours(names, "sd_desktop.ops.files.validation", "sd_desktop.ops.indexing.job") == []
    assert ours(names, "psutil") == []  # the volumes are listed by the commands that show them


def test_a_search_of_an_unchanged_tree_imports_no_write_side_modules(tmp_path, library_dir):
    """The answer without the engine reads: the local writes' modules (``ctypes``, ``hashlib`` with
    libcrypto, the trash's) are read from disk only by the writes that use them."""
    tree = _small_tree(tmp_path / "tree")
    argv = ["--library", str(library_dir), "duplicates", str(tree), "--json"]
    assert imported(tmp_path, *argv)[0].returncode == 0
    proc, names = imported(tmp_path, *argv)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1])["output"]["unchanged_since"] is not None
    assert "sd_desktop.commands.duplicates_unchanged" in names
    assert ours(names, "sd_desktop.volumes.localfs", "sd_desktop.volumes.freedesktop_trash") == []
    assert sorted(names & {"ctypes", "hashlib", "secrets", "difflib"}) == []


def test_a_job_a_crash_left_running_is_recovered_by_a_command_that_does_not_run_its_kind(
    tmp_path, library_dir, run_cli
):
    """``duplicates`` loads only its own jobs; a thumbnail job a crash left running is still recovered
    as the job it is (queued again, interrupted once), not failed as one this build does not know."""
    tree = _small_tree(tmp_path / "tree")
    with Library.open(library_dir) as lib:

        def plant(conn):
            job_id = jobstore.insert(
                conn,
                name="thumbnails",
                version=1,
                config=b"\x80",
                config_key="k",
                target="/somewhere",
                priority=0,
                parent_id=None,
                now=1.0,
            )
            conn.execute("UPDATE job SET status = 'running' WHERE id = ?", (job_id,))

        lib.write_sync(plant)
    res = run_cli("duplicates", str(tree), "--json")
    assert res.returncode == 0, res.stderr
    with Library.open(library_dir) as lib:
        row = lib.read_sync(lambda c: jobstore.get(c, 1))
    assert (row.name, row.status, row.interrupted, row.error) == ("thumbnails", JobStatus.QUEUED, 1, None)


def test_each_built_in_job_loads_alone_by_its_name():
    """``ops.load([name])`` registers that job (its module is the one named for it), in a process that
    loaded no other job module; together the names are every job ``load_all`` registers."""
    from sd_desktop import ops

    code = (
        "import sys\nfrom sd_desktop import ops\nfrom sd_desktop.jobs import job_class\n"
        "ops.load([sys.argv[1]])\nprint(job_class(sys.argv[1]).NAME)\n"
    )
    for name in ops.JOB_MODULE_OF:
        proc = subprocess.run(
            [sys.executable, "-c", code, name], capture_output=True, text=True, env=cli_env(), cwd=REPO, timeout=60
        )
        assert (proc.returncode, proc.stdout) == (0, f"{name}\n"), proc.stderr
    everything = (
        "from sd_desktop import ops\nfrom sd_desktop.jobs import registered\n"
        "ops.load_all()\nprint(sorted(registered()))"
    )
    proc = subprocess.run([sys.executable, "-c", everything], capture_output=True, text=True, env=cli_env(), cwd=REPO)
    assert proc.stdout.strip() == str(sorted(ops.JOB_MODULE_OF)), proc.stderr


def test_a_job_command_loads_every_job_but_not_what_only_some_jobs_use(tmp_path, library_dir):
    """`validate` loads all the job modules (a crash-left job of any kind must be recoverable), but the
    libraries one job alone needs load with that job's work: numpy and imagehash (similar pictures),
    watchdog (the window's live index), Qt."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.txt").write_text("a")
    proc, names = imported(tmp_path, "--library", str(library_dir), "validate", str(tree))
    assert proc.returncode == 0, proc.stderr
    assert "sd_desktop.ops.media.similar.job" in names  # every job is registered ...
    late = sorted(n for n in names if n.split(".")[0] in {"numpy", "imagehash", "scipy", "pywt", "watchdog", "PySide6"})
    assert late == []  # ... without what only some of them use

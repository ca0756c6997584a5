"""``duplicates PATH --json`` on an unchanged tree is answered without the job engine
(``commands.duplicates_unchanged``) and says and records exactly what the job says and records; any
change, as the job's own rules see it, and any library the job must handle itself, runs the job.

Real processes on real trees: ``python -m sd_desktop`` (the quick path first) against the CLI's
``main`` called directly (always the job)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sd_desktop.enums import JobStatus
from sd_desktop.library import Library, jobstore
from tests.conftest import REPO, cli_env
from tests.support.modules_loaded import SCRIPT as WITH_MODULES

CLI_ONLY = "import sys; from sd_desktop.cli import main; sys.exit(main())"
ENGINE = ("asyncio", "peewee", "psutil", "multiprocessing", "PIL", "sd_desktop.jobs.manager", "sd_desktop.cli")


def search(library, *args, job: bool = False, modules=None) -> tuple[int, list[dict], str]:
    """Exit code, the JSON lines and stderr of ``duplicates ARGS --json``; ``job``: through the CLI
    (the job always); ``modules``: a file to write the modules loaded to."""
    if job:
        head = [sys.executable, "-c", CLI_ONLY]
    elif modules is not None:
        head = [sys.executable, "-c", WITH_MODULES, str(modules)]
    else:
        head = [sys.executable, "-m", "sd_desktop"]
    argv = [*head, "--library", str(library), "duplicates", *map(str, args), "--json"]
    proc = subprocess.run(argv, capture_output=True, text=True, env=cli_env(), cwd=REPO, timeout=120)
    return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines()], proc.stderr


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"
    (root / "sub" / "deeper").mkdir(parents=True)
    for name, data in {
        "a.txt": b"same content",
        "b.txt": b"same content",
        "sub/c.txt": b"same content",
        "sub/d.bin": b"other bytes!",  # same size as the group, other content
        "sub/deeper/e.bin": b"other bytes!",
        "f.txt": b"alone",
        "caf\xe9.txt": b"alone",  # a name that is not UTF-8: same size as f.txt, same bytes
    }.items():
        path = os.fsencode(root) + b"/" + (name.encode("latin-1") if "\xe9" in name else name.encode())
        with open(path, "wb") as f:
            f.write(data)
    return root


def _row(library, job_id):
    with Library.open(library) as lib:
        return lib.read_sync(lambda c: jobstore.get(c, job_id))


def _same_but_times(a, b) -> None:
    """Two job rows equal in all but their id and times."""
    skip = {"id", "created_at", "started_at", "finished_at", "updated_at"}
    assert {k: v for k, v in a._asdict().items() if k not in skip} == {
        k: v for k, v in b._asdict().items() if k not in skip
    }


def test_an_unchanged_tree_is_answered_without_the_engine_as_the_job_answers(tree, tmp_path):
    library = tmp_path / "lib"
    code, first, err = search(library, tree)
    assert code == 0, err
    assert first[-1]["output"]["unchanged_since"] is None and first[-1]["output"]["group_count"] == 3
    # the job on the unchanged tree: its answer and its row
    code, by_job, err = search(library, tree, job=True)
    assert code == 0, err
    assert by_job[-1]["output"]["unchanged_since"] is not None
    # the same search answered here
    code, quick, err = search(library, tree, modules=tmp_path / "modules.json")
    assert (code, err) == (0, "")
    loaded = json.loads((tmp_path / "modules.json").read_text())
    assert sorted(m for m in loaded if m.startswith(ENGINE)) == []
    # the job's lines: its events (the comparison's progress as the job reports its first folder; a
    # walk longer than 0.2 s adds reports) and its result
    assert [line["job_id"] for line in quick] == [3] * len(by_job)
    assert [{**line, "job_id": 0} for line in quick] == [{**line, "job_id": 0} for line in by_job]
    _same_but_times(_row(library, 3), _row(library, 2))
    # the run is a job like the others: listed, shown with its output, in the order it ran
    listed = json.loads(
        subprocess.run(
            [sys.executable, "-m", "sd_desktop", "--library", str(library), "jobs", "list", "--json"],
            capture_output=True,
            text=True,
            env=cli_env(),
            timeout=60,
        ).stdout
    )["output"]["jobs"]
    assert [(j["id"], j["name"], j["status"]) for j in listed] == [
        (n, "duplicate_detection", "completed") for n in (3, 2, 1)
    ]
    row = _row(library, 3)
    assert row.created_at <= row.started_at <= row.finished_at == row.updated_at
    shown = subprocess.run(
        [sys.executable, "-m", "sd_desktop", "--library", str(library), "jobs", "show", "3", "--json"],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=60,
    )
    assert json.loads(shown.stdout)["output"] == quick[-1]["output"]


def _rewrite_in_place(path, data: bytes) -> None:
    """New content of the same size with the old mtime put back: only the ctime tells."""
    st = os.stat(path)
    assert len(data) == st.st_size
    with open(path, "r+b") as f:
        f.write(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize(
    "change",
    [
        lambda root: _rewrite_in_place(root / "b.txt", b"same c0ntent"),
        lambda root: (root / "sub" / "deeper" / "new.txt").write_bytes(b"same content"),
        lambda root: (root / "f.txt").unlink(),
        lambda root: (root / "sub" / "empty").mkdir(),
        lambda root: os.rename(root / "a.txt", root / "z.txt"),
    ],
    ids=["one-byte-same-size-mtime-restored", "a-copy-added", "removed", "empty-folder", "renamed"],
)
def test_a_changed_tree_runs_the_job(tree, tmp_path, change):
    library = tmp_path / "lib"
    assert search(library, tree)[0] == 0
    change(tree)
    code, lines, err = search(library, tree, modules=tmp_path / "modules.json")
    assert code == 0, err
    assert "sd_desktop.jobs.manager" in json.loads((tmp_path / "modules.json").read_text())  # the job ran
    result = lines[-1]
    fresh = search(tmp_path / "fresh", tree)[1][-1]  # what a library that never saw the tree finds
    assert result["output"]["unchanged_since"] is None
    assert result["output"]["groups"] == fresh["output"]["groups"]


def test_a_job_a_crash_left_running_is_recovered_by_the_job(tree, tmp_path):
    """The engine recovers it at its start (queued again, interrupted once): the job runs the search."""
    library = tmp_path / "lib"
    assert search(library, tree)[0] == 0

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

    with Library.open(library) as lib:
        lib.write_sync(plant)
    code, lines, err = search(library, tree, modules=tmp_path / "modules.json")
    assert code == 0, err
    assert "sd_desktop.jobs.manager" in json.loads((tmp_path / "modules.json").read_text())
    assert lines[-1]["job_id"] == 3 and lines[-1]["output"]["unchanged_since"] is not None
    row = _row(library, 2)
    assert (row.name, row.status, row.interrupted) == ("thumbnails", JobStatus.QUEUED, 1)
    # recovered, it waits for a resume, which the engine of a search would not give it: the next
    # search needs no engine
    code, lines, err = search(library, tree, modules=tmp_path / "modules.json")
    assert (code, err) == (0, "")
    assert "sd_desktop.jobs.manager" not in json.loads((tmp_path / "modules.json").read_text())
    assert lines[-1]["job_id"] == 4 and _row(library, 2) == row


def test_a_library_in_use_is_refused_as_the_job_refuses_it(tree, tmp_path):
    library = tmp_path / "lib"
    assert search(library, tree)[0] == 0
    with Library.open(library):
        quick = search(library, tree)
        by_job = search(library, tree, job=True)
    assert quick == by_job
    assert quick[0] == 1 and quick[2] == f"sd-desktop: library in use by PID {os.getpid()} ({library})\n"


def test_the_constants_it_shares_with_the_job_and_the_command():
    from sd_desktop.commands import duplicates, duplicates_unchanged
    from sd_desktop.ops.files.duplicate_detection import DuplicateDetectionJob
    from sd_desktop.quick_answers import DUPLICATE_MODES

    assert (duplicates_unchanged.JOB_NAME, duplicates_unchanged.JOB_VERSION) == (
        DuplicateDetectionJob.NAME,
        DuplicateDetectionJob.VERSION,
    )
    assert DUPLICATE_MODES == duplicates.MODES


@pytest.mark.parametrize(
    "args",
    [
        ("{T}", "--json", "{T}/sub"),  # argparse takes the paths in one run
        ("{T}", "--mode", "deep", "{T}/sub", "--json"),
        ("{T}", "{T}/missing", "--json"),
        ("{T}", "--mode", "fast", "--json"),
    ],
)
def test_command_lines_argparse_refuses_are_refused_as_before(tree, tmp_path, args):
    library = tmp_path / "lib"
    assert search(library, tree)[0] == 0
    argv = ["--library", str(library), "duplicates", *(a.replace("{T}", str(tree)) for a in args)]
    runs = [
        subprocess.run([*head, *argv], capture_output=True, text=True, env=cli_env(), cwd=REPO, timeout=60)
        for head in ([sys.executable, "-m", "sd_desktop"], [sys.executable, "-c", CLI_ONLY])
    ]
    assert [(r.returncode, r.stdout, r.stderr) for r in runs][0] == [(r.returncode, r.stdout, r.stderr) for r in runs][
        1
    ]
    assert runs[0].returncode == 2 and runs[0].stdout == "" and runs[0].stderr.startswith("sd-desktop")


def test_paths_after_json_before_them_are_one_run(tree, tmp_path):
    """``duplicates --json A B``: argparse takes both paths; so does the quick path."""
    library = tmp_path / "lib"
    assert search(library, tree, tree / "sub")[0] == 0
    argv = [
        sys.executable,
        "-m",
        "sd_desktop",
        "--library",
        str(library),
        "duplicates",
        "--json",
        str(tree),
        str(tree / "sub"),
    ]
    proc = subprocess.run(argv, capture_output=True, text=True, env=cli_env(), cwd=REPO, timeout=60)
    result = json.loads(proc.stdout.splitlines()[-1])
    assert (proc.returncode, result["job_id"]) == (0, 2)
    assert result["output"]["unchanged_since"] is not None
    assert result["output"]["search_paths"] == [str(tree), str(tree / "sub")]

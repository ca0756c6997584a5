"""The job registry knows the classes that registered and nothing else: the engine never imports job
modules itself; the entry points (the CLI here, as a real subprocess) load them once."""

from __future__ import annotations

import subprocess
import sys

from sd_desktop.jobs import codec
from tests.conftest import REPO, cli_env
from tests.engine import jobs_for_tests as tj

BUILT_IN = [
    "cross_duplicates",
    "delete",
    "duplicate_detection",
    "duplicate_folders",
    "file_copy",
    "file_validation",
    "indexer",
    "link_duplicates",
    "lint",
    "live_indexer",
    "remote_copy",
    "remote_delete",
    "remote_indexer",
    "remote_upload",
    "remote_validation",
    "similar_pictures",
    "thumbnails",
    "trash_restore",
]


def test_the_engine_alone_knows_no_job_and_imports_none():
    code = (
        "import sys\n"
        "from sd_desktop.jobs import JobStateError, job_class, registered\n"
        "try:\n"
        "    job_class('indexer')\n"
        "except JobStateError as exc:\n"
        "    print(exc)\n"
        "print(sorted(registered()))\n"
        "print(sorted(m for m in sys.modules if m.startswith('sd_desktop.ops.')))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(), cwd=REPO, check=True
    )
    assert proc.stdout.splitlines() == [
        "unknown job type 'indexer': this build of sd_desktop cannot run it",
        "[]",
        "[]",
    ]


def test_the_cli_loads_every_built_in_job_once(run_cli):
    res = run_cli("jobs", "schema", "--json")
    assert res.returncode == 0, res.stderr
    assert sorted(res.result["output"]) == BUILT_IN


def test_a_stored_job_of_an_unknown_name_fails_alone_with_one_clear_line(run_cli, library_dir):
    from sd_desktop.library import Library

    with Library.open(library_dir) as lib:

        def plant(conn):
            blob = codec.pack(tj.CountConfig(n=3))
            conn.execute(
                "INSERT INTO job (name, version, status, config, config_key, state, created_at, updated_at) "
                "VALUES ('no_such_job', 1, 'running', ?, 'k', ?, 1, 1)",
                (blob, codec.pack(tj.CountState(next=1))),
            )

        lib.write_sync(plant)
    res = run_cli("jobs", "resume", "1")
    assert (res.returncode, res.stderr) == (
        1,
        "sd-desktop: job 1 is failed; only paused or interrupted jobs can resume\n",
    )
    shown = run_cli("jobs", "show", "1", "--json").result
    assert (shown["status"], shown["interrupted"]) == ("failed", 1)
    assert shown["error"] == "unknown job type 'no_such_job': this build of sd_desktop cannot run it"
    # the engine goes on: another job runs in that library
    indexed = run_cli("index", REPO / "docs", "--json")
    assert (indexed.returncode, indexed.result["status"]) == (0, "completed")

"""``sd-desktop index`` loads the indexer job alone (the thumbnail job too for a deep run, which
queues it), not the other jobs nor what only they or unused rules need (Pillow, pathspec): each is
part of every index run's start. A job of another kind that a crash left running is still recovered
as the job it is. Checked in real processes, from the modules loaded at their end."""

from __future__ import annotations

import json

from sd_desktop.enums import JobStatus
from sd_desktop.library import Library, jobstore
from tests.cli.test_startup_imports import imported, ours


def small_tree(root):
    root.mkdir()
    (root / "a.txt").write_text("alpha")
    (root / "b.tmp").write_text("beta")
    return root


def result(stdout: str) -> dict:
    return json.loads(stdout.splitlines()[-1])


def test_index_loads_the_indexer_alone(tmp_path, library_dir):
    tree = small_tree(tmp_path / "tree")
    proc, names = imported(tmp_path, "--library", str(library_dir), "index", str(tree), "--json")
    assert proc.returncode == 0, proc.stderr
    out = result(proc.stdout)
    assert (out["status"], out["output"]["files"], out["output"]["hashed"]) == ("completed", 2, 2)
    assert ours(names, "sd_desktop.ops.") == [
        "sd_desktop.ops.indexing",
        "sd_desktop.ops.indexing.config",
        "sd_desktop.ops.indexing.identify",
        "sd_desktop.ops.indexing.job",
        "sd_desktop.ops.indexing.magic",
        "sd_desktop.ops.indexing.persist",
        "sd_desktop.ops.indexing.resumable_walk",
        "sd_desktop.ops.indexing.rules",
        "sd_desktop.ops.indexing.walk_process",
    ]
    assert sorted(n for n in names if n.split(".")[0] in {"PIL", "pathspec", "numpy", "multiprocessing"}) == []


def test_index_with_patterns_loads_pathspec_and_skips_what_they_match(tmp_path, library_dir):
    tree = small_tree(tmp_path / "tree")
    args = ["--library", str(library_dir), "index", str(tree), "--ignore", "*.tmp", "--json"]
    proc, names = imported(tmp_path, *args)
    assert proc.returncode == 0, proc.stderr
    out = result(proc.stdout)["output"]
    assert (out["files"], out["skipped"]) == (1, 1)
    assert "pathspec" in names


def test_deep_index_loads_and_queues_the_thumbnail_job(tmp_path, library_dir):
    tree = small_tree(tmp_path / "tree")
    proc, names = imported(tmp_path, "--library", str(library_dir), "index", str(tree), "--mode", "deep", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "sd_desktop.ops.media.thumbnail.job" in names
    with Library.open(library_dir) as lib:
        rows = lib.read_sync(lambda c: c.execute("SELECT name, parent_id FROM job ORDER BY id").fetchall())
    assert rows == [("indexer", None), ("thumbnails", 1)]


def test_a_job_of_another_kind_a_crash_left_running_is_recovered(tmp_path, library_dir, run_cli):
    tree = small_tree(tmp_path / "tree")
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
    res = run_cli("index", str(tree), "--json")
    assert res.returncode == 0, res.stderr
    with Library.open(library_dir) as lib:
        row = lib.read_sync(lambda c: jobstore.get(c, 1))
    assert (row.name, row.status, row.interrupted, row.error) == ("thumbnails", JobStatus.QUEUED, 1, None)

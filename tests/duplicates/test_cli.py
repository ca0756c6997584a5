"""``sd-desktop duplicates`` as a real subprocess: JSON contract, export, usage errors, guarded delete."""

from __future__ import annotations

import csv
import json
import os

import pytest

from tests.duplicates._helpers import write

DATA = os.urandom(3000)


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "t"
    write(root / "a" / "one.bin", DATA, 1_500_000_000)
    write(root / "b" / "one.bin", DATA, 1_600_000_000)
    write(root / "b" / "copy.bin", DATA, 1_700_000_000)
    write(root / "c" / "other.bin", os.urandom(3000))
    write(root / "c" / "one.bin", os.urandom(3000))  # same name and size as the group, other content
    return root


def test_json_result(run_cli, tree):
    r = run_cli("duplicates", tree, tree / "a", "--json")
    assert r.returncode == 0, r.stderr
    res = r.result
    assert res["status"] == "completed" and res["errors"] == []
    out = res["output"]
    assert out["verified"] is True
    assert out["duplicate_files"] == 2 and out["wasted_bytes"] == 6000
    [g] = out["groups"]
    assert g["size"] == 3000 and len(g["hash"]) == 64
    assert sorted(os.path.relpath(p, tree) for p in g["paths"]) == ["a/one.bin", "b/copy.bin", "b/one.bin"]
    assert {f["mtime_ns"] for f in g["files"]} == {1_500_000_000 * 10**9, 1_600_000_000 * 10**9, 1_700_000_000 * 10**9}
    progress = [x for x in r.lines if x.get("event") == "progress"]
    assert progress and {"phase", "done", "total"} <= set(progress[-1])


def test_name_size_is_labelled(run_cli, tree):
    r = run_cli("duplicates", tree, "--mode", "name-size", "--json")
    out = r.result["output"]
    assert out["verified"] is False and "not verified" in out["note"]
    [g] = out["groups"]
    assert sorted(os.path.relpath(p, tree) for p in g["paths"]) == ["a/one.bin", "b/one.bin", "c/one.bin"]
    human = run_cli("duplicates", tree, "--mode", "size")
    assert human.returncode == 0 and "candidates, not verified" in human.stdout


def test_filters_from_the_command_line(run_cli, tree):
    assert run_cli("duplicates", tree, "--min-size", "3001", "--json").result["output"]["groups"] == []
    assert run_cli("duplicates", tree, "--ext", "txt", "--json").result["output"]["groups"] == []
    assert len(run_cli("duplicates", tree, "--ext", "BIN,txt", "--json").result["output"]["groups"]) == 1


def test_export_json_and_csv(run_cli, tree, tmp_path):
    r = run_cli("duplicates", tree, "--export", tmp_path / "d.json")
    assert r.returncode == 0, r.stderr
    data = json.loads((tmp_path / "d.json").read_text())
    assert data["duplicate_files"] == 2 and len(data["groups"][0]["paths"]) == 3
    r = run_cli("duplicates", tree, "--export", tmp_path / "d.csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader((tmp_path / "d.csv").open()))
    assert len(rows) == 3 and {row["group"] for row in rows} == {"1"}
    assert {row["hash"] for row in rows} == {data["groups"][0]["hash"]}
    assert run_cli("duplicates", tree, "--export", tmp_path / "d.xml").returncode == 2


def test_usage_errors(run_cli, tree):
    missing = run_cli("duplicates", tree / "nope")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    r = run_cli("duplicates", tree, "--mode", "size", "--delete", "keep-oldest")
    assert r.returncode == 2 and "not verified" in r.stderr
    r = run_cli("duplicates", tree, "--delete", "keep-matching")
    assert r.returncode == 2 and "--pattern" in r.stderr
    r = run_cli("duplicates", tree, "--delete", "keep-oldest", "--mode-delete", "permanent")
    assert r.returncode == 2 and "--yes" in r.stderr
    # nothing was removed by any of these
    assert len(list(tree.rglob("*.bin"))) == 5


def test_delete_keep_oldest_through_the_guarded_delete_job(run_cli, tree):
    r = run_cli("duplicates", tree, "--delete", "keep-oldest", "--mode-delete", "permanent", "--yes", "--json")
    assert r.returncode == 0, r.stderr
    results = [x for x in r.lines if x.get("event") == "result"]
    assert [x["name"] for x in results] == ["duplicate_detection", "delete"]
    assert (tree / "a" / "one.bin").read_bytes() == DATA  # the oldest copy stays
    assert not (tree / "b" / "one.bin").exists() and not (tree / "b" / "copy.bin").exists()
    assert (tree / "c" / "one.bin").exists() and (tree / "c" / "other.bin").exists()


def test_a_pattern_covering_every_copy_proposes_nothing(run_cli, tree):
    r = run_cli("duplicates", tree, "--delete", "keep-matching", "--pattern", "*.bin", "--json")
    assert r.returncode == 0 and [x["name"] for x in r.lines if x.get("event") == "result"] == ["duplicate_detection"]
    assert "nothing to remove" in r.stderr
    assert (
        (tree / "a" / "one.bin").exists() and (tree / "b" / "one.bin").exists() and (tree / "b" / "copy.bin").exists()
    )


def test_jobs_run_with_a_json_config(run_cli, tree):
    config = json.dumps({"search_paths": [str(tree)], "mode": "deep", "min_size": 1})
    r = run_cli("jobs", "run", "duplicate_detection", "--config", config, "--json")
    assert r.returncode == 0, r.stderr
    out = r.result["output"]
    assert out["mode"] == "deep" and out["duplicate_files"] == 2 and out["stages"]["byte_compared"] == 2


def test_a_second_search_of_an_unchanged_tree_says_so_and_its_result_can_be_acted_on(run_cli, tree):
    first = run_cli("duplicates", tree)
    assert first.returncode == 0 and "nothing changed since" not in first.stdout
    again = run_cli("duplicates", tree)
    assert again.returncode == 0 and "nothing changed since the search of" in again.stdout
    assert again.stdout.splitlines()[:-1] == first.stdout.splitlines(), "the same groups"
    # the guarded delete checks each file again whatever result it acts on
    r = run_cli("duplicates", tree, "--delete", "keep-oldest", "--mode-delete", "permanent", "--yes", "--json")
    assert r.returncode == 0, r.stderr
    [search] = [x for x in r.lines if x.get("event") == "result" and x["name"] == "duplicate_detection"]
    assert search["output"]["unchanged_since"] is not None
    assert (tree / "a" / "one.bin").read_bytes() == DATA
    assert not (tree / "b" / "one.bin").exists() and not (tree / "b" / "copy.bin").exists()
    after = run_cli("duplicates", tree, "--json").result["output"]
    assert after["unchanged_since"] is None and after["groups"] == []


def test_a_search_comparing_with_the_last_one_says_so_in_its_progress(run_cli, tree):
    assert run_cli("duplicates", tree, "--json").returncode == 0
    r = run_cli("duplicates", tree, "--json")
    comparing = [x for x in r.lines if x.get("event") == "progress" and x.get("phase") == "comparing"]
    assert comparing and "nothing changed so far since the last search" in comparing[0]["message"]
    assert comparing[0]["total"] == 4  # the folders of the last search: the tree and a, b, c
    assert r.result["output"]["unchanged_since"] is not None

"""Exact groups on a generated tree with ground truth (FAULTS 4: the sampled-hash trap)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from sd_desktop.cas import cas_id
from sd_desktop.ops.files.duplicate_detection import DuplicateConfig, DuplicateMode
from tests.duplicates._helpers import rel_groups, run_job


@pytest.fixture(scope="module")
def manifest(small_corpus):
    return json.loads((small_corpus / "manifest.json").read_text())


@pytest.mark.parametrize("walker_mode", ["inprocess", "always"])
@pytest.mark.parametrize("mode", [DuplicateMode.CONTENT, DuplicateMode.DEEP])
def test_groups_match_ground_truth(library, small_corpus, manifest, mode, walker_mode, monkeypatch):
    monkeypatch.setenv("SD_DESKTOP_WALKER", walker_mode)  # listed in this thread, or by a walker process
    tree = small_corpus / "tree"
    info = run_job(library, "duplicate_detection", DuplicateConfig(search_paths=[tree], mode=mode))
    assert info.status.value == "completed", info.error
    out = info.output
    assert rel_groups(out, tree) == sorted(sorted(g) for g in manifest["duplicate_groups"])
    assert out["verified"] is True
    assert out["duplicate_files"] == manifest["duplicates"]["redundant_files"]
    assert out["wasted_bytes"] == manifest["duplicates"]["redundant_bytes"]
    assert out["hardlinks"] == []
    # sorted by wasted bytes, each group's own figure consistent
    wasted = [g["wasted_bytes"] for g in out["groups"]]
    assert wasted == sorted(wasted, reverse=True)
    for g in out["groups"]:
        assert g["wasted_bytes"] == g["size"] * (len(g["paths"]) - 1)
        assert len(g["hash"]) == 64
    if mode is DuplicateMode.DEEP:
        assert out["stages"]["byte_compared"] > 0


def test_sampled_hash_trap_never_grouped(library, small_corpus, manifest):
    """Near-duplicates that agree on head, tail and every cas_id sample are never grouped."""
    tree = small_corpus / "tree"
    traps = [n for n in manifest["near_duplicates"] if n["kind"] == "sample_collision"]
    assert traps, "the corpus must plant sample collisions for this test to mean anything"
    for t in traps:  # the trap is real: the sampled content id cannot tell them apart
        assert cas_id(tree / t["path"]) == cas_id(tree / t["like"])
    info = run_job(library, "duplicate_detection", DuplicateConfig(search_paths=[tree]))
    groups = [set(g) for g in rel_groups(info.output, tree)]
    for t in traps + [n for n in manifest["near_duplicates"] if n["kind"] == "same_head_4k"]:
        assert not any({t["path"], t["like"]} <= g for g in groups), t
    assert manifest["sampled_casid_false_groups"]
    for false_group in manifest["sampled_casid_false_groups"]:
        assert set(false_group) not in groups


def test_size_and_name_size_are_labelled_unverified(library, small_corpus, manifest):
    tree = small_corpus / "tree"
    size = run_job(library, "duplicate_detection", DuplicateConfig(search_paths=[tree], mode=DuplicateMode.SIZE))
    out = size.output
    assert out["verified"] is False and "not verified" in out["note"]
    assert out["group_count"] == manifest["traps"]["size_only_groups_nonempty"]
    assert all(g["hash"] is None for g in out["groups"])
    ns = run_job(library, "duplicate_detection", DuplicateConfig(search_paths=[tree], mode=DuplicateMode.NAME_SIZE))
    assert ns.output["verified"] is False
    assert ns.output["group_count"] == manifest["traps"]["name_size_groups"]
    for g in ns.output["groups"]:
        names = {p.rsplit("/", 1)[1] for p in g["paths"]}
        assert names == {g["name"]}


def test_filters(library, small_corpus):
    tree = small_corpus / "tree"
    full = run_job(library, "duplicate_detection", DuplicateConfig(search_paths=[tree])).output
    cfg = DuplicateConfig(search_paths=[tree], min_size=4096, max_size=200_000, extensions=["PNG", ".txt", "json"])
    out = run_job(library, "duplicate_detection", cfg).output
    expected = [
        g
        for g in full["groups"]
        if 4096 <= g["size"] <= 200_000 and all(p.lower().endswith((".png", ".txt", ".json")) for p in g["paths"])
    ]
    assert sorted(g["paths"] for g in out["groups"]) == sorted(g["paths"] for g in expected)
    no_hidden = run_job(library, "duplicate_detection", DuplicateConfig(search_paths=[tree], include_hidden=False))
    for g in no_hidden.output["groups"]:
        for p in g["paths"]:
            rel = p[len(str(tree.resolve())) :]
            assert "/." not in rel
    assert no_hidden.output["group_count"] < full["group_count"]


@pytest.mark.skipif(shutil.which("jdupes") is None, reason="jdupes is not installed (apt-get install jdupes)")
def test_same_groups_as_jdupes(library, small_corpus):
    tree = small_corpus / "tree"
    proc = subprocess.run(["jdupes", "-r", "-q", str(tree)], capture_output=True, text=True, check=True)
    jd = sorted(sorted(block.splitlines()) for block in proc.stdout.strip().split("\n\n") if block.strip())
    out = run_job(library, "duplicate_detection", DuplicateConfig(search_paths=[tree])).output
    assert sorted(sorted(g["paths"]) for g in out["groups"]) == jd

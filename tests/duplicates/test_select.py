"""Selection policies: at least one copy kept per group, reference files never proposed (FAULTS 8)."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sd_desktop.ops.files.duplicate_detection import DuplicateConfig, DuplicateMode
from sd_desktop.ops.files.duplicate_detection.select import Policy, SelectionError, plan_deletion
from tests.duplicates._helpers import run_job, write


def group(files: list[tuple[str, int, bool]], size: int = 10, digest: str = "h" * 64) -> dict:
    return {
        "size": size,
        "hash": digest,
        "paths": [p for p, _, _ in files],
        "files": [{"path": p, "mtime_ns": m, "reference": r, "links": []} for p, m, r in files],
        "wasted_bytes": size * (len(files) - 1),
    }


def output(*groups: dict) -> dict:
    return {"verified": True, "mode": "content", "groups": list(groups), "reference_paths": []}


G = group([("/d/long/name/a.txt", 300, False), ("/d/b.txt", 100, False), ("/d/x/c.txt", 200, False)])


@pytest.mark.parametrize(
    ("policy", "kept"),
    [
        (Policy.KEEP_OLDEST, "/d/b.txt"),
        (Policy.KEEP_NEWEST, "/d/long/name/a.txt"),
        (Policy.KEEP_SHORTEST_PATH, "/d/b.txt"),
    ],
)
def test_single_keeper_policies(policy, kept):
    plan = plan_deletion(output(G), policy)
    assert sorted(t["path"] for t in plan.targets) == sorted(p for p in G["paths"] if p != kept)
    for t in plan.targets:
        assert t["keepers"] == [kept]
        assert t["hash"] == G["hash"] and t["size"] == 10
        assert t["mtime_ns"] == next(f["mtime_ns"] for f in G["files"] if f["path"] == t["path"])


def test_keep_matching_and_reference():
    plan = plan_deletion(output(G), Policy.KEEP_MATCHING, pattern="/d/x/*")
    assert sorted(t["path"] for t in plan.targets) == ["/d/b.txt", "/d/long/name/a.txt"]
    assert plan_deletion(output(G), Policy.KEEP_MATCHING, pattern="b.txt").targets[0]["keepers"] == ["/d/b.txt"]
    # a pattern matching no copy decides nothing for that group
    none = plan_deletion(output(G), Policy.KEEP_MATCHING, pattern="*.jpg")
    assert none.targets == [] and len(none.skipped) == 1
    # a pattern covering every copy keeps every copy
    every = plan_deletion(output(G), Policy.KEEP_MATCHING, pattern="*.txt")
    assert every.targets == [] and every.skipped[0]["reason"] == "every copy is kept"
    with pytest.raises(SelectionError):
        plan_deletion(output(G), Policy.KEEP_MATCHING)
    ref = plan_deletion(output(G), Policy.KEEP_REFERENCE, reference_paths=["/d/x"])
    assert sorted(t["path"] for t in ref.targets) == ["/d/b.txt", "/d/long/name/a.txt"]
    no_ref = plan_deletion(output(G), Policy.KEEP_REFERENCE)
    assert no_ref.targets == [] and no_ref.skipped


def test_reference_files_are_never_proposed_whatever_the_policy():
    g = group([("/ref/old.txt", 500, True), ("/d/a.txt", 100, False), ("/d/b.txt", 200, False)])
    plan = plan_deletion(output(g), Policy.KEEP_OLDEST)
    assert [t["path"] for t in plan.targets] == ["/d/b.txt"]
    assert sorted(plan.targets[0]["keepers"]) == ["/d/a.txt", "/ref/old.txt"]


def test_unverified_results_cannot_be_planned():
    with pytest.raises(SelectionError, match="not verified"):
        plan_deletion({"verified": False, "mode": "size", "groups": [G]}, Policy.KEEP_OLDEST)


names = st.sampled_from(["/a/x", "/a/y", "/b/x", "/b/long/z", "/r/x", "/r/q", "/c"])


@settings(max_examples=300, deadline=None)
@given(
    groups=st.lists(
        st.lists(st.tuples(names, st.integers(0, 5), st.booleans()), min_size=2, max_size=6, unique_by=lambda t: t[0]),
        min_size=1,
        max_size=5,
    ),
    policy=st.sampled_from(list(Policy)),
    pattern=st.sampled_from(["/a/*", "x", "*", "/nothing"]),
    refs=st.sampled_from([[], ["/r"], ["/a", "/b"]]),
)
def test_every_group_keeps_a_copy(groups, policy, pattern, refs):
    out = output(*(group(g, digest=f"{i:064d}") for i, g in enumerate(groups)))
    plan = plan_deletion(out, policy, pattern=pattern, reference_paths=refs)
    for i, g in enumerate(groups):
        doomed = {t["path"] for t in plan.targets if t["hash"] == f"{i:064d}"}
        paths = {p for p, _, _ in g}
        assert doomed < paths, "at least one copy survives"
        for t in plan.targets:
            if t["hash"] == f"{i:064d}":
                assert t["keepers"] and not set(t["keepers"]) & doomed
                assert set(t["keepers"]) <= paths
        for p, _, is_ref in g:
            in_ref = any(p == r or p.startswith(r + "/") for r in refs)
            if is_ref or in_ref:
                assert p not in doomed


def test_reference_paths_from_a_real_run(library, tmp_path):
    data = os.urandom(2000)
    write(tmp_path / "ref" / "keep.bin", data, 2_000_000_000)
    write(tmp_path / "work" / "a.bin", data, 1_000_000_000)
    write(tmp_path / "work" / "b.bin", data, 1_500_000_000)
    cfg = DuplicateConfig(search_paths=[tmp_path / "work"], reference_paths=[tmp_path / "ref"])
    out = run_job(library, "duplicate_detection", cfg).output
    assert len(out["groups"]) == 1 and len(out["groups"][0]["paths"]) == 3
    ref_file = next(f for f in out["groups"][0]["files"] if f["path"].endswith("keep.bin"))
    assert ref_file["reference"] is True
    plan = plan_deletion(out, Policy.KEEP_OLDEST)
    assert sorted(os.path.basename(t["path"]) for t in plan.targets) == ["b.bin"]
    assert sorted(os.path.basename(k) for k in plan.targets[0]["keepers"]) == ["a.bin", "keep.bin"]
    size_only = run_job(
        library, "duplicate_detection", DuplicateConfig(search_paths=[tmp_path], mode=DuplicateMode.SIZE)
    ).output
    with pytest.raises(SelectionError):
        plan_deletion(size_only, Policy.KEEP_OLDEST)


def test_skipped_groups_say_why_in_a_code_the_window_words():
    """``why`` (a ``Skip``) tells no keeper, every copy kept and hard links apart, whatever the text."""
    from sd_desktop.ops.files.duplicate_detection.select import Skip

    assert [s["why"] for s in plan_deletion(output(G), Policy.KEEP_MATCHING, pattern="*.jpg").skipped] == [
        Skip.NO_KEEPER
    ]
    assert [s["why"] for s in plan_deletion(output(G), Policy.KEEP_MATCHING, pattern="*.txt").skipped] == [
        Skip.ALL_KEPT
    ]
    linked = group([("/d/a.txt", 100, False), ("/d/b.txt", 200, False)])
    linked["files"][1]["links"] = ["/d/b-link.txt"]
    plan = plan_deletion(output(linked), Policy.KEEP_OLDEST)
    assert plan.targets == [] and [s["why"] for s in plan.skipped] == [Skip.HARD_LINKS]

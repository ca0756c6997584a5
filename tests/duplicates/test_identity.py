"""Identity is (device, inode), never the path string (FAULTS 1 path doubles, 2 hard links, symlinks)."""

from __future__ import annotations

import os

from sd_desktop.ops.files.duplicate_detection import DuplicateConfig
from sd_desktop.ops.files.duplicate_detection.select import Policy, plan_deletion
from tests.duplicates._helpers import rel_groups, run_job, write

DATA = os.urandom(70_000)  # above the small-file limit, so head/tail/full stages all run


def find(library, *paths, **kw):
    info = run_job(library, "duplicate_detection", DuplicateConfig(search_paths=list(paths), **kw))
    assert info.status.value == "completed", (info.error, info.errors)
    return info.output


def test_path_given_twice_is_not_its_own_duplicate(library, tmp_path):
    a = tmp_path / "A"
    write(a / "only.bin", DATA)
    write(a / "sub" / "other.bin", os.urandom(70_000))
    for paths in ([a, a], [a, a / "sub"], [a / "sub", a], [a, tmp_path / "A" / ".." / "A"]):
        out = find(library, *paths)
        assert out["groups"] == [], paths
        assert out["hardlinks"] == []
    # "delete all but one" on a path given twice proposes nothing at all
    plan = plan_deletion(find(library, a, a), Policy.KEEP_OLDEST)
    assert plan.targets == []


def test_symlink_to_the_root_inside_the_root(library, tmp_path):
    a = tmp_path / "A"
    write(a / "f.bin", DATA)
    os.symlink(a, a / "loop")  # a symlink to A inside A: never followed
    os.symlink("f.bin", a / "link_to_f")
    out = find(library, a)
    assert out["groups"] == []
    assert out["files_scanned"] == 1


def test_symlinks_to_duplicates_are_never_duplicates(library, tmp_path):
    write(tmp_path / "x.bin", DATA)
    write(tmp_path / "y.bin", DATA)
    os.symlink(tmp_path / "x.bin", tmp_path / "x_link.bin")
    os.symlink("y.bin", tmp_path / "y_rel_link.bin")
    out = find(library, tmp_path)
    assert rel_groups(out, tmp_path) == [["x.bin", "y.bin"]]
    # a symlink given as a search path is resolved, so the file is still listed once
    out = find(library, tmp_path / "x_link.bin", tmp_path / "x.bin", tmp_path / "y.bin")
    assert rel_groups(out, tmp_path) == [["x.bin", "y.bin"]]


def test_hard_links_in_one_root_and_across_roots(library, tmp_path):
    r1, r2 = tmp_path / "r1", tmp_path / "r2"
    write(r1 / "a.bin", DATA)
    os.link(r1 / "a.bin", r1 / "a_link.bin")
    r2.mkdir()
    os.link(r1 / "a.bin", r2 / "a_other_root.bin")
    out = find(library, r1, r2)
    assert out["groups"] == [], "names of one inode are not duplicates"
    assert len(out["hardlinks"]) == 1
    h = out["hardlinks"][0]
    assert sorted(os.path.basename(p) for p in h["paths"]) == ["a.bin", "a_link.bin", "a_other_root.bin"]
    assert h["inode"] == os.stat(r1 / "a.bin").st_ino


def test_hard_linked_file_with_a_real_copy(library, tmp_path):
    write(tmp_path / "a.bin", DATA)
    os.link(tmp_path / "a.bin", tmp_path / "b_link.bin")
    write(tmp_path / "c_copy.bin", DATA)
    out = find(library, tmp_path)
    # one entry per inode, as jdupes -r reports it; the other name is kept as a link of that entry
    assert len(out["groups"]) == 1
    g = out["groups"][0]
    assert sorted(os.path.basename(p) for p in g["paths"]) == ["a.bin", "c_copy.bin"]
    assert g["wasted_bytes"] == len(DATA)
    first = next(f for f in g["files"] if f["path"].endswith("a.bin"))
    assert [os.path.basename(p) for p in first["links"]] == ["b_link.bin"]
    assert len(out["hardlinks"]) == 1


def test_empty_files_left_out_unless_asked(library, tmp_path):
    write(tmp_path / "e1", b"")
    write(tmp_path / "e2", b"")
    assert find(library, tmp_path)["groups"] == []
    out = find(library, tmp_path, include_empty=True)
    assert rel_groups(out, tmp_path) == [["e1", "e2"]]


def test_fifo_and_undecodable_names(library, tmp_path):
    os.mkfifo(tmp_path / "pipe")
    raw = os.fsencode(tmp_path) + b"/caf\xe9\n-name.bin"
    with open(raw, "wb") as f:
        f.write(DATA)
    write(tmp_path / "plain.bin", DATA)
    out = find(library, tmp_path)
    assert len(out["groups"]) == 1
    found = sorted(os.fsencode(p) for p in out["groups"][0]["paths"])
    assert found == sorted([raw, os.fsencode(tmp_path / "plain.bin")])
    plan = plan_deletion(out, Policy.KEEP_SHORTEST_PATH)
    assert [os.fsencode(t["path"]) for t in plan.targets] == [raw]

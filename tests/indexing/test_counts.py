"""Counts, sizes and folder totals equal what find / du --apparent-size report (CLI, --all)."""

from __future__ import annotations

import os
import subprocess
from collections import defaultdict

from sd_desktop.library import Library
from tests.indexing.helpers import find_truth, snapshot


def test_index_all_matches_find_and_du(run_cli, small_corpus, library_dir):
    tree = small_corpus / "tree"
    truth = find_truth(tree)
    res = run_cli("index", tree, "--all", "--json")
    assert res.returncode == 0, res.stderr
    result = res.result
    assert result["status"] == "completed"
    out = result["output"]
    assert (out["files"], out["dirs"], out["symlinks"], out["bytes"]) == (
        truth["files"],
        truth["dirs"],
        truth["symlinks"],
        truth["bytes"],
    )
    assert out["entries_written"] == truth["entries_find"]  # every entry plus the root, like find
    assert any(obj.get("event") == "progress" for obj in res.lines)

    listed = run_cli("location", "list", "--json").result["output"]["locations"]
    assert len(listed) == 1
    loc = listed[0]
    assert loc["entries"] == truth["entries_find"] - 1
    assert (loc["files"], loc["dirs"], loc["symlinks"], loc["total_bytes"]) == (
        truth["files"],
        truth["dirs"],
        truth["symlinks"],
        truth["bytes"],
    )
    assert loc["last_indexed"] is not None

    # folder totals against an independent lstat walk
    expected_size: dict[bytes, int] = defaultdict(int)
    expected_files: dict[bytes, int] = defaultdict(int)
    expected_children: dict[bytes, int] = defaultdict(int)
    root = os.fsencode(tree)
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root) if dirpath != root else b""
        expected_children[rel] = len(dirnames) + len(filenames)
        for name in filenames:
            full = os.path.join(dirpath, name)
            if os.path.isfile(full) and not os.path.islink(full):
                st = os.lstat(full)
                parts = rel.split(b"/") if rel else []
                for i in range(len(parts) + 1):
                    anc = b"/".join(parts[:i])
                    expected_size[anc] += st.st_size
                    expected_files[anc] += 1
    lib = Library.open(library_dir)
    try:
        rows = snapshot(lib)
    finally:
        lib.close()
    dirs = {p: r for p, r in rows.items() if r[2] == 1}
    assert len(dirs) == truth["dirs"] + 1
    for path, r in dirs.items():
        assert r[4] == expected_size[path], path
        assert r[5] == expected_files[path], path
        assert r[6] == expected_children[path], path

    # du --apparent-size counts files + folders + symlinks: ours must add up to the same bytes
    du = int(
        subprocess.run(
            ["du", "-s", "-b", "--apparent-size", str(tree)], capture_output=True, check=True
        ).stdout.split()[0]
    )
    ours = sum(r[3] for r in rows.values())  # every entry's own lstat size, the root's included
    assert du == ours
    assert dirs[b""][4] == truth["bytes"]


def test_index_twice_is_idempotent_and_writes_nothing(run_cli, small_corpus, library_dir):
    tree = small_corpus / "tree"
    first = run_cli("index", tree, "--json")
    assert first.returncode == 0, first.stderr
    lib = Library.open(library_dir)
    try:
        before = snapshot(lib, with_ids=True)
    finally:
        lib.close()
    second = run_cli("index", tree, "--json")
    out = second.result["output"]
    assert second.returncode == 0
    assert (out["new"], out["modified"], out["moved"], out["deleted"], out["entries_written"], out["hashed"]) == (
        0,
        0,
        0,
        0,
        0,
        0,
    )
    lib = Library.open(library_dir)
    try:
        assert snapshot(lib, with_ids=True) == before
    finally:
        lib.close()

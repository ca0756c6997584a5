"""The similar-pictures search on the generated look-alike set: exact truth groups, the CLI with
``--json`` (a real subprocess), and hashes made by the thumbnail decode reused without decoding."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from sd_desktop.library import picture_hashes
from tests.support.make_corpus import make_similar_pictures
from tests.thumbnails._rows import index_tree
from tests.thumbnails.conftest import run_thumbnails


@pytest.fixture(scope="module")
def lookalikes(tmp_path_factory) -> tuple[Path, dict]:
    """4 pictures with 8 variants each (HEIC included) and 8 look-alikes of the same style."""
    out = tmp_path_factory.mktemp("similar")
    truth = make_similar_pictures(str(out), seed=3, pictures=4, size=(640, 480))
    return out, truth


def _as_sets(groups: list[list[str]]) -> set[frozenset[str]]:
    return {frozenset(g) for g in groups}


def test_cli_json_finds_exactly_the_truth_groups(run_cli, lookalikes):
    root, truth = lookalikes
    res = run_cli("similar", str(root), "--json")
    assert res.returncode == 0, res.stderr
    out = res.result["output"]
    found = [[os.path.relpath(p, root) for p in g["paths"]] for g in out["groups"]]
    assert _as_sets(found) == _as_sets(truth["groups"])  # precision and recall 1.0, no look-alike grouped
    assert len(truth["groups"]) == 4 and all(len(g) == 9 for g in truth["groups"])
    assert (out["pictures"], out["hashed"], out["reused"], out["failed"]) == (44, 44, 0, 0)
    assert (out["group_count"], out["similar_files"], out["threshold"]) == (4, 32, 10)
    for g in out["groups"]:
        assert g["distances"][0] == 0 and max(g["distances"]) <= 10
        assert len(g["paths"]) == len(g["distances"]) == len(g["sizes"]) == len(g["widths"]) == len(g["heights"])
        # as the search saw each file: a removal from the window re-checks it against these
        assert g["mtimes_ns"] == [os.stat(p).st_mtime_ns for p in g["paths"]]
        by_name = {os.path.basename(p): (w, h) for p, w, h in zip(g["paths"], g["widths"], g["heights"], strict=True)}
        # the EXIF orientation is applied: the stored-sideways copy is reported upright
        assert by_name["rotated.jpg"] == by_name["original.jpg"] == (640, 480)
        assert by_name["resized.jpg"] == (256, 192)
        # the centre is the largest picture (then the largest file)
        assert g["widths"][0] * g["heights"][0] == max(w * h for w, h in zip(g["widths"], g["heights"], strict=True))


def test_the_threshold_bounds_every_distance(run_cli, lookalikes):
    root, _truth = lookalikes
    res = run_cli("similar", str(root), "--json", "--threshold", "1")
    assert res.returncode == 0, res.stderr
    out = res.result["output"]
    assert out["threshold"] == 1
    assert all(d <= 1 for g in out["groups"] for d in g["distances"])
    names = {os.path.basename(p) for g in out["groups"] for p in g["paths"]}
    assert not any(n.startswith("lookalike") for n in names)


def test_bad_threshold_is_one_line_exit_2(run_cli, lookalikes):
    root, _truth = lookalikes
    res = run_cli("similar", str(root), "--threshold", "40")
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and "--threshold must be 0..15 bits" in res.stderr
    assert "Traceback" not in res.stderr


def test_hashes_made_with_thumbnails_are_reused(library, run_cli, library_dir, lookalikes, tmp_path):
    src, truth = lookalikes
    root = tmp_path / "pics"
    shutil.copytree(src, root)
    (root / "similar.json").unlink()
    index_tree(library, root)
    info = run_thumbnails(library, {"path": str(root)})
    assert info.output["generated"] == 44
    stored = library.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM picture_hash").fetchone()[0])
    assert stored == 44
    library.close()
    res = run_cli("similar", str(root), "--json")
    assert res.returncode == 0, res.stderr
    out = res.result["output"]
    assert (out["pictures"], out["hashed"], out["reused"]) == (44, 0, 44)  # not one picture decoded again
    found = [[os.path.relpath(p, root) for p in g["paths"]] for g in out["groups"]]
    assert _as_sets(found) == _as_sets(truth["groups"])


def test_signed_storage_round_trips_the_top_bit():
    for value in (0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1):
        assert picture_hashes.to_unsigned(picture_hashes.to_signed(value)) == value

"""Acting on results goes through the DeleteJob's run-time guard (FAULTS 5, 7, 8).

The DeleteJob (NAME "delete", config field ``guarded``) re-verifies every doomed file and its keepers
at run time. These tests assert on the file system, which is what matters to the user.
"""

from __future__ import annotations

import os

import pytest

from sd_desktop.ops.files.delete.guard import REFUSED_ALL
from sd_desktop.ops.files.duplicate_detection import DuplicateConfig
from sd_desktop.ops.files.duplicate_detection.select import Policy, plan_deletion
from tests.duplicates._helpers import run_job, write

DATA = os.urandom(200_000)


def scan(library, root):
    out = run_job(library, "duplicate_detection", DuplicateConfig(search_paths=[root])).output
    assert len(out["groups"]) == 1
    return out


def delete(library, plan_targets):
    config = {
        "targets": [t["path"] for t in plan_targets],
        "mode": "permanent",
        "confirm": True,
        "guarded": plan_targets,
    }
    return run_job(library, "delete", config)


@pytest.fixture
def trio(tmp_path):
    write(tmp_path / "keep.bin", DATA, 1_000_000_000)
    write(tmp_path / "dup1.bin", DATA, 1_100_000_000)
    write(tmp_path / "dup2.bin", DATA, 1_200_000_000)
    return tmp_path


def test_plan_is_carried_out_when_nothing_changed(library, trio):
    plan = plan_deletion(scan(library, trio), Policy.KEEP_OLDEST)
    delete(library, plan.targets)
    assert (trio / "keep.bin").read_bytes() == DATA
    assert not (trio / "dup1.bin").exists() and not (trio / "dup2.bin").exists()


def test_duplicate_rewritten_with_same_size_and_mtime_is_skipped(library, trio):
    plan = plan_deletion(scan(library, trio), Policy.KEEP_OLDEST)
    changed = bytearray(DATA)
    changed[123_456] ^= 0xFF
    with open(trio / "dup1.bin", "r+b") as f:
        f.write(changed)
    os.utime(trio / "dup1.bin", (1_100_000_000, 1_100_000_000))
    delete(library, plan.targets)
    assert (trio / "dup1.bin").read_bytes() == bytes(changed), "no longer a duplicate: must survive"
    assert (trio / "keep.bin").exists()


def test_kept_copy_removed_after_the_scan_cancels_the_group(library, trio):
    plan = plan_deletion(scan(library, trio), Policy.KEEP_OLDEST)
    os.unlink(trio / "keep.bin")
    delete(library, plan.targets)
    assert (trio / "dup1.bin").read_bytes() == DATA and (trio / "dup2.bin").read_bytes() == DATA


def test_selection_covering_every_copy_is_refused(library, trio):
    out = scan(library, trio)
    g = out["groups"][0]
    every = [
        {
            "path": p,
            "size": g["size"],
            "mtime_ns": f["mtime_ns"],
            "hash": g["hash"],
            "keepers": [q for q in g["paths"] if q != p],
        }
        for p, f in zip(g["paths"], g["files"], strict=True)
    ]
    info = delete(library, every)
    # every copy survives, untouched: each target's keepers are doomed too, so no copy would be left
    for name in ("keep.bin", "dup1.bin", "dup2.bin"):
        assert (trio / name).read_bytes() == DATA, name
    out = info.output
    assert (out["deleted"], out["skipped"], out["failed"]) == (0, 3, 0)
    assert [(o["outcome"], o["reason"]) for o in out["outcomes"]] == [("skipped", REFUSED_ALL)] * 3

"""The duplicates model on its own: qtmodeltester, marking rules, the guarded plan, unverified results."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt

from sd_desktop.ui.results.duplicates_model import DuplicatesModel
from sd_desktop.ui.results.duplicates_view import DuplicatesView

H = "ab" * 32


def output(verified=True):
    odd = os.fsdecode(b"/data/caf\xe9.jpg")
    return {
        "mode": "content" if verified else "size",
        "verified": verified,
        "search_paths": ["/data"],
        "reference_paths": ["/data/ref"],
        "groups": [
            {
                "size": 10,
                "hash": H if verified else None,
                "paths": ["/data/x/a.txt", "/data/y/a.txt"],
                "files": [
                    {"path": "/data/x/a.txt", "mtime_ns": 2},
                    {"path": "/data/y/a.txt", "mtime_ns": 1},
                ],
            },
            {
                "size": 1000,
                "hash": "cd" * 32 if verified else None,
                "paths": [odd, "/data/ref/b.jpg", "/data/z/b.jpg"],
                "files": [
                    {"path": odd, "mtime_ns": 5},
                    {"path": "/data/ref/b.jpg", "mtime_ns": 9, "reference": True},
                    {"path": "/data/z/b.jpg", "mtime_ns": 7},
                ],
            },
        ],
    }


def test_model_structure_and_rules(qtmodeltester, qapp):
    model = DuplicatesModel(output())
    qtmodeltester.check(model)
    assert [g.size for g in model.groups] == [1000, 10]  # most wasted first
    big = model.index(0, 0)
    assert model.rowCount(big) == 3
    assert model.index(0, 1, big).data() == "data"  # folder relative to the search path
    assert model.index(0, 0, big).data() == "caf\\xe9.jpg"  # undecodable byte shown escaped
    ref = model.index(1, 0, big)
    assert not model.setData(ref, Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    # both non-reference copies can be marked: the reference copy stays
    assert model.setData(model.index(0, 0, big), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert model.setData(model.index(2, 0, big), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    small = model.index(1, 0)
    assert model.setData(model.index(0, 0, small), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert not model.setData(model.index(1, 0, small), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert model.index(1, 5, small).data() == "Kept copy"
    qtmodeltester.check(model)
    plan = model.guarded_targets()
    assert sorted(os.fsencode(t.path) for t in plan) == sorted(
        [b"/data/caf\xe9.jpg", b"/data/z/b.jpg", b"/data/x/a.txt"]
    )
    small_target = next(t for t in plan if t.path == Path("/data/x/a.txt"))
    assert small_target.keepers == [Path("/data/y/a.txt")] and small_target.hash == H
    assert model.summary() == (3, 2010, 2)
    outcomes = [
        {"path": "/data/x/a.txt", "outcome": "skipped", "reason": "changed since the scan (size or modification time)"},
        {"path": os.fsdecode(b"/data/caf\xe9.jpg"), "outcome": "trashed"},
    ]
    assert model.apply_outcomes(outcomes) == (1, 1)
    assert model.groups[1].note.startswith("changed since the scan")
    assert not model.groups[0].files[0].present
    qtmodeltester.check(model)


def test_unverified_results_cannot_be_deleted(qapp):
    model = DuplicatesModel(output(verified=False))
    view = DuplicatesView(model)
    big = model.index(0, 0)
    model.setData(model.index(0, 0, big), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert not view.trash_button.isEnabled() and not view.delete_button.isEnabled()
    assert view.move_button.isEnabled()
    assert "not verified" in view.subline.text() or "candidates" in view.subline.text()
    view.auto_mark("keep-oldest")
    assert "verified" in view.banner.text()
    view.deleteLater()

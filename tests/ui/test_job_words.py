"""The job history's words: targets by name (full text for the tooltip), statuses in a word or three."""

from __future__ import annotations

from pathlib import Path

import pytest

from sd_desktop.jobs import JobInfo, JobStatus
from sd_desktop.ui.job_words import short_status, target_label


def info(name: str, config: dict, target: str = "", status=JobStatus.COMPLETED, errors=0, interrupted=0) -> JobInfo:
    return JobInfo(
        id=1, name=name, version=1, status=status, priority=0, target=target, config=config, progress=None,
        output=None, error=None, errors=[], error_count=errors, parent_id=None, interrupted=interrupted,
        created_at=0.0, started_at=0.0, finished_at=0.0, updated_at=0.0, has_state=False,
    )  # fmt: skip


LOCATIONS = {3: ("Holiday", "/home/ann/Pictures/Holiday")}


@pytest.mark.parametrize(
    ("job", "short", "full"),
    [
        (info("indexer", {"location_id": 3}, "location 3 (content)"), "Holiday", "/home/ann/Pictures/Holiday"),
        (info("indexer", {"location_id": 9}, "location 9 (content)"), "Removed location", "location 9 (content)"),
        (info("thumbnails", {"entry_ids": [1, 2, 3]}, "3 entries"), "3 items", "3 entries"),
        (info("thumbnails", {"entry_ids": [7]}, "1 entries"), "1 item", "1 entries"),
        (info("thumbnails", {}, "the whole library"), "Whole library", "the whole library"),
        (
            info("duplicate_detection", {"search_paths": [Path("/home/ann/Pictures"), Path("/mnt/old/")]}),
            "Pictures and 1 more",
            "/home/ann/Pictures\n/mnt/old",
        ),
        (info("file_validation", {"targets": [Path("/home/ann/a.pdf")]}), "a.pdf", "/home/ann/a.pdf"),
        (
            info("file_copy", {"sources": [Path("/a/x.jpg")], "destination": Path("/b/Keep"), "move": True}),
            "x.jpg → Keep",
            "Move x.jpg to /b/Keep",
        ),
        (
            info("file_copy", {"sources": [Path("/a/x"), Path("/a/y")], "destination": Path("/b")}),
            "2 items → b",
            "Copy 2 items to /b",
        ),
        (info("delete", {"targets": [Path("/a/old.txt")]}, "trash: old.txt"), "old.txt", "/a/old.txt"),
        (info("similar_pictures", {"paths": [Path("/home/ann/Pictures")]}), "Pictures", "/home/ann/Pictures"),
        (
            info("delete", {"pictures": [{"path": Path("/a/x.jpg")}, {"path": Path("/a/y.jpg")}]}, "trash: 2 items"),
            "2 items",
            "/a/x.jpg\n/a/y.jpg",
        ),
        (
            info("duplicate_folders", {"search_paths": [Path("/home/ann/Backup")]}, "/home/ann/Backup"),
            "Backup",
            "/home/ann/Backup",
        ),
        (
            info("delete", {"folders": [{"path": Path("/b/x"), "keepers": []}, {"path": Path("/c/x"), "keepers": []}]}),
            "2 items",
            "/b/x\n/c/x",
        ),
        (info("some_plugin", {}, "/var/data/reports"), "reports", "/var/data/reports"),
        (info("some_plugin", {}, "all of it"), "all of it", "all of it"),
    ],
)
def test_targets_by_name(job, short, full):
    assert target_label(job, LOCATIONS) == (short, full)


@pytest.mark.parametrize(
    ("status", "errors", "interrupted", "text"),
    [
        (JobStatus.COMPLETED, 0, 0, "Done"),
        (JobStatus.COMPLETED, 0, 1, "Done"),  # continued after the crash: how it ended is what counts
        (JobStatus.COMPLETED_WITH_ERRORS, 3, 0, "Done with 3 errors"),
        (JobStatus.COMPLETED_WITH_ERRORS, 1, 0, "Done with 1 error"),
        (JobStatus.FAILED, 0, 0, "Failed"),
        (JobStatus.FAILED, 0, 1, "Interrupted"),
        (JobStatus.CANCELLED, 0, 0, "Cancelled"),
    ],
)
def test_short_statuses(status, errors, interrupted, text):
    assert short_status(info("x", {}, status=status, errors=errors, interrupted=interrupted)) == text

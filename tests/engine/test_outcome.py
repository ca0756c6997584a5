"""FAULTS 20 in the engine: how a job that ran to its end is judged from its output's item counts."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sd_desktop.jobs import JobStatus
from sd_desktop.jobs.outcome import final_status


@dataclass
class Counted:
    items_done: int = 0
    items_failed: int = 0


@dataclass
class Uncounted:
    found: int = 0


@pytest.mark.parametrize(
    ("output", "errors", "expected"),
    [
        (Counted(3, 0), 0, (JobStatus.COMPLETED, None)),
        (Counted(0, 0), 0, (JobStatus.COMPLETED, None)),  # nothing to do is not a failure
        (Counted(3, 0), 1, (JobStatus.COMPLETED_WITH_ERRORS, None)),  # done, with a problem met on the way
        (Counted(2, 1), 1, (JobStatus.COMPLETED_WITH_ERRORS, None)),
        (Counted(0, 1), 1, (JobStatus.FAILED, "nothing was done: the item failed (the outcomes say why)")),
        (Counted(0, 3), 0, (JobStatus.FAILED, "nothing was done: all 3 items failed (the outcomes say why)")),
        (Uncounted(5), 0, (JobStatus.COMPLETED, None)),
        (Uncounted(5), 2, (JobStatus.COMPLETED_WITH_ERRORS, None)),
        ({"items_done": 0, "items_failed": 3}, 0, (JobStatus.COMPLETED, None)),  # only attributes count
        (None, 0, (JobStatus.COMPLETED, None)),
    ],
)
def test_final_status(output, errors, expected):
    assert final_status(output, errors) == expected

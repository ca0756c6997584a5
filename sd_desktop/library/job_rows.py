"""What a job's row says, read inside a caller's own transaction.

For code that must decide on a job's status in the same transaction as what it writes next (e.g.
adding work to a job only while that job is still running), so that the job cannot change status
in between. The job manager, which owns the ``job`` rows, reads them through its own queries.
"""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

from sd_desktop.enums import JobStatus


class JobRowStatus(NamedTuple):
    status: JobStatus
    name: str


def status_of(conn: sqlite3.Connection, job_id: int) -> JobRowStatus | None:
    """The job's status and name, or None when there is no such job."""
    row = conn.execute("SELECT status, name FROM job WHERE id = ?", (job_id,)).fetchone()
    return None if row is None else JobRowStatus(JobStatus(row[0]), row[1])

"""A job row's status and name, read inside a caller's transaction, on a real library."""

from __future__ import annotations

from sd_desktop.enums import JobStatus
from sd_desktop.library import job_rows
from sd_desktop.library.job_rows import JobRowStatus


def test_status_and_name_of_a_job_and_none_for_a_missing_one(library):
    def make(conn):
        return [
            conn.execute(
                "INSERT INTO job (name, version, status, config, config_key, created_at, updated_at) "
                "VALUES (?, 1, ?, x'80', 'k', 0, 0)",
                (name, status),
            ).lastrowid
            for name, status in (("thumbnails", "running"), ("copy", "completed_with_errors"))
        ]

    a, b = library.write_sync(make)
    assert library.read_sync(lambda c: job_rows.status_of(c, a)) == JobRowStatus(JobStatus.RUNNING, "thumbnails")
    got = library.read_sync(lambda c: job_rows.status_of(c, b))
    assert got.status is JobStatus.COMPLETED_WITH_ERRORS and got.name == "copy"
    assert library.read_sync(lambda c: job_rows.status_of(c, b + 1)) is None

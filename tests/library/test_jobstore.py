"""The job table's functions on a real library: a queued row reads back as written, the scheduler's
choice and claim, status changes only from the statuses allowed, checkpoints, a run's end, crash
recovery, follow-ups, history, and forgetting finished jobs with their work lists."""

from __future__ import annotations

import pytest

from sd_desktop.enums import JobStatus, WorkStatus
from sd_desktop.library import jobstore, worklist
from sd_desktop.library.jobstore import JobRecord


def _queue(library, name="t", key="k", *, priority=0, parent_id=None, now=100.0) -> int:
    return library.write_sync(
        lambda c: jobstore.insert(
            c,
            name=name,
            version=2,
            config=b"\x80",
            config_key=key,
            target="/some/where",
            priority=priority,
            parent_id=parent_id,
            now=now,
        )
    )


def _status(library, job_id) -> JobStatus:
    return library.read_sync(lambda c: jobstore.get(c, job_id)).status


def _set(library, job_id, status: JobStatus) -> None:
    assert library.write_sync(lambda c: jobstore.set_status_if(c, job_id, set(JobStatus), status, 1.0))


def test_a_queued_job_reads_back_as_written(library):
    job_id = _queue(library, priority=3, now=100.0)
    record = library.read_sync(lambda c: jobstore.get(c, job_id))
    assert record == JobRecord(
        id=job_id,
        name="t",
        version=2,
        status=JobStatus.QUEUED,
        priority=3,
        target="/some/where",
        config=b"\x80",
        state=None,
        progress=None,
        output=None,
        error=None,
        errors=None,
        error_count=0,
        parent_id=None,
        interrupted=0,
        created_at=100.0,
        started_at=None,
        finished_at=None,
        updated_at=100.0,
    )
    assert type(record.status) is JobStatus
    assert library.read_sync(lambda c: jobstore.get(c, job_id + 1)) is None


def test_active_id_finds_the_oldest_active_job_of_that_name_and_config(library):
    first, second = _queue(library), _queue(library)
    _queue(library, name="other")
    _queue(library, key="other-key")
    assert library.read_sync(lambda c: jobstore.active_id(c, "t", "k")) == first
    for status in (JobStatus.RUNNING, JobStatus.PAUSED):
        _set(library, first, status)
        assert library.read_sync(lambda c: jobstore.active_id(c, "t", "k")) == first
    _set(library, first, JobStatus.COMPLETED)
    assert library.read_sync(lambda c: jobstore.active_id(c, "t", "k")) == second
    _set(library, second, JobStatus.CANCELLED)
    assert library.read_sync(lambda c: jobstore.active_id(c, "t", "k")) is None


def test_next_runnable_takes_priority_then_age_and_waits_for_the_parent(library):
    low = _queue(library)
    high = _queue(library, priority=5)
    parent = _queue(library, priority=1)
    child = _queue(library, priority=9, parent_id=parent)

    def next_(only=None):
        return library.read_sync(lambda c: jobstore.next_runnable(c, only))

    assert next_() == high
    assert next_([low, child]) == low  # the child waits: its parent has not completed
    assert next_([]) is None
    for status in (JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.RUNNING):
        _set(library, parent, status)
        assert next_([child]) is None
    for status in (JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_ERRORS):
        _set(library, parent, status)
        assert next_() == child
    library.write_sync(lambda c: c.execute("DELETE FROM job WHERE id = ?", (parent,)))
    assert next_() == child  # a parent that is gone holds nothing back


def test_claim_marks_running_and_keeps_the_first_start(library):
    job_id = _queue(library)
    record = library.write_sync(lambda c: jobstore.claim(c, job_id, 200.0))
    assert (record.status, record.started_at, record.updated_at) == (JobStatus.RUNNING, 200.0, 200.0)
    _set(library, job_id, JobStatus.QUEUED)
    record = library.write_sync(lambda c: jobstore.claim(c, job_id, 300.0))
    assert (record.status, record.started_at, record.updated_at) == (JobStatus.RUNNING, 200.0, 300.0)
    assert library.read_sync(lambda c: jobstore.next_runnable(c)) is None


def test_set_status_if_changes_only_from_an_allowed_status(library):
    job_id = _queue(library)
    assert not library.write_sync(
        lambda c: jobstore.set_status_if(c, job_id, {JobStatus.PAUSED}, JobStatus.QUEUED, 5.0)
    )
    assert _status(library, job_id) is JobStatus.QUEUED
    assert library.write_sync(
        lambda c: jobstore.set_status_if(c, job_id, {JobStatus.QUEUED, JobStatus.PAUSED}, JobStatus.PAUSED, 5.0)
    )
    record = library.read_sync(lambda c: jobstore.get(c, job_id))
    assert (record.status, record.updated_at) == (JobStatus.PAUSED, 5.0)


def test_checkpoint_stores_state_errors_and_progress(library):
    job_id = _queue(library)
    library.write_sync(lambda c: jobstore.checkpoint(c, job_id, b"state", b"errs", 7, '{"done": 3}', 9.0))
    r = library.read_sync(lambda c: jobstore.get(c, job_id))
    assert (r.state, r.errors, r.error_count, r.progress, r.updated_at) == (b"state", b"errs", 7, '{"done": 3}', 9.0)
    assert r.status is JobStatus.QUEUED


def test_a_finished_run_drops_its_state_and_keeps_its_output(library):
    job_id = _queue(library)
    library.write_sync(lambda c: jobstore.checkpoint(c, job_id, b"state", b"errs", 1, "{}", 9.0))
    library.write_sync(
        lambda c: jobstore.store_end(
            c, job_id, JobStatus.COMPLETED, error=None, now=10.0, output=b"out", report=(b"e2", 2, '{"p": 1}')
        )
    )
    r = library.read_sync(lambda c: jobstore.get(c, job_id))
    assert (r.status, r.state, r.output, r.errors, r.error_count, r.progress, r.finished_at, r.updated_at) == (
        JobStatus.COMPLETED,
        None,
        b"out",
        b"e2",
        2,
        '{"p": 1}',
        10.0,
        10.0,
    )
    assert library.read_sync(lambda c: jobstore.get(c, job_id, output=False)).output is None


def test_a_paused_run_keeps_its_state_and_report_unless_given(library):
    job_id = _queue(library)
    library.write_sync(lambda c: jobstore.checkpoint(c, job_id, b"state", b"errs", 1, "{}", 9.0))
    library.write_sync(lambda c: jobstore.store_end(c, job_id, JobStatus.PAUSED, error=None, now=10.0))
    r = library.read_sync(lambda c: jobstore.get(c, job_id))
    assert (r.status, r.state, r.errors, r.error_count, r.progress, r.finished_at) == (
        JobStatus.PAUSED,
        b"state",
        b"errs",
        1,
        "{}",
        None,
    )


def test_recovery_requeues_or_fails_what_a_crash_left_running(library):
    resumable, doomed, queued = _queue(library, name="a"), _queue(library, name="b"), _queue(library, name="c")
    library.write_sync(lambda c: c.execute("UPDATE job SET error = 'before' WHERE id = ?", (resumable,)))
    for job_id in (resumable, doomed):
        library.write_sync(lambda c, job_id=job_id: jobstore.claim(c, job_id, 1.0))
    assert library.read_sync(jobstore.found_running) == [(resumable, "a"), (doomed, "b")]
    assert [row[0::4] for row in library.read_sync(jobstore.found_interrupted)] == [
        (resumable, JobStatus.RUNNING),
        (doomed, JobStatus.RUNNING),
    ]
    library.write_sync(
        lambda c: jobstore.mark_interrupted(
            c, [(resumable, JobStatus.QUEUED, None, 1), (doomed, JobStatus.FAILED, "cannot resume", 1)], 50.0
        )
    )
    # queued again after a crash, it is still an interrupted job a later start looks at
    assert [row[0::4] for row in library.read_sync(jobstore.found_interrupted)] == [(resumable, JobStatus.QUEUED)]
    a, b, c_ = (library.read_sync(lambda c, i=i: jobstore.get(c, i)) for i in (resumable, doomed, queued))
    assert (a.status, a.error, a.interrupted, a.finished_at, a.updated_at) == (
        JobStatus.QUEUED,
        "before",
        1,
        None,
        50.0,
    )
    assert (b.status, b.error, b.interrupted, b.finished_at) == (JobStatus.FAILED, "cannot resume", 1, 50.0)
    assert (c_.status, c_.interrupted) == (JobStatus.QUEUED, 0)
    assert library.read_sync(jobstore.found_running) == []


def test_follow_ups_and_their_cancellation(library):
    parent = _queue(library, name="search", key="s")
    waiting = _queue(library, name="delete", parent_id=parent)
    paused = _queue(library, name="delete", key="k2", parent_id=parent)
    done = _queue(library, name="delete", key="k3", parent_id=parent)
    _set(library, paused, JobStatus.PAUSED)
    _set(library, done, JobStatus.COMPLETED)
    _queue(library, name="delete", key="k4")  # follows nothing
    assert library.read_sync(lambda c: jobstore.children(c, parent)) == [waiting, paused, done]
    assert library.read_sync(lambda c: jobstore.active_followups(c, "delete", "search", "s")) == [waiting, paused]
    assert library.read_sync(lambda c: jobstore.active_followups(c, "delete", "search", "other")) == []
    assert library.read_sync(lambda c: jobstore.active_followups(c, "copy", "search", "s")) == []
    assert library.write_sync(lambda c: jobstore.cancel_followups(c, parent, "parent failed", 60.0)) == 2
    for job_id in (waiting, paused):
        r = library.read_sync(lambda c, job_id=job_id: jobstore.get(c, job_id))
        assert (r.status, r.error, r.finished_at) == (JobStatus.CANCELLED, "parent failed", 60.0)
    assert _status(library, done) is JobStatus.COMPLETED


def test_history_is_newest_first_and_filters_by_status(library):
    ids = [_queue(library, key=str(i)) for i in range(5)]
    _set(library, ids[1], JobStatus.PAUSED)
    _set(library, ids[3], JobStatus.FAILED)
    assert [r.id for r in library.read_sync(lambda c: jobstore.history(c, 10))] == ids[::-1]
    assert [r.id for r in library.read_sync(lambda c: jobstore.history(c, 2))] == [ids[4], ids[3]]
    got = library.read_sync(lambda c: jobstore.history(c, 10, {JobStatus.PAUSED, JobStatus.FAILED}))
    assert [r.id for r in got] == [ids[3], ids[1]]


@pytest.mark.parametrize("finished", sorted(s for s in JobStatus if s.finished))
def test_delete_finished_forgets_finished_jobs_and_their_work_lists(library, finished):
    gone, kept = _queue(library, key="a"), _queue(library, key="b")
    follower = _queue(library, key="c", parent_id=gone)
    _set(library, gone, finished)
    for job_id in (gone, kept):
        library.write_sync(lambda c, job_id=job_id: worklist.add(c, job_id, [(0, 0, b"x", 1, None)]))
    library.write_sync(
        lambda c: worklist.update(c, gone, [(WorkStatus.DONE, "done", None, 0)])
    )  # done items go too, not only pending ones
    assert library.write_sync(jobstore.delete_finished) == 1
    assert library.read_sync(lambda c: jobstore.get(c, gone)) is None
    assert library.read_sync(lambda c: worklist.count(c, gone)) == 0
    assert library.read_sync(lambda c: worklist.count(c, kept)) == 1
    assert library.read_sync(lambda c: jobstore.get(c, follower)).parent_id is None
    assert library.write_sync(jobstore.delete_finished) == 0

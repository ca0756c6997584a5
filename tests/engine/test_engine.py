"""Job engine semantics on plain asyncio with a real library (SQLite file in a tmp dir)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import pytest

import tests.engine.jobs_for_tests as tj
from sd_desktop.jobs import JobManager, JobStatus, codec
from sd_desktop.library import Library


def run(coro):
    return asyncio.run(coro)


async def _manager(lib: Library, **kw) -> JobManager:
    m = JobManager(lib, **kw)
    await m.start()
    return m


def _steps(lib: Library, job_id: int) -> list[int]:
    return lib.read_sync(
        lambda c: [r[0] for r in c.execute("SELECT step FROM test_steps WHERE job = ? ORDER BY step", (job_id,))]
    )


def test_uninterrupted_job_completes_with_output(library):
    async def go():
        m = await _manager(library)
        job_id = await m.enqueue("test_count", tj.CountConfig(n=20))
        info = await m.wait(job_id)
        await m.shutdown()
        return job_id, info

    job_id, info = run(go())
    assert info.status is JobStatus.COMPLETED
    assert info.output == {"count": 20, "total": sum(range(20))}
    assert _steps(library, job_id) == list(range(20))
    assert info.finished_at is not None and not info.has_state


def test_outputs_are_encoded_and_decoded_off_the_event_loop(library, monkeypatch):
    """A job's output can be megabytes (a duplicate search's); the loop may be the GUI's."""
    import threading

    threads: dict[str, set[str]] = {"pack": set(), "unpack": set()}
    for name in threads:
        original = getattr(codec, name)

        def recording(*a, _name=name, _original=original, **k):
            result = _original(*a, **k)
            value = a[0] if _name == "pack" else result
            if isinstance(value, tj.CountOutput) or (isinstance(value, dict) and "count" in value):  # outputs
                threads[_name].add(threading.current_thread().name)
            return result

        monkeypatch.setattr(codec, name, recording)

    async def go():
        m = await _manager(library)
        job_id = await m.enqueue("test_count", tj.CountConfig(n=3))
        done = await m.wait(job_id)
        listed = await m.list()
        again = await m.info(job_id)
        await m.shutdown()
        return done, listed, again

    done, listed, again = run(go())
    assert done.output == again.output == listed[0].output == {"count": 3, "total": 3}
    loop_thread = threading.main_thread().name
    assert threads["pack"] and loop_thread not in threads["pack"]
    assert threads["unpack"] and loop_thread not in threads["unpack"]


def test_pause_then_resume_gives_same_output_and_nothing_repeated(library):
    tj.CountJob.events.clear()

    async def go():
        m = await _manager(library)
        seen = []
        m.events.add_listener(lambda e: seen.append((e.kind, e.job_id)))
        job_id = await m.enqueue("test_count", tj.CountConfig(n=40, delay=0.005))
        while True:  # pause once some progress is committed
            info = await m.info(job_id)
            if info.has_state:
                break
            await asyncio.sleep(0.01)
        await m.pause(job_id)
        paused = await m.wait(job_id)
        done_at_pause = codec.unpack(
            library.read_sync(lambda c: c.execute("SELECT state FROM job WHERE id=?", (job_id,)).fetchone()[0])
        )["next"]
        await asyncio.sleep(0.05)  # a paused job does not advance
        still = codec.unpack(
            library.read_sync(lambda c: c.execute("SELECT state FROM job WHERE id=?", (job_id,)).fetchone()[0])
        )["next"]
        await m.resume(job_id)
        final = await m.wait(job_id)
        await m.shutdown()
        return job_id, paused, done_at_pause, still, final, seen

    job_id, paused, at_pause, still, final, seen = run(go())
    assert paused.status is JobStatus.PAUSED
    assert 0 < at_pause < 40 and still == at_pause
    assert final.status is JobStatus.COMPLETED
    assert final.output == {"count": 40, "total": sum(range(40))}
    assert _steps(library, job_id) == list(range(40))  # UNIQUE(job, step): a repeat would have raised
    assert f"pause:{job_id}" in tj.CountJob.events and f"resume:{job_id}" in tj.CountJob.events
    kinds = [k for k, i in seen if i == job_id]
    assert kinds[0] == "queued" and "paused" in kinds and "resumed" in kinds and kinds[-1] == "completed"


def test_cancel_running_job_calls_on_cancel_and_keeps_history(library):
    tj.CountJob.events.clear()

    async def go():
        m = await _manager(library)
        job_id = await m.enqueue("test_count", tj.CountConfig(n=1000, delay=0.005))
        await asyncio.sleep(0.05)
        await m.cancel(job_id)
        info = await m.wait(job_id)
        listed = await m.list()
        await m.shutdown()
        return job_id, info, listed

    job_id, info, listed = run(go())
    assert info.status is JobStatus.CANCELLED
    assert f"cancel:{job_id}" in tj.CountJob.events
    assert [j.id for j in listed] == [job_id]


def test_cancel_paused_job_calls_on_cancel(library):
    tj.CountJob.events.clear()

    async def go():
        m = await _manager(library)
        job_id = await m.enqueue("test_count", tj.CountConfig(n=1000, delay=0.005))
        await asyncio.sleep(0.05)
        await m.pause(job_id)
        await m.wait(job_id)
        await m.cancel(job_id)
        info = await m.info(job_id)
        await m.shutdown()
        return job_id, info

    job_id, info = run(go())
    assert info.status is JobStatus.CANCELLED
    assert f"cancel:{job_id}" in tj.CountJob.events


def test_pause_and_cancel_are_never_lost_while_a_job_is_being_started(library):
    """A request that lands between the claim of a job (already 'running' in the table) and its
    launch must still reach it: pressing Pause or Cancel as a job starts is never ignored."""

    async def go():
        m = await _manager(library, concurrency=1)
        outcomes = []
        for i in range(30):
            job_id = await m.enqueue("test_count", tj.CountConfig(n=400, delay=0.005, tag=f"p{i}"))
            for _ in range(i % 10):  # land the request at a different point of the start each time
                await asyncio.sleep(0)
            if i % 2:
                await m.cancel(job_id)
            else:
                await m.pause(job_id)
            info = await m.wait(job_id)
            if info.status is JobStatus.PAUSED:
                await m.cancel(job_id)
                info = await m.wait(job_id)
            outcomes.append((i, info.status))
        await m.shutdown()
        return outcomes

    outcomes = run(go())
    assert [o for o in outcomes if o[1] is not JobStatus.CANCELLED] == [], outcomes


def test_wait_returns_for_jobs_finishing_around_the_call_and_leaves_no_waiters(library):
    """wait() called at many points of short jobs' lives always returns and leaves no waiter behind.
    (The waiter is registered before the status read, so a finish during that read wakes it; that
    window is too narrow to hit on purpose here.)"""

    async def go():
        m = await _manager(library, concurrency=2)
        hung = []
        for i in range(150):
            job_id = await m.enqueue("test_count", tj.CountConfig(n=1, tag=f"w{i}"))
            for _ in range(i % 7):
                await asyncio.sleep(0)
            try:
                info = await asyncio.wait_for(m.wait(job_id), 10)
                assert info.status is JobStatus.COMPLETED
            except TimeoutError:
                hung.append(job_id)
        leftover = {k: v for k, v in m._waiters.items() if v}
        await m.shutdown()
        return hung, leftover

    hung, leftover = run(go())
    assert hung == [] and leftover == {}


def test_failure_text_and_non_critical_errors_are_persisted(library):
    async def go():
        m = await _manager(library)
        failing = await m.enqueue("test_count", tj.CountConfig(n=10, fail_at=5, tag="f"))
        noisy = await m.enqueue("test_count", tj.CountConfig(n=10, noncritical_every=3, tag="n"))
        a, b = await m.wait(failing), await m.wait(noisy)
        await m.shutdown()
        return a, b

    failed, noisy = run(go())
    assert failed.status is JobStatus.FAILED and failed.error == "failed on purpose at 5"
    assert noisy.status is JobStatus.COMPLETED_WITH_ERRORS
    assert noisy.error_count == 4
    assert [e["path"] for e in noisy.errors] == ["/item/0", "/item/3", "/item/6", "/item/9"]
    # stored, not just in memory: a fresh manager reads the same
    again = JobManager(library).get(noisy.id)
    assert again.error_count == 4 and again.errors[0]["message"] == "could not do item"


def test_identical_jobs_are_not_queued_twice(library):
    async def go():
        m = await _manager(library, concurrency=1)
        blocker = await m.enqueue("test_sleep", tj.SleepConfig(seconds=0.3))
        a = await m.enqueue("test_count", tj.CountConfig(n=3))
        b = await m.enqueue("test_count", tj.CountConfig(n=3))
        c = await m.enqueue("test_count", tj.CountConfig(n=4))
        await m.wait_idle()
        jobs = await m.list()
        await m.shutdown()
        return blocker, a, b, c, jobs

    blocker, a, b, c, jobs = run(go())
    assert a == b and c != a
    assert len(jobs) == 3
    assert all(j.status is JobStatus.COMPLETED for j in jobs)


def test_concurrency_limit_and_priority(library):
    async def go():
        m = await _manager(library, concurrency=1)
        m.set_concurrency(1)
        starts: list[int] = []
        m.events.add_listener(lambda e: starts.append(e.job_id) if e.kind == "started" else None)
        first = await m.enqueue("test_sleep", tj.SleepConfig(seconds=0.15))
        low = await m.enqueue("test_sleep", tj.SleepConfig(seconds=0.05), priority=0)
        high = await m.enqueue("test_sleep", tj.SleepConfig(seconds=0.06), priority=5)
        await m.wait_idle()
        outs = {j.id: j.output for j in await m.list()}
        await m.shutdown()
        return first, low, high, starts, outs

    first, low, high, starts, outs = run(go())
    assert starts == [first, high, low]
    spans = sorted((o["started"], o["ended"]) for o in outs.values())
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start >= end  # never two at once with a limit of 1


def test_two_jobs_run_concurrently_with_limit_two(library):
    async def go():
        m = await _manager(library, concurrency=2)
        a = await m.enqueue("test_sleep", tj.SleepConfig(seconds=0.2))
        b = await m.enqueue("test_sleep", tj.SleepConfig(seconds=0.21))
        await m.wait_idle()
        outs = [(await m.info(i)).output for i in (a, b)]
        await m.shutdown()
        return outs

    a, b = run(go())
    assert a["started"] < b["ended"] and b["started"] < a["ended"]  # overlapping


def test_followup_starts_after_parent_completes(library):
    async def go():
        m = await _manager(library)
        parent = await m.enqueue("test_sleep", tj.SleepConfig(seconds=0.05, follow_with=5))
        await m.wait_tree(parent)
        info = await m.info(parent)
        child = await m.info(info.output["child"])
        await m.shutdown()
        return info, child

    parent, child = run(go())
    assert child.parent_id == parent.id
    assert child.status is JobStatus.COMPLETED
    assert child.started_at >= parent.finished_at - 0.001


def test_followups_of_a_cancelled_parent_are_cancelled(library):
    async def go():
        m = await _manager(library, concurrency=1)
        parent = await m.enqueue("test_count", tj.CountConfig(n=500, delay=0.005, tag="p"))
        child = await m.enqueue("test_count", tj.CountConfig(n=2, tag="c"), parent_id=parent)
        await asyncio.sleep(0.05)
        await m.cancel(parent)
        await m.wait(parent)
        info = await m.info(child)
        await m.shutdown()
        return info

    child = run(go())
    assert child.status is JobStatus.CANCELLED and "did not complete" in child.error


def test_unknown_job_name_and_version_fail_cleanly(library):
    now = 1.0

    def plant(conn: sqlite3.Connection):
        blob = codec.pack(tj.CountConfig(n=3))
        conn.execute(
            "INSERT INTO job (name, version, status, config, config_key, created_at, updated_at) "
            "VALUES ('no_such_job', 1, 'queued', ?, 'k1', ?, ?)",
            (blob, now, now),
        )
        conn.execute(
            "INSERT INTO job (name, version, status, config, config_key, state, created_at, updated_at) "
            "VALUES ('test_count', 99, 'queued', ?, 'k2', ?, ?, ?)",
            (blob, codec.pack(tj.CountState(next=1)), now, now),
        )
        conn.execute(
            "INSERT INTO job (name, version, status, config, config_key, state, created_at, updated_at) "
            "VALUES ('test_count', 1, 'queued', ?, 'k3', ?, ?, ?)",
            (blob, b"\xc1garbage", now, now),
        )

    library.write_sync(plant)

    async def go():
        m = await _manager(library)
        ok = await m.enqueue("test_count", tj.CountConfig(n=2))
        await m.wait_idle()
        jobs = {j.id: j for j in await m.list()}
        await m.shutdown()
        return ok, jobs

    ok, jobs = run(go())
    assert jobs[1].status is JobStatus.FAILED and "unknown job type 'no_such_job'" in jobs[1].error
    assert jobs[2].status is JobStatus.FAILED and "version 99" in jobs[2].error
    assert jobs[3].status is JobStatus.FAILED and "corrupt" in jobs[3].error
    assert jobs[ok].status is JobStatus.COMPLETED  # the engine keeps running


def test_a_stored_row_that_does_not_fit_fails_alone_naming_job_version_and_field(library):
    """FAULTS 17 for stored state: a damaged or foreign row fails its own job; the others run."""
    now = 1.0
    rows = [  # (config, state) as a damaged row or another build may have stored them
        (codec.pack({"n": "3"}), None),
        (codec.pack(tj.CountConfig(n=3)), codec.pack({"next": "abc"})),
        (codec.pack(tj.CountConfig(n=3)), codec.pack({"next": 1, "nxet": 2})),
        (codec.pack({"n": 3, "tag": None}), None),
    ]

    def plant(conn: sqlite3.Connection):
        for i, (config, state) in enumerate(rows):
            conn.execute(
                "INSERT INTO job (name, version, status, config, config_key, state, created_at, updated_at) "
                "VALUES ('test_count', 1, 'queued', ?, ?, ?, ?, ?)",
                (config, f"k{i}", state, now, now),
            )

    library.write_sync(plant)

    async def go():
        m = await _manager(library)
        ok = await m.enqueue("test_count", tj.CountConfig(n=2))
        await m.wait_idle()
        jobs = {j.id: j for j in await m.list()}
        await m.shutdown()
        return ok, jobs

    ok, jobs = run(go())
    suffix = "; run it again"
    expected = {
        1: "config is corrupt or from another build (n: expected an integer, got the string '3')",
        2: "state is corrupt or from another build (next: expected an integer, got the string 'abc')",
        3: "state is corrupt or from another build (nxet: unknown field (did you mean 'next'?); "
        "the known fields are: next, total)",
        4: "config is corrupt or from another build (tag: expected a string, got null)",
    }
    for job_id, text in expected.items():
        assert jobs[job_id].status is JobStatus.FAILED
        assert jobs[job_id].error == f"job {job_id} (test_count, version 1) cannot continue: its stored {text}{suffix}"
    assert jobs[ok].status is JobStatus.COMPLETED  # the engine keeps running
    assert jobs[ok].output == {"count": 2, "total": 1}


@pytest.mark.parametrize(
    ("config", "where"),
    [
        ({"n": "3"}, "n"),
        ({"n": 3, "delay": float("nan")}, "delay"),
        ({"m": 3}, "m"),
        (tj.CountConfig(n=True), "n"),  # a typed config is checked as well
        (None, None),
    ],
)
def test_enqueue_refuses_a_config_that_does_not_fit_before_a_row_exists(library, config, where):
    async def go():
        m = await _manager(library)
        try:
            with pytest.raises(codec.CodecError) as err:
                await m.enqueue("test_count", config)
            return err.value, await m.list()
        finally:
            await m.shutdown()

    err, jobs = run(go())
    assert err.field == where
    assert jobs == []


def test_restart_resumes_interrupted_jobs_and_keeps_paused_ones_paused(library_dir):
    lib = Library.open(library_dir)

    async def first_life():
        m = await _manager(lib)
        running = await m.enqueue("test_count", tj.CountConfig(n=30, delay=0.01, tag="r"))
        paused = await m.enqueue("test_count", tj.CountConfig(n=30, delay=0.01, tag="p"))
        not_resumable = await m.enqueue("test_sleep", tj.SleepConfig(seconds=5))
        await asyncio.sleep(0.12)
        await m.pause(paused)
        await m.wait(paused)
        # simulate a crash: stop the tasks without letting the jobs persist a pause
        for run_ in list(m._running.values()):
            run_.task.cancel()
        await asyncio.sleep(0.05)
        return running, paused, not_resumable

    running, paused, sleeper = run(first_life())
    statuses = lib.read_sync(lambda c: dict(c.execute("SELECT id, status FROM job")))
    assert statuses[running] == "running" and statuses[sleeper] == "running"
    lib.close()

    lib = Library.open(library_dir)

    async def second_life():
        m = await _manager(lib)
        done = await m.wait(running)
        await m.wait(sleeper)
        infos = {i: await m.info(i) for i in (running, paused, sleeper)}
        await m.shutdown()
        return done, infos

    done, infos = run(second_life())
    assert done.status is JobStatus.COMPLETED and done.interrupted == 1
    assert done.output == {"count": 30, "total": sum(range(30))}
    assert _steps(lib, running) == list(range(30))
    assert infos[paused].status is JobStatus.PAUSED
    assert infos[sleeper].status is JobStatus.FAILED and "cannot resume" in infos[sleeper].error
    lib.close()


def test_progress_is_throttled_and_last_value_delivered(library):
    async def go():
        m = await _manager(library)
        events = []
        m.events.add_listener(lambda e: events.append(e) if e.kind == "progress" else None)
        job_id = await m.enqueue("test_count", tj.CountConfig(n=300))
        info = await m.wait(job_id)
        await m.shutdown()
        return events, info

    events, info = run(go())
    assert events, "no progress events"
    assert len(events) < 300 / 2  # throttled: far fewer events than updates
    assert events[-1].progress["done"] == 300 and events[-1].progress["total"] == 300
    assert info.progress["done"] == 300


class Mode(Enum):
    A = "a"
    B = "b"


@dataclass
class Inner:
    where: Path = Path("/")
    mode: Mode = Mode.A


@dataclass
class RichState:
    items: list[Path] = field(default_factory=list)
    inner: Inner = field(default_factory=Inner)
    maybe: Path | None = None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class OldState:
    a: int = 1
    gone: str = "x"


@dataclass
class NewState:
    a: int = 0
    added: int = 7


def test_state_codec_round_trips_paths_enums_and_undecodable_names():
    weird = Path(b"/tmp/caf\xe9-\xff\n-name".decode("utf-8", "surrogateescape"))
    state = RichState(items=[weird, Path("/x")], inner=Inner(weird, Mode.B), maybe=weird, counts={"a": 1})
    blob = codec.pack(state)
    back = codec.unpack(blob, RichState)
    assert back == state
    assert os.fsencode(back.items[0]) == b"/tmp/caf\xe9-\xff\n-name"
    plain = codec.unpack(blob)
    assert isinstance(plain, dict) and set(plain) == {"items", "inner", "maybe", "counts"}  # named fields


def test_state_decoding_fills_added_fields_and_refuses_unknown_ones():
    @dataclass
    class Older:
        a: int = 1

    assert codec.unpack(codec.pack(Older(a=5)), NewState) == NewState(a=5, added=7)
    # a field this build does not know: the state is not what this build would resume from
    with pytest.raises(codec.CodecError, match=r"^gone: unknown field; the known fields are: a, added$") as err:
        codec.unpack(codec.pack(OldState(a=5)), NewState)
    assert err.value.field == "gone"


def test_schema_is_derived_from_config():
    schema = tj.CountJob.schema()
    assert schema["title"] == "test_count"
    assert schema["properties"]["n"] == {"type": "integer", "default": 10}
    assert schema["properties"]["fail_at"]["anyOf"] == [{"type": "integer"}, {"type": "null"}]


def test_engine_never_imports_qt():
    import subprocess
    import sys

    code = (
        "import sys, sd_desktop.jobs, sd_desktop.library, sd_desktop.cli, sd_desktop.ops, sd_desktop.volumes; "
        "import sd_desktop.ops as o; o.load_all(); import sd_desktop.commands as c; c.modules(); "
        "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt imported'"
    )
    from tests.conftest import REPO, cli_env

    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, env=cli_env())


@pytest.mark.parametrize("bad", [b"", b"\x00\x01"])
def test_codec_rejects_garbage(bad):
    with pytest.raises(codec.CodecError):
        codec.unpack(bad, tj.CountState)


def test_every_phase_is_delivered_even_when_short():
    from sd_desktop.jobs.progress import ProgressTracker

    async def go():
        seen = []
        tracker = ProgressTracker(lambda p: seen.append((p.phase, p.done)), interval=10.0)
        for phase in ("discovery", "processing", "aggregation", "content"):
            for i in range(50):
                tracker.update(phase=phase, done=i + 1)
        tracker.flush()
        tracker.close()
        return seen

    seen = run(go())
    assert [p for p, _ in seen if _ == 50] == ["discovery", "processing", "aggregation", "content"]
    assert len(seen) <= 8  # throttled within a phase


def test_full_hash_small_and_large_files_match_blake3(tmp_path):
    import blake3

    from sd_desktop import cas

    for size in (0, 1, 1024 * 1024, 1024 * 1024 + 1, 9 * 1024 * 1024):
        data = os.urandom(size)
        p = tmp_path / f"f{size}"
        p.write_bytes(data)
        assert cas.full_hash(p) == blake3.blake3(data).hexdigest()


def test_disk_full_during_a_write_surfaces_the_real_error(tmp_path):
    import subprocess

    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("mounting a tmpfs is not permitted here")
    try:
        lib = Library.open(mnt / "lib")
        lib.write_sync(lambda c: c.execute("CREATE TABLE filler (b BLOB)"))
        with pytest.raises(Exception) as info:
            for _ in range(100):
                lib.write_sync(lambda c: c.executemany("INSERT INTO filler VALUES (?)", [(os.urandom(4096),)] * 50))
        assert "full" in str(info.value).lower()
        assert "no transaction is active" not in str(info.value)
        lib.close()
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)

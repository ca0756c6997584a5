"""``jobs list|show|resume|cancel|run|schema|clear``: the persistent job queue from a terminal.

``jobs list`` reads the queue read-only (``library.reader``): no lock, no job engine, so it answers
while another process runs jobs. The other sub-commands go through the ``JobManager``, imported
where they use it."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import TYPE_CHECKING, Any

from sd_desktop.commands.common import (
    EXIT_OK,
    CommandFailed,
    UsageError,
    drive_job,
    emit_json,
    is_remote,
    open_library,
    open_reader,
    print_result,
    result_object,
)
from sd_desktop.enums import JobStatus
from sd_desktop.library import LibraryLocked, jobstore

if TYPE_CHECKING:
    from sd_desktop.jobs import JobManager
    from sd_desktop.library.jobstore import JobRecord


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("jobs", help="list, inspect, resume or cancel jobs")
    jsub = p.add_subparsers(dest="jobs_cmd", required=True, metavar="{list,show,resume,cancel,run,schema,clear}")
    ls = jsub.add_parser("list", help="recent jobs, newest first")
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list, needs_jobs=False)
    for name, func, text in (
        ("show", cmd_show, "one job in full"),
        ("resume", cmd_resume, "continue a paused or interrupted job"),
        ("cancel", cmd_cancel, "cancel a queued, paused or interrupted job"),
    ):
        sp = jsub.add_parser(name, help=text)
        sp.add_argument("id", type=int)
        sp.add_argument("--json", action="store_true")
        sp.set_defaults(func=func)
    run = jsub.add_parser("run", help="run any registered job with a JSON config (see 'jobs schema')")
    run.add_argument("name")
    run.add_argument("--config", default="{}", help="the job's config as JSON")
    run.add_argument("--json", action="store_true")
    run.set_defaults(func=cmd_run)
    sc = jsub.add_parser("schema", help="the JSON schema of a job's config (all jobs without NAME)")
    sc.add_argument("name", nargs="?")
    sc.add_argument("--json", action="store_true", help="the schema as the output of one result line")
    sc.set_defaults(func=cmd_schema)
    cl = jsub.add_parser("clear", help="forget finished jobs")
    cl.add_argument("--json", action="store_true")
    cl.set_defaults(func=cmd_clear)


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else "-"


async def _recovered(lib, fn):
    """Run ``fn(manager)`` after crash recovery, so jobs left 'running' by a dead process show as
    interrupted (queued) — holding the library lock proves their process is gone."""
    from sd_desktop.jobs import JobManager

    manager = JobManager(lib, run_queued=False)
    await manager.start()
    try:
        return await fn(manager)
    finally:
        await manager.shutdown()


def cmd_list(args: argparse.Namespace) -> int:
    reader = open_reader(args)
    if reader is None:  # no library there: no jobs (and none created)
        jobs: list[JobRecord] = []
    else:
        try:
            jobs = reader.read_sync(lambda c: jobstore.history(c, args.limit, output=False))
        finally:
            reader.close()
    if any(j.status is JobStatus.RUNNING for j in jobs):
        jobs = _recovered_history(args, jobs)
    if args.json:
        emit_json(
            {
                "event": "result",
                "job_id": None,
                "status": "completed",
                "output": {"jobs": [jobstore.summary(j) for j in jobs]},
                "errors": [],
            }
        )
        return EXIT_OK
    for j in jobs:
        note = " (interrupted)" if j.interrupted and not j.status.finished else ""
        print(f"{j.id:>5}  {j.name:<22} {j.status.value + note:<24} {_when(j.created_at)}  {j.target}")
    return EXIT_OK


def _recovered_history(args: argparse.Namespace, read: list[JobRecord]) -> list[JobRecord]:
    """The history once jobs a crash left 'running' are recovered, as every command that opens the
    library recovers them; ``read`` as it is when another process owns the library (its running
    jobs do run). Rare: only a listing that finds a job stored as running gets here."""
    try:
        lib = open_library(args)
    except CommandFailed as exc:
        if isinstance(exc.__cause__, LibraryLocked):
            return read
        raise
    if is_remote(lib):  # an engine serves the library: it recovered them when it started
        lib.close()
        return read
    import asyncio

    from sd_desktop import ops

    ops.load_all()  # recovery asks each job's class whether it can resume
    try:
        return asyncio.run(
            _recovered(lib, lambda m: m.library.read(lambda c: jobstore.history(c, args.limit, output=False)))
        )
    finally:
        lib.close()


def _load(args: argparse.Namespace):
    import asyncio

    lib = open_library(args)
    if is_remote(lib):  # the engine recovered interrupted jobs when it started
        info = lib.read_sync(lambda c: _job_info(c, args.id))
    else:
        info = asyncio.run(_recovered(lib, lambda m: m.info(args.id)))
    if info is None:
        lib.close()
        raise CommandFailed(f"no job with id {args.id}")
    return lib, info


def _job_info(conn, job_id: int):
    from sd_desktop.jobs import JobInfo

    record = jobstore.get(conn, job_id)
    return JobInfo.from_record(record) if record is not None else None


def cmd_show(args: argparse.Namespace) -> int:
    lib, info = _load(args)
    lib.close()
    if args.json:
        obj = result_object(info)
        obj.update(info.to_json())
        obj["event"] = "result"
        obj["status"] = info.status.value
        obj["config"] = info.config
        emit_json(obj)
        return EXIT_OK
    print(f"job {info.id}: {info.name} — {info.status.value}")
    print(f"  target:   {info.target}")
    print(
        f"  created:  {_when(info.created_at)}   started: {_when(info.started_at)}   "
        f"finished: {_when(info.finished_at)}"
    )
    if info.interrupted:
        print(f"  interrupted by a crash {info.interrupted} time(s)")
    if info.progress:
        print(f"  progress: {info.progress.get('phase')} {info.progress.get('done')}/{info.progress.get('total')}")
    if info.error:
        print(f"  error:    {info.error}")
    if info.output is not None:
        print("  output:   " + json.dumps(info.output, default=str)[:2000])
    for err in info.errors[:50]:
        print(f"  ! {err.get('path')}: {err.get('message')}")
    return EXIT_OK


def cmd_resume(args: argparse.Namespace) -> int:
    lib, info = _load(args)
    try:
        if info.status.finished:
            raise CommandFailed(f"job {info.id} is {info.status.value}; only paused or interrupted jobs can resume")
        import asyncio

        async def start(manager: JobManager) -> int:
            await manager.resume(args.id)
            return args.id

        final = asyncio.run(drive_job(lib, args, start))
    finally:
        lib.close()
    return print_result(args, final)


def cmd_cancel(args: argparse.Namespace) -> int:
    lib, info = _load(args)
    try:
        if info.status.finished:
            raise CommandFailed(f"job {info.id} is already {info.status.value}")
        import asyncio

        from sd_desktop.jobs import JobManager

        async def go():
            if is_remote(lib):  # the engine cancels it, and waits for it to stop if it runs
                from sd_desktop.engine.remote_manager import RemoteManager

                manager = RemoteManager(lib)
            else:
                manager = JobManager(lib, run_queued=False)
            await manager.start()
            try:
                await manager.cancel(args.id)
            finally:
                await manager.shutdown()
            return await manager.info(args.id)

        final = asyncio.run(go())
    finally:
        lib.close()
    code = print_result(args, final)
    # the command did what it was asked: the job is cancelled (its status says so, not a failure)
    return EXIT_OK if final is not None and final.status is JobStatus.CANCELLED else code


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict:
    """json object hook: a key given twice is an error, not "the last one wins"."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"{key!r} is given twice")
        out[key] = value
    return out


def cmd_run(args: argparse.Namespace) -> int:
    from sd_desktop.jobs import JobStateError, job_class
    from sd_desktop.jobs.codec import CodecError, from_plain

    try:
        cls = job_class(args.name)
    except JobStateError as exc:
        raise UsageError(str(exc)) from exc
    try:
        plain = json.loads(args.config, object_pairs_hook=_no_repeats)
    except RecursionError:
        raise UsageError(f"bad --config for {cls.NAME}: the JSON is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, a repeated key, an integer of thousands of digits
        raise UsageError(f"bad --config for {cls.NAME}: not valid JSON: {exc}") from None
    try:
        config = from_plain(cls.Config, plain)  # before the library opens: nothing runs, no job row
    except CodecError as exc:
        raise UsageError(f"bad --config for {cls.NAME}: {exc} (see: sd-desktop jobs schema {cls.NAME})") from None
    from sd_desktop.commands.common import run_job

    return run_job(args, cls.NAME, config)


def cmd_schema(args: argparse.Namespace) -> int:
    from sd_desktop.jobs import JobStateError, job_class, registered

    if args.name:
        try:
            schema = job_class(args.name).schema()
        except JobStateError as exc:
            raise UsageError(str(exc)) from exc
    else:
        schema = {n: c.schema() for n, c in sorted(registered().items())}
    if args.json:
        emit_json({"event": "result", "job_id": None, "status": "completed", "output": schema, "errors": []})
    else:
        print(json.dumps(schema, indent=2))
    return EXIT_OK


def cmd_clear(args: argparse.Namespace) -> int:
    import asyncio

    from sd_desktop.jobs import JobManager

    lib = open_library(args)
    try:
        if is_remote(lib):
            n = lib.request("clear_history", [])
        else:
            n = asyncio.run(JobManager(lib).clear_history())
    finally:
        lib.close()
    if args.json:
        emit_json({"event": "result", "job_id": None, "status": "completed", "output": {"removed": n}, "errors": []})
    else:
        print(f"forgot {n} finished job(s)", file=sys.stderr)
    return EXIT_OK


__all__ = ["JobStatus"]

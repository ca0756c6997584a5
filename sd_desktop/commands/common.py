"""What every headless command shares: opening the library, exit codes, output, and running a job
to its end with NDJSON progress and pause-on-signal.

Every command imports this module, the read-only ones too: the job engine, asyncio and peewee are
imported by the functions that use them, so ``location list`` never loads them."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sd_desktop import paths
from sd_desktop.commands import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE
from sd_desktop.enums import EventKind, JobStatus
from sd_desktop.jsonable import to_jsonable
from sd_desktop.library import LibraryError, LibraryFault, LibraryLocked, SchemaTooNew, default_library_dir

if TYPE_CHECKING:
    import asyncio

    from sd_desktop.jobs import JobEvent, JobInfo, JobManager
    from sd_desktop.library import Library
    from sd_desktop.library.reader import Reader

__all__ = ["EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_INTERRUPTED", "EXIT_PARTIAL", "paths"]


class UsageError(Exception):
    """Bad arguments or a missing path: one line on stderr, exit code 2."""


class CommandFailed(Exception):
    """The command could not run (locked or damaged library): one line on stderr, exit code 1."""


def exit_code_for(status: JobStatus) -> int:
    """0 every item done, 4 some failed (or non-critical errors), 1 failed or cancelled, 3 stopped
    before its end. ``copy a b && rm -rf a`` relies on 0 meaning all of it (FAULTS 20)."""
    if status is JobStatus.COMPLETED:
        return EXIT_OK
    if status is JobStatus.COMPLETED_WITH_ERRORS:
        return EXIT_PARTIAL
    if status in (JobStatus.PAUSED, JobStatus.QUEUED, JobStatus.RUNNING):
        return EXIT_INTERRUPTED
    return EXIT_FAILED


def open_library(args: argparse.Namespace) -> Library:
    """The library, this process its only owner; or, when an engine serves it (``sd-desktop serve``,
    the window), a ``RemoteLibrary`` whose reads are this process's own and whose job queue and few
    other writes go to that engine (``drive_job`` and ``library_call`` take either). A one-shot
    command that holds the library serves nobody: one line, exit 1 (FAULTS 16)."""
    from sd_desktop.library import Library

    command = command_line(args)
    for attempt in range(_ENGINE_ATTEMPTS):
        try:
            return Library.open(args.library, holder=command)
        except LibraryLocked as exc:
            if not exc.holder.serves:
                raise CommandFailed(_in_use(exc)) from exc
            from sd_desktop.engine.client import EngineUnavailable

            try:
                return _remote(args, exc, command)
            except EngineUnavailable:  # the engine is stopping (or just started): ask the lock again
                if attempt == _ENGINE_ATTEMPTS - 1:
                    raise CommandFailed(_in_use(exc) + "; its engine does not answer") from None
                import time

                time.sleep(0.1 * (attempt + 1))
        except (SchemaTooNew, LibraryError) as exc:
            raise CommandFailed(str(exc)) from exc
        except OSError as exc:
            raise CommandFailed(f"cannot open the library at {args.library or 'the default place'}: {exc}") from exc
    raise AssertionError("unreachable")


_ENGINE_ATTEMPTS = 5


def command_line(args: argparse.Namespace) -> str:
    """What this process is, for the lock file and the engine's log (``sd-desktop jobs resume``)."""
    words = ["sd-desktop", str(getattr(args, "command", "") or "")]
    for sub in ("jobs_cmd", "location_cmd", "trash_cmd"):
        if getattr(args, sub, None):
            words.append(str(getattr(args, sub)))
    return " ".join(w for w in words if w)


def _in_use(exc: LibraryLocked) -> str:
    holder = exc.holder
    if not holder.what:  # an older build's lock file: only its PID
        return str(exc)
    who = f"PID {holder.pid}" if holder.pid else "another process"
    if holder.serves:
        return f"library in use by {who} ({holder.what})"
    if os.name != "posix":  # no engine serves there yet
        return f"library in use by {who} ({holder.what}); wait for it"
    return (
        f"library in use by {who} ({holder.what}, which serves no other commands); "
        "wait for it or run `sd-desktop serve`"
    )


def _remote(args: argparse.Namespace, locked: LibraryLocked, command: str) -> Library:
    """A handle on the library its serving engine owns (raises ``EngineUnavailable`` to retry)."""
    from sd_desktop.engine.client import EngineRefused, RemoteLibrary

    reader = open_reader(args)
    if reader is None:  # the engine has not created it yet
        from sd_desktop.engine.client import EngineUnavailable

        raise EngineUnavailable("no library yet")
    try:
        return RemoteLibrary.connect(reader.folder, reader, locked.holder, command)  # type: ignore[return-value]
    except EngineRefused as exc:
        reader.close()
        raise CommandFailed(str(exc)) from None
    except BaseException:
        reader.close()
        raise


def is_remote(lib: Any) -> bool:
    """Whether ``lib`` is a library an engine serves to this command (``open_library``)."""
    return getattr(lib, "remote", False) is True


def library_call(lib: Any, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(lib, *args, **kwargs)``: a write outside jobs (adding a location...), made here, or by
    the engine that serves the library (one of its allowed calls, ``engine.server.LIBRARY_CALLS``)."""
    if is_remote(lib):
        from sd_desktop.engine.client import EngineLost, RemoteError

        try:
            return lib.call(fn, *args, **kwargs)
        except EngineLost as exc:
            raise CommandFailed(f"{exc}; run the command again") from None
        except RemoteError as exc:
            raise CommandFailed(str(exc)) from None
    return fn(lib, *args, **kwargs)


def open_reader(args: argparse.Namespace) -> Reader | None:
    """The library opened read-only for a command that only reads it (no lock taken, nothing
    created: None where there is no library); refused as ``open_library`` refuses it."""
    from sd_desktop.library.reader import open_reader as open_read_only

    try:
        return open_read_only(args.library)
    except (LibraryLocked, SchemaTooNew, LibraryError) as exc:
        raise CommandFailed(str(exc)) from exc
    except OSError as exc:
        raise CommandFailed(f"cannot open the library at {args.library or 'the default place'}: {exc}") from exc


def library_folder(args: argparse.Namespace) -> Path:
    """The library folder the command works on (as ``open_library`` opens it)."""
    return Path(args.library) if getattr(args, "library", None) else default_library_dir()


def refuse_library_targets(args: argparse.Namespace, targets: list, verb: str) -> None:
    """One line and exit 1, before anything is queued, when a target is (or holds) the library in
    use (FAULTS 21); the jobs refuse it too, for callers other than this command line."""
    from sd_desktop.library.protect import first_library_danger

    danger = first_library_danger(targets, library_folder(args))
    if danger:
        raise CommandFailed(f"refused: {danger}; nothing was {verb}")


def existing_path(text: str) -> str:
    """argparse type: a path that exists (symlinks themselves count, even dangling ones)."""
    if not os.path.lexists(text):
        raise argparse.ArgumentTypeError(f"no such file or folder: {text}")
    return text


def local_or_volume_path(text: str) -> str:
    """argparse type: an existing local path, or text shaped like ``NAME:/path`` (whether NAME is a
    registered volume is decided once the library is known: ``volume_target``)."""
    from sd_desktop.library.volumes import split_address

    if split_address(text) is not None and not os.path.lexists(text):
        return text
    return existing_path(text)


def volume_target(args: argparse.Namespace, text: str):
    """``(VolumeRow, path on it)`` when ``text`` is ``NAME:/path`` with NAME a registered volume,
    else None (a local path). ``NAME:/path`` means a volume path only when the library has a volume
    of that name; shaped so but naming no volume and no local file, it is a usage error."""
    from sd_desktop.library.volumes import find_volume, split_address

    found = split_address(text)
    if found is None or os.path.lexists(text):
        return None
    name, path = found
    reader = open_reader(args)
    try:
        row = reader.read_sync(lambda c: find_volume(c, name)) if reader is not None else None
    finally:
        if reader is not None:
            reader.close()
    if row is None:
        raise UsageError(f"no such file or folder, and no volume named {name!r}: {text} (see 'sd-desktop volume list')")
    return row, path.strip("/")


_stdout_gone: list[Callable[[], None]] = []  # called once when the reader of stdout goes away
_stdout_closed = False


def emit_json(obj: dict, *, text_keys: bool = False) -> None:
    """One JSON line on stdout. When its reader has gone (``sd-desktop ... --json | head``), the rest
    goes to /dev/null and the ``_stdout_gone`` hooks run once: the command pauses its job, as a
    signal would, rather than crash it or run on for nobody. ``text_keys``: every mapping in ``obj``
    is keyed by strings (a decoded job output), so where ``json.dumps`` takes ``obj`` as it is and
    gives valid UTF-8, ``to_jsonable`` would change nothing and its walk is skipped (a duplicate
    search's result: 1.4 MB; tests/perf/README.md, "Duplicates as whole processes")."""
    global _stdout_closed
    if _stdout_closed:
        return
    try:
        sys.stdout.write(_json_text(obj, text_keys) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_closed = True
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's final flush must not fail
        for hook in list(_stdout_gone):
            hook()


def _json_text(obj: dict, text_keys: bool) -> str:
    if text_keys:
        # a key ``to_jsonable`` renders otherwise (True, None) cannot be among text keys; a value it
        # renders otherwise (a path, bytes, an enum of no str or int, a set, an undecodable name)
        # makes ``json.dumps`` fail or the text invalid UTF-8: then the walk is made
        try:
            text = json.dumps(obj, ensure_ascii=False)
            text.encode("utf-8")
            return text
        except (TypeError, ValueError):  # UnicodeEncodeError is a ValueError
            pass
    return json.dumps(to_jsonable(obj), ensure_ascii=False)


def result_object(info: JobInfo) -> dict:
    return {
        "event": "result",
        "job_id": info.id,
        "name": info.name,
        "status": info.status.value,
        "output": info.output if info.output is not None else {},
        "errors": info.errors,
        "error_count": info.error_count,
        "error": info.error,
    }


def print_result(
    args: argparse.Namespace,
    info: JobInfo,
    summarize: Callable[[Any], str] | None = None,
    *,
    text_keys: bool = False,
) -> int:
    """The job's result (``--json``: its line, ``text_keys`` as ``emit_json``'s), and its exit code."""
    if getattr(args, "json", False):
        emit_json(result_object(info), text_keys=text_keys)
        if _stdout_closed and info.status in (JobStatus.PAUSED, JobStatus.RUNNING, JobStatus.QUEUED):
            print(f"job {info.id} paused; continue it with: sd-desktop jobs resume {info.id}", file=sys.stderr)
    else:
        status = info.status.value.replace("_", " ")
        # a job that failed every item still lists them: the outcomes say why each one failed
        if summarize and info.output is not None and (info.status.succeeded or info.status is JobStatus.FAILED):
            print(summarize(info.output))
        if info.error:
            print(f"sd-desktop: {info.name} job {info.id} {status}: {info.error}", file=sys.stderr)
        elif info.status is JobStatus.PAUSED:
            print(f"job {info.id} paused; continue it with: sd-desktop jobs resume {info.id}", file=sys.stderr)
        elif info.status in (JobStatus.RUNNING, JobStatus.QUEUED):  # stopped by a second signal
            print(f"job {info.id} stopped; continue it with: sd-desktop jobs resume {info.id}", file=sys.stderr)
        else:
            print(f"job {info.id} {status}", file=sys.stderr)
        for err in info.errors[:20]:
            print(f"  ! {err.get('path', '')}: {err.get('message', '')}", file=sys.stderr)
        if info.error_count > 20:
            print(f"  ... and {info.error_count - 20} more problems (sd-desktop jobs show {info.id})", file=sys.stderr)
    return exit_code_for(info.status)


class _ProgressPrinter:
    """Progress on the terminal: NDJSON on stdout with --json, a status line on stderr otherwise."""

    def __init__(self, as_json: bool):
        self.as_json = as_json
        self.tty = sys.stderr.isatty()

    def __call__(self, event: JobEvent) -> None:
        if self.as_json:
            obj = {"event": event.kind, "job_id": event.job_id, "name": event.name, "status": event.status}
            if event.progress:
                obj.update(event.progress)
            if event.error:
                obj["error"] = event.error
            emit_json(obj)
        elif self.tty and event.kind == EventKind.PROGRESS and event.progress:
            p = event.progress
            total = f"/{p['total']}" if p.get("total") else ""
            eta = f" ETA {int(p['eta_seconds'])}s" if p.get("eta_seconds") is not None else ""
            line = f"{event.name}: {p.get('phase', '')} {p.get('done', 0)}{total}{eta} {p.get('message', '')}"
            sys.stderr.write("\r" + line[:100].ljust(100))
            sys.stderr.flush()
        elif self.tty and EventKind(event.kind).ends_run:
            sys.stderr.write("\r" + " " * 100 + "\r")


async def drive_job(lib: Library, args: argparse.Namespace, start: Callable[[JobManager], Any]) -> JobInfo:
    """Start a manager, let ``start(manager)`` enqueue (or resume) a job and return its id, then run
    it and its follow-ups to the end. SIGINT/SIGTERM pause the job instead of killing it; a signal
    with nothing to pause, or a second one, stops waiting at once (FAULTS 18: SIGTERM always works).
    A library that fails under the job (full, read-only, damaged) raises ``CommandFailed``."""
    import asyncio
    import signal

    from sd_desktop.engine.client import EngineLost, RemoteError
    from sd_desktop.jobs import JobManager
    from sd_desktop.jobs.manager import SHUTDOWN_GRACE_SECONDS

    remote = is_remote(lib)
    if remote:  # an engine serves the library: the job runs there, this process follows it
        from sd_desktop.engine.remote_manager import RemoteManager

        manager: Any = RemoteManager(lib)  # type: ignore[arg-type]
    else:
        manager = JobManager(lib, run_queued=False, concurrency=2)
    manager.events.add_listener(_ProgressPrinter(getattr(args, "json", False)))
    loop = asyncio.get_running_loop()
    this = asyncio.current_task()
    signals: list[int] = []
    job_id: int | None = None

    def on_signal() -> None:
        signals.append(1)
        running = manager.running_ids()
        if len(signals) > 1 or not running:
            if this is not None:
                this.cancel()
            for sig in (signal.SIGINT, signal.SIGTERM):  # one more signal ends the process outright,
                loop.remove_signal_handler(sig)  # even one stuck in blocking work
            return
        for running_id in running:
            loop.create_task(manager.pause(running_id)).add_done_callback(_quiet)

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
            pass

    def on_stdout_gone() -> None:
        print("sd-desktop: standard output was closed; stopping the job", file=sys.stderr)
        loop.call_soon(on_signal)  # not inside the job's own progress call that found the pipe closed

    _stdout_gone.append(on_stdout_gone)
    try:
        if not remote:
            await _load_jobs_found_running(lib)
        await manager.start()
        job_id = await start(manager)
        info = await manager.info(job_id)
        if info is not None and info.status is JobStatus.PAUSED:
            await manager.resume(job_id)
        return await manager.wait_tree(job_id)
    except LibraryError as exc:
        raise CommandFailed(_with_resume_hint(exc, job_id)) from exc
    except RemoteError as exc:
        raise CommandFailed(str(exc)) from None
    except EngineLost as exc:
        if job_id is None:
            raise CommandFailed(f"{exc} before the job was queued; run the command again") from None
        raise CommandFailed(f"{exc}; continue job {job_id} with: sd-desktop jobs resume {job_id}") from None
    except asyncio.CancelledError:
        if not signals:
            raise
        if job_id is None:
            raise CommandFailed("stopped by a signal before the job started") from None
        if this is not None:
            this.uncancel()
        # the job (if still running) is stopped below and resumes from its last checkpoint
        info = await manager.info(job_id)
        if info is None:
            raise CommandFailed(f"job {job_id} is no longer in the library") from None
        return info
    finally:
        _stdout_gone.remove(on_stdout_gone)
        await manager.shutdown(grace=1.0 if len(signals) > 1 else SHUTDOWN_GRACE_SECONDS)
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.remove_signal_handler(sig)
            except (NotImplementedError, RuntimeError):  # pragma: no cover
                pass


async def _load_jobs_found_running(lib: Library) -> None:
    """Every job module when the library holds a job a crash left running that this command did not
    load (``needs_jobs``): the manager's start recovers it by its class, and would otherwise fail it
    for good as a job this build does not know."""
    from sd_desktop import ops
    from sd_desktop.jobs import registered
    from sd_desktop.library import jobstore

    if {name for _, name in await lib.read(jobstore.found_running)} - set(registered()):
        ops.load_all()


def _with_resume_hint(exc: LibraryError, job_id: int | None) -> str:
    if job_id is None or not isinstance(exc, LibraryFault) or exc.kind == "damaged":
        return str(exc)
    return f"{exc} (job {job_id} continues where it stopped; or: sd-desktop jobs resume {job_id})"


def _quiet(task: asyncio.Task) -> None:
    """Retrieve a signal-started task's error: the run's own end reports what went wrong."""
    if not task.cancelled():
        task.exception()


def run_job(
    args: argparse.Namespace,
    name: str,
    config: Any,
    summarize: Callable[[Any], str] | None = None,
    *,
    only_continue: str | None = None,
) -> int:
    """Enqueue ``name`` with ``config`` (an identical interrupted job is continued instead), run it to
    its end, print progress and the result; returns the exit code. A config that does not fit the
    job's is a usage error, found before the library opens (nothing runs, no job row).

    With ``only_continue`` (the usage error to give otherwise) the command may only continue such a
    job: the same command again after a kill, whose first paths are already gone."""
    import asyncio

    from sd_desktop.jobs import job_class
    from sd_desktop.jobs.codec import CodecError, from_plain

    try:
        config = from_plain(job_class(name).Config, config)
    except CodecError as exc:
        raise UsageError(f"bad config for {name}: {exc}") from None

    async def start(manager: JobManager) -> int:
        if only_continue is not None and await manager.active_id(name, config) is None:
            raise UsageError(only_continue)
        return await manager.enqueue(name, config)

    lib = open_library(args)
    try:
        info = asyncio.run(drive_job(lib, args, start))
    finally:
        lib.close()
    return print_result(args, info, summarize)


def run_followup_delete(lib: Library, args: argparse.Namespace, parent_id: int, delete_config: dict) -> JobInfo:
    """Run the delete job that acts on a finished job's findings (a duplicate search's copies, lint's
    findings) as that job's follow-up, to its end; the delete job re-checks every target first."""
    import asyncio

    async def start(manager: JobManager) -> int:
        job_id = await manager.enqueue("delete", delete_config, parent_id=parent_id)
        await manager.resume(job_id)  # a follow-up of a job this manager did not run: allow it explicitly
        return job_id

    return asyncio.run(drive_job(lib, args, start))


def human_size(n: int | float | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"

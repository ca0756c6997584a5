"""``duplicates PATH... --json`` on a tree where nothing changed since the last search: answered
without the job engine, recorded as the job would record it.

``duplicate_detection.unchanged.check`` compares, under the library's lock (as the job would hold
it), the walk ``quick_answers`` started ahead in a process of its own (``walk_ahead``), or walks
itself. When nothing changed, the run is stored as a completed ``duplicate_detection`` job whose
output is the stored result (``jobstore.insert_completed``), so ``jobs list``, ``jobs show`` and the
result's ``job_id`` are what the job gives, and the same lines are printed: the job's events and its
result (the output's JSON made while the walk runs); the process then ends without finalising the
interpreter (``quick_exit``). In every other case (a library that is not plainly healthy or is in
use, a job a crash left running or one with these settings waiting, no snapshot, anything changed)
nothing is written and None is returned: the command runs the job as always.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time

from sd_desktop import paths, quick_exit
from sd_desktop.jobs import codec
from sd_desktop.jobs.identity import config_key
from sd_desktop.jsonable import to_jsonable
from sd_desktop.library import jobstore, light_reads
from sd_desktop.library.lock import LibraryLock, LibraryLocked
from sd_desktop.ops.files.duplicate_detection import unchanged
from sd_desktop.ops.files.duplicate_detection.config import DuplicateConfig
from sd_desktop.ops.files.duplicate_detection.walk_ahead import WalkAhead

JOB_NAME, JOB_VERSION = "duplicate_detection", 1  # ``DuplicateDetectionJob.NAME``, ``.VERSION`` (tested)


def answer(library: str, search_paths: list[str], mode: str, ahead: WalkAhead | None = None) -> int | None:
    """Print the search's result as ``duplicates PATHS --mode MODE --json`` does and return its exit
    code, when the tree is unchanged; None (nothing written or printed) when the job must run.
    ``ahead``: the walk of ``search_paths``, started already (the caller stops it)."""
    created = time.time()
    config = DuplicateConfig(search_paths=[paths.to_path(paths.to_bytes(p)) for p in search_paths], mode=mode)
    try:
        config = codec.from_plain(DuplicateConfig, config)  # as ``JobManager.enqueue`` checks it
    except codec.CodecError:
        return None
    blob = codec.pack(config)
    key = config_key(JOB_NAME, blob)
    conn = light_reads.open_healthy(library, write=True)
    if conn is None:
        return None
    lock = LibraryLock(paths.to_path(library))
    try:
        lock.acquire()
    except (LibraryLocked, OSError):
        conn.close()
        return None
    try:
        # a job a crash left running is recovered by the engine's start (one queued again after an
        # earlier recovery waits for a resume: a command's engine leaves it as it is); an active job
        # of these settings is continued by the engine
        if jobstore.found_running(conn) or jobstore.active_id(conn, JOB_NAME, key) is not None:
            return None
        started = time.time()
        rendered: list[bytes] = []  # the output's JSON, made while the walk runs (it is the snapshot's)
        found = unchanged.check(conn, config, ahead, lambda answer: rendered.append(_encoded(_output_json(answer))))
        if found is None:
            return None
        finished = time.time()
        job_id = light_reads.in_transaction(
            conn,
            lambda c: jobstore.insert_completed(
                c,
                name=JOB_NAME,
                version=JOB_VERSION,
                config=blob,
                config_key=key,
                target=_target(config),
                output=found.output,
                errors=codec.pack([]),
                progress=unchanged.progress_json(found.progress),
                created_at=created,
                started_at=started,
                finished_at=finished,
            ),
        )
    except (sqlite3.Error, OSError):
        return None  # the job says what is wrong with the library
    except (KeyError, TypeError, ValueError):
        return None  # a snapshot the job takes otherwise (or fails on): the job decides
    finally:
        lock.release()
        conn.close()
    _print_run(job_id, found, rendered[0])
    quick_exit.allow()  # the run recorded, the library closed, the lines written
    return 0


def _target(config: DuplicateConfig) -> str:
    """``DuplicateDetectionJob.target``."""
    roots = config.search_paths
    first = paths.display(roots[0])
    return first if len(roots) == 1 else f"{first} and {len(roots) - 1} more"


def _print_run(job_id: int, found: unchanged.Unchanged, output_json: bytes | None = None) -> None:
    """The lines ``--json`` prints for the job's run: its events, then its result. ``output_json``:
    the output's JSON (``_output_json``) encoded for stdout (``_encoded``), made already."""
    head = {"job_id": job_id, "name": JOB_NAME}
    lines = [
        {"event": "queued", **head, "status": "queued"},
        {"event": "started", **head, "status": "running"},
        *({"event": "progress", **head, "status": "running", **report} for report in found.reports),
        {"event": "completed", **head, "status": "completed", **found.progress},
    ]
    try:
        for line in lines:
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
        if output_json is None:
            output_json = _encoded(_output_json(found))
        head, tail = _result_parts(job_id)
        sys.stdout.write(head)
        sys.stdout.flush()
        # a megabyte of output written as it was encoded, not joined into the line and encoded again
        sys.stdout.buffer.write(output_json)
        sys.stdout.write(tail)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's final flush must not fail


def _output_json(found: unchanged.Unchanged) -> str:
    """The output as the result line holds it: decoded as the engine hands the stored output to its
    waiters, in JSON as ``commands.common.emit_json`` writes it (``json.dumps(to_jsonable(...),
    ensure_ascii=False)``), without walking a megabyte of groups through ``to_jsonable`` when it
    would change nothing: a decoded output holds plain values, and only an undecodable name (a lone
    surrogate) or a path object needs it."""
    output = codec.unpack(found.output)
    try:
        text = json.dumps(output, ensure_ascii=False)
        text.encode("utf-8")
    except (TypeError, ValueError):  # UnicodeEncodeError is a ValueError
        text = json.dumps(to_jsonable(output), ensure_ascii=False)
    return text


def _encoded(text: str) -> bytes:
    """``text`` as stdout writes it."""
    return text.encode(sys.stdout.encoding, sys.stdout.errors or "strict")


def _result_line(job_id: int, output_json: str) -> str:
    """``json.dumps`` of the result object (its keys in this order) with its output's JSON given:
    the text ``json.dumps`` makes of the whole, default separators (tested)."""
    head, tail = _result_parts(job_id)
    return head + output_json + tail


def _result_parts(job_id: int) -> tuple[str, str]:
    """The result line before and after its output's JSON."""
    head = json.dumps({"event": "result", "job_id": job_id, "name": JOB_NAME, "status": "completed"})
    tail = json.dumps({"errors": [], "error_count": 0, "error": None})
    return f'{head[:-1]}, "output": ', f", {tail[1:]}\n"

"""``trash list|restore|empty``: the user's trashes (home and every mounted volume's), headless.

``restore PATH...`` takes original paths (the newest trashed item of that path) or items of a
trash (``<trash>/files/<name>``); a PATH with nothing in the trash is a failed item. A restore
never replaces anything: an item whose place is taken is restored beside it as
``name (restored).ext``. ``empty`` deletes every item (and orphan record) permanently and needs
``--yes``. Exit codes: 0 all done, 4 some failed, 1 all failed, 2 usage, 3 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from typing import Any

from sd_desktop import paths
from sd_desktop.commands.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    UsageError,
    drive_job,
    emit_json,
    human_size,
    open_library,
    print_result,
    run_job,
)
from sd_desktop.jobs import JobInfo, JobStatus, job_class
from sd_desktop.jobs.codec import CodecError, from_plain
from sd_desktop.ops.files.delete.config import DeleteConfig, DeleteMode
from sd_desktop.ops.files.delete.freedesktop_trash import trash_holding
from sd_desktop.ops.files.trash.job import OnConflict, TrashRestoreConfig
from sd_desktop.ops.files.trash.listing import TrashListing, list_trash, newest_trashed


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("trash", help="list, restore or empty the trash")
    tsub = p.add_subparsers(dest="trash_cmd", required=True, metavar="{list,restore,empty}")
    ls = tsub.add_parser("list", help="what is in the trash: name, original path, deletion date, size")
    ls.add_argument("--json", action="store_true", help="a result object with output.items")
    ls.set_defaults(func=cmd_list)
    rs = tsub.add_parser(
        "restore",
        help="put trashed items back where they came from",
        description="PATH is an original path (its newest trashed item is restored) or an item of a trash "
        "(<trash>/files/<name>). Nothing is ever replaced: an item whose place is taken is restored beside it "
        "as 'name (restored).ext'.",
    )
    rs.add_argument("paths", nargs="+", metavar="PATH")
    rs.add_argument("--json", action="store_true", help="NDJSON progress and result on stdout")
    rs.set_defaults(func=cmd_restore)
    em = tsub.add_parser("empty", help="delete everything in the trash permanently (needs --yes)")
    em.add_argument("--yes", action="store_true", help="confirm: the items cannot be restored afterwards")
    em.add_argument("--json", action="store_true", help="NDJSON progress and result on stdout")
    em.set_defaults(func=cmd_empty)


def cmd_list(args: argparse.Namespace) -> int:
    listing = list_trash()
    if args.json:
        output = {
            "items": [i.to_json() for i in listing.items],
            "total_size": listing.total_size,
            "orphans": [paths.display(o) for o in listing.orphans],
            "trashes": [paths.display(t.path) for t in listing.trashes],
        }
        errors = [{"path": None, "message": m} for m in listing.problems]
        emit_json({"event": "result", "job_id": None, "status": "completed", "output": output, "errors": errors})
        return EXIT_OK
    for problem in listing.problems:
        print(f"sd-desktop: {problem}", file=sys.stderr)
    if not listing.items:
        print("the trash is empty", file=sys.stderr)
        return EXIT_OK
    for i in listing.items:
        where = paths.display(i.original_path) if i.original_path is not None else f"? ({i.problem})"
        when = (i.deleted_at or "?").replace("T", " ")
        print(f"{when:<19}  {human_size(i.size):>9}  {where}")
    n = len(listing.items)
    print(f"{n} item{'s' if n != 1 else ''}, {human_size(listing.total_size)}", file=sys.stderr)
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    items: list[bytes] = []
    missing: list[dict] = []  # PATHs with nothing in the trash: failed items, reported with the others
    listing: TrashListing | None = None
    for text in args.paths:
        raw = os.path.normpath(os.path.abspath(os.fsencode(text)))
        holder = trash_holding(raw)
        if holder is not None and os.path.dirname(raw) == os.path.join(holder, b"files"):
            found: bytes | None = raw if os.path.lexists(raw) else None
        else:
            if listing is None:
                listing = list_trash(sizes=False)
            item = newest_trashed(raw, listing)
            found = item.trash_path if item is not None else None
        if found is None:
            reason = "no trashed item of this path (sd-desktop trash list shows what is in the trash)"
            missing.append({"path": paths.display(raw), "outcome": "failed", "reason": reason, "restored_to": None})
            print(f"sd-desktop: no trashed item of {paths.display(raw)}; nothing restored from there", file=sys.stderr)
        elif found not in items:
            items.append(found)
    if not items:
        if args.json:
            output = {"outcomes": missing, "restored": 0, "renamed": 0, "skipped": 0, "failed": len(missing)}
            emit_json({"event": "result", "job_id": None, "status": "failed", "output": output, "errors": []})
        return EXIT_FAILED
    config = TrashRestoreConfig(items=[paths.to_path(i) for i in items], on_conflict=OnConflict.BESIDE)
    info = _run(args, "trash_restore", config, _summarize_restore, missing)
    return _exit_code(info, done=("restored", "renamed", "skipped"))


def cmd_empty(args: argparse.Namespace) -> int:
    listing = list_trash(sizes=not args.yes)
    doomed = [i.trash_path for i in listing.items] + listing.orphans
    if not args.yes:
        n = len(listing.items)
        what = f"{n} item{'s' if n != 1 else ''} ({human_size(listing.total_size)})" if n else "nothing"
        raise UsageError(f"emptying the trash deletes {what} permanently: add --yes to confirm (nothing was deleted)")
    if not doomed:
        if args.json:
            result = {"event": "result", "job_id": None, "status": "completed", "output": {"deleted": 0}}
            emit_json({**result, "errors": []})
        else:
            print("the trash is already empty", file=sys.stderr)
        return EXIT_OK
    config = DeleteConfig(targets=[paths.to_path(p) for p in doomed], mode=DeleteMode.PERMANENT, confirm=True)
    return run_job(args, "delete", config, _summarize_empty)  # an item already gone counts as done


def _run(
    args: argparse.Namespace, name: str, config: Any, summarize: Callable[[dict], str], failed: list[dict] = ()
) -> JobInfo:
    """Run job ``name`` to its end with progress (as ``run_job``) and print its result, with the
    ``failed`` rows (items found to fail before the job) added to its outcomes."""
    try:
        config = from_plain(job_class(name).Config, config)
    except CodecError as exc:
        raise UsageError(f"bad config for {name}: {exc}") from None
    lib = open_library(args)
    try:
        info = asyncio.run(drive_job(lib, args, lambda m: m.enqueue(name, config)))
    finally:
        lib.close()
    if failed and info.output is not None:
        info.output["outcomes"] = list(failed) + list(info.output.get("outcomes") or [])
        info.output["failed"] = info.output.get("failed", 0) + len(failed)
    print_result(args, info, summarize)
    return info


def _exit_code(info: JobInfo, done: tuple[str, ...]) -> int:
    """0 every item done, 4 some failed, 1 none done (or the job failed), 3 interrupted."""
    if info.status in (JobStatus.PAUSED, JobStatus.QUEUED, JobStatus.RUNNING):
        return EXIT_INTERRUPTED
    rows = (info.output or {}).get("outcomes") or []
    if not info.status.succeeded or not rows:
        return EXIT_FAILED
    ok = sum(1 for r in rows if r.get("outcome") in done)
    if ok == len(rows):
        return EXIT_OK
    return EXIT_PARTIAL if ok else EXIT_FAILED


def _summarize_restore(output: dict) -> str:
    lines = []
    for row in output.get("outcomes", []):
        to = f" -> {paths.display(row['restored_to'])}" if row.get("restored_to") else ""
        note = f" ({row['reason']})" if row.get("reason") else ""
        lines.append(f"{row['outcome']:>8}  {paths.display(row['path'])}{to}{note}")
    lines.append(
        f"{output.get('restored', 0)} restored, {output.get('renamed', 0)} restored beside an existing file, "
        f"{output.get('skipped', 0)} skipped, {output.get('failed', 0)} failed"
    )
    return "\n".join(lines)


def _summarize_empty(output: dict) -> str:
    failed = [r for r in output.get("outcomes", []) if r.get("outcome") != "deleted"]
    lines = [f"{r['outcome']:>8}  {paths.display(r['path'])} ({r.get('reason')})" for r in failed]
    lines.append(
        f"{output.get('deleted', 0)} deleted permanently ({output.get('files_deleted', 0)} files, "
        f"{human_size(output.get('bytes_deleted', 0))}), {len(failed)} not deleted"
    )
    return "\n".join(lines)

"""``copy SRC... DEST``: copy (or ``--move``) files and folders into the folder DEST.

With ``--on-conflict ask`` the job pauses when targets exist and lists them; answer with
``copy --answer JOB_ID --apply-to-all POLICY`` (which also continues the job).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from sd_desktop import paths
from sd_desktop.commands.common import (
    EXIT_INTERRUPTED,
    CommandFailed,
    UsageError,
    drive_job,
    emit_json,
    existing_path,
    human_size,
    is_remote,
    library_call,
    open_library,
    print_result,
    refuse_library_targets,
    run_job,
    volume_target,
)
from sd_desktop.ops.files.copy.config import ANSWERABLE, ConflictPolicy, CopyConfig


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "copy",
        help="copy or move files and folders into a folder",
        description="Each SRC lands as DEST/basename(SRC), like 'cp -r SRC... DIR'. DEST must exist, or only "
        "its last part may be missing (it is created); --mkpath creates the missing folders above it too. "
        "Files are written to a temporary name, flushed to disk and renamed into place; an existing target "
        "is never replaced unless --on-conflict says so. SRC or DEST may be NAME:/path on a volume.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="SRC... DEST")
    p.add_argument("--mkpath", action="store_true", help="create DEST's missing parent folders too (like rsync)")
    p.add_argument("--move", action="store_true", help="move instead of copy (sources removed once safe)")
    p.add_argument("--verify", action="store_true", help="re-read every written file and compare blake3 hashes")
    p.add_argument(
        "--on-conflict",
        choices=[c.value for c in ConflictPolicy],
        default="skip",
        help="what to do when a target exists (ask: pause the job with the conflicts listed)",
    )
    p.add_argument("--bwlimit", type=int, default=0, metavar="BYTES", help="limit to BYTES per second")
    p.add_argument("--answer", type=int, metavar="JOB_ID", help="answer a paused copy's conflicts and continue it")
    p.add_argument("--apply-to-all", choices=sorted(c.value for c in ANSWERABLE), help="the answer (with --answer)")
    p.add_argument("--json", action="store_true", help="NDJSON progress and result on stdout")
    p.set_defaults(func=cmd_copy)


def cmd_copy(args: argparse.Namespace) -> int:
    if args.answer is not None:
        return _answer(args)
    if len(args.paths) < 2:
        raise UsageError("copy needs at least one SRC and a DEST folder")
    *sources, dest = args.paths
    remote = volume_target(args, sources[0])
    remote_dest = volume_target(args, dest)
    if remote_dest is not None:
        from sd_desktop.commands import remote as remote_commands

        return remote_commands.upload(args, sources, remote_dest, summarize)
    if remote is not None:
        from sd_desktop.commands import remote as remote_commands

        return remote_commands.copy(args, sources, dest, summarize)
    for src in sources:
        try:
            existing_path(src)
        except argparse.ArgumentTypeError as exc:
            raise UsageError(str(exc)) from None
    if not args.mkpath:
        check_destination_parent(dest)
    if args.move:
        refuse_library_targets(args, [Path(s).absolute() for s in sources], "moved")
    config = CopyConfig(
        sources=[Path(s).absolute() for s in sources],
        destination=Path(dest).absolute(),
        move=args.move,
        verify=args.verify,
        on_conflict=ConflictPolicy(args.on_conflict),
        bwlimit=max(0, args.bwlimit),
    )
    code = run_job(args, "file_copy", config, summarize)
    if code == EXIT_INTERRUPTED and config.on_conflict is ConflictPolicy.ASK:
        _show_conflicts(args)
    return code


def check_destination_parent(dest: str) -> None:
    """Refuse a DEST whose parent folder is missing: a typo (``/mnt/usbb/photos``) must not silently
    become a new tree. Only DEST's last part may be missing, as with ``cp -r SRC NEWDIR``."""
    parent = os.path.dirname(os.path.abspath(dest))
    if os.path.isdir(parent):
        return
    if os.path.lexists(parent):
        raise UsageError(f"the destination's parent {paths.display(parent)} is not a folder; nothing was copied")
    top = parent  # the highest missing folder: where the typo most likely is
    while not os.path.lexists(os.path.dirname(top)):
        top = os.path.dirname(top)
    raise UsageError(
        f"the destination's parent folder {paths.display(parent)} does not exist ({paths.display(top)} is "
        "missing); check the path, or add --mkpath to create it; nothing was copied"
    )


def _show_conflicts(args: argparse.Namespace) -> None:
    from sd_desktop.jobs import JobManager, JobStatus
    from sd_desktop.ops.files.copy.conflicts import pending_conflicts

    lib = open_library(args)
    try:

        async def find():
            jobs = await JobManager(lib).list(limit=20, statuses={JobStatus.PAUSED})
            job = next((j for j in jobs if j.name == "file_copy"), None)
            return (job.id, await pending_conflicts(lib, job.id)) if job else (None, [])

        job_id, conflicts = asyncio.run(find())
    finally:
        lib.close()
    waiting = [c for c in conflicts if c.answer is None]
    if not waiting:
        return
    if args.json:
        emit_json(
            {
                "event": "conflicts",
                "job_id": job_id,
                "conflicts": [{"path": c.source, "target": c.target, "kind": c.kind} for c in waiting],
            }
        )
        return
    for c in waiting[:50]:
        print(f"  exists: {paths.display(c.target)}", file=sys.stderr)
    print(
        f"answer with: sd-desktop copy --answer {job_id} --apply-to-all skip|overwrite|rename|overwrite_if_older",
        file=sys.stderr,
    )


def _answer(args: argparse.Namespace) -> int:
    from sd_desktop.ops.files.copy.conflicts import answer_conflicts

    if not args.apply_to_all:
        raise UsageError("--answer needs --apply-to-all POLICY")
    lib = open_library(args)
    job_id = args.answer

    async def start(manager):
        try:
            answered = library_call(lib, answer_conflicts, job_id, apply_to_all=args.apply_to_all)
            if not is_remote(lib):
                await answered
        except ValueError as exc:
            raise CommandFailed(str(exc)) from None
        await manager.resume(job_id)
        return job_id

    try:
        info = asyncio.run(drive_job(lib, args, start))
    finally:
        lib.close()
    return print_result(args, info, summarize)


def summarize(output: dict) -> str:
    lines = []
    for row in output.get("outcomes", []):
        target = f" -> {paths.display(row['target'])}" if row.get("target") else ""
        reason = f" ({row['reason']})" if row.get("reason") else ""
        lines.append(f"{row['outcome']:>8}  {paths.display(row['path'])}{target}{reason}")
    lines.append(
        f"{output.get('files', 0)} files, {human_size(output.get('bytes', 0))}; "
        f"{output.get('skipped', 0)} skipped, {output.get('failed', 0)} failed"
    )
    return "\n".join(lines)

"""``duplicates PATH... --folders``: folders whose whole content is identical (the duplicate_folders
job); with ``--delete keep-shortest-path`` the extra copies are then removed through the guarded
DeleteJob, which compares each folder with its kept copy, read whole, right before it goes."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from sd_desktop import ops, paths
from sd_desktop.commands.common import (
    UsageError,
    drive_job,
    emit_json,
    human_size,
    open_library,
    print_result,
    result_object,
    run_followup_delete,
)
from sd_desktop.commands.delete import summarize as delete_summary
from sd_desktop.jobs import JobManager

KEEP = "keep-shortest-path"  # the one policy for folders (see ``duplicate_folders.select``)
# options of the file search that mean nothing for whole folders (every file counts, none is filtered)
FILE_ONLY = {
    "mode": lambda a: a.mode != "content",
    "min-size": lambda a: a.min_size != 0,
    "max-size": lambda a: a.max_size is not None,
    "ext": lambda a: bool(a.ext),
    "exclude-hidden": lambda a: a.exclude_hidden,
    "include-empty": lambda a: a.include_empty,
    "reference": lambda a: bool(a.reference),
    "export": lambda a: bool(a.export),
    "pattern": lambda a: bool(a.pattern),
    "link": lambda a: bool(getattr(a, "link", None)),  # links replace files, not folders
}


def _check(args: argparse.Namespace) -> None:
    given = [name for name, used in FILE_ONLY.items() if used(args)]
    if given:
        raise UsageError(f"--folders compares whole folders, every file included: it takes no --{given[0]}")
    if args.delete and args.delete != KEEP:
        raise UsageError(f"--folders removes extra copies with --delete {KEEP} only (the shortest path is kept)")
    if args.delete and args.mode_delete == "permanent" and not args.yes:
        raise UsageError("permanent deletion needs --yes")
    not_folder = next((p for p in args.paths if not os.path.isdir(p) or os.path.islink(p)), None)
    if not_folder is not None:
        raise UsageError(f"--folders compares folders: {not_folder} is not a folder")


def cmd_duplicate_folders(args: argparse.Namespace) -> int:
    # imported here: the file search (the same command without --folders) never loads this job
    from sd_desktop.ops.files.duplicate_folders.config import FolderConfig
    from sd_desktop.ops.files.duplicate_folders.select import extra_copies

    _check(args)
    ops.load(["duplicate_folders"])
    config = FolderConfig(search_paths=[paths.to_path(paths.to_bytes(p)) for p in args.paths])

    async def start(manager: JobManager) -> int:
        return await manager.enqueue("duplicate_folders", config)

    lib = open_library(args)
    try:
        info = asyncio.run(drive_job(lib, args, start))
        if not args.delete or not info.status.succeeded or info.output is None:
            return print_result(args, info, summarize)
        targets = extra_copies(info.output)
        if not targets:
            code = print_result(args, info, summarize)
            print("nothing to remove: no group of identical folders", file=sys.stderr)
            return code
        delete_config = {
            "folders": [{"path": str(t.path), "keepers": [str(k) for k in t.keepers]} for t in targets],
            "mode": args.mode_delete,
            "confirm": bool(args.yes),
        }
        deleted = run_followup_delete(lib, args, info.id, delete_config)
    finally:
        lib.close()
    # both results: the search first, the removal last (scripts read the last one)
    if args.json:
        emit_json(result_object(info))
    else:
        print(summarize(info.output))
        print(f"removing {len(targets)} folders to {args.mode_delete}, each compared with its kept copy first")
    return print_result(args, deleted, delete_summary)


def summarize(output: dict) -> str:
    lines = []
    for g in output.get("folder_groups", []):
        files = "1 file" if g["files"] == 1 else f"{g['files']} files"
        lines.append(f"{human_size(g['size'])} in {files} x {len(g['paths'])} folders")
        for p in g["paths"]:
            lines.append(f"    {paths.display(p)}")
    lines.append(
        f"{output.get('group_count', 0)} groups of identical folders, {output.get('duplicate_folders', 0)} "
        f"extra copies, {human_size(output.get('wasted_bytes', 0))} wasted "
        f"({output.get('folders_scanned', 0)} folders, {output.get('files_scanned', 0)} files scanned)"
    )
    return "\n".join(lines)

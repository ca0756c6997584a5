"""``duplicates PATH... --folders``: folders whose whole content is identical (the duplicate_folders job)."""

from __future__ import annotations

import argparse
import os

from sd_desktop import ops, paths
from sd_desktop.commands.common import UsageError, human_size, run_job
from sd_desktop.ops.files.duplicate_folders.config import FolderConfig

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
    "delete": lambda a: bool(a.delete),
    "pattern": lambda a: bool(a.pattern),
}


def cmd_duplicate_folders(args: argparse.Namespace) -> int:
    given = [name for name, used in FILE_ONLY.items() if used(args)]
    if given:
        raise UsageError(f"--folders compares whole folders, every file included: it takes no --{given[0]}")
    not_folder = next((p for p in args.paths if not os.path.isdir(p) or os.path.islink(p)), None)
    if not_folder is not None:
        raise UsageError(f"--folders compares folders: {not_folder} is not a folder")
    ops.load(["duplicate_folders"])
    config = FolderConfig(search_paths=[paths.to_path(paths.to_bytes(p)) for p in args.paths])
    return run_job(args, "duplicate_folders", config, summarize)


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

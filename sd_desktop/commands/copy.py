"""``copy SRC... DEST``: copy (or ``--move``) files and folders into the folder DEST."""

from __future__ import annotations

import argparse
from pathlib import Path

from sd_desktop import paths
from sd_desktop.commands.common import human_size, run_job
from sd_desktop.ops.files.copy.config import ConflictPolicy, CopyConfig


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "copy",
        help="copy or move files and folders into a folder",
        description="Each SRC lands as DEST/basename(SRC), like 'cp -r SRC... DIR'. Files are written to a "
        "temporary name, flushed to disk and renamed into place; an existing target is never replaced "
        "unless --on-conflict says so.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="SRC... DEST")
    p.add_argument("--move", action="store_true", help="move instead of copy (sources removed once safe)")
    p.add_argument("--verify", action="store_true", help="re-read every written file and compare blake3 hashes")
    p.add_argument(
        "--on-conflict",
        choices=[c.value for c in ConflictPolicy],
        default="skip",
        help="what to do when a target exists (ask: pause the job with the conflicts listed)",
    )
    p.add_argument("--bwlimit", type=int, default=0, metavar="BYTES", help="limit to BYTES per second")
    p.add_argument("--json", action="store_true", help="NDJSON progress and result on stdout")
    p.set_defaults(func=cmd_copy)


def cmd_copy(args: argparse.Namespace) -> int:
    from sd_desktop.commands.common import UsageError, existing_path

    if len(args.paths) < 2:
        raise UsageError("copy needs at least one SRC and a DEST folder")
    *sources, dest = args.paths
    for src in sources:
        try:
            existing_path(src)
        except argparse.ArgumentTypeError as exc:
            raise UsageError(str(exc)) from None
    config = CopyConfig(
        sources=[Path(s).absolute() for s in sources],
        destination=Path(dest).absolute(),
        move=args.move,
        verify=args.verify,
        on_conflict=ConflictPolicy(args.on_conflict),
        bwlimit=max(0, args.bwlimit),
    )
    return run_job(args, "file_copy", config, summarize)


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

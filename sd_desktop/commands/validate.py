"""``validate PATH...``: check files against the library (basic, integrity) and for corruption."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from sd_desktop import paths
from sd_desktop.commands.common import (
    EXIT_FAILED,
    UsageError,
    drive_job,
    local_or_volume_path,
    open_library,
    print_result,
    run_job,
    volume_target,
)
from sd_desktop.ops.files.validation import ValidationConfig, ValidationMode
from sd_desktop.ops.files.validation.export import export


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check files for existence, integrity and corruption")
    p.add_argument(
        "paths",
        nargs="+",
        type=local_or_volume_path,
        metavar="PATH",
        help="files or folders, or NAME:/path on a volume",
    )
    p.add_argument("--mode", choices=[m.value for m in ValidationMode], default="basic")
    p.add_argument("--check-permissions", action="store_true", help="also report files this user cannot read")
    p.add_argument("--export", metavar="FILE", help="write the findings to FILE.json or FILE.csv")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_validate)


def summarize(output: dict) -> str:
    lines = [f"{i['severity']:<8} {i['type']:<26} {paths.display(i['path'])}: {i['message']}" for i in output["issues"]]
    counts = output.get("counts", {})
    lines.append(
        f"{output.get('files_checked', 0)} files checked; "
        + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("critical", "error", "warning", "info"))
    )
    return "\n".join(lines)


def _job(args: argparse.Namespace) -> tuple[str, object]:
    """The job to run: the local validation, or the remote one for a single ``NAME:/path``."""
    remote = [volume_target(args, p) for p in args.paths]
    if not any(remote):
        missing = [p for p in args.paths if not os.path.lexists(p)]
        if missing:
            raise UsageError(f"no such file or folder: {missing[0]}")
        config = ValidationConfig(
            targets=[paths.to_path(paths.to_bytes(p)) for p in args.paths],
            mode=ValidationMode(args.mode),
            check_permissions=args.check_permissions,
        )
        return "file_validation", config
    if len(args.paths) != 1:
        raise UsageError("validate a volume path on its own: one NAME:/path per command")
    if args.check_permissions:
        raise UsageError("--check-permissions is for local files: a volume's permissions are its server's")
    volume, path = remote[0]
    return "remote_validation", {"targets": [f"{volume.name}:/{path}"], "mode": args.mode}


def cmd_validate(args: argparse.Namespace) -> int:
    if args.export and not args.export.lower().endswith((".json", ".csv")):
        raise UsageError("--export needs a file name ending in .json or .csv")
    name, config = _job(args)
    if not args.export:
        return run_job(args, name, config, summarize)
    # run, then export the stored output before printing the result
    lib = open_library(args)
    try:
        info = asyncio.run(drive_job(lib, args, lambda m: m.enqueue(name, config)))
    finally:
        lib.close()
    if info.status.succeeded and info.output:
        try:
            export(info.output, args.export)
        except (OSError, ValueError) as exc:
            print(f"sd-desktop: cannot export to {args.export}: {exc}", file=sys.stderr)
            return EXIT_FAILED
    return print_result(args, info, summarize)

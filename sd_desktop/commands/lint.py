"""``lint PATH... [--trash TYPE[,TYPE] --yes]``: find empty folders and files, broken symlinks,
mislabelled and temporary files; optionally move findings of some types to the trash.

The trashing is a delete job in trash mode (a follow-up of the lint) that re-checks each finding
just before it goes (``DeleteConfig.lint``): one that changed since is skipped with the reason.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from sd_desktop import paths
from sd_desktop.commands.common import (
    UsageError,
    drive_job,
    emit_json,
    existing_path,
    open_library,
    print_result,
    refuse_library_targets,
    result_object,
    run_followup_delete,
)
from sd_desktop.commands.delete import summarize as delete_summary
from sd_desktop.ops.files import lint_rules
from sd_desktop.ops.files.lint import LintConfig


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lint",
        help="find empty folders and files, broken links, mislabelled and temporary files",
        description="Symlinks are never followed. A folder holding only empty folders counts as empty; only the "
        "highest such folder is listed. Findings of --trash types go to the trash, each re-checked first.",
    )
    p.add_argument("paths", nargs="+", type=existing_path, metavar="PATH")
    p.add_argument(
        "--trash",
        metavar="TYPE[,TYPE]",
        help="move findings of these types to the trash (needs --yes): " + ", ".join(lint_rules.TRASHABLE),
    )
    p.add_argument("--yes", action="store_true", help="confirm --trash")
    p.add_argument("--json", action="store_true", help="NDJSON progress and result on stdout")
    p.set_defaults(func=cmd_lint, needs_jobs=("lint", "delete"))


def trash_types(text: str) -> list[str]:
    """The types ``--trash`` names, checked (a usage error names the bad one)."""
    chosen = [t.strip() for t in text.split(",") if t.strip()]
    if not chosen:
        raise UsageError("--trash needs one or more types: " + ", ".join(lint_rules.TRASHABLE))
    for t in chosen:
        if t == lint_rules.WRONG_EXTENSION:
            raise UsageError("wrong_extension findings hold real content: rename them, they are never trashed")
        if t not in lint_rules.TRASHABLE:
            raise UsageError(f"--trash: unknown type {t!r} (types: {', '.join(lint_rules.TRASHABLE)})")
    return list(dict.fromkeys(chosen))


def summarize(output: dict) -> str:
    lines = [f"{f['type']:<15} {paths.display(f['path'])}: {f['message']}" for f in output.get("findings", [])]
    counts = output.get("counts", {})
    lines.append(", ".join(f"{counts.get(t, 0)} {t}" for t in lint_rules.TYPES))
    return "\n".join(lines)


def cmd_lint(args: argparse.Namespace) -> int:
    types = trash_types(args.trash) if args.trash is not None else []
    if types and not args.yes:
        raise UsageError("--trash moves the findings to the trash: add --yes to confirm (nothing was done)")
    config = LintConfig(paths=[paths.to_path(paths.to_bytes(p)) for p in args.paths])
    if types:
        refuse_library_targets(args, config.paths, "trashed")
    lib = open_library(args)
    try:
        info = asyncio.run(drive_job(lib, args, lambda m: m.enqueue("lint", config)))
        if not types or not info.status.succeeded or info.output is None:
            return print_result(args, info, summarize)
        chosen = [f for f in info.output["findings"] if f["type"] in types]
        if not chosen:
            code = print_result(args, info, summarize)
            print(f"nothing to trash: no {' or '.join(types)} found", file=sys.stderr)
            return code
        delete_config = {
            "mode": "trash",
            "lint": [
                {"path": f["path"], "type": f["type"], "size": f["size"], "mtime_ns": f["mtime_ns"]} for f in chosen
            ],
        }

        trashed = run_followup_delete(lib, args, info.id, delete_config)
    finally:
        lib.close()
    # both results: the lint first, the trashing last (scripts read the last one)
    if args.json:
        emit_json(result_object(info))
    else:
        print(summarize(info.output))
        print(f"moving {len(chosen)} findings ({', '.join(types)}) to the trash, each checked again first")
    return print_result(args, trashed, delete_summary)

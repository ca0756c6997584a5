"""``duplicates PATH...``: find duplicate files; optionally remove extra copies through the guarded DeleteJob."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from sd_desktop import ops, paths, quick_exit
from sd_desktop.commands import duplicates_link
from sd_desktop.commands.common import (
    EXIT_FAILED,
    UsageError,
    emit_json,
    existing_path,
    human_size,
    local_or_volume_path,
    open_library,
    print_result,
    result_object,
    run_followup_delete,
    volume_target,
)
from sd_desktop.commands.search_followups import search_or_continue
from sd_desktop.jobs import JobManager, codec, registered
from sd_desktop.jobs.manager import config_key
from sd_desktop.library import jobstore
from sd_desktop.ops.files.duplicate_detection import DuplicateConfig, DuplicateMode
from sd_desktop.ops.files.duplicate_detection.select import Policy, SelectionError, plan_deletion

# the removal's and the folder search's modules (the delete job with trash, ``fsops``, ``psutil``:
# 0.04 s of a cold start) and the export's are imported by the options that use them, so a plain
# search does not load them; the jobs an option follows the search with are loaded with it

MODES = {"size": "size", "name-size": "name_size", "name_size": "name_size", "content": "content", "deep": "deep"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("duplicates", help="find files with identical content")
    p.add_argument(
        "paths", nargs="+", type=local_or_volume_path, metavar="PATH", help="folders, or NAME:/folder on volumes"
    )
    p.add_argument("--mode", choices=list(MODES), default="content", help="content (default) or deep are verified")
    p.add_argument("--min-size", type=int, default=0, metavar="N", help="ignore files smaller than N bytes")
    p.add_argument("--max-size", type=int, default=None, metavar="N", help="ignore files larger than N bytes")
    p.add_argument("--ext", default="", metavar="a,b", help="only these extensions (comma-separated)")
    p.add_argument("--exclude-hidden", action="store_true", help="leave out hidden files and folders")
    p.add_argument("--include-empty", action="store_true", help="group empty files too")
    p.add_argument(
        "--reference",
        action="append",
        default=[],
        type=existing_path,
        metavar="PATH",
        help="a folder whose files are searched but never proposed for removal (repeatable)",
    )
    p.add_argument("--export", metavar="FILE", help="write the results to FILE.json or FILE.csv")
    p.add_argument(
        "--delete",
        choices=[x.value for x in Policy],
        metavar="POLICY",
        help="remove extra copies, keeping per group: " + ", ".join(x.value for x in Policy),
    )
    p.add_argument("--pattern", help="glob for --delete keep-matching (path or file name)")
    p.add_argument("--mode-delete", choices=["trash", "permanent"], default="trash")
    p.add_argument("--yes", action="store_true", help="confirm permanent deletion (or --link)")
    duplicates_link.add_arguments(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--folders", action="store_true", help="find folders whose whole content is identical")
    # the search, and the removal (--delete) or linking (--link) that follows it: none queues another job
    p.set_defaults(func=cmd_duplicates, needs_jobs=("duplicate_detection",))


def _config(args: argparse.Namespace) -> DuplicateConfig:
    if args.min_size < 0 or (args.max_size is not None and args.max_size < args.min_size):
        raise UsageError("--min-size must be >= 0 and --max-size >= --min-size")
    return DuplicateConfig(
        search_paths=[paths.to_path(paths.to_bytes(p)) for p in args.paths],
        mode=DuplicateMode(MODES[args.mode]),
        min_size=args.min_size,
        max_size=args.max_size,
        extensions=[e for e in args.ext.split(",") if e.strip()],
        include_hidden=not args.exclude_hidden,
        include_empty=args.include_empty,
        reference_paths=[Path(p) for p in args.reference],
    )


def summarize(output: dict) -> str:
    lines = []
    if output.get("note"):
        lines.append(f"note: {output['note']}")
    for g in output.get("groups", []):
        label = (g.get("hash") or "")[:16] or "unverified"
        lines.append(f"{human_size(g['size'])} x {len(g['paths'])}  {label}")
        for p in g["paths"]:
            lines.append(f"    {paths.display(p)}")
    for h in output.get("hardlinks", []):
        names = ", ".join(paths.display(p) for p in h["paths"])
        lines.append(f"hard links (one file, freeing them frees nothing): {names}")
    lines.append(
        f"{output.get('group_count', 0)} groups, {output.get('duplicate_files', 0)} duplicate files, "
        f"{human_size(output.get('wasted_bytes', 0))} wasted"
    )
    since = output.get("unchanged_since")
    if since:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(since))
        lines.append(f"nothing changed since the search of {when}: its groups, no file read again")
    return "\n".join(lines)


def cmd_duplicates(args: argparse.Namespace) -> int:
    code = _duplicates(args)
    # reached only when the command ended as it should: its library closed and its result printed
    quick_exit.allow()
    return code


def _duplicates(args: argparse.Namespace) -> int:
    if any(volume_target(args, p) is not None for p in args.paths):
        from sd_desktop.commands import remote as remote_commands

        ops.load(("cross_duplicates",))
        return remote_commands.duplicates(args, summarize_across)
    missing = [p for p in args.paths if not os.path.lexists(p)]
    if missing:
        raise UsageError(f"no such file or folder: {missing[0]}")
    if args.folders:
        from sd_desktop.commands.duplicate_folders import cmd_duplicate_folders

        ops.load(("delete",))  # its removal's job (--delete)
        return cmd_duplicate_folders(args)
    config = _config(args)
    if args.link:  # extra copies replaced by links, not removed: commands/duplicates_link.py
        ops.load(("link_duplicates",))
        duplicates_link.check(args, config)
        return duplicates_link.run(args, config, summarize)
    if args.delete:
        ops.load(("delete",))
        if args.delete == Policy.KEEP_MATCHING.value and not args.pattern:
            raise UsageError("--delete keep-matching needs --pattern GLOB")
        if not config.mode.verified:
            raise UsageError("--delete needs --mode content or deep: size and name-size results are not verified")
        if args.mode_delete == "permanent" and not args.yes:
            raise UsageError("permanent deletion needs --yes")
        if "delete" not in registered():
            raise UsageError("this build has no delete job; cannot act on duplicates")
    if args.export and not args.export.lower().endswith((".json", ".csv")):
        raise UsageError("--export needs a file name ending in .json or .csv")

    def interrupted(manager: JobManager):
        return _interrupted_removal(manager, config, args.mode_delete)

    lib = open_library(args)
    try:
        info, continued = search_or_continue(lib, args, config, interrupted if args.delete else None)
        if continued:
            from sd_desktop.commands.delete import summarize as delete_summary

            if not args.json:
                print(f"continuing the interrupted removal of duplicates (job {info.id})", file=sys.stderr)
            return print_result(args, info, delete_summary)
        if args.export and info.status.succeeded and info.output:
            from sd_desktop.ops.files.duplicate_detection.export import export

            try:
                export(info.output, args.export)
            except (OSError, ValueError) as exc:
                print(f"sd-desktop: cannot export to {args.export}: {exc}", file=sys.stderr)
                return EXIT_FAILED
        if not args.delete or not info.status.succeeded:
            return print_result(args, info, summarize, text_keys=True)  # a decoded output: text keys
        try:
            plan = plan_deletion(info.output, args.delete, args.pattern)
        except SelectionError as exc:
            print_result(args, info, summarize)
            print(f"sd-desktop: {exc}", file=sys.stderr)
            return EXIT_FAILED
        if not plan.targets:
            code = print_result(args, info, summarize)
            print("nothing to remove: no group has a copy this policy would remove", file=sys.stderr)
            return code
        # the deletion follows the search (parent_id) and re-verifies every target at run time
        delete_config = {
            "targets": plan.paths,
            "mode": args.mode_delete,
            "confirm": bool(args.yes),
            "guarded": plan.targets,
        }

        deleted = run_followup_delete(lib, args, info.id, delete_config)
    finally:
        lib.close()
    from sd_desktop.commands.delete import summarize as delete_summary

    # both results: the search first, the deletion last (scripts read the last one)
    if args.json:
        emit_json(result_object(info))
    else:
        print(summarize(info.output))
        print(f"removing {len(plan.targets)} copies ({human_size(plan.bytes_freed)}) to {args.mode_delete}")
        for s in plan.skipped:
            print(f"  group left alone ({s['reason']}): {', '.join(paths.display(p) for p in s['paths'])}")
    return print_result(args, deleted, delete_summary)


async def _interrupted_removal(manager: JobManager, config: DuplicateConfig, mode: str) -> int | None:
    """An unfinished removal (same deletion mode) that followed a search with this same config."""
    key = config_key("duplicate_detection", codec.pack(config))
    found = await manager.library.read(lambda c: jobstore.active_followups(c, "delete", "duplicate_detection", key))
    for job_id in found:
        info = await manager.info(job_id)
        if info is not None and isinstance(info.config, dict) and info.config.get("mode") == mode:
            return job_id
    return None


def summarize_across(out: dict) -> str:
    """The groups of a search across local and remote locations, then one line of totals."""
    lines = []
    for group in out.get("groups", []):
        lines.append(f"{len(group['paths'])} copies of {human_size(group['size'])}:")
        lines += [f"  {p}" for p in group["paths"]]
    lines.append(
        f"{len(out.get('groups', []))} groups, {human_size(out.get('wasted_bytes', 0))} in extra copies; "
        f"{out.get('files_searched', 0)} files searched, {out.get('hashed', 0)} read in full "
        f"({human_size(out.get('remote_bytes_read', 0))} from volumes)"
    )
    return "\n".join(lines)

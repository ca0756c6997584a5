"""``duplicates PATH... --link hardlink|reflink --yes``: the search, then its extra copies replaced
by links to the kept file through the LinkJob (a follow-up of the search, re-verified as it goes)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from sd_desktop import paths
from sd_desktop.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    drive_job,
    emit_json,
    human_size,
    open_library,
    print_result,
    result_object,
)
from sd_desktop.commands.search_followups import search_or_continue
from sd_desktop.jobs import JobInfo, JobManager, codec
from sd_desktop.jobs.manager import config_key
from sd_desktop.library import jobstore
from sd_desktop.ops.files.duplicate_detection import DuplicateConfig
from sd_desktop.ops.files.duplicate_detection.link_plan import plan_links
from sd_desktop.ops.files.duplicate_detection.select import Policy, SelectionError

JOB = "link_duplicates"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--link",
        choices=["hardlink", "reflink"],
        help="replace extra copies by hard links or reflinks to the kept file (needs --yes)",
    )
    p.add_argument(
        "--keep",
        choices=[x.value for x in Policy],
        default=Policy.KEEP_OLDEST.value,
        metavar="POLICY",
        help="with --link: the copy each group keeps (default keep-oldest; the --delete policies)",
    )
    p.add_argument(
        "--ignore-metadata",
        action="store_true",
        help="with --link hardlink: link copies whose owner or mode differ from the kept file's",
    )


def check(args: argparse.Namespace, config: DuplicateConfig) -> None:
    """Usage errors of ``--link``, before anything runs."""
    if args.delete:
        raise UsageError("--link and --delete do not go together: choose one")
    if not args.yes:
        raise UsageError("--link replaces files by links: add --yes to confirm")
    if args.keep == Policy.KEEP_MATCHING.value and not args.pattern:
        raise UsageError("--keep keep-matching needs --pattern GLOB")
    if not config.mode.verified:
        raise UsageError("--link needs --mode content or deep: size and name-size results are not verified")


def summarize_links(output: dict) -> str:
    lines = []
    for o in output.get("outcomes", []):
        if o["outcome"] == "linked":
            lines.append(f"linked   {paths.display(o['path'])} -> {paths.display(o['keeper'])}")
        elif o["outcome"] == "restored":
            lines.append(f"restored {paths.display(o['path'])}")
        elif o["outcome"] == "already":
            lines.append(f"already  {paths.display(o['path'])} ({o['reason']})")
        else:
            lines.append(f"{o['outcome']:<8} {paths.display(o['path'])}: {o['reason']}")
    lines.append(
        f"{output.get('linked', 0)} linked, {output.get('already', 0)} left as they were (already linked, or "
        "nothing to gain), "
        f"{output.get('skipped', 0)} skipped, {output.get('failed', 0)} failed; "
        f"{human_size(output.get('bytes_saved', 0))} back"
    )
    return "\n".join(lines)


def run(args: argparse.Namespace, config: DuplicateConfig, summarize_search) -> int:
    lib = open_library(args)
    try:
        info, continued = search_or_continue(
            lib, args, config, lambda manager: _interrupted_link(manager, config, args.link)
        )
        if continued:
            if not args.json:
                print(f"continuing the interrupted linking of duplicates (job {info.id})", file=sys.stderr)
            return print_result(args, info, summarize_links)
        if not info.status.succeeded:
            return print_result(args, info, summarize_search)
        if args.export:
            from sd_desktop.ops.files.duplicate_detection.export import export  # csv: only when exporting

            try:
                export(info.output, args.export)
            except (OSError, ValueError) as exc:
                print(f"sd-desktop: cannot export to {args.export}: {exc}", file=sys.stderr)
                return EXIT_FAILED
        try:
            plan = plan_links(info.output, args.keep, args.pattern)
        except SelectionError as exc:
            print_result(args, info, summarize_search)
            print(f"sd-desktop: {exc}", file=sys.stderr)
            return EXIT_FAILED
        if not plan.targets:
            code = print_result(args, info, summarize_search)
            print("nothing to link: no group has a copy that is not the kept file already", file=sys.stderr)
            return code
        link_config = {
            "targets": plan.targets,
            "method": args.link,
            "confirm": True,
            "ignore_metadata": bool(args.ignore_metadata),
        }
        linked = _run_followup(lib, args, info.id, link_config)
    finally:
        lib.close()
    # both results: the search first, the linking last (scripts read the last one)
    if args.json:
        emit_json(result_object(info))
    else:
        print(summarize_search(info.output))
        print(f"linking {len(plan.targets)} copies ({args.link}; up to {human_size(plan.bytes_saved)} back)")
        for s in plan.skipped:
            print(f"  group left alone ({s['reason']}): {', '.join(paths.display(p) for p in s['paths'])}")
    code = print_result(args, linked, summarize_links)
    if code == EXIT_OK and linked.output and not linked.output.get("linked") and not args.json:
        print("nothing to link: every copy already is the kept file, or shares all its blocks", file=sys.stderr)
    return code


def _run_followup(lib, args: argparse.Namespace, parent_id: int, link_config: dict) -> JobInfo:
    async def start(manager: JobManager) -> int:
        job_id = await manager.enqueue(JOB, link_config, parent_id=parent_id)
        await manager.resume(job_id)  # a follow-up of a job this manager did not run: allow it explicitly
        return job_id

    return asyncio.run(drive_job(lib, args, start))


async def _interrupted_link(manager: JobManager, config: DuplicateConfig, method: str) -> int | None:
    """An unfinished linking (same method) that followed a search with this same config."""
    key = config_key("duplicate_detection", codec.pack(config))
    found = await manager.library.read(lambda c: jobstore.active_followups(c, JOB, "duplicate_detection", key))
    for job_id in found:
        info = await manager.info(job_id)
        if info is not None and isinstance(info.config, dict) and info.config.get("method") == method:
            return job_id
    return None


__all__ = ["add_arguments", "check", "run"]

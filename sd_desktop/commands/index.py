"""``index PATH``: index a folder into the library (adding it as a location when needed)."""

from __future__ import annotations

import argparse
import os

from sd_desktop import paths
from sd_desktop.commands.common import (
    CommandFailed,
    UsageError,
    human_size,
    library_call,
    local_or_volume_path,
    open_library,
    run_job,
    volume_target,
)
from sd_desktop.library.locations import LocationError, add_location, index_mode_of, locate, normalize
from sd_desktop.ops.indexing.config import IndexerConfig, IndexerRules, IndexMode, IndexScope, Persistence


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="index a folder (adds it as a location if it is not inside one)")
    p.add_argument("path", type=local_or_volume_path, help="a folder, or NAME:/folder on a volume")
    p.add_argument(
        "--mode",
        choices=[m.value for m in IndexMode],
        default=None,
        help="this run only; default: the location's own mode (see 'location mode'; content for a new one)",
    )
    p.add_argument("--scope", choices=[s.value for s in IndexScope], default=IndexScope.RECURSIVE.value)
    p.add_argument("--max-depth", type=int, default=None, metavar="N", help="levels below PATH (1 = its children)")
    p.add_argument("--ephemeral", action="store_true", help="walk without writing the library: counts only")
    p.add_argument("--all", action="store_true", help="no ignore rules: index every entry")
    p.add_argument("--skip-hidden", action="store_true", help="skip hidden files and folders")
    p.add_argument("--gitignore", action="store_true", help="honour .gitignore files")
    p.add_argument("--skip-dev", action="store_true", help="skip .git and developer folders (node_modules, ...)")
    p.add_argument("--ignore", action="append", default=[], metavar="GLOB", help="gitignore-style pattern to skip")
    p.add_argument("--json", action="store_true")
    # the indexer alone (a deep run also loads the thumbnail job it queues: ``cmd_index``); the other
    # job modules and what only they use (Pillow, the validation checks...) cost each run ~0.15 s
    p.set_defaults(func=cmd_index, needs_jobs=("indexer",))


def build_config(args: argparse.Namespace, location_id: int | None, sub_path: bytes | None) -> IndexerConfig:
    rules = IndexerRules(
        ignore_hidden=args.skip_hidden,
        ignore_git=args.skip_dev,
        ignore_dev_folders=args.skip_dev,
        respect_gitignore=args.gitignore,
        ignore_globs=list(args.ignore),
    )
    return IndexerConfig(
        location_id=location_id,
        path=paths.to_path(sub_path) if sub_path is not None else None,
        mode=IndexMode(args.mode),
        scope=IndexScope(args.scope),
        persistence=Persistence.EPHEMERAL if args.ephemeral else Persistence.PERSISTENT,
        max_depth=args.max_depth,
        rules=rules,
        all_entries=args.all,
    )


def summarize(out: dict) -> str:
    line = (
        f"{out.get('files', 0)} files, {out.get('dirs', 0)} folders, {out.get('symlinks', 0)} symlinks, "
        f"{human_size(out.get('bytes', 0))}"
    )
    if out.get("persistence") != "ephemeral":
        line += (
            f"; {out.get('new', 0)} new, {out.get('modified', 0)} modified, {out.get('moved', 0)} moved, "
            f"{out.get('deleted', 0)} deleted, {out.get('hashed', 0)} identified"
        )
    return line + f" in {out.get('seconds', 0):.1f}s"


def cmd_index(args: argparse.Namespace) -> int:
    remote = volume_target(args, args.path)
    if remote is not None:
        from sd_desktop.commands import remote as remote_commands

        return remote_commands.index(args, *remote, summarize)
    if not os.path.lexists(args.path):
        raise UsageError(f"no such file or folder: {args.path}")
    raw = normalize(args.path)
    if not os.path.isdir(raw):
        raise UsageError(f"not a folder: {args.path}")
    if args.max_depth is not None and args.max_depth < 1:
        raise UsageError("--max-depth must be at least 1")
    if args.ephemeral:
        args.mode = args.mode or IndexMode.CONTENT.value
        return run_job(args, "indexer", build_config(args, None, raw), summarize)
    lib = open_library(args)
    try:
        where = lib.read_sync(lambda conn: locate(conn, raw))  # ``raw`` has its symlinks resolved
        if where is None:
            location_id, root = (
                library_call(lib, add_location, raw),
                raw,
            )  # its standing mode is set with 'location add/mode'
        else:
            location_id, root = where.location_id, where.root
        args.mode = args.mode or index_mode_of(lib, location_id)
    except LocationError as exc:
        raise CommandFailed(str(exc)) from exc
    finally:
        lib.close()
    if args.mode == IndexMode.DEEP.value:  # its follow-up: queued only when that job is registered
        from sd_desktop import ops

        ops.load(["thumbnails"])
    sub_path = None if raw == root else raw
    return run_job(args, "indexer", build_config(args, location_id, sub_path), summarize)

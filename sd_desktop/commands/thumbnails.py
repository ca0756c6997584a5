"""``thumbnails [PATH] [--regenerate]``: make the thumbnails of pictures — sidecars for indexed ones,
the per-user freedesktop cache (shared with other file managers) for a PATH outside every location."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sd_desktop.commands.common import UsageError, existing_path, human_size, run_job
from sd_desktop.ops.media.thumbnail.job import ThumbnailConfig, ThumbnailJob, ThumbnailOutput


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("thumbnails", help="make thumbnails of the pictures in the library (or under PATH)")
    p.add_argument(
        "path",
        nargs="?",
        type=existing_path,
        help="a file or folder (default: all locations); outside them: the freedesktop cache",
    )
    p.add_argument("--regenerate", action="store_true", help="make them again even where they exist")
    p.add_argument("--batch-size", type=int, default=50, help="pictures per checkpoint (default 50)")
    p.add_argument("--workers", type=int, default=2, help="decoding worker processes (default 2)")
    p.add_argument("--time-limit", type=float, default=30.0, help="seconds allowed per picture (default 30)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_thumbnails)


def summarize(out: dict | ThumbnailOutput) -> str:
    o = out if isinstance(out, dict) else vars(out)
    return (
        f"{o['generated']} made, {o['already_present']} already there, {o['skipped']} skipped (not pictures), "
        f"{o['failed']} failed, {o['previously_failed']} failed before; read {human_size(o['bytes'])}, "
        f"wrote {human_size(o['sidecar_bytes'])}; removed {o['removed_orphans']} orphaned thumbnails"
    )


def cmd_thumbnails(args: argparse.Namespace) -> int:
    if args.batch_size < 1 or args.workers < 1 or args.time_limit <= 0:
        raise UsageError("--batch-size, --workers and --time-limit must be positive")
    config = ThumbnailConfig(
        path=Path(os.path.abspath(args.path)) if args.path is not None else None,
        regenerate=args.regenerate,
        batch_size=args.batch_size,
        max_concurrency=args.workers,
        time_limit=args.time_limit,
    )
    return run_job(args, ThumbnailJob.NAME, config, summarize)

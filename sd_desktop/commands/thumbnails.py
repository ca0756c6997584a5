"""``thumbnails [PATH] [--regenerate]``: make the thumbnails of pictures — sidecars for indexed ones,
the per-user freedesktop cache (shared with other file managers) for a PATH outside every location."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sd_desktop.commands.common import (
    CommandFailed,
    UsageError,
    human_size,
    local_or_volume_path,
    open_reader,
    run_job,
    volume_target,
)
from sd_desktop.ops.media.thumbnail.job import ThumbnailConfig, ThumbnailJob, ThumbnailOutput


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("thumbnails", help="make thumbnails of the pictures in the library (or under PATH)")
    p.add_argument(
        "path",
        nargs="?",
        type=local_or_volume_path,
        help="a file or folder, or NAME:/path on a volume (default: all locations); "
        "outside them: the freedesktop cache",
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
    remote = volume_target(args, args.path) if args.path is not None else None
    if remote is None and args.path is not None and not os.path.lexists(args.path):
        raise UsageError(f"no such file or folder: {args.path}")
    location_id, path = None, Path(os.path.abspath(args.path)) if args.path is not None else None
    if remote is not None:
        location_id, path = _remote_scope(args, *remote)
    config = ThumbnailConfig(
        location_id=location_id,
        path=path,
        regenerate=args.regenerate,
        batch_size=args.batch_size,
        max_concurrency=args.workers,
        time_limit=args.time_limit,
    )
    return run_job(args, ThumbnailJob.NAME, config, summarize)


def _remote_scope(args: argparse.Namespace, volume, path: str) -> tuple[int, Path | None]:
    """The location holding ``NAME:/path`` and the path itself (None: the whole location); its
    pictures must be indexed first (their content ids key the thumbnails)."""
    from sd_desktop.library.volumes import locate_remote

    reader = open_reader(args)
    try:
        found = reader.read_sync(lambda c: locate_remote(c, volume.id, path)) if reader is not None else None
    finally:
        if reader is not None:
            reader.close()
    address = f"{volume.name}:/{path}"
    if found is None:
        raise CommandFailed(f"{address} is in no location: index it first (sd-desktop index {address})")
    return found[0], (Path(address) if found[1] else None)

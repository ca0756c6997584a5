"""``similar PATH... [--threshold N]``: find pictures that look alike (resized, re-encoded,
EXIF-rotated, retouched or slightly cropped copies), grouped around the largest picture."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sd_desktop import paths
from sd_desktop.commands.common import UsageError, existing_path, human_size, run_job
from sd_desktop.ops.media.similar.config import DEFAULT_THRESHOLD, SimilarConfig
from sd_desktop.ops.media.similar.grouping import MAX_THRESHOLD
from sd_desktop.ops.media.similar.job import SimilarPicturesJob


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("similar", help="find pictures that look alike")
    p.add_argument("paths", nargs="+", type=existing_path, metavar="PATH")
    p.add_argument(
        "--threshold",
        type=int,
        default=DEFAULT_THRESHOLD,
        metavar="N",
        help=f"bits of 64 two pictures may differ by (0..{MAX_THRESHOLD}, default {DEFAULT_THRESHOLD})",
    )
    p.add_argument("--workers", type=int, default=2, help="decoding worker processes (default 2)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_similar)


def summarize(out: dict) -> str:
    lines = []
    for g in out.get("groups", []):
        lines.append(f"{len(g['paths'])} similar pictures")
        for p, d, size, w, h in zip(g["paths"], g["distances"], g["sizes"], g["widths"], g["heights"], strict=True):
            lines.append(f"    {d:2d} bits  {w}x{h}  {human_size(size):>9}  {paths.display(p)}")
    lines.append(
        f"{out.get('group_count', 0)} groups, {out.get('similar_files', 0)} similar pictures among "
        f"{out.get('pictures', 0)} (threshold {out.get('threshold')} bits); {out.get('hashed', 0)} decoded, "
        f"{out.get('reused', 0)} known, {out.get('failed', 0)} failed"
    )
    return "\n".join(lines)


def cmd_similar(args: argparse.Namespace) -> int:
    if not 0 <= args.threshold <= MAX_THRESHOLD:
        raise UsageError(f"--threshold must be 0..{MAX_THRESHOLD} bits (the default {DEFAULT_THRESHOLD} suits photos)")
    if args.workers < 1:
        raise UsageError("--workers must be positive")
    config = SimilarConfig(
        paths=[Path(os.path.abspath(p)) for p in args.paths], threshold=args.threshold, max_concurrency=args.workers
    )
    return run_job(args, SimilarPicturesJob.NAME, config, summarize)

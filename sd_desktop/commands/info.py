"""``info PATH``: what the file system and the library know of one path."""

from __future__ import annotations

import argparse
import os

from sd_desktop.commands.common import (
    EXIT_OK,
    UsageError,
    emit_json,
    human_size,
    local_or_volume_path,
    open_reader,
    volume_target,
)
from sd_desktop.library.describe import describe


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="entry, cas_id, integrity hash, kind and sidecars of a path")
    p.add_argument("path", type=local_or_volume_path, help="a path, or NAME:/path on a volume")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_info, needs_jobs=False)


def cmd_info(args: argparse.Namespace) -> int:
    remote = volume_target(args, args.path)
    if remote is not None:
        from sd_desktop.commands import remote as remote_commands

        return remote_commands.info(args, *remote)
    if not os.path.lexists(args.path):
        raise UsageError(f"no such file or folder: {args.path}")
    reader = open_reader(args)  # read-only: no lock, nothing created where there is no library
    try:
        out = describe(reader, args.path)
    finally:
        if reader is not None:
            reader.close()
    if args.json:
        emit_json({"event": "result", "job_id": None, "status": "completed", "output": out, "errors": []})
        return EXIT_OK
    print(f"{out['path']}\n  kind: {out['kind']}   size: {human_size(out['size'])} ({out['size']} bytes)")
    if not out["indexed"]:
        print("  not in the library" + ("" if out["location_id"] is None else " yet (index its location)"))
    else:
        print(
            f"  cas_id: {out['cas_id'] or '-'}   integrity: {out['integrity_hash'] or '-'}   mime: {out['mime'] or '-'}"
        )
        for s in out["sidecars"]:
            print(f"  sidecar {s['variant']}: {s['width']}x{s['height']} {s['path']}")
    return EXIT_OK

"""``delete PATH...``: to the trash (default), or permanently / securely with ``--yes``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sd_desktop import paths
from sd_desktop.commands.common import UsageError, human_size, refuse_library_targets, run_job, volume_target
from sd_desktop.ops.files.delete.config import DeleteConfig, DeleteMode


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "delete",
        help="move to the trash, or delete permanently or securely",
        description="Symlinks are never followed: deleting a link leaves its target alone. On a volume "
        "(NAME:/path) only --mode permanent --yes: a volume has no trash.",
    )
    # not checked by argparse: the same command again after a kill continues the interrupted
    # job, whose first paths are gone by then
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--mode", choices=[m.value for m in DeleteMode], default="trash")
    p.add_argument("--yes", action="store_true", help="confirm a permanent or secure deletion")
    p.add_argument("--passes", type=int, default=1, help="secure mode: overwrite passes (default 1)")
    p.add_argument(
        "--force-hardlinks", action="store_true", help="secure mode: overwrite files that have other hard links"
    )
    p.add_argument("--json", action="store_true", help="NDJSON progress and result on stdout")
    p.set_defaults(func=cmd_delete)


def cmd_delete(args: argparse.Namespace) -> int:
    mode = DeleteMode(args.mode)
    remote = [volume_target(args, p) for p in args.paths]
    if any(r is not None for r in remote):
        return _delete_on_volume(args, mode, remote)
    if mode is not DeleteMode.TRASH and not args.yes:
        raise UsageError(f"--mode {mode.value} cannot be undone: add --yes to confirm (nothing was deleted)")
    config = DeleteConfig(
        targets=[Path(p).absolute() for p in args.paths],
        mode=mode,
        confirm=args.yes,
        passes=args.passes,
        force_hardlinks=args.force_hardlinks,
    )
    refuse_library_targets(args, config.targets, "deleted")
    missing = next((p for p in args.paths if not os.path.lexists(p)), None)
    gone = f"no such file or folder: {missing}" if missing is not None else None
    return run_job(args, "delete", config, summarize, only_continue=gone)


def _delete_on_volume(args: argparse.Namespace, mode: DeleteMode, remote: list) -> int:
    """``delete NAME:/path...``: permanent only (a volume has no trash), each target re-checked."""
    if any(r is None for r in remote) or len({r[0].name for r in remote}) > 1:
        raise UsageError("delete takes paths of one volume at a time, without local paths among them")
    if mode is not DeleteMode.PERMANENT or not args.yes:
        raise UsageError(
            "a volume has no trash: deleting there cannot be undone; add --mode permanent --yes (nothing was deleted)"
        )
    if any(r[1] == "" for r in remote):
        raise UsageError(f"refusing to delete the root of the volume {remote[0][0].name}; name what is in it")
    config = {"volume": remote[0][0].name, "paths": [r[1] for r in remote], "confirm": True}
    return run_job(args, "remote_delete", config, _summarize_remote)


def _summarize_remote(output: dict) -> str:
    lines = [f"{row['outcome']:>8}  {row['path']} ({row['reason']})" for row in output.get("outcomes", [])]
    lines.append(
        f"{output.get('files_deleted', 0)} files ({human_size(output.get('bytes_deleted', 0))}) and "
        f"{output.get('folders_deleted', 0)} folders deleted, {output.get('skipped', 0)} skipped, "
        f"{output.get('failed', 0)} failed"
    )
    return "\n".join(lines)


def summarize(output: dict) -> str:
    lines = [
        f"{row['outcome']:>8}  {paths.display(row['path'])}" + (f" ({row['reason']})" if row.get("reason") else "")
        for row in output.get("outcomes", [])
    ]
    lines.append(
        f"{output.get('trashed', 0)} trashed, {output.get('deleted', 0)} deleted "
        f"({output.get('files_deleted', 0)} files, {human_size(output.get('bytes_deleted', 0))}), "
        f"{output.get('skipped', 0)} skipped, {output.get('failed', 0)} failed"
    )
    lines += [f"note: {w}" for w in output.get("warnings", [])]
    return "\n".join(lines)

"""``location add|list|remove``: the folders the library tracks.

``location list`` reads the library read-only (``library.reader``: no lock, no peewee)."""

from __future__ import annotations

import argparse
import os
import re
import sys

from sd_desktop.commands.common import (
    EXIT_OK,
    CommandFailed,
    UsageError,
    emit_json,
    human_size,
    library_call,
    local_or_volume_path,
    open_library,
    open_reader,
    volume_target,
)
from sd_desktop.library.locations import (
    INDEX_MODES,
    LocationError,
    add_location,
    list_locations,
    remove_location,
    set_index_mode,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("location", help="add, list or remove locations")
    p.set_defaults(needs_jobs=False)
    lsub = p.add_subparsers(dest="location_cmd", required=True, metavar="{add,list,mode,schedule,remove}")
    add = lsub.add_parser("add", help="track a folder")
    add.add_argument("path", type=local_or_volume_path, help="a folder, or NAME:/folder on a volume")
    add.add_argument("--name")
    add.add_argument(
        "--mode",
        choices=INDEX_MODES,
        default="content",
        help="how the app indexes it: shallow (metadata), content (+ content ids, the default), "
        "deep (+ integrity hashes and thumbnails)",
    )
    add.add_argument(
        "--every",
        type=interval,
        metavar="INTERVAL",
        help="a location on a volume: re-index it this often while an engine runs (30s, 15m, 6h, 1d)",
    )
    add.add_argument("--json", action="store_true")
    add.set_defaults(func=cmd_add)
    ls = lsub.add_parser("list", help="list locations with their totals")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)
    mode = lsub.add_parser("mode", help="change how the app indexes a location")
    mode.add_argument("id", type=int)
    mode.add_argument("mode", choices=INDEX_MODES)
    mode.add_argument("--json", action="store_true")
    mode.set_defaults(func=cmd_mode)
    sched = lsub.add_parser("schedule", help="re-index a location on a volume this often while an engine runs")
    sched.add_argument("id", type=int)
    sched.add_argument("every", type=interval_or_off, metavar="INTERVAL|off", help="30s, 15m, 6h, 1d, or off")
    sched.add_argument("--json", action="store_true")
    sched.set_defaults(func=cmd_schedule)
    rm = lsub.add_parser("remove", help="forget a location (files stay on disk)")
    rm.add_argument("id", type=int)
    rm.add_argument("--json", action="store_true")
    rm.set_defaults(func=cmd_remove)


def _change(args: argparse.Namespace, change, done: str) -> int:
    """Run ``change(lib) -> location id`` and print the location as it is afterwards."""
    lib = open_library(args)
    try:
        loc_id = change(lib)
        info = next(i for i in list_locations(lib) if i.id == loc_id)
    except LocationError as exc:
        raise CommandFailed(str(exc)) from exc
    finally:
        lib.close()
    if args.json:
        emit_json({"event": "result", "job_id": None, "status": "completed", "output": info.to_json(), "errors": []})
    else:
        print(done.format(id=loc_id, path=info.path, mode=info.index_mode))
    return EXIT_OK


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def interval(text: str) -> float:
    """argparse type: ``30s``, ``15m``, ``6h``, ``1d`` (a number and a unit) as seconds."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd])", text.strip())
    if match is None or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"bad interval {text!r}: write a number and s, m, h or d (30s, 15m, 6h, 1d)")
    return float(match.group(1)) * _UNITS[match.group(2)]


def interval_or_off(text: str) -> float | None:
    return None if text.strip().lower() == "off" else interval(text)


def _shown(every: float | None) -> str:
    if every is None:
        return "off"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if every >= size and every % size == 0:
            return f"{every // size:g}{unit}"
    return f"{every:g}s"


def _print_schedule(args: argparse.Namespace, location_id: int, path: str, every: float | None) -> None:
    if args.json:
        output = {"id": location_id, "path": path, "every": every}
        emit_json({"event": "result", "job_id": None, "status": "completed", "output": output, "errors": []})
    elif every is None:
        print(f"location {location_id}: {path}: no scheduled re-index")
    else:
        print(f"location {location_id}: {path}: re-indexed every {_shown(every)} while an engine runs")


def cmd_schedule(args: argparse.Namespace) -> int:
    from sd_desktop.library.schedules import set_every

    lib = open_library(args)
    try:
        library_call(lib, set_every, args.id, args.every)
        path = next(i.path for i in list_locations(lib) if i.id == args.id)
    except LocationError as exc:
        raise CommandFailed(str(exc)) from exc
    finally:
        lib.close()
    _print_schedule(args, args.id, path, args.every)
    return EXIT_OK


def cmd_add(args: argparse.Namespace) -> int:
    remote = volume_target(args, args.path)
    if remote is not None:
        from sd_desktop.commands import remote as remote_commands

        return remote_commands.add_location(args, *remote)
    if args.every is not None:
        raise UsageError("--every is for locations on volumes (NAME:/path): a running engine watches local ones")
    if not os.path.lexists(args.path):
        raise UsageError(f"no such file or folder: {args.path}")
    return _change(
        args,
        lambda lib: library_call(lib, add_location, args.path, args.name, index_mode=args.mode),
        "location {id}: {path}",
    )


def cmd_list(args: argparse.Namespace) -> int:
    reader = open_reader(args)
    if reader is None:  # no library there: no locations (and none created)
        rows = []
    else:
        try:
            rows = list_locations(reader)
        finally:
            reader.close()
    if args.json:
        emit_json(
            {
                "event": "result",
                "job_id": None,
                "status": "completed",
                "output": {"locations": [r.to_json() for r in rows]},
                "errors": [],
            }
        )
        return EXIT_OK
    if not rows:
        print("no locations yet: add one with 'sd-desktop location add PATH'", file=sys.stderr)
    for r in rows:
        print(f"{r.id:>4}  {r.name:<24} {r.files:>9} files {r.dirs:>7} dirs {human_size(r.total_bytes):>10}  {r.path}")
    return EXIT_OK


def cmd_mode(args: argparse.Namespace) -> int:
    def change(lib) -> int:
        library_call(lib, set_index_mode, args.id, args.mode)
        return args.id

    return _change(args, change, "location {id}: indexed in {mode} mode from the next run")


def cmd_remove(args: argparse.Namespace) -> int:
    lib = open_library(args)
    try:
        if not any(r.id == args.id for r in list_locations(lib)):
            raise CommandFailed(f"no location with id {args.id}")
        library_call(lib, remove_location, args.id)
    finally:
        lib.close()
    if args.json:
        emit_json(
            {"event": "result", "job_id": None, "status": "completed", "output": {"removed": args.id}, "errors": []}
        )
    return EXIT_OK

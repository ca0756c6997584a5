"""The remote side of ``index``, ``location add`` and ``info``: ``NAME:/path`` on a registered volume
(``commands.common.volume_target`` tells it from a local path)."""

from __future__ import annotations

import argparse

from sd_desktop.commands.common import (
    EXIT_OK,
    CommandFailed,
    UsageError,
    emit_json,
    human_size,
    library_call,
    library_folder,
    open_library,
    open_reader,
    run_job,
)


def _location_for(lib, volume, path: str) -> tuple[int, str]:
    """The remote location holding ``path`` (added when there is none) and the path below it."""
    from sd_desktop.library.volumes import VolumeError, add_remote_location, locate_remote

    found = lib.read_sync(lambda c: locate_remote(c, volume.id, path))
    if found is not None:
        return found
    try:
        return library_call(lib, add_remote_location, volume.name, path), ""
    except VolumeError as exc:
        raise CommandFailed(str(exc)) from None


def add_location(args: argparse.Namespace, volume, path: str) -> int:
    from sd_desktop.library.locations import LocationError
    from sd_desktop.library.schedules import set_every
    from sd_desktop.library.volumes import VolumeError, add_remote_location

    every = getattr(args, "every", None)
    lib = open_library(args)
    try:
        location_id = library_call(lib, add_remote_location, volume.name, path)
        if every is not None:
            library_call(lib, set_every, location_id, every)
    except (VolumeError, LocationError) as exc:
        raise CommandFailed(str(exc)) from None
    finally:
        lib.close()
    address = f"{volume.name}:/{path}"
    if getattr(args, "json", False):
        output = {"id": location_id, "path": address, "volume": volume.name, "every": every}
        emit_json({"event": "result", "job_id": None, "status": "completed", "output": output, "errors": []})
    else:
        print(f"location {location_id}: {address}")
    return EXIT_OK


def index(args: argparse.Namespace, volume, path: str, summarize) -> int:
    if args.ephemeral:
        raise UsageError("--ephemeral is not available for remote volumes yet")
    lib = open_library(args)
    try:
        location_id, below = _location_for(lib, volume, path)
    finally:
        lib.close()
    from sd_desktop import ops

    ops.load(["remote_indexer"])  # ``index`` loads the local indexer alone
    return run_job(args, "remote_indexer", {"location_id": location_id, "path": below}, summarize)


def info(args: argparse.Namespace, volume, path: str) -> int:
    from sd_desktop.library.remote_entries import entry_at
    from sd_desktop.library.volumes import locate_remote
    from sd_desktop.volumes.remote import RemoteError, backend_for
    from sd_desktop.volumes.specs import spec_of

    async def stat():
        backend = backend_for(spec_of(volume, library_folder(args)))
        try:
            return await backend.stat(path)
        finally:
            await backend.close()

    import asyncio

    try:
        live = asyncio.run(stat())
    except RemoteError as exc:
        raise CommandFailed(str(exc)) from None
    reader = open_reader(args)
    try:
        found = reader.read_sync(lambda c: locate_remote(c, volume.id, path)) if reader else None
        known = reader.read_sync(lambda c: entry_at(c, found[0], found[1].encode())) if found else None
    finally:
        if reader is not None:
            reader.close()
    out = {
        "path": f"{volume.name}:/{path}",
        "volume": volume.name,
        "kind": "dir" if live.is_dir else "file",
        "size": live.size,
        "mtime_ns": live.mtime_ns,
        "location_id": found[0] if found else None,
        "indexed": known is not None,
        "cas_id": known["cas_id"] if known else None,
        "integrity_hash": known["integrity_hash"] if known else None,
    }
    if args.json:
        emit_json({"event": "result", "job_id": None, "status": "completed", "output": out, "errors": []})
        return EXIT_OK
    print(f"{out['path']}\n  kind: {out['kind']}   size: {human_size(out['size'])} ({out['size']} bytes)")
    if known is None:
        print("  not in the library" + ("" if found is None else " yet (index its location)"))
    else:
        print(f"  cas_id: {out['cas_id'] or '-'}   integrity: {out['integrity_hash'] or '-'}")
    return EXIT_OK


def copy(args: argparse.Namespace, sources: list[str], dest: str, summarize) -> int:
    """``copy NAME:/path DEST``: from one volume into a local folder (each file resumable inside)."""
    import os

    from sd_desktop.commands.common import volume_target

    if len(sources) != 1:
        raise UsageError("copy from a volume takes one source at a time: copy NAME:/path DEST")
    volume, path = volume_target(args, sources[0])
    from sd_desktop.ops.files.remote_copy import POLICIES

    if args.move or args.verify or args.bwlimit:
        raise UsageError("copy from a volume has no --move, --verify or --bwlimit yet")
    if args.on_conflict not in POLICIES:
        raise UsageError(f"copy from a volume takes --on-conflict {', '.join(POLICIES)} (not {args.on_conflict})")
    if not os.path.isdir(dest):
        raise UsageError(f"the destination must be an existing local folder: {dest}")
    config = {
        "volume": volume.name,
        "source": path,
        "destination": os.path.abspath(dest),
        "on_conflict": args.on_conflict,
    }
    return run_job(args, "remote_copy", config, summarize)


def upload(args: argparse.Namespace, sources: list[str], dest, summarize) -> int:
    """``copy SRC... NAME:/folder``: local files and folders, or paths of one volume, onto a volume
    (each file sent to a temporary name and renamed; a resume sends the interrupted file again)."""
    import os

    from sd_desktop.commands.common import volume_target
    from sd_desktop.ops.files.remote_upload import POLICIES

    volume, folder = dest
    if args.move or args.bwlimit or args.mkpath:
        raise UsageError("copy to a volume has no --move, --bwlimit or --mkpath yet")
    if args.on_conflict not in POLICIES:
        raise UsageError(f"copy to a volume takes --on-conflict {', '.join(POLICIES)} (not {args.on_conflict})")
    remote = [volume_target(args, s) for s in sources]
    on_volumes = {r[0].name for r in remote if r is not None}
    if on_volumes and (len(on_volumes) > 1 or any(r is None for r in remote)):
        raise UsageError("the sources of one copy to a volume are all local, or all on one volume")
    if on_volumes:
        paths = [r[1] for r in remote if r is not None]
        if any(p == "" for p in paths):
            raise UsageError("copy a volume's folders or files, not its root (NAME:/folder)")
        source_volume = on_volumes.pop()
    else:
        paths = []
        for s in sources:
            if not os.path.lexists(s):
                raise UsageError(f"no such file or folder: {s}")
            paths.append(os.path.abspath(s))
        source_volume = ""
    config = {
        "volume": volume.name,
        "destination": folder,
        "sources": paths,
        "source_volume": source_volume,
        "verify": bool(args.verify),
        "on_conflict": args.on_conflict,
    }
    return run_job(args, "remote_upload", config, summarize)


def duplicates(args: argparse.Namespace, summarize) -> int:
    """``duplicates`` over folders of which one at least is on a volume: from the stored index
    (every PATH must be inside an indexed location), full hashes only for the candidates."""
    import os

    unsupported = [
        flag
        for flag, used in (
            ("--folders", getattr(args, "folders", False)),
            ("--delete", args.delete),
            ("--link", getattr(args, "link", None)),
            ("--export", args.export),
            ("--reference", args.reference),
            ("--ext", args.ext),
            ("--exclude-hidden", args.exclude_hidden),
            ("--include-empty", args.include_empty),
            ("--max-size", args.max_size is not None),
            ("--mode", args.mode != "content"),
        )
        if used
    ]
    if unsupported:
        raise UsageError(f"with a volume path, duplicates has no {', '.join(unsupported)} yet")
    from sd_desktop.commands.common import volume_target

    roots = []
    for path in args.paths:
        remote = volume_target(args, path)
        if remote is not None:
            roots.append(f"{remote[0].name}:/{remote[1]}")
        elif os.path.lexists(path):
            roots.append(os.path.abspath(path))
        else:
            raise UsageError(f"no such file or folder: {path}")
    return run_job(args, "cross_duplicates", {"roots": roots, "min_size": max(1, args.min_size)}, summarize)

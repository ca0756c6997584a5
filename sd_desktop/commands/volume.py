"""``volume add|list|remove``: remote volumes (a NAS over SFTP, an S3 bucket, a WebDAV share).

A volume's secrets go to the OS keyring, or to a 0600 file beside the library where no keyring
runs; the library keeps only where they are. Nothing here prints a secret."""

from __future__ import annotations

import argparse
import asyncio
import sys

from sd_desktop.commands.common import (
    EXIT_OK,
    CommandFailed,
    UsageError,
    emit_json,
    library_call,
    library_folder,
    open_library,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("volume", help="add, list or remove remote volumes (SFTP, S3, WebDAV, ...)")
    p.set_defaults(needs_jobs=False)
    vsub = p.add_subparsers(dest="volume_cmd", required=True, metavar="{add,list,remove}")
    add = vsub.add_parser(
        "add",
        help="register a remote volume",
        description="URL: sftp://USER@HOST:PORT/FOLDER, s3://BUCKET/PREFIX, webdav://HOST:PORT/FOLDER "
        "(webdavs:// for HTTPS), or with --scheme any OpenDAL service and its root folder.",
    )
    add.add_argument("name", help="the NAME of NAME:/path addresses")
    add.add_argument("url")
    add.add_argument("--scheme", help="another OpenDAL service (gcs, azblob, ftp, ...); URL is then its root")
    add.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting: key=PATH (SFTP private key), password=..., endpoint=..., region=..., "
        "access_key_id=..., secret_access_key=..., known_hosts=PATH|accept, timeout=SECONDS",
    )
    add.add_argument("--json", action="store_true")
    add.set_defaults(func=cmd_add)
    ls = vsub.add_parser("list", help="list volumes and whether each answers (online, offline, auth_failed)")
    ls.add_argument("--json", action="store_true")
    ls.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS", help="per volume (default 10)")
    ls.set_defaults(func=cmd_list)
    rm = vsub.add_parser("remove", help="forget a volume (nothing on it is touched)")
    rm.add_argument("name")
    rm.add_argument("--force", action="store_true", help="also forget its locations (never a file)")
    rm.add_argument("--json", action="store_true")
    rm.set_defaults(func=cmd_remove)


def _result(output: dict) -> None:
    emit_json({"event": "result", "job_id": None, "status": "completed", "output": output, "errors": []})


def cmd_add(args: argparse.Namespace) -> int:
    from sd_desktop.library.volumes import VolumeError, check_name
    from sd_desktop.volumes.registry import check_options, register
    from sd_desktop.volumes.specs import SpecError, parse, parse_options

    try:
        check_name(args.name)
        scheme, root, options = parse(args.url, args.scheme, parse_options(args.option))
        check_options(scheme, options)
    except (SpecError, VolumeError) as exc:
        raise UsageError(str(exc)) from None
    folder = library_folder(args)
    lib = open_library(args)
    try:  # the window's Add Network Volume… registers through the same call
        volume_id, where, warning = register(lib, folder, args.name, scheme, root, options, call=library_call)
    except VolumeError as exc:
        raise CommandFailed(str(exc)) from None
    finally:
        lib.close()
    if warning:
        print(f"sd-desktop: warning: {warning}", file=sys.stderr)
    row = {"id": volume_id, "name": args.name, "scheme": scheme, "root": root, "secrets": where}
    if args.json:
        _result(row)
    else:
        print(f"volume {args.name}: {scheme} {root}")
    return EXIT_OK


async def _statuses(rows: list, folder, timeout: float) -> list[tuple[str, str]]:
    from sd_desktop.volumes.remote import probe
    from sd_desktop.volumes.specs import spec_of

    return list(await asyncio.gather(*(probe(spec_of(r, folder, timeout)) for r in rows)))


def cmd_list(args: argparse.Namespace) -> int:
    from sd_desktop.commands.common import open_reader
    from sd_desktop.library.volumes import list_volumes

    reader = open_reader(args)
    rows = []
    if reader is not None:
        try:
            rows = reader.read_sync(list_volumes)
        finally:
            reader.close()
    statuses = asyncio.run(_statuses(rows, library_folder(args), args.timeout)) if rows else []
    out = [
        {"id": r.id, "name": r.name, "scheme": r.scheme, "root": r.root, "status": status, "detail": detail}
        for r, (status, detail) in zip(rows, statuses, strict=True)
    ]
    if args.json:
        _result({"volumes": out})
        return EXIT_OK
    if not out:
        print("no volumes yet: add one with 'sd-desktop volume add NAME URL'", file=sys.stderr)
    for v in out:
        print(f"{v['id']:>4}  {v['name']:<16} {v['scheme']:<7} {v['status']:<11} {v['root']}")
        if v["detail"]:
            print(f"      {v['detail']}")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    from sd_desktop.library.volumes import VolumeError, find_volume, remove_volume
    from sd_desktop.volumes import secrets

    lib = open_library(args)
    try:
        row = lib.read_sync(lambda c: find_volume(c, args.name))
        if row is None:
            raise CommandFailed(f"no volume named {args.name!r} (see 'sd-desktop volume list')")
        removed = library_call(lib, remove_volume, row.id, with_locations=args.force)
    except VolumeError as exc:
        raise CommandFailed(f"volume {args.name} not removed: {exc}") from None
    finally:
        lib.close()
    secrets.forget(library_folder(args), row.name, row.secret)
    if args.json:
        _result({"removed": row.id, "locations_removed": removed})
    else:
        print(f"volume {row.name} removed" + (f" with {removed} location(s)" if removed else ""))
    return EXIT_OK

"""Remote volumes in the library: their rows (name, scheme, root, the settings that are not secret)
and the locations that live on them.

A remote location's ``location.path`` is ``NAME:/path`` (UTF-8) and its ``volume_id`` points at
the volume; its entries' paths are relative to that path, as for a local location. Changes go
through the peewee models on the writer thread; reads are plain SQL on the connection given, so
``volume list`` and the address check of the command line stay quick.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from sd_desktop.library.library import Library

# a letter or digit first, then letters, digits, '.', '_', '-'; two characters at least, so that a
# Windows drive (``C:/x``) and anything with a slash (``./x:/y``) is never a volume address
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]+$")


class VolumeError(ValueError):
    """A volume that cannot be added, found or removed as asked."""


class VolumeRow(NamedTuple):
    id: int
    name: str
    scheme: str
    root: str
    options: dict
    secret: str | None
    created_at: float


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise VolumeError(
            f"bad volume name {name!r}: use two or more letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def split_address(text: str) -> tuple[str, str] | None:
    """``(NAME, path)`` when ``text`` has the shape ``NAME:/path`` (whatever volumes exist), else None."""
    name, sep, rest = text.partition(":")
    if not sep or not rest.startswith("/") or not NAME_PATTERN.match(name):
        return None
    return name, rest


def _row(r: tuple) -> VolumeRow:
    return VolumeRow(r[0], r[1], r[2], r[3], json.loads(r[4] or "{}"), r[5], r[6])


_COLUMNS = "id, name, scheme, root, options, secret, created_at"


def list_volumes(conn: sqlite3.Connection) -> list[VolumeRow]:
    """Every volume, by name."""
    return [_row(r) for r in conn.execute(f"SELECT {_COLUMNS} FROM volume ORDER BY name COLLATE NOCASE")]


def find_volume(conn: sqlite3.Connection, name: str) -> VolumeRow | None:
    r = conn.execute(f"SELECT {_COLUMNS} FROM volume WHERE name = ?", (name,)).fetchone()
    return _row(r) if r else None


def volume_names(conn: sqlite3.Connection) -> frozenset[str]:
    return frozenset(r[0] for r in conn.execute("SELECT name FROM volume"))


def add_volume(lib: Library, name: str, scheme: str, root: str, options: dict, secret: str | None) -> int:
    """Register a volume; ``options`` must hold no secret (they are stored in clear)."""
    check_name(name)
    from sd_desktop.library.models import Volume  # peewee: only for a change

    def insert(conn: sqlite3.Connection) -> int:
        if find_volume(conn, name) is not None:
            raise VolumeError(f"a volume named {name!r} exists already; remove it first or choose another name")
        query = Volume.insert(
            name=name,
            scheme=scheme,
            root=root,
            options=json.dumps(options, sort_keys=True),
            secret=secret,
            created_at=time.time(),
        )
        return query.execute(lib.db)

    return lib.write_sync(insert)


def locations_on(conn: sqlite3.Connection, volume_id: int) -> list[tuple[int, str]]:
    """``(id, NAME:/path)`` of the locations on a volume."""
    rows = conn.execute("SELECT id, path FROM location WHERE volume_id = ? ORDER BY id", (volume_id,))
    return [(r[0], bytes(r[1]).decode("utf-8", "replace")) for r in rows]


def remove_volume(lib: Library, volume_id: int, with_locations: bool) -> int:
    """Forget a volume; with ``with_locations`` its locations (and their entries) go with it in one
    transaction, otherwise a volume that has locations is refused. Returns the locations removed.
    Nothing on the volume itself is touched."""
    from sd_desktop.library.models import Location, Volume  # peewee: only for a change

    def delete(conn: sqlite3.Connection) -> int:
        held = locations_on(conn, volume_id)
        if held and not with_locations:
            listed = ", ".join(path for _, path in held[:3]) + (" ..." if len(held) > 3 else "")
            raise VolumeError(
                f"the volume has {len(held)} location(s) ({listed}); remove them first, or add --force to "
                "forget them with it (no file is deleted)"
            )
        removed = Location.delete().where(Location.volume == volume_id).execute(lib.db)
        Volume.delete().where(Volume.id == volume_id).execute(lib.db)
        return removed

    return lib.write_sync(delete)


def remote_path(name: str, path: str) -> bytes:
    """The ``location.path`` of ``path`` on the volume ``name``."""
    return f"{name}:/{path.strip('/')}".encode()


def add_remote_location(lib: Library, volume_name: str, path: str, index_mode: str = "content") -> int:
    """Make ``path`` (on the volume ``volume_name``, relative to its root) a location; returns its id
    (the existing one when it is a location already). A path inside or around another location of
    the volume is refused, as for local locations."""
    from sd_desktop.library.models import Location  # peewee: only for a change

    raw = remote_path(volume_name, path)

    def insert(conn: sqlite3.Connection) -> int:
        volume = find_volume(conn, volume_name)
        if volume is None:
            raise VolumeError(f"no volume named {volume_name!r}")
        for other_id, other in locations_on(conn, volume.id):
            other_raw = other.encode()
            if other_raw == raw:
                return other_id
            inside = raw.startswith(other_raw.rstrip(b"/") + b"/")
            around = other_raw.startswith(raw.rstrip(b"/") + b"/")
            if inside or around:
                relation = "inside" if inside else "contains"
                raise VolumeError(f"{raw.decode()} {relation} the location {other} (id {other_id})")
        label = path.strip("/").rsplit("/", 1)[-1] or volume.name
        query = Location.insert(
            path=raw,
            name=label,
            device=None,
            index_mode=index_mode,
            rules="{}",
            created_at=time.time(),
            volume=volume.id,
        )
        return query.execute(lib.db)

    return lib.write_sync(insert)


class RemoteLocation(NamedTuple):
    location_id: int
    volume: VolumeRow
    path: str  # the location's folder on the volume, relative to the volume's root ('' = the root)


def remote_location(conn: sqlite3.Connection, location_id: int) -> RemoteLocation | None:
    """The volume and folder of a remote location; None for a local one (or none at all)."""
    r = conn.execute("SELECT volume_id, path FROM location WHERE id = ?", (location_id,)).fetchone()
    if r is None or r[0] is None:
        return None
    v = conn.execute(f"SELECT {_COLUMNS} FROM volume WHERE id = ?", (r[0],)).fetchone()
    return RemoteLocation(location_id, _row(v), bytes(r[1]).decode().split(":", 1)[1].strip("/"))


def locate_remote(conn: sqlite3.Connection, volume_id: int, path: str) -> tuple[int, str] | None:
    """``(location id, path below it)`` of the location on the volume that holds ``path``, or None."""
    path = path.strip("/")
    best: tuple[int, str] | None = None
    for loc_id, loc_path in locations_on(conn, volume_id):
        root = loc_path.split(":", 1)[1].strip("/")
        if root == "" or path == root or path.startswith(root + "/"):
            if best is None or len(root) > len(best[1]):
                best = (loc_id, root)
    if best is None:
        return None
    below = path[len(best[1]) :].strip("/")
    return best[0], below

"""Registering and forgetting a remote volume: the one path of the command line (``volume add``)
and the window (Add Network Volume…) alike. The name and the options are checked here (one line
each: ``VolumeError`` for the name, ``SpecError`` for an option), the secrets go to
``volumes.secrets`` (the OS keyring, or a 0600 file), the rest to the library, and a registration
that fails leaves no secret behind."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sd_desktop.library.volumes import VolumeError, VolumeRow, add_volume, check_name, find_volume, remove_volume
from sd_desktop.volumes import secrets
from sd_desktop.volumes.specs import SpecError

if TYPE_CHECKING:
    from sd_desktop.library.library import Library


class Registered(NamedTuple):
    id: int
    where: str | None  # where the secrets went: 'keyring', 'file' or None (no secret)
    warning: str | None  # a line to show when no keyring could keep them


def _direct(lib: Any, fn: Callable[..., Any], *args: Any) -> Any:
    return fn(lib, *args)


def check_options(scheme: str, options: dict[str, str]) -> None:
    """Refuse options no connection could use, before anything is stored: ``SpecError`` says which."""
    port = options.get("port")
    if scheme == "sftp" and port is not None and not (port.isdigit() and 1 <= int(port) <= 65535):
        raise SpecError(f"bad port {port!r}: write a number from 1 to 65535")
    timeout = options.get("timeout")
    if timeout is not None:
        try:
            seconds = float(timeout)
        except ValueError:
            seconds = 0.0
        if not 0 < seconds < float("inf"):
            raise SpecError(f"bad timeout {timeout!r}: write a number of seconds above 0")


def register(
    lib: Library,
    folder: Path,
    name: str,
    scheme: str,
    root: str,
    options: dict[str, str],
    call: Callable[..., Any] = _direct,
) -> Registered:
    """Add the volume ``name``; its secret options are kept by ``volumes.secrets``, never in the
    library. Raises ``VolumeError`` (a bad name, a name taken) or ``SpecError`` (an option).
    ``call(lib, add_volume, ...)`` makes the library write (the command line passes one that goes
    through the engine serving the library, when one does)."""
    check_name(name)
    check_options(scheme, options)
    if lib.read_sync(lambda c: find_volume(c, name)) is not None:
        raise VolumeError(f"a volume named {name!r} exists already; remove it first or choose another name")
    plain, secret = secrets.split_secrets(options)
    where, warning = secrets.store(folder, name, secret)
    try:
        volume_id = call(lib, add_volume, name, scheme, root, plain, where)
    except BaseException:
        secrets.forget(folder, name, where)
        raise
    return Registered(volume_id, where, warning)


def unregister(lib: Library, folder: Path, row: VolumeRow, with_locations: bool) -> int:
    """Forget ``row`` (refused while it has locations unless ``with_locations``) and its secrets;
    returns the locations forgotten with it. No file anywhere is touched."""
    removed = remove_volume(lib, row.id, with_locations=with_locations)
    secrets.forget(folder, row.name, row.secret)
    return removed


def location_for(lib: Library, row: VolumeRow, path: str) -> tuple[int, str]:
    """``(location id, folder below it)`` of the remote location that holds ``path`` on the volume,
    adding ``path`` as a location when none does (what ``index NAME:/path`` indexes)."""
    from sd_desktop.library.volumes import add_remote_location, locate_remote

    path = path.strip("/")
    found = lib.read_sync(lambda c: locate_remote(c, row.id, path))
    if found is not None:
        return found
    return add_remote_location(lib, row.name, path), ""


def locations_of(lib: Library, row: VolumeRow) -> list[tuple[int, str]]:
    """``(id, NAME:/path)`` of the locations on the volume (a removal forgets them with it)."""
    from sd_desktop.library.volumes import locations_on

    return lib.read_sync(lambda c: locations_on(c, row.id))

"""A folder of a network volume as the content view's rows, so the window browses a volume with the
same views, sorting and filtering as a local folder.

A remote folder is named by its address, ``NAME:/path`` as raw bytes (the window's paths are
bytes): a local path the window holds is always absolute (it starts with ``/``), so the two never
meet. Rows are ``library.browse`` rows with the address of each child as their path and no library
ids. Listing goes through the volume (``volumes.blocking.list_folder``): call it on a worker thread,
never on the GUI thread; it raises ``RemoteError`` with the one line to show.
"""

from __future__ import annotations

import posixpath

from sd_desktop.library.browse import KIND_DIR, KIND_FILE, FolderTarget
from sd_desktop.library.volumes import find_volume, remote_path, split_address
from sd_desktop.ops.files.disk_listing import DiskListing
from sd_desktop.volumes.blocking import list_folder
from sd_desktop.volumes.remote import NOT_FOUND, RemoteError
from sd_desktop.volumes.specs import spec_of


def address(volume: str, path: str) -> bytes:
    """The address of ``path`` (relative to the volume's root) on ``volume``: the form a remote
    location's path takes too, so a location in the sidebar opens here as well."""
    return remote_path(volume, path)


def split(path: bytes | str) -> tuple[str, str] | None:
    """``(volume, path relative to its root)`` of an address, None for a local path."""
    text = path.decode("utf-8", "surrogateescape") if isinstance(path, bytes) else path
    if text.startswith("/"):
        return None
    found = split_address(text)
    return (found[0], found[1].strip("/")) if found is not None else None


def is_remote(path: bytes | str | None) -> bool:
    return path is not None and split(path) is not None


def parent(path: bytes) -> bytes | None:
    """The enclosing folder's address; None at the volume's root (or for a local path)."""
    found = split(path)
    if found is None or not found[1]:
        return None
    return address(found[0], posixpath.dirname(found[1]))


def list_rows(library, path: bytes) -> DiskListing:
    """The children of the remote folder ``path`` as rows (unsorted; the view arranges them)."""
    found = split(path)
    if found is None:
        raise ValueError(f"not a volume address: {path!r}")
    volume, folder = found
    row = library.read_sync(lambda c: find_volume(c, volume))
    if row is None:
        raise RemoteError(NOT_FOUND, f"no network volume named {volume}: add it with File › Add Network Volume…")
    entries = list_folder(spec_of(row, library.folder), folder)
    rows = [
        (
            None,
            e.name,
            address(volume, e.path),
            KIND_DIR if e.is_dir else KIND_FILE,
            0 if e.is_dir else e.size,
            e.mtime_ns,
            e.name.startswith("."),
            None,
            None,
            None,
        )
        for e in entries
    ]
    return DiskListing(FolderTarget(address(volume, folder)), rows, stale=False)

"""Restore one trashed item to where it came from, never over anything.

The item is renamed from ``<trash>/files/<name>`` to its recorded original path with a rename that
never replaces (``rename_noreplace``); missing parent folders are created first. When something
is at the original path already, the item is either left in the trash (``skip``) or restored
beside it as ``name (restored).ext`` (``beside``; then ``name (restored 2).ext``...). Its
``.trashinfo`` is removed only once the item is back. An item whose origin is unknown (no or a
bad record) or whose original folder is now on another file system is refused with the reason;
it is never copied. The renames, folders and record removal go through the volume's backend.
"""

from __future__ import annotations

import errno
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from sd_desktop import paths
from sd_desktop.ops.files.trash.listing import read_item
from sd_desktop.volumes.backend import LOCAL, ReadWriteVolume

BESIDE, SKIP = "beside", "skip"


class RestoreError(Exception):
    """The item stays in the trash; the message says why (one line)."""


class RestoreConflict(RestoreError):
    """Something is at the original path and the policy is ``skip``; the item stays in the trash."""


@dataclass
class Restored:
    original: bytes  # the path it had
    restored_to: bytes  # where it is now: ``original``, or a "(restored)" name beside it
    created_folders: list[bytes] = field(default_factory=list)  # missing parents made for it, topmost first

    @property
    def beside(self) -> bool:
        return self.restored_to != self.original


def restore(trash_path: paths.PathLike, on_conflict: str = BESIDE, vol: ReadWriteVolume = LOCAL) -> Restored:
    """Put the trashed item ``trash_path`` (``<trash>/files/<name>``) back; see the module doc."""
    try:
        item = read_item(trash_path, backend=vol)
    except FileNotFoundError as exc:
        raise RestoreError(str(exc)) from None
    except ValueError as exc:
        raise RestoreError(str(exc)) from None
    if item.original_path is None:
        raise RestoreError(f"cannot restore: {item.problem}; move it out of the trash yourself")
    original = item.original_path
    created = _make_parents(os.path.dirname(original), vol)
    for target in itertools.chain([original], _beside_names(original)):  # lazily: the names never end
        try:
            vol.rename(item.trash_path, target)
        except FileExistsError:
            if on_conflict == SKIP:
                raise RestoreConflict(f"{paths.display(original)} already exists; left in the trash") from None
            continue
        except OSError as exc:
            if exc.errno == errno.EXDEV:
                raise RestoreError(
                    f"{paths.display(os.path.dirname(original))} is now on another file system than the trash; "
                    "it was not copied there (move it out of the trash yourself)"
                ) from None
            raise RestoreError(f"cannot restore to {paths.display(target)}: {exc.strerror or exc}") from None
        break
    if item.trashinfo is not None:
        vol.unlink(item.trashinfo, missing_ok=True)
    return Restored(original, target, created)


def beside_name(original: bytes, n: int = 1) -> bytes:
    """``name (restored).ext`` (``n`` = 1), ``name (restored 2).ext``...: where a restore goes
    when something is in its place."""
    folder, name = os.path.split(original)
    base, ext = os.path.splitext(name)
    if len(ext) > 16 or not base:  # not an extension worth keeping: a dot inside a long name, a dotfile
        base, ext = name, b""
    tag = b" (restored)" if n == 1 else b" (restored " + str(n).encode() + b")"
    return os.path.join(folder, base + tag + ext)


def _beside_names(original: bytes) -> Iterator[bytes]:
    for n in itertools.count(1):
        yield beside_name(original, n)


def _make_parents(folder: bytes, vol: ReadWriteVolume) -> list[bytes]:
    """Create ``folder`` and its missing parents; returns those created, topmost first."""
    missing: list[bytes] = []
    probe = folder
    while not vol.lexists(probe):
        missing.append(probe)
        up = os.path.dirname(probe)
        if up == probe:
            break
        probe = up
    if not vol.isdir(probe):
        raise RestoreError(f"cannot restore: {paths.display(probe)} is not a folder")
    for path in reversed(missing):
        try:
            vol.mkdir(path)
        except FileExistsError:
            pass  # made meanwhile by someone else: as good
        except OSError as exc:
            raise RestoreError(f"cannot create the folder {paths.display(path)}: {exc.strerror or exc}") from None
    return list(reversed(missing))

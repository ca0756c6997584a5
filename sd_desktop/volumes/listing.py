"""The ephemeral one-folder listing: browse a folder that is not (yet) a location.

Nothing is written to the library: ``scan_directory`` lstat()s each child of one folder and
returns plain records. It never follows symlinks, and a child that cannot be stat'ed (vanished,
permission denied) is reported with ``error`` set instead of raising.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sd_desktop import paths
from sd_desktop.enums import EntryKind


@dataclass(frozen=True)
class ListingEntry:
    name: str  # display text (undecodable bytes escaped)
    path: bytes  # absolute raw path
    kind: int  # an EntryKind value
    size: int
    mtime_ns: int | None
    inode: int | None
    hidden: bool
    error: str | None = None


class ListingError(OSError):
    """The folder itself cannot be listed (missing, not a folder, permission denied)."""


# A child as ``scan_rows`` gives it: (name, path, kind, size, mtime_ns, inode, hidden, error), the
# fields of ``ListingEntry``. A plain tuple of strings and numbers: the garbage collector stops
# tracking it, so listing 100,000 children adds nothing to its full collections (objects would:
# a full collection then pauses every thread, the window's too, for 100 ms and more).
ListedRow = tuple


def scan_rows(path: paths.PathLike) -> list[ListedRow]:
    """The children of ``path`` (unsorted) as ``ListedRow`` tuples. Raises ``ListingError`` only
    when the folder itself cannot be read; per-child failures are reported in the row's error."""
    raw = os.fsencode(path)
    try:
        it = os.scandir(raw)
    except FileNotFoundError:
        raise ListingError(f"no such folder: {paths.display(raw)}") from None
    except NotADirectoryError:
        raise ListingError(f"not a folder: {paths.display(raw)}") from None
    except PermissionError:
        raise ListingError(f"permission denied: {paths.display(raw)}") from None
    except OSError as exc:
        raise ListingError(f"cannot list {paths.display(raw)}: {exc.strerror or exc}") from None
    out: list[ListedRow] = []
    append = out.append
    of_mode, file_kind = EntryKind.of_mode, EntryKind.FILE.value
    with it:
        for de in it:
            name = de.name  # bytes, because we scanned a bytes path
            display = paths.display(name)
            hidden = name.startswith(b".")
            try:
                st = de.stat(follow_symlinks=False)
            except OSError as exc:
                append((display, de.path, EntryKind.OTHER.value, 0, None, None, hidden, exc.strerror or str(exc)))
                continue
            kind = of_mode(st.st_mode)
            append(
                (
                    display,
                    de.path,
                    kind,
                    st.st_size if kind == file_kind else 0,
                    st.st_mtime_ns,
                    st.st_ino,
                    hidden,
                    None,
                )
            )
    return out


def scan_directory(path: paths.PathLike) -> list[ListingEntry]:
    """``scan_rows`` as ``ListingEntry`` records."""
    return [ListingEntry(*row) for row in scan_rows(path)]


__all__ = [
    "ListedRow",
    "ListingEntry",
    "ListingError",
    "scan_directory",
    "scan_rows",
]

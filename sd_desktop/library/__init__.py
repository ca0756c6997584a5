"""The library: a folder with an SQLite database (schema in ``migrations``, peewee ``models`` of it) and sidecars.

Every name here is imported on first use: ``Library`` (and with it peewee) because read-only
commands read the database through ``reader`` and plain ``sqlite3``, the rest (errors, the default
folder) because ``location list`` and ``jobs list`` answer through ``light_reads`` without them, and
a command's start-up should not pay for what it never opens."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not ``typing``'s: see above
if TYPE_CHECKING:
    from sd_desktop.library.faults import LibraryError, LibraryFault, fault_of
    from sd_desktop.library.home import default_library_dir
    from sd_desktop.library.library import Library
    from sd_desktop.library.lock import LibraryLocked
    from sd_desktop.library.migrations import LATEST as SCHEMA_VERSION
    from sd_desktop.library.migrations import SchemaTooNew

_WHERE = {
    "Library": ("library", "Library"),
    "LibraryError": ("faults", "LibraryError"),
    "LibraryFault": ("faults", "LibraryFault"),
    "fault_of": ("faults", "fault_of"),
    "LibraryLocked": ("lock", "LibraryLocked"),
    "SchemaTooNew": ("migrations", "SchemaTooNew"),
    "SCHEMA_VERSION": ("migrations", "LATEST"),
    "default_library_dir": ("home", "default_library_dir"),
}

__all__ = [
    "Library",
    "LibraryError",
    "LibraryFault",
    "LibraryLocked",
    "fault_of",
    "SchemaTooNew",
    "SCHEMA_VERSION",
    "default_library_dir",
]


def __getattr__(name: str) -> object:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = f"{__name__}.{where[0]}"
    __import__(module)  # not ``importlib``: it would import ``warnings`` for every list command
    value = getattr(sys.modules[module], where[1])
    globals()[name] = value  # looked up once
    return value

"""The library: a folder with an SQLite database (schema in ``migrations``, peewee ``models`` of it) and sidecars.

``Library`` (and with it peewee) is imported on first use: read-only commands read the database
through ``reader`` and plain ``sqlite3``, and a command's start-up should not pay for what it
never opens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sd_desktop.library.faults import LibraryError, LibraryFault, fault_of
from sd_desktop.library.home import default_library_dir
from sd_desktop.library.lock import LibraryLocked
from sd_desktop.library.migrations import LATEST as SCHEMA_VERSION
from sd_desktop.library.migrations import SchemaTooNew

if TYPE_CHECKING:
    from sd_desktop.library.library import Library

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


def __getattr__(name: str) -> Any:
    if name == "Library":
        from sd_desktop.library.library import Library

        return Library
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

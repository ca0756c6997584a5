"""The library: a folder with an SQLite database (schema in ``migrations``, peewee ``models`` of it) and sidecars."""

from sd_desktop.library.faults import LibraryFault, fault_of
from sd_desktop.library.library import Library, LibraryError, default_library_dir
from sd_desktop.library.lock import LibraryLocked
from sd_desktop.library.migrations import LATEST as SCHEMA_VERSION
from sd_desktop.library.migrations import SchemaTooNew

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

"""Where the library lives when no ``--library`` is given."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not ``typing``'s: a list command's start-up pays for every module it reads
if TYPE_CHECKING:
    from pathlib import Path


def default_library_dir() -> Path:
    """``$SD_DESKTOP_HOME`` if set, else the platform's user data dir (e.g. ~/.local/share)."""
    from pathlib import Path

    return Path(default_library_path())


def default_library_path() -> str:
    """``default_library_dir`` as a string, for a caller that does not import pathlib."""
    home = os.environ.get("SD_DESKTOP_HOME")
    if home:
        return home
    import platformdirs  # only without $SD_DESKTOP_HOME: a read-only command may never need it

    return os.path.join(platformdirs.user_data_dir("sd-desktop", appauthor=False), "library")

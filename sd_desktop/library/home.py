"""Where the library lives when no ``--library`` is given."""

from __future__ import annotations

import os
from pathlib import Path


def default_library_dir() -> Path:
    """``$SD_DESKTOP_HOME`` if set, else the platform's user data dir (e.g. ~/.local/share)."""
    home = os.environ.get("SD_DESKTOP_HOME")
    if home:
        return Path(home)
    import platformdirs  # only without $SD_DESKTOP_HOME: a read-only command may never need it

    return Path(platformdirs.user_data_dir("sd-desktop", appauthor=False)) / "library"

"""The words the window uses for a location the live index polls instead of being notified.

The engine says which location is polled, why and how late a change may show (a
``LOCATION_STATUS`` event with ``polling``, ``path`` and ``delay``); this only renders it.
"""

from __future__ import annotations

import math
import os

from sd_desktop import paths


def short_path(path: paths.PathLike) -> str:
    """``path`` for people: the home folder as ``~``."""
    text = paths.display(path)
    home = os.path.expanduser("~").rstrip("/")
    if home and (text == home or text.startswith(home + "/")):
        return "~" + text[len(home) :]
    return text


def polling_notice(path: paths.PathLike, reason: str, delay: float) -> str:
    """E.g. "Watching ~/x by polling: inotify watch limit reached — changes may take up to 3 s to appear"."""
    seconds = max(1, math.ceil(delay))
    return f"Watching {short_path(path)} by polling: {reason} — changes may take up to {seconds} s to appear"

"""The fork server that helper processes (thumbnail workers, the walker) are started from.

Linux only: a single-threaded server process that imported the helpers' modules once, so a helper
starts in milliseconds and never inherits the app's threads or a copy of its memory (a plain fork of
a process with threads can deadlock). The preload list is set here for every helper, because the
first one started fixes it for the rest of the app's life.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

PRELOAD = ["sd_desktop.ops.media.thumbnail.workers", "sd_desktop.ops.files.listing_processes"]


def context() -> Any | None:
    """The fork server's multiprocessing context, or None where there is no fork server."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx

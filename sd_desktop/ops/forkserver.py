"""The fork server that helper processes (thumbnail workers, the walker) are started from.

Linux only: a single-threaded server process that imported the helpers' modules once, so a helper
starts in milliseconds and never inherits the app's threads or a copy of its memory (a plain fork of
a process with threads can deadlock). The preload list is set here for every helper, because the
first one started fixes it for the rest of the app's life: of ``PRELOAD``, the modules this process
has imported by then. The app and every command that may run thumbnails import their workers'
module with the job's; a command that runs only a duplicate search never does, and its walker's
server does not import Pillow for nothing (0.16 s of a cold start, tests/perf/README.md). A helper
whose module was not preloaded still starts: the server imports it then.
"""

from __future__ import annotations

import multiprocessing
import sys
from typing import Any

PRELOAD = ["sd_desktop.ops.media.thumbnail.workers", "sd_desktop.ops.files.listing_processes"]


def context() -> Any | None:
    """The fork server's multiprocessing context, or None where there is no fork server."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([m for m in PRELOAD if m in sys.modules])
    return ctx

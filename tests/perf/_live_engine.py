"""A long-lived engine for the live-index benchmark, in its own process.

    python -m tests.perf._live_engine LIBRARY_DIR [--no-catch-up]

Opens the library, starts a ``JobManager`` running the queued jobs and a ``LocationWatcher`` on
every location, prints ``ready`` on stdout once the watcher is watching, and runs until SIGTERM (or
SIGINT), then stops both the way the window does (running jobs paused and kept).

It is what a headless engine process does; ``tests/perf/test_live_perf.py`` starts it through one
function (``start_engine``), so a real ``serve`` command can take its place in one line.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from sd_desktop import ops
from sd_desktop.jobs import JobManager
from sd_desktop.library import Library
from sd_desktop.ops.indexing.live import LocationWatcher


async def serve(library_dir: Path, catch_up: bool) -> None:
    library = Library.open(library_dir)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    manager = JobManager(library, run_queued=True)
    watcher = LocationWatcher(manager, catch_up=catch_up)
    try:
        await manager.start()
        await watcher.start()
        print("ready", flush=True)
        await stop.wait()
    finally:
        await watcher.stop()
        await manager.shutdown()
        await asyncio.to_thread(library.close)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("library", type=Path)
    ap.add_argument("--no-catch-up", action="store_true", help="do not re-index the locations at start")
    args = ap.parse_args(argv)
    ops.load_all()
    asyncio.run(serve(args.library, not args.no_catch_up))
    sys.stdout.flush()


if __name__ == "__main__":
    main()

"""``serve``: run the library's engine in the foreground and serve the other commands.

It opens the library (taking its lock), runs every queued job (a ``JobManager`` that runs the
queue, as the window's does), keeps the library up to date with its locations (the
``LocationWatcher``: watch, and catch up on what changed meanwhile) and answers the other
``sd-desktop`` commands on the library's socket (``engine.server``). Logs go to stderr. SIGTERM or
SIGINT pause the running jobs (they resume later) and end it with exit code 0.
"""

from __future__ import annotations

import argparse
import os
import sys

from sd_desktop.commands.common import EXIT_OK, CommandFailed, command_line
from sd_desktop.library import LibraryError, LibraryLocked, SchemaTooNew


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="run the library's engine in the foreground; other commands run their jobs through it",
        description="Runs queued jobs, watches the locations and serves the other sd-desktop commands on "
        "<library>/engine.sock until SIGTERM or SIGINT, which pause the running jobs (exit 0). "
        "POSIX only for now.",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log each client and job (INFO)")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    import asyncio
    import logging

    if os.name != "posix":
        raise CommandFailed("serve is POSIX-only for now (on Windows every command opens the library itself)")
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    from sd_desktop.library import Library

    try:
        lib = Library.open(args.library, holder=command_line(args))
    except LibraryLocked as exc:
        holder = exc.holder
        if holder.serves:
            raise CommandFailed(f"an engine already serves this library (PID {holder.pid}, {holder.what})") from exc
        raise CommandFailed(f"{exc}; wait for it to finish, then run `sd-desktop serve` again") from exc
    except (SchemaTooNew, LibraryError) as exc:
        raise CommandFailed(str(exc)) from exc
    except OSError as exc:
        raise CommandFailed(f"cannot open the library at {args.library or 'the default place'}: {exc}") from exc
    try:
        asyncio.run(_serve(lib))
    finally:
        lib.close()
    return EXIT_OK


async def _serve(lib) -> None:
    import asyncio
    import logging
    import signal

    from sd_desktop.engine.schedule import ReindexScheduler
    from sd_desktop.engine.server import EngineServer
    from sd_desktop.jobs import JobManager
    from sd_desktop.ops.indexing.live import LocationWatcher

    log = logging.getLogger("sd_desktop.serve")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    manager = JobManager(lib, run_queued=True)
    watcher = LocationWatcher(manager)
    server = EngineServer(lib, manager, on_locations_changed=watcher.refresh)
    scheduled: asyncio.Task | None = None
    try:
        recovered = await manager.start()
        if recovered:
            log.warning("jobs interrupted by a crash, queued again (or paused when they delete or move): %s", recovered)
        await watcher.start()
        # remote locations are not watched: their re-index comes on their schedule
        scheduled = asyncio.create_task(ReindexScheduler(manager).run(), name="sd-reindex-schedule")
        try:
            path = await server.start()
        except OSError as exc:
            raise CommandFailed(f"cannot serve the library: {exc}") from exc
        print(f"sd-desktop: serving {lib.folder} on {path} (PID {os.getpid()})", file=sys.stderr, flush=True)
        await stop.wait()
        print("sd-desktop: stopping: pausing the running jobs", file=sys.stderr, flush=True)
        # one more signal while the jobs pause ends the process at once (FAULTS 18: SIGTERM always works)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    finally:
        if scheduled is not None:
            scheduled.cancel()
        await watcher.stop()
        await manager.shutdown()  # pauses running jobs; a client waiting for one is told it paused
        await asyncio.sleep(0.1)  # the last replies reach their clients before the connections end
        await server.close()

"""Entry point: ``python -m sd_desktop`` and the ``sd-desktop`` launcher."""

from __future__ import annotations

import sys


def main() -> int:
    # a helper process (walker, thumbnail worker) of the bundled app starts as this executable: let
    # multiprocessing take it over before anything else runs. A no-op when not frozen, so not even
    # imported then: a command that starts no process should not pay for multiprocessing.
    if getattr(sys, "frozen", False):
        import multiprocessing

        multiprocessing.freeze_support()
    from sd_desktop.quick_answers import answer  # the commands it answers: before the CLI is even imported

    try:
        code = answer(sys.argv[1:])
    except KeyboardInterrupt:  # as the CLI ends on Ctrl-C (a run is recorded whole or not at all)
        return 130
    if code is not None:
        return code
    from sd_desktop.cli import main as cli_main

    code = cli_main()
    if "opendal" in sys.modules:
        _exit_now(code)
    return code


def _exit_now(code: int) -> None:
    """End the process without finalising the interpreter. OpenDAL's async runtime keeps threads
    that may still touch Python objects while the interpreter tears down, and then the process dies
    of SIGSEGV or SIGABRT after its work is done (some exits in a few dozen, after remote calls).
    By now every command has closed its library and printed its result."""
    import logging
    import os

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())

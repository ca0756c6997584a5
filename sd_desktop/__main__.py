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
        if _may_exit_now():
            _exit_now(code)
        return code
    from sd_desktop.cli import main as cli_main

    code = cli_main()
    if "opendal" in sys.modules or _may_exit_now():
        _exit_now(code)
    return code


def _may_exit_now() -> bool:
    """The command said it is done and needs nothing at exit (``sd_desktop.quick_exit``)."""
    quick_exit = sys.modules.get("sd_desktop.quick_exit")
    return quick_exit is not None and quick_exit.allowed()


def _exit_now(code: int) -> None:
    """End the process without finalising the interpreter. OpenDAL's async runtime keeps threads
    that may still touch Python objects while the interpreter tears down, and then the process dies
    of SIGSEGV or SIGABRT after its work is done (some exits in a few dozen, after remote calls).
    By now every command has closed its library and printed its result. A command that allowed it
    (``quick_exit``) ends so too: the interpreter's finalisation is time spent after its work."""
    import os

    logging = sys.modules.get("logging")  # not imported for it: a command that did not log has nothing to flush
    if logging is not None:
        logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())

"""Whether the command that ran may end the process without finalising the interpreter.

A one-shot command that read or found many things leaves them to the interpreter's end: a pass of
the cycle collector over every object and the teardown of every module (about 0.09 s after a
duplicate search on an idle machine, tests/perf/README.md). A command that has closed its library
(committed, connection closed, lock released) and printed its result says so with ``allow``; the
entry point then flushes stdout and stderr and ends the process with its exit code
(``__main__._exit_now``). Nothing left runs at exit then: ``atexit`` handlers and finalizers are
skipped, so a command allows it only when none of its own is needed by that point.
"""

from __future__ import annotations

_allowed = False


def allow() -> None:
    """The command is done: its library closed, its output written (to Python's buffers at least)."""
    global _allowed
    _allowed = True


def allowed() -> bool:
    return _allowed

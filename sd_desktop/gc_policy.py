"""Fewer passes of Python's cycle collector while a job builds many small objects.

A duplicate search makes a record for each of tens of thousands of files, and the collector's default
policy runs a young-generation pass every 700 new objects and, now and then, a pass over every object
in the process: in the desktop app (or a test run) that is hundreds of thousands of them, 0.1 s or
more a time, several times a search. Nothing those jobs build is cyclic garbage worth collecting
early. While at least one ``fewer_collections()`` block is open the young generation's threshold is
raised, and so are the older ones', so a job of a few million objects never triggers a full pass (a
measured 67 ms in a test process, more in the app); the last block to close puts the previous
thresholds back. Cycles still go in the young and middle passes; only what outlives them waits.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 100_000  # new objects between young passes (Python's default: 700)
MIDDLE_THRESHOLD = 50  # young passes between middle passes (default: 10)
OLD_THRESHOLD = 100  # middle passes between full passes (default: 10)

_lock = threading.Lock()
_open = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Raise the collector's thresholds for the duration (nestable, thread-safe)."""
    global _open, _saved
    with _lock:
        if _open == 0:
            _saved = gc.get_threshold()
            young, middle, old = _saved
            gc.set_threshold(max(YOUNG_THRESHOLD, young), max(MIDDLE_THRESHOLD, middle), max(OLD_THRESHOLD, old))
        _open += 1
    try:
        yield
    finally:
        with _lock:
            _open -= 1
            if _open == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None

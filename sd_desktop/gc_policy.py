"""Fewer passes of Python's cycle collector while a job builds many small objects.

A duplicate search makes a record for each of tens of thousands of files, and the collector's default
policy runs a young-generation pass every 700 new objects and, now and then, a pass over every object
in the process: in the desktop app (or a test run) that is hundreds of thousands of them, 0.1 s or
more a time, several times a search. Nothing those jobs build is cyclic garbage worth collecting
early. While at least one ``fewer_collections()`` block is open the young generation's threshold is
raised; the last one to close puts the previous thresholds back.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 100_000  # new objects between young passes (Python's default: 700)

_lock = threading.Lock()
_open = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Raise the young generation's threshold for the duration (nestable, thread-safe)."""
    global _open, _saved
    with _lock:
        if _open == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(max(YOUNG_THRESHOLD, _saved[0]), *_saved[1:])
        _open += 1
    try:
        yield
    finally:
        with _lock:
            _open -= 1
            if _open == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None

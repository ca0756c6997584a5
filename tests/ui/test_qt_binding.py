"""Guards against a broken Qt binding: PySide6 6.12.0's ``Signal.emit()`` drops one reference to
``True`` per call; on Python 3.11 (where True is not immortal) the app aborts with
"bool_dealloc" after a few thousand signals. pyproject.toml excludes that release."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(int)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="True is immortal from Python 3.12")
def test_signal_emit_keeps_reference_counts(qapp):
    emitter = _Emitter()
    seen = []
    emitter.fired.connect(seen.append)
    before = sys.getrefcount(True)
    for i in range(200):
        emitter.fired.emit(i)
    assert len(seen) == 200
    assert sys.getrefcount(True) - before > -50, "this PySide6 build leaks references on emit; use another version"

"""How many of this process's open files lie below a folder (Linux ``/proc/self/fd``): for tests that
check a reader closed every file it opened."""

from __future__ import annotations

import os


def open_below(folder) -> int:
    prefix = str(folder) + os.sep
    targets = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            targets.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue  # the listing's own fd, closed by now
    return sum(1 for t in targets if t.startswith(prefix))

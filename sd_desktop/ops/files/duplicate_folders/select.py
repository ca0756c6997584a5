"""Which copies of each group of identical folders to propose for removal.

One copy of every group is kept: the one with the shortest path (then the first by name) that is
not inside a folder proposed already. Groups are taken outer folders first, and a folder inside one
proposed already is not proposed again (it goes with its parent). Each proposal names its kept copy:
the DeleteJob compares the two, read whole, right before the folder goes (``delete.folder_guard``).
"""

from __future__ import annotations

import os

from sd_desktop import paths
from sd_desktop.ops.files.delete.config import GuardedFolder


def extra_copies(output: dict) -> list[GuardedFolder]:
    """The guarded removal of every copy but one of each group of a duplicate-folder search's output."""
    out: list[GuardedFolder] = []
    doomed: list[bytes] = []

    def inside_doomed(raw: bytes) -> bool:
        return any(paths.is_within(raw, d) for d in doomed)

    # outer folders first: one inside a folder that goes is not compared after its parent lost it
    groups = sorted(output.get("folder_groups", []), key=lambda g: min(os.fsencode(p).count(b"/") for p in g["paths"]))
    for g in groups:
        raws = sorted((os.fsencode(p) for p in g["paths"]), key=lambda r: (inside_doomed(r), len(r), r))
        keep = raws[0]
        for r in raws[1:]:
            if not inside_doomed(r):
                out.append(GuardedFolder(paths.to_path(r), [paths.to_path(keep)]))
                doomed.append(r)
    return out

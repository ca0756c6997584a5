"""The run-time guard of duplicate folders chosen for removal (FAULTS 5, 7, 8 for whole folders).

Whatever a search or a window decided, a folder is removed only if, right now, it still is a folder
(not a symlink), and one of its kept copies still is a folder, is not being removed itself, is not
inside it nor around it (by path, and by the identity of every folder in both: a bind mount shows one
folder under two paths), and has exactly its content: every name, every file's bytes (read whole,
no cache trusted), every sub-folder and link, compared through ``duplicate_folders.content``.
Otherwise the folder is kept and the reason said.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable

from sd_desktop import paths
from sd_desktop.ops.files.delete.guard import ALREADY_GONE, REFUSED_ALL
from sd_desktop.volumes import LOCAL, VolumeBackend


def _is_folder(backend: VolumeBackend, path: bytes) -> bool | None:
    """True for a folder, False for anything else, None when gone."""
    try:
        return stat.S_ISDIR(backend.lstat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return None


def recheck(
    path: bytes,
    keepers: Iterable[paths.PathLike],
    doomed: set[bytes],
    should_stop: Callable[[], bool] = lambda: False,
    backend: VolumeBackend = LOCAL,
) -> str | None:
    """None when ``path`` may go (a kept copy has its content now); else why it is kept."""
    # imported here: every delete loads this module, few remove duplicate folders
    from sd_desktop.ops.files.duplicate_folders.content import Confirmer, Unreadable

    path = os.path.abspath(path)
    kept = []
    for k in keepers:
        raw = os.path.abspath(os.fsencode(k))
        if raw in doomed or raw == path or paths.is_within(raw, path) or paths.is_within(path, raw):
            continue  # a copy that goes too, or one inside the other, keeps nothing
        kept.append(raw)
    if not kept:
        return REFUSED_ALL
    is_folder = _is_folder(backend, path)
    if is_folder is None:
        return ALREADY_GONE
    if not is_folder:
        return "no longer a folder; kept"
    reader = Confirmer(None, should_stop)
    try:
        digest, inside = reader.digest(path)
    except Unreadable as exc:
        return f"cannot be read whole ({paths.display(exc.path)}: {exc}); kept"
    problems = []
    for k in kept:
        if not _is_folder(backend, k):
            problems.append(f"the kept copy {paths.display(k)} is gone")
            continue
        try:
            kept_digest, kept_inside = reader.digest(k)
        except Unreadable as exc:
            problems.append(f"the kept copy {paths.display(k)} cannot be read whole ({exc})")
            continue
        if inside & kept_inside:  # a bind mount: one folder under two paths, or one inside the other
            problems.append(f"refused: the kept copy {paths.display(k)} is the same folder (a bind mount), or holds it")
        elif kept_digest == digest:
            return None
        else:
            problems.append(f"the kept copy {paths.display(k)} differs from it now")
    return "no verified copy is kept: " + "; ".join(problems)

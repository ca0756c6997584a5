"""The temporary folders "Open" on a volume's file copies it into, so its application can open it.

They all live in one root of this user's, ``<temp dir>/sd-desktop-open-<uid>`` (0700, ours, not a
link: the temp dir is shared, and a root another user planted could be read or swapped under us).
The window removes the folders it made when it closes; at the next start, folders left in the root
by a run that crashed are removed once they are a day old (a younger one may belong to a window
still open). Nothing outside the root is ever removed: only its direct children are, by a removal
that does not follow links.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import time

STALE_AFTER = 24 * 3600  # seconds: a folder of a crashed run older than this goes at the next start


def root() -> str:
    """This user's root of Open's folders (``tempfile.gettempdir()`` honours TMPDIR)."""
    return os.path.join(tempfile.gettempdir(), f"sd-desktop-open-{os.getuid()}")


def _own_root() -> str | None:
    """The root, made if missing; None when the name is taken by something that is not our folder."""
    path = root()
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        return None
    if stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(path, 0o700)
    return path


def make_folder() -> str:
    """A new folder for one opened file: in the root, or (the root's name taken by someone else)
    a private folder of the temp dir's own, which the window still removes when it closes."""
    parent = _own_root()
    return tempfile.mkdtemp(prefix="open-" if parent else "sd-desktop-open-", dir=parent)


def remove(folders: list[str]) -> None:
    """Remove the folders Open made (the window closes); one that is not ours is left alone."""
    for folder in folders:
        st = _lstat(folder)
        if st is not None and stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid():
            shutil.rmtree(folder, ignore_errors=True)  # fd-based: a link inside is removed, not followed


def sweep_stale(now: float | None = None) -> list[str]:
    """Remove the root's folders (and stray files) older than a day, left by runs that crashed;
    returns the names removed. Only the root's direct children are looked at."""
    path = root()
    st = _lstat(path)
    if st is None or not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        return []
    cutoff = (time.time() if now is None else now) - STALE_AFTER
    removed = []
    with os.scandir(path) as entries:
        for entry in entries:
            child = entry.stat(follow_symlinks=False)
            if child.st_mtime >= cutoff:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)  # a file or a link itself, never what a link points at
            removed.append(entry.name)
    return sorted(removed)


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None

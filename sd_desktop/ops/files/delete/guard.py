"""The run-time guard of deletions chosen from duplicate results (FAULTS 5, 7, 8).

Whatever a scan or a UI decided, a group of copies of one content loses files only if, now:
a kept copy still exists, is a regular file that is not one of the doomed files (not a hard link
of one: identity is device + inode, not the path), and still has the content's full hash; and
each doomed file still has the size, mtime and full hash the scan saw. Otherwise the file (or the
whole group) is skipped with the reason.

Similar pictures (``check_picture``) have no common content hash: each doomed picture must still
have the size and mtime the search saw, and one of its group's kept pictures must still be there,
a regular file that is not the doomed one under another name, unchanged since the search.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass

from sd_desktop import paths
from sd_desktop.cas import full_hash
from sd_desktop.ops.files.delete.config import GuardedTarget, PictureTarget
from sd_desktop.volumes import LOCAL, VolumeBackend

ALREADY_GONE = "already gone"
REFUSED_ALL = "refused: this would remove every copy of this content (no copy is kept)"


@dataclass
class Verdict:
    target: GuardedTarget
    allowed: bool
    reason: str | None = None


def groups(targets: list[GuardedTarget]) -> list[list[GuardedTarget]]:
    """Targets grouped by content hash, in first-seen order (a path listed twice counts once)."""
    by_hash: dict[str, list[GuardedTarget]] = {}
    seen: set[bytes] = set()
    for t in targets:
        key = os.path.abspath(os.fsencode(t.path))
        if key in seen:
            continue
        seen.add(key)
        by_hash.setdefault(t.hash.lower(), []).append(t)
    return list(by_hash.values())


def _lstat(backend: VolumeBackend, path: bytes) -> os.stat_result | None:
    try:
        return backend.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _hash(path: bytes, should_stop: Callable[[], bool] | None) -> str | None:
    try:
        return full_hash(path, should_stop)
    except OSError:
        return None


def check_group(
    group: list[GuardedTarget], should_stop: Callable[[], bool] | None = None, backend: VolumeBackend = LOCAL
) -> list[Verdict]:
    """Decide, from the disk as it is now, which targets of one hash group may be deleted."""
    content = group[0].hash.lower()
    doomed = {os.path.abspath(os.fsencode(t.path)) for t in group}
    keepers: list[bytes] = []
    for t in group:
        for k in t.keepers:
            raw = os.path.abspath(os.fsencode(k))
            if raw not in doomed and raw not in keepers:
                keepers.append(raw)
    if not keepers:
        return [Verdict(t, False, REFUSED_ALL) for t in group]
    doomed_ids = set()
    for p in doomed:
        st = _lstat(backend, p)
        if st is not None:
            doomed_ids.add((st.st_dev, st.st_ino))
    problems = []
    kept = None
    for k in keepers:
        st = _lstat(backend, k)
        if st is None:
            problems.append(f"the kept copy {paths.display(k)} is gone")
        elif not stat.S_ISREG(st.st_mode):
            problems.append(f"the kept copy {paths.display(k)} is not a regular file")
        elif (st.st_dev, st.st_ino) in doomed_ids:
            problems.append(
                f"refused: the kept copy {paths.display(k)} is the same file (same inode, a hard link) as one being "
                "deleted"
            )
        elif _hash(k, should_stop) != content:
            problems.append(f"the kept copy {paths.display(k)} changed since the scan")
        else:
            kept = k
            break
    if kept is None:
        reason = "no verified copy is kept: " + "; ".join(problems)
        return [Verdict(t, False, reason) for t in group]
    verdicts = []
    for t in group:
        raw = os.path.abspath(os.fsencode(t.path))
        st = _lstat(backend, raw)
        if st is None:
            verdicts.append(Verdict(t, False, ALREADY_GONE))
        elif not stat.S_ISREG(st.st_mode):
            verdicts.append(Verdict(t, False, "no longer a regular file"))
        elif st.st_size != t.size or st.st_mtime_ns != t.mtime_ns:
            verdicts.append(Verdict(t, False, "changed since the scan (size or modification time); kept"))
        elif _hash(raw, should_stop) != content:
            verdicts.append(Verdict(t, False, "its content changed since the scan; kept"))
        else:
            verdicts.append(Verdict(t, True, f"a verified copy is kept: {paths.display(kept)}"))
    return verdicts


def _unchanged(st: os.stat_result, size: int, mtime_ns: int) -> bool:
    return st.st_size == size and (not mtime_ns or st.st_mtime_ns == mtime_ns)


def check_picture(target: PictureTarget, path: bytes | None = None, backend: VolumeBackend = LOCAL) -> str | None:
    """None when the similar picture ``target`` may go now; else why it is kept (one line)."""
    raw = os.path.abspath(path if path is not None else os.fsencode(target.path))
    st = _lstat(backend, raw)
    if st is None:
        return ALREADY_GONE
    if not stat.S_ISREG(st.st_mode):
        return "no longer a regular file; kept"
    if not _unchanged(st, target.size, target.mtime_ns):
        return "changed since the search (size or modification time); kept"
    problems = []
    for k in target.keepers:
        kraw = os.path.abspath(os.fsencode(k.path))
        if kraw == raw:
            continue
        kst = _lstat(backend, kraw)
        if kst is None:
            problems.append(f"the kept picture {paths.display(kraw)} is gone")
        elif not stat.S_ISREG(kst.st_mode):
            problems.append(f"the kept picture {paths.display(kraw)} is not a regular file")
        elif (kst.st_dev, kst.st_ino) == (st.st_dev, st.st_ino):
            problems.append(f"the kept picture {paths.display(kraw)} is this very file (a hard link)")
        elif not _unchanged(kst, k.size, k.mtime_ns):
            problems.append(f"the kept picture {paths.display(kraw)} changed since the search")
        else:
            return None
    if not problems:
        return "refused: no picture of its group would be kept"
    return "no kept picture is left as the search saw it: " + "; ".join(problems)

"""Listing the files a duplicate search looks at: one walk per search root, never following symlinks.

Roots are resolved (``realpath``) and nested or repeated roots are dropped, so a path given twice or
``A`` together with ``A/sub`` lists every file once. Only regular files are listed: symlinks, FIFOs,
sockets and devices are never candidates (and never opened).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sd_desktop import paths


@dataclass(slots=True)
class FileInfo:
    """One regular file as the walk saw it (``path`` is absolute raw bytes)."""

    path: bytes
    size: int
    device: int
    inode: int
    mtime_ns: int
    ctime_ns: int
    nlink: int
    reference: bool = False

    @property
    def identity(self) -> tuple[int, int]:
        return (self.device, self.inode)


@dataclass
class ScanFilter:
    min_size: int = 0
    max_size: int | None = None
    extensions: tuple[bytes, ...] = ()  # lower-case, without the leading dot ("jpg", "tar.gz")
    include_hidden: bool = True
    include_empty: bool = False

    def wants(self, name: bytes, size: int) -> bool:
        if size == 0 and not self.include_empty:
            return False
        if size < self.min_size or (self.max_size is not None and size > self.max_size):
            return False
        if self.extensions:
            low = name.lower()
            if not any(low.endswith(b"." + ext) for ext in self.extensions):
                return False
        return True


def normalize_extensions(exts: list[str]) -> tuple[bytes, ...]:
    out = []
    for ext in exts:
        e = ext.strip().lstrip(".").lower()
        if e:
            out.append(os.fsencode(e))
    return tuple(out)


def resolve_roots(roots: list[paths.PathLike]) -> list[bytes]:
    """Absolute real paths, without repeats and without roots nested in another root."""
    resolved = sorted({os.path.realpath(os.fsencode(r)) for r in roots}, key=lambda p: (len(p), p))
    kept: list[bytes] = []
    for root in resolved:
        if not any(paths.is_within(root, k) for k in kept):
            kept.append(root)
    return sorted(kept)


def walk(
    roots: list[bytes],
    flt: ScanFilter,
    references: list[bytes],
    on_error: Callable[[bytes, str], None],
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[FileInfo]:
    """Every wanted regular file below ``roots`` (already resolved and de-nested), one thread, no recursion."""

    def is_ref(p: bytes) -> bool:
        return any(paths.is_within(p, r) for r in references)

    for root in roots:
        try:
            st = os.lstat(root)
        except OSError as exc:
            on_error(root, f"cannot read: {exc.strerror or exc}")
            continue
        if stat.S_ISREG(st.st_mode):
            if flt.wants(os.path.basename(root), st.st_size):
                yield _info(root, st, is_ref(root))
            continue
        if not stat.S_ISDIR(st.st_mode):
            continue
        root_is_ref = is_ref(root)
        stack = [(root, root_is_ref)]
        while stack:
            if should_stop is not None and should_stop():
                return
            folder, in_ref = stack.pop()
            try:
                it = os.scandir(folder)
            except OSError as exc:
                on_error(folder, f"cannot list folder: {exc.strerror or exc}")
                continue
            subdirs = []
            with it:
                while True:
                    try:
                        entry = next(it)
                    except StopIteration:
                        break
                    except OSError as exc:
                        on_error(folder, f"error while listing folder: {exc.strerror or exc}")
                        break
                    name = entry.name
                    if not flt.include_hidden and name.startswith(b"."):
                        continue
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            subdirs.append(entry.path)
                            continue
                        if not entry.is_file(follow_symlinks=False):
                            continue  # symlinks, FIFOs, sockets, devices
                        st = entry.stat(follow_symlinks=False)
                    except OSError as exc:
                        if not isinstance(exc, FileNotFoundError):  # vanished mid-walk: not a problem
                            on_error(entry.path, f"cannot stat: {exc.strerror or exc}")
                        continue
                    if flt.wants(name, st.st_size):
                        yield _info(entry.path, st, in_ref)
            for sub in reversed(sorted(subdirs)):
                stack.append((sub, in_ref or (bool(references) and is_ref(sub))))


def _info(path: bytes, st: os.stat_result, reference: bool) -> FileInfo:
    return FileInfo(path, st.st_size, st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_nlink, reference)

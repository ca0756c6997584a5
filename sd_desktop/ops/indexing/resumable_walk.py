"""The indexer's resumable walk: one thread, the backend's ``scandir`` + ``DirEntry.stat(follow_symlinks=False)``
(for a local volume, ``os.scandir`` itself: this walk is the local backend's listing with metadata).

Unlike the duplicate search's listing (``ops/files/file_listing.py``, regular files under search
roots only), this walk records every kind of entry (files, folders, symlinks, FIFOs and devices), applies
the location's ignore rules, and keeps a frontier a checkpoint can store to resume from.

The walk is iterative (a stack of folders: no recursion limit) and keeps only the frontier of
folders still to list. Each ``Walker.batch`` lists folders until about ``max_entries`` entries
were found and returns their rows plus a copy of the frontier *after* the batch, which is what a
checkpoint stores together with those rows. Symlinks are recorded (with their target), never
followed; FIFOs, sockets and devices are recorded (kind "other") and never opened. Names stay raw
bytes; ``name`` is the display text with undecodable bytes escaped.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

from sd_desktop.enums import EntryKind
from sd_desktop.ops.indexing.rules import RuleSet
from sd_desktop.volumes.backend import LOCAL, VolumeBackend

# A child row, in the entry table's column order after (id, location_id, parent_id):
# (path, name, kind, size, inode, device, mtime_ns, ctime_ns, mode, hidden, link_target)
R_PATH, R_NAME, R_KIND, R_SIZE, R_INODE, R_DEVICE, R_MTIME, R_CTIME, R_MODE, R_HIDDEN, R_LINK = range(11)

_S_IFMT, _S_IFREG, _S_IFDIR, _S_IFLNK = 0o170000, stat.S_IFREG, stat.S_IFDIR, stat.S_IFLNK


@dataclass(slots=True)
class ScannedDir:
    """A folder listed completely: its direct children (after the rules)."""

    rel: bytes
    depth: int
    rows: list[tuple]


@dataclass
class WalkBatch:
    dirs: list[ScannedDir] = field(default_factory=list)
    frontier: list[tuple[bytes, int]] = field(default_factory=list)  # after this batch
    entries: int = 0
    files: int = 0
    dir_count: int = 0
    symlinks: int = 0
    others: int = 0
    bytes: int = 0
    skipped: int = 0
    errors: list[tuple[bytes, str]] = field(default_factory=list)  # (relative path, reason)
    vanished: list[bytes] = field(default_factory=list)  # folders gone (or no longer folders) before listing
    # a first content-mode index identifies files as they are listed (``identify.identify_listed``):
    # relative path -> (cas_id, mime, content kind); files missing here are left to the content phase
    identified: dict[bytes, tuple[str, str | None, str | None]] = field(default_factory=dict)
    hashed_bytes: int = 0


def join(root: bytes, rel: bytes) -> bytes:
    return root + b"/" + rel if rel else root


def display_name(name: bytes) -> str:
    return name.decode("utf-8", "backslashreplace")


def stat_row(rel: bytes, name: bytes, st: os.stat_result, link_target: bytes | None) -> tuple:
    """The row of one entry from its lstat (used for the root and its ancestors too)."""
    return (
        rel,
        display_name(name),
        EntryKind.of_mode(st.st_mode),
        st.st_size,
        st.st_ino,
        st.st_dev,
        st.st_mtime_ns,
        st.st_ctime_ns,
        st.st_mode,
        1 if name[:1] == b"." else 0,
        link_target,
    )


class Walker:
    """Lists folders below ``root`` (absolute, bytes) from a frontier of (relative path, depth)."""

    def __init__(
        self,
        root: bytes,
        frontier: list[tuple[bytes, int]],
        max_depth: int | None,
        rules: RuleSet,
        backend: VolumeBackend = LOCAL,
    ):
        self.root = root
        self.backend = backend
        self.frontier = [(bytes(p), int(d)) for p, d in frontier]
        self.max_depth = max_depth
        self.rules = rules

    @property
    def done(self) -> bool:
        return not self.frontier

    def batch(self, max_entries: int = 4000) -> WalkBatch:
        out = WalkBatch()
        frontier = self.frontier
        root = self.root
        rules = self.rules
        skip_name = rules.skip_name
        skip_ids = rules.skip_ids
        path_rules = rules.has_path_rules
        max_depth = self.max_depth
        errors = out.errors
        scandir, readlink = self.backend.scandir, self.backend.readlink
        # plain ints, bound once: the rows go to SQLite as they are, and the loop runs per entry
        k_file, k_dir, k_link, k_other = (
            k.value for k in (EntryKind.FILE, EntryKind.DIR, EntryKind.SYMLINK, EntryKind.OTHER)
        )
        while frontier and out.entries < max_entries:
            rel, depth = frontier.pop()
            try:
                with scandir(join(root, rel)) as it:
                    listing = list(it)
            except (FileNotFoundError, NotADirectoryError):
                errors.append((rel, "vanished while indexing (or is no longer a folder)"))
                out.vanished.append(rel)
                continue
            except PermissionError:
                errors.append((rel, "cannot read this folder: permission denied (its entries were kept as they were)"))
                continue
            except OSError as exc:
                errors.append((rel, f"cannot read this folder: {exc.strerror or exc}"))
                continue
            chain = None
            if rules.gitignore:
                if not any(e.name == b".gitignore" for e in listing):
                    rules._gitignore_cache.setdefault(rel, None)
                chain = rules.gitignore_chain(rel)
            prefix = rel + b"/" if rel else b""
            descend = max_depth is None or depth + 1 < max_depth
            rows = []
            subdirs = []
            for de in listing:
                name = de.name
                if skip_name(name):
                    out.skipped += 1
                    continue
                try:
                    st = de.stat(follow_symlinks=False)
                except FileNotFoundError:
                    errors.append((prefix + name, "vanished while indexing"))
                    continue
                except OSError as exc:
                    errors.append((prefix + name, f"cannot read its metadata: {exc.strerror or exc}"))
                    continue
                mode = st.st_mode
                fmt = mode & _S_IFMT
                child = prefix + name
                link = None
                if fmt == _S_IFREG:
                    kind = k_file
                elif fmt == _S_IFDIR:
                    kind = k_dir
                    if skip_ids and (st.st_dev, st.st_ino) in skip_ids:
                        out.skipped += 1
                        continue
                elif fmt == _S_IFLNK:
                    kind = k_link
                else:
                    kind = k_other
                if path_rules and rules.skip_path(child, kind == k_dir, chain):
                    out.skipped += 1
                    continue
                if kind == k_file:
                    out.files += 1
                    out.bytes += st.st_size
                elif kind == k_dir:
                    out.dir_count += 1
                    if descend:
                        subdirs.append((child, depth + 1))
                elif kind == k_link:
                    out.symlinks += 1
                    try:
                        link = readlink(join(root, child))
                    except OSError as exc:
                        errors.append((child, f"cannot read the symlink's target: {exc.strerror or exc}"))
                else:
                    out.others += 1
                rows.append(
                    (
                        child,
                        name.decode("utf-8", "backslashreplace"),
                        kind,
                        st.st_size,
                        st.st_ino,
                        st.st_dev,
                        st.st_mtime_ns,
                        st.st_ctime_ns,
                        mode,
                        1 if name[:1] == b"." else 0,
                        link,
                    )
                )
            out.dirs.append(ScannedDir(rel, depth, rows))
            out.entries += len(rows) + 1
            subdirs.reverse()
            frontier.extend(subdirs)
        out.frontier = list(frontier)
        return out

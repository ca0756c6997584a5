"""Content identification: cas_id, MIME (magic bytes) and, in deep mode, the full blake3 hash.

``identify_batch`` runs on a worker thread for a few hundred files at a time (one thread hop per
batch, not per file: for small files the per-call overhead dominates). Each file is opened with
O_NOFOLLOW | O_NONBLOCK and checked to be a regular file before any read, so a FIFO or a symlink
swapped in after the walk is never read. A file whose size, mtime or inode differs from what the
walk recorded, or that changes while it is read, is flagged and left without a cas_id; the next
index picks it up.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable
from dataclasses import dataclass

import blake3

from sd_desktop import cas
from sd_desktop.enums import EntryKind
from sd_desktop.library import contents, hash_cache
from sd_desktop.ops.indexing.magic import HEAD_BYTES, kind_of, sniff
from sd_desktop.ops.indexing.resumable_walk import R_INODE, R_KIND, R_MTIME, R_PATH, R_SIZE, WalkBatch, join
from sd_desktop.volumes.backend import LOCAL, READ_FLAGS, VolumeBackend

EMPTY_HASH = blake3.blake3(b"").hexdigest()
OPEN_FLAGS = READ_FLAGS
DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)

# files up to this size are read whole, once: cas_id, MIME and (deep) the full hash come from one read
WHOLE_READ_MAX = 1024 * 1024

# a file to identify: (entry id, relative path, size, mtime_ns, inode, known cas_id, known mime)
Candidate = tuple[int, bytes, int, int, int, str | None, str | None]


@dataclass(slots=True)
class Identified:
    entry_id: int
    size: int
    cas_id: str | None
    mime: str | None
    integrity: str | None
    device: int
    inode: int
    mtime_ns: int
    ctime_ns: int
    known: bool = False  # cas_id and MIME came from the entry (a deep pass after a content pass)


@dataclass
class BatchOutcome:
    done: list[Identified]
    errors: list[tuple[bytes, str]]
    changed: int = 0
    bytes_read: int = 0
    processed: int = 0  # candidates handled (identified, changed or failed), a prefix of the batch
    interrupted: bool = False


def identify_batch(
    root: bytes,
    candidates: list[Candidate],
    deep: bool,
    should_stop: Callable[[], bool] | None = None,
    backend: VolumeBackend = LOCAL,
) -> BatchOutcome:
    out = BatchOutcome([], [])
    for entry_id, rel, size, mtime_ns, inode, known_cas, known_mime in candidates:
        if should_stop is not None and should_stop():
            out.interrupted = True
            return out
        try:
            item = _identify_one(
                backend, root, entry_id, rel, size, mtime_ns, inode, known_cas, known_mime, deep, should_stop
            )
        except cas.HashInterrupted:
            out.interrupted = True
            return out
        except _Changed as exc:
            out.changed += 1
            out.errors.append((rel, str(exc)))
        except (FileNotFoundError, NotADirectoryError):  # NotADirectory: a folder above it is a file now
            out.errors.append((rel, "vanished before its content could be read"))
        except OSError as exc:
            out.errors.append((rel, f"cannot read its content: {exc.strerror or exc}"))
        else:
            out.done.append(item)
            out.bytes_read += size
        out.processed += 1
    return out


def identify_listed(root: bytes, batch: WalkBatch, backend: VolumeBackend = LOCAL) -> None:
    """Identify the non-empty files of a freshly listed batch (content mode, first index), on the
    walker's thread, so they are inserted with their cas_id and MIME in the same checkpoint: no
    second pass has to fetch, reopen and UPDATE them (an UPDATE rewrites two indexes per row).
    A file that cannot be identified now is simply left out: the content phase retries it and
    reports why it failed, exactly as it does for every file in other runs."""
    identified = batch.identified
    k_file = EntryKind.FILE.value
    for d in batch.dirs:
        files = [row for row in d.rows if row[R_KIND] == k_file and row[R_SIZE] > 0]
        if not files:
            continue
        # each file opened relative to its folder: the kernel resolves one name, not the whole path
        # again (the open was the largest part of a new small file's cost)
        try:
            dir_fd = backend.open(join(root, d.rel), DIR_FLAGS)
        except OSError:
            continue  # gone or replaced: the content phase tries each file again and says why
        try:
            for row in files:
                rel, size = row[R_PATH], row[R_SIZE]
                try:
                    item = _identify_one(
                        backend, root, 0, rel, size, row[R_MTIME], row[R_INODE], None, None, False, None, dir_fd
                    )
                except (_Changed, OSError):
                    continue
                identified[rel] = (item.cas_id, item.mime, kind_of(item.mime))
                batch.hashed_bytes += size
        finally:
            backend.close(dir_fd)


class _Changed(Exception):
    pass


def _identify_one(
    fs: VolumeBackend,
    root: bytes,
    entry_id: int,
    rel: bytes,
    size: int,
    mtime_ns: int,
    inode: int,
    known_cas: str | None,
    known_mime: str | None,
    deep: bool,
    should_stop: Callable[[], bool] | None,
    dir_fd: int | None = None,
) -> Identified:
    if dir_fd is None:
        fd = fs.open(join(root, rel), OPEN_FLAGS)
    else:  # ``rel``'s folder is open: its last name only
        fd = fs.open(rel.rsplit(b"/", 1)[-1], OPEN_FLAGS, dir_fd=dir_fd)
    try:
        st = fs.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _Changed("is no longer a regular file; not read (the next index records what it is)")
        if st.st_size != size or st.st_mtime_ns != mtime_ns or st.st_ino != inode:
            raise _Changed("changed after it was listed; the next index identifies it")
        # a deep pass over files a content pass already identified only adds the full hash
        cas_id, mime, integrity = known_cas, known_mime, None
        name = rel.rsplit(b"/", 1)[-1]
        if size == 0:
            integrity = EMPTY_HASH if deep else None
        elif size <= (WHOLE_READ_MAX if deep else cas.MINIMUM_FILE_SIZE):
            data = fs.pread(fd, size + 1, 0)
            if len(data) != size:
                raise _Changed("changed while it was read; the next index identifies it")
            if cas_id is None:
                cas_id = cas_id_of_bytes(data)
                mime = sniff(data[:HEAD_BYTES], name)
            if deep:
                integrity = blake3.blake3(data).hexdigest()
        else:
            if cas_id is None:
                try:
                    cas_id = fs.cas_id_of_fd(fd, size)
                except cas.ChangedWhileReading as exc:
                    raise _Changed(f"changed while it was hashed ({exc}); the next index identifies it") from None
                mime = sniff(fs.pread(fd, HEAD_BYTES, 0), name)
            if deep:
                integrity = fs.full_hash_of_fd(fd, should_stop)
        after = fs.fstat(fd)
        if after.st_size != st.st_size or after.st_mtime_ns != st.st_mtime_ns:
            raise _Changed("changed while it was hashed; the next index identifies it")
        return Identified(
            entry_id,
            size,
            cas_id,
            mime,
            integrity,
            st.st_dev,
            st.st_ino,
            st.st_mtime_ns,
            st.st_ctime_ns,
            known_cas is not None,
        )
    finally:
        fs.close(fd)


def cas_id_of_bytes(data: bytes) -> str | None:
    """``cas.cas_id`` of content already in memory (same ranges, same digest), to read small files once."""
    size = len(data)
    if size == 0:
        return None
    h = blake3.blake3(size.to_bytes(8, "little"))
    if size <= cas.MINIMUM_FILE_SIZE:
        h.update(data)
    else:
        view = memoryview(data)
        for offset, length in cas.sample_ranges(size):
            h.update(view[offset : offset + length])
    return h.hexdigest()[: cas.CAS_ID_HEX_CHARS]


def store(conn: sqlite3.Connection, items: list[Identified], now: float) -> None:
    """Write content identities (one row per distinct cas_id) and the entries' ids, MIME and hashes.

    Entries whose cas_id was already stored (a deep pass after a content pass) only get their
    integrity hash: rewriting cas_id/content_id would touch two indexes and a foreign key per row
    for nothing, and the writer thread shares the GIL with the hashing thread."""
    fresh = [i for i in items if not i.known]
    with_cas = [i for i in fresh if i.cas_id is not None]
    if with_cas:
        contents.add_identities(conn, [(i.cas_id, i.size, kind_of(i.mime), i.mime, now) for i in with_cas])
    if fresh:
        contents.set_identified(conn, [(i.cas_id, i.mime, i.integrity, i.entry_id) for i in fresh])
    known = [[i.entry_id, i.integrity] for i in items if i.known and i.integrity is not None]
    if known:
        contents.set_integrity(conn, known)
    hashed = [
        [i.device, i.inode, i.size, i.mtime_ns, i.ctime_ns, i.integrity] for i in items if i.integrity is not None
    ]
    if hashed:
        hash_cache.store_at_once(conn, hashed)

"""The hash cache: ``hash_cache`` rows keyed by (device, inode), trusted only when size, mtime_ns and
ctime_ns all match the walk's fresh ``lstat``; an indexed entry's ``integrity_hash`` counts too under
the same rule.

Any mismatch means "hash again": a file replaced by other content with the same size and mtime
gets a new inode or at least a new ctime, so it is never answered from the cache.

Besides full hashes the duplicate search remembers the blake3 of the first and last 16 KiB of the
larger files it looked at, so a size group settled by those last time is settled again without a
read. The table has one ``hash`` TEXT column, so a row written here holds ``FULL:HEAD:TAIL`` (hex,
any part empty when unknown); a bare 64-hex value (what the indexer writes) is a full hash alone.
Head and tail digests only ever split a size group (tell files apart), never join one: only equal
full hashes make a duplicate. Every read of the column goes through ``Known.decode`` (the indexer
only writes bare full hashes), so a partial value is never taken for a full one.

Before a walk, the rows of the searched devices can be read in one go (``preload``): the walk then
knows, file by file, which candidates the cache answers and reads the others as it finds them, and
``Preload.lookup`` hands over the answers the walk collected instead of querying again.

The rows themselves are read and written by ``library.hash_cache`` (and an indexed entry's hash by
``library.entry_listing``); this module decides what they mean. Pruning: rows of listed files whose
stat fields no longer match are stale (``Lookup.stale``, ``hash_cache.prune``); for a walk over a
whole file system, rows of the inodes it did not see (``hash_cache.prune_unseen``).
Rows carry no path, so for a walk below the top of a file system the rows of deleted files there
cannot be told from rows of files elsewhere on the device and stay (harmless: an inode number reused
by a new file comes with a new ctime, so it never matches).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sd_desktop.library import entry_listing, hash_cache
from sd_desktop.ops.files.duplicate_detection.stages import Member
from sd_desktop.ops.files.file_listing import FileInfo

SCAN_RATIO = 4  # read all of a device's rows at once when they are at most this many per file asked about
PRELOAD_LIMIT = 200_000  # rows per device and table read before a walk (~50 MB at most); more: no preload
QUICK_PRELOAD = 20_000  # this many are read at once; more only once a search shows it is big


@dataclass(slots=True)
class Known:
    """What the cache knows of one unchanged file."""

    full: str | None = None
    head: bytes | None = None
    tail: bytes | None = None

    def encode(self) -> str:
        if self.head is None and self.tail is None:
            return self.full or ""
        return ":".join((self.full or "", self.head.hex() if self.head else "", self.tail.hex() if self.tail else ""))

    @classmethod
    def decode(cls, value: str) -> Known:
        if ":" not in value:
            return cls(full=value or None)
        full, head, tail = (value.split(":") + ["", ""])[:3]
        try:
            return cls(full or None, bytes.fromhex(head) if head else None, bytes.fromhex(tail) if tail else None)
        except ValueError:  # a damaged row: knowing nothing means reading again
            return cls()


@dataclass
class Lookup:
    """The answer of ``lookup``: what is known of the unchanged files, and the rows found stale."""

    known: dict[tuple[int, int], str]  # encoded ``Known`` (decoding only when used is cheaper)
    # rows whose file changed (or whose inode is another file now): (device, inode, size, mtime_ns, ctime_ns)
    stale: list[tuple[int, int, int, int, int]]


@dataclass
class Preload:
    """A device's cache rows and hashed entries, read before the walk: (inode, size, mtime_ns, ctime_ns,
    value) each.

    The walk asks ``answer`` about each candidate once it is listed; the answers (and the rows found
    stale on the way) are kept, so ``lookup`` afterwards is a hand-over, not a second pass."""

    rows: dict[int, list[tuple]]
    entries: dict[int, list[tuple]]
    answered: dict[tuple[int, int], str] = field(default_factory=dict)  # identity -> encoded ``Known``
    stale: list[tuple[int, int, int, int, int]] = field(default_factory=list)
    # per device: inode -> row (made on the first question about the device), and the inodes asked about
    _rows_by_inode: dict[int, dict[int, tuple]] = field(default_factory=dict)
    _entries_by_inode: dict[int, dict[int, tuple]] = field(default_factory=dict)
    _asked: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    # the device of the last question, and its inode -> row index and inodes asked (one device, mostly)
    _device: int | None = None
    _rows_here: dict[int, tuple] = field(default_factory=dict)
    _asked_here: set[int] = field(default_factory=set)

    def holds(self, device: int) -> bool:
        return device in self.rows

    def _index(self, table: dict[int, list[tuple]], into: dict[int, dict[int, tuple]], device: int) -> dict:
        index = into.get(device)
        if index is None:
            index = into[device] = {row[0]: row for row in table.get(device, ())}
        return index

    def answer(self, info: FileInfo) -> bool:
        """Whether a row holds this very file (same identity, size, mtime and ctime): no need to read it.
        Records what it knows (``answered``) and a cache row of the file that no longer matches
        (``stale``). A cache row comes first; an indexed entry's full hash fills in one that lacks it.
        Runs once per candidate during the walk: the usual case (a row with a full hash) goes first."""
        dev = info.device
        if dev != self._device:
            self._device = dev
            self._rows_here = self._index(self.rows, self._rows_by_inode, dev)
            self._asked_here = self._asked[dev]
        ino = info.inode
        asked = self._asked_here
        if ino in asked:  # another name of an inode asked about
            return (dev, ino) in self.answered
        asked.add(ino)
        row = self._rows_here.get(ino)
        if row is not None and row[1] == info.size and row[2] == info.mtime_ns and row[3] == info.ctime_ns:
            value = row[4]
            if value and value[0] != ":":  # a full hash
                self.answered[(dev, ino)] = value
                return True
        return self._answer_otherwise(info, row)

    def _answer_otherwise(self, info: FileInfo, row: tuple | None) -> bool:
        """``answer`` when the cache row is missing, stale or lacks a full hash."""
        dev, ino, size, mtime_ns, ctime_ns = info.device, info.inode, info.size, info.mtime_ns, info.ctime_ns
        value = None
        if row is not None:
            if row[1] == size and row[2] == mtime_ns and row[3] == ctime_ns:
                value = row[4] or None
            else:
                self.stale.append((dev, ino, row[1], row[2], row[3]))
        if self.entries:  # no full hash yet: an indexed entry may know it
            entry = self._index(self.entries, self._entries_by_inode, dev).get(ino)
            if entry is not None and entry[1] == size and entry[2] == mtime_ns and entry[3] == ctime_ns:
                if value is None:
                    value = entry[4]
                else:
                    merged = Known.decode(value)
                    merged.full = entry[4]
                    value = merged.encode()
        if value is None:
            return False
        self.answered[(dev, ino)] = value
        return True

    def devices_not_held(self) -> set[int]:
        """Devices of files asked about whose rows were not read (file systems mounted below a root)."""
        return {dev for dev in self._asked if dev not in self.rows}

    def lookup(self, seen: Iterable[FileInfo]) -> Lookup:
        """What ``lookup`` would answer for the files asked about on the devices held here (every
        candidate there must have been asked), with the stale rows of every listed file (``seen``)."""
        stale = list(self.stale)
        # a device where every row is of a file asked about has no stale row of another listed file
        unasked = set()
        for dev, rows in self.rows.items():
            if len(self._index(self.rows, self._rows_by_inode, dev).keys() & self._asked[dev]) < len(rows):
                unasked.add(dev)
        if unasked:
            for info in seen:
                dev = info.device
                if dev in unasked and info.inode not in self._asked[dev]:
                    row = self._index(self.rows, self._rows_by_inode, dev).get(info.inode)
                    if row is not None and (row[1], row[2], row[3]) != (info.size, info.mtime_ns, info.ctime_ns):
                        stale.append((dev, *row[:4]))
        return Lookup(self.answered, stale)


def preload(
    conn: sqlite3.Connection, devices: Iterable[int], use_entries: bool = True, limit: int = PRELOAD_LIMIT
) -> Preload | None:
    """The rows of ``devices``, or None when one holds more than ``limit`` (``lookup`` then asks per
    inode once the walk has listed the files)."""
    out = Preload({}, {})
    for dev in devices:
        n = hash_cache.count_on_device(conn, dev, limit)
        if n > limit:
            return None
        out.rows[dev] = hash_cache.rows_on_device(conn, dev) if n else []
        if use_entries:
            n = entry_listing.count_hashed_on_device(conn, dev, limit)
            if n > limit:
                return None
            out.entries[dev] = entry_listing.hashed_files_on_device(conn, dev) if n else []
    return out


def lookup(
    conn: sqlite3.Connection,
    infos: Iterable[FileInfo],
    use_entries: bool = True,
    seen: Iterable[FileInfo] = (),
) -> Lookup:
    """Known hashes for the files whose identity and stat fields still match.

    ``seen``: every file the walk listed (not only ``infos``); a row of one of them whose stat fields
    differ is reported in ``stale`` (its file was modified or its inode reused), for pruning. The
    rows of ``infos`` are checked the same way. (Rows read before the walk answer through
    ``Preload.lookup`` instead.)
    """
    by_dev: dict[int, dict[int, FileInfo]] = defaultdict(dict)
    for info in infos:
        by_dev[info.device][info.inode] = info
    found: dict[tuple[int, int], str] = {}
    stale: list[tuple[int, int, int, int, int]] = []

    others: dict[tuple[int, int], FileInfo] | None = None  # ``seen``, indexed when first needed

    def take(dev: int, rows: list[tuple], entries: bool) -> None:
        nonlocal others
        asked = by_dev[dev]
        for ino, size, mtime_ns, ctime_ns, value in rows:
            info = asked.get(ino)
            if info is not None and size == info.size and mtime_ns == info.mtime_ns and ctime_ns == info.ctime_ns:
                have = found.get((dev, ino)) if entries else None
                if have is None:
                    found[(dev, ino)] = value
                elif have.startswith(":"):  # partial knowledge, and the indexed entry knows the full hash
                    known = Known.decode(have)
                    known.full = value
                    found[(dev, ino)] = known.encode()
                continue
            if entries:
                continue
            if info is None:
                if others is None:
                    others = {(i.device, i.inode): i for i in seen}
                info = others.get((dev, ino))
                if info is None or (size, mtime_ns, ctime_ns) == (info.size, info.mtime_ns, info.ctime_ns):
                    continue  # not listed by this walk: nothing is known about it
            stale.append((dev, ino, size, mtime_ns, ctime_ns))

    for dev, by_ino in by_dev.items():
        inodes = list(by_ino)
        rows_here = hash_cache.count_on_device(conn, dev)
        if rows_here and rows_here <= SCAN_RATIO * len(inodes):
            # one range read of the device's rows beats thousands of IN look-ups (and sees stale rows of
            # every walked file, not only of the ones asked about)
            take(dev, hash_cache.rows_on_device(conn, dev), False)
        elif rows_here:
            take(dev, hash_cache.rows_of_inodes(conn, dev, inodes), False)
        # entries on this device at all? (saves the per-chunk queries for paths outside locations)
        if use_entries and entry_listing.any_on_device(conn, dev):
            take(dev, entry_listing.hashed_files_of_inodes(conn, dev, inodes), True)
    return Lookup(found, stale)


def apply_known(
    members: list[Member],
    known: dict[tuple[int, int], str],
    fresh: set[tuple[int, int]] | frozenset[tuple[int, int]] = frozenset(),
) -> None:
    """Set what is known of each member; ``cached`` only for what came from the cache (not ``fresh``:
    read by this run's scan)."""
    for m in members:
        identity = (m.info.device, m.info.inode)
        value = known.get(identity)
        if value is None:
            continue
        if ":" not in value:  # a full hash alone (most rows)
            m.hash = value
        else:
            k = Known.decode(value)
            m.hash, m.head, m.tail = k.full, k.head, k.tail
        m.cached = m.hash is not None and identity not in fresh


def member_row(m: Member) -> hash_cache.Row:
    """The hash-cache row of what was learned about ``m`` (a full hash alone needs no ``Known``)."""
    i = m.info
    value = m.hash if m.head is None and m.tail is None else Known(m.hash, m.head, m.tail).encode()
    return (i.device, i.inode, i.size, i.mtime_ns, i.ctime_ns, value or "")


def first_read_row(identity: tuple[int, int], info: FileInfo, value: bytes | str) -> hash_cache.Row:
    """The hash-cache row of a first read: a full hash (small files) or a head digest."""
    encoded = value if isinstance(value, str) else Known(head=value).encode()
    return (*identity, info.size, info.mtime_ns, info.ctime_ns, encoded)

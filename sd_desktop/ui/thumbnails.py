"""Thumbnails for the content views: the library's sidecars for indexed files, the freedesktop
cache for the others.

Keys: a content id (an indexed file with content) looks in the library (``lookup.library_thumbnails``
on a read connection per worker thread); a ``(path, mtime_ns, size)`` tuple (any other file) looks
in the per-user freedesktop cache (``freedesktop.find``), and a file with no valid thumbnail there
is made by ``ondemand.OnDemandThumbnailer`` in worker processes; the same tuple of a file on a
network volume (its path ``NAME:/path``) is found in, or made into, the library's sidecars by
``ops.media.thumbnail.remote`` (a picture up to 8 MiB read whole, a few over one connection, on
workers of their own so a slow volume never holds up the others). Look-ups are batched (the cells
asked for during one paint), run on worker threads, and land in an LRU bounded by bytes; the GUI
thread only turns decoded images into icons.

``ready`` names the keys whose icon just arrived, so models repaint only those cells; ``missing``
names content ids with no sidecar yet that the thumbnail job can make, each once per session (a
request that does not help is not repeated); content that is not a picture or failed with this
decoder is *settled* and never asked for, in this session or the next.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Hashable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap

from sd_desktop.library import Library
from sd_desktop.ops.files import remote_listing
from sd_desktop.ops.media.thumbnail import freedesktop
from sd_desktop.ops.media.thumbnail.generate import OK
from sd_desktop.ops.media.thumbnail.lookup import library_thumbnails
from sd_desktop.ops.media.thumbnail.ondemand import Done, OnDemandThumbnailer
from sd_desktop.ui.workers import BackgroundRunner

VARIANT = "256"
DEFAULT_MAX_BYTES = 96 * 1024 * 1024
BATCH = 200
REMOTE_BATCH = 8  # pictures of a volume read over one connection per worker call
SIDE = 256  # px: larger freedesktop thumbnails are scaled down to this on the worker thread

Key = Hashable  # a content id (int), or (path, mtime_ns, size) of a file outside the library


class ThumbnailCache(QObject):
    ready = Signal(list)  # keys now available
    missing = Signal(list)  # content ids with no sidecar (yet), worth asking for and not asked yet
    changed = Signal()  # sidecars may have appeared: cells showing a fallback should ask again
    _made = Signal(object, object)  # key, QImage or None: a freedesktop thumbnail was made (or not)

    def __init__(self, library: Library, max_bytes: int = DEFAULT_MAX_BYTES, parent: QObject | None = None):
        super().__init__(parent)
        self.library = library
        self.max_bytes = max_bytes
        self._lru: OrderedDict[Key, tuple[QIcon, int]] = OrderedDict()
        self._bytes = 0
        self._missing: set[Key] = set()  # no thumbnail now; looked up again after ``invalidate_missing``
        self._settled: set[Key] = set()  # never a thumbnail (not a picture, failed): never looked up again
        self._asked: set[int] = set()  # content ids already announced as missing this session
        self._pending: set[Key] = set()
        self._queued: list[Key] = []
        self._runner = BackgroundRunner("thumbs", workers=2, parent=self)
        self._remote_runner = BackgroundRunner("remote-thumbs", workers=2, parent=self)
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(15)
        self._flush_timer.timeout.connect(self._flush)
        self._made.connect(self._on_made)
        self.maker = OnDemandThumbnailer(self._made_elsewhere)

    @property
    def used_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._lru)

    def icon(self, key: Key) -> QIcon | None:
        """The thumbnail if cached; otherwise None, and a load is scheduled (unless known missing)."""
        hit = self._lru.get(key)
        if hit is not None:
            self._lru.move_to_end(key)
            return hit[0]
        if key not in self._missing and key not in self._pending and key not in self._settled:
            self._pending.add(key)
            self._queued.append(key)
            if not self._flush_timer.isActive():
                self._flush_timer.start()
        return None

    def settled(self, key: Key) -> bool:
        """``key`` never gets a thumbnail (not a picture, or its decode failed): show none."""
        return key in self._settled

    def invalidate_missing(self) -> None:
        """New sidecars may exist (a thumbnail job progressed): forget what was missing."""
        lib = [k for k in self._missing if isinstance(k, int)]
        if lib:
            self._missing.difference_update(lib)
            self.changed.emit()

    def retry_remote(self) -> None:
        """A volume's folder is listed again: its pictures that could not be read (the volume did
        not answer) are looked up again as they paint."""
        keys = [k for k in self._missing if not isinstance(k, int) and remote_listing.is_remote(k[0])]
        self._missing.difference_update(keys)

    def mark_asked(self, cids: list[int]) -> None:
        """These contents were asked of the thumbnail job: ``missing`` does not name them again."""
        self._asked.update(cids)

    def forget_requests(self) -> None:
        """The requests of this session may not have been served (a thumbnail job was cancelled)."""
        self._asked.clear()
        self.invalidate_missing()

    def close(self) -> None:
        self._flush_timer.stop()
        self.maker.close()
        self._runner.close(wait=True)  # at most one small batch in flight
        self._remote_runner.close()  # a volume may hang to its deadline: not waited for
        for conn in self._conns:
            conn.close()
        self._conns.clear()

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self.library.connect_reader()
            self._local.conn = conn
            self._conns.append(conn)
        return conn

    def _flush(self) -> None:
        queued, self._queued = self._queued, []
        lib = [k for k in queued if isinstance(k, int)]
        remote = [k for k in queued if not isinstance(k, int) and remote_listing.is_remote(k[0])]
        files = [k for k in queued if not isinstance(k, int) and not remote_listing.is_remote(k[0])]
        for i in range(0, len(remote), REMOTE_BATCH):  # one connection per batch
            batch = remote[i : i + REMOTE_BATCH]
            self._remote_runner.submit(
                lambda b=batch: self._find_remote(b), lambda res, err, b=batch: self._found_files(b, res, err)
            )
        for i in range(0, len(lib), BATCH):
            batch = lib[i : i + BATCH]
            self._runner.submit(lambda b=batch: self._load(b), lambda res, err, b=batch: self._loaded(b, res, err))
        # few at a time: the first cells on screen show before the rest are read
        for i in range(0, len(files), 8):
            batch = files[i : i + 8]
            self._runner.submit(
                lambda b=batch: self._find_files(b), lambda res, err, b=batch: self._found_files(b, res, err)
            )

    # -- the library's sidecars ------------------------------------------------------------
    def _load(self, ids: list[int]) -> tuple[list[tuple[int, QImage]], list[int], list[int]]:
        """On a worker thread: decode the recorded thumbnails; sort the rest into wanted and settled."""
        sorted_ = library_thumbnails(self._conn(), ids, VARIANT, self.library.sidecar_dir)
        found: list[tuple[int, QImage]] = []
        wanted = list(sorted_.wanted)
        for cid, file in sorted_.files:
            image = QImage(os.fsdecode(file))
            if image.isNull():
                wanted.append(cid)  # recorded but gone or damaged: the job makes it again
            else:
                found.append((cid, square(image)))
        return found, wanted, sorted_.settled

    def _loaded(self, ids: list[int], result: tuple | None, error: BaseException | None) -> None:
        self._pending.difference_update(ids)
        if error is not None or result is None:
            self._missing.update(ids)  # unreadable library: type icons, looked up again with the next job
            return
        found, wanted, settled = result
        self._store(found)
        self._settled.update(settled)
        self._missing.update(wanted)
        fresh = [cid for cid in wanted if cid not in self._asked]
        if found:
            self.ready.emit([cid for cid, _ in found])
        if fresh:
            self.missing.emit(fresh)

    # -- the freedesktop cache -------------------------------------------------------------
    def _find_files(self, keys: list[tuple]) -> tuple[list[tuple[Key, QImage]], list, list[Key]]:
        """On a worker thread: valid cached thumbnails, decoded; what to make; what never to make."""
        found: list[tuple[Key, QImage]] = []
        make: list[tuple[Key, freedesktop.Source]] = []
        settled: list[Key] = []
        for key in keys:
            hit = freedesktop.find(key[0])
            image = _image(hit.data) if hit.data is not None else None
            if image is not None:
                found.append((key, image))
            elif hit.source is not None and hit.settled is None:
                make.append((key, hit.source))
            else:
                settled.append(key)
        return found, make, settled

    def _find_remote(self, keys: list[tuple]) -> tuple[list[tuple[Key, QImage]], list, list[Key]]:
        """On a worker thread: thumbnails of pictures on a volume, from the sidecars or made there."""
        from sd_desktop.library.volumes import find_volume
        from sd_desktop.ops.media.thumbnail import remote
        from sd_desktop.volumes.remote import RemoteEntry
        from sd_desktop.volumes.specs import spec_of

        found: list[tuple[Key, QImage]] = []
        settled: list[Key] = []
        by_volume: dict[str, list[tuple[Key, RemoteEntry]]] = {}
        for key in keys:
            volume, path = remote_listing.split(key[0]) or ("", "")
            entry = RemoteEntry(path, False, key[2] or 0, key[1])
            if remote.wanted(entry):
                by_volume.setdefault(volume, []).append((key, entry))
            else:
                settled.append(key)
        for volume, items in by_volume.items():
            row = self.library.read_sync(lambda c, v=volume: find_volume(c, v))
            if row is None:
                settled.extend(k for k, _ in items)
                continue
            entries = [e for _, e in items]
            known = self.library.read_sync(lambda c, r=row, es=entries: remote.known_cas_ids(c, r.id, es))
            data = remote.thumbnails(spec_of(row, self.library.folder), entries, self.library, known)
            for key, entry in items:
                image = QImage.fromData(data[entry.path]) if data.get(entry.path) else None
                if image is not None and not image.isNull():
                    found.append((key, square(image)))
                else:
                    settled.append(key)
        return found, [], settled

    def _found_files(self, keys: list[tuple], result: tuple | None, error: BaseException | None) -> None:
        if error is not None or result is None:
            self._pending.difference_update(keys)
            # a volume that did not answer: looked up again once the folder is listed again
            (self._missing if isinstance(error, OSError) else self._settled).update(keys)
            return
        found, make, settled = result
        self._pending.difference_update(k for k, _ in found)
        self._pending.difference_update(settled)
        self._store(found)
        self._settled.update(settled)
        if found:
            self.ready.emit([k for k, _ in found])
        if make:
            self.maker.request(make)  # still pending until made

    def _made_elsewhere(self, done: Done) -> None:
        """On the maker's thread: decode the new thumbnail there, hand it to the GUI thread."""
        image = _image(done.data) if done.outcome == OK and done.data is not None else None
        try:
            self._made.emit(done.key, image)
        except RuntimeError:  # the cache is gone (the app is closing)
            pass

    def _on_made(self, key: Key, image: QImage | None) -> None:
        self._pending.discard(key)
        if image is None:
            self._settled.add(key)  # failed (recorded under fail/) or unreadable: not asked again here
            return
        self._store([(key, image)])
        self.ready.emit([key])

    def _store(self, found: list[tuple[Key, QImage]]) -> None:
        for key, image in found:
            cost = image.sizeInBytes()
            self._lru[key] = (QIcon(QPixmap.fromImage(image)), cost)
            self._bytes += cost
        while self._bytes > self.max_bytes and len(self._lru) > 1:
            _, (_, cost) = self._lru.popitem(last=False)
            self._bytes -= cost


def _image(data: bytes) -> QImage | None:
    """Decode a thumbnail PNG (off the GUI thread), at most ``SIDE`` px on its longest side."""
    image = QImage.fromData(data, "PNG")
    if image.isNull():
        return None
    if max(image.width(), image.height()) > SIDE:
        image = image.scaled(SIDE, SIDE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    return square(image)


def square(image: QImage) -> QImage:
    """``image`` centred on a transparent square (on the worker thread). The grid takes every cell's
    size from one item (uniform item sizes, for 100,000-file folders): a landscape thumbnail there
    is shorter than a type icon, and the icons' names were cut off."""
    w, h = image.width(), image.height()
    if w == h:
        return image
    side = max(w, h)
    out = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    out.fill(Qt.GlobalColor.transparent)
    painter = QPainter(out)
    painter.drawImage((side - w) // 2, (side - h) // 2, image)
    painter.end()
    return out

"""Thumbnails from the library's sidecar cache, for the content views.

Look-ups are batched (the cells asked for during one paint), run on worker threads (the library's
``browse.thumbnail_files`` on a read connection per thread, then image decoding) and land in an
LRU bounded by bytes. ``ready`` names the content ids whose icon just arrived, so models repaint
only those cells; ``missing`` names those with no sidecar yet, so the window can ask the
thumbnail job for them.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import OrderedDict

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap

from sd_desktop.library import Library
from sd_desktop.library.browse import thumbnail_files
from sd_desktop.ui.workers import BackgroundRunner

VARIANT = "256"
DEFAULT_MAX_BYTES = 96 * 1024 * 1024
BATCH = 200


class ThumbnailCache(QObject):
    ready = Signal(list)  # content ids now available
    missing = Signal(list)  # content ids that have no sidecar (yet)
    changed = Signal()  # sidecars may have appeared: cells showing a fallback should ask again

    def __init__(self, library: Library, max_bytes: int = DEFAULT_MAX_BYTES, parent: QObject | None = None):
        super().__init__(parent)
        self.library = library
        self.max_bytes = max_bytes
        self._lru: OrderedDict[int, tuple[QIcon, int]] = OrderedDict()
        self._bytes = 0
        self._missing: set[int] = set()
        self._pending: set[int] = set()
        self._queued: list[int] = []
        self._runner = BackgroundRunner("thumbs", workers=2, parent=self)
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(15)
        self._flush_timer.timeout.connect(self._flush)

    @property
    def used_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._lru)

    def icon(self, content_id: int) -> QIcon | None:
        """The thumbnail if cached; otherwise None, and a load is scheduled (unless known missing)."""
        hit = self._lru.get(content_id)
        if hit is not None:
            self._lru.move_to_end(content_id)
            return hit[0]
        if content_id not in self._missing and content_id not in self._pending:
            self._pending.add(content_id)
            self._queued.append(content_id)
            if not self._flush_timer.isActive():
                self._flush_timer.start()
        return None

    def invalidate_missing(self) -> None:
        """New sidecars may exist (a thumbnail job progressed): forget what was missing."""
        if self._missing:
            self._missing.clear()
            self.changed.emit()

    def close(self) -> None:
        self._flush_timer.stop()
        self._runner.close(wait=True)  # at most one small batch in flight
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
        for i in range(0, len(queued), BATCH):
            batch = queued[i : i + BATCH]
            self._runner.submit(lambda b=batch: self._load(b), lambda res, err, b=batch: self._loaded(b, res, err))

    def _load(self, ids: list[int]) -> tuple[list[tuple[int, QImage]], list[int]]:
        found: list[tuple[int, QImage]] = []
        for cid, file in thumbnail_files(self._conn(), ids, VARIANT, self.library.sidecar_dir):
            image = QImage(os.fsdecode(file))
            if not image.isNull():
                found.append((cid, image))
        have = {cid for cid, _ in found}
        return found, [cid for cid in ids if cid not in have]

    def _loaded(self, ids: list[int], result: tuple | None, error: BaseException | None) -> None:
        self._pending.difference_update(ids)
        if error is not None or result is None:
            self._missing.update(ids)  # unreadable library: fall back to type icons quietly
            return
        found, missing = result
        for cid, image in found:
            cost = image.sizeInBytes()
            self._lru[cid] = (QIcon(QPixmap.fromImage(image)), cost)
            self._bytes += cost
        while self._bytes > self.max_bytes and len(self._lru) > 1:
            _, (_, cost) = self._lru.popitem(last=False)
            self._bytes -= cost
        self._missing.update(missing)
        if found:
            self.ready.emit([cid for cid, _ in found])
        if missing:
            self.missing.emit(missing)

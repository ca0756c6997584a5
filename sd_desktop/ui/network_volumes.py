"""The sidebar's "Network" section: the registered remote volumes with their status (online,
offline, auth failed: an icon, and the one-line reason in the tooltip).

Statuses are checked on worker threads (``volumes.blocking.check``), never on the GUI thread, when
the volume is first listed, then as ``volumes.blocking.CheckSchedule`` says (every minute while
online, backing off while not), and at once on Check Now. The rows themselves and every change
(add, remove, index) go through the engine side (``volumes.registry``) on a worker too.
"""

from __future__ import annotations

import sqlite3
import time

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QStandardItem
from PySide6.QtWidgets import QApplication, QStyle

from sd_desktop.library.volumes import VolumeRow, list_volumes
from sd_desktop.ui.services import AppServices
from sd_desktop.ui.workers import BackgroundRunner
from sd_desktop.volumes.blocking import CHECK_TIMEOUT, CheckSchedule, check
from sd_desktop.volumes.remote import AUTH_FAILED, OFFLINE, ONLINE
from sd_desktop.volumes.specs import spec_of

VolumeNameRole = Qt.ItemDataRole.UserRole + 10
StatusRole = Qt.ItemDataRole.UserRole + 11
KindRole = Qt.ItemDataRole.UserRole + 3  # the sidebar's KindRole (the sidebar imports this module)
CHECKING = "checking"
TICK_MS = 1000  # how often the schedule is looked at (cheap: no call unless a volume is due)
STATUS_WORDS = {ONLINE: "online", OFFLINE: "offline", AUTH_FAILED: "auth failed", CHECKING: "checking…"}


def status_icon(status: str) -> QIcon:
    sp, style = QStyle.StandardPixmap, QApplication.style()
    return style.standardIcon(
        {
            ONLINE: sp.SP_DriveNetIcon,
            OFFLINE: sp.SP_MessageBoxWarning,
            AUTH_FAILED: sp.SP_MessageBoxCritical,
        }.get(status, sp.SP_BrowserReload)
    )


def describe(row: VolumeRow) -> str:
    """Where a volume is, in a few words (no secret: the stored options hold none)."""
    o = row.options
    if row.scheme == "sftp":
        return f"SFTP {o.get('user', '')}@{o.get('host', '?')}:{o.get('port', 22)}{row.root}"
    if row.scheme == "s3":
        return f"S3 bucket {o.get('bucket', '?')}{row.root}" + (f" at {o['endpoint']}" if o.get("endpoint") else "")
    if row.scheme == "webdav":
        return f"WebDAV {o.get('endpoint', '?')}{row.root}"
    return f"{row.scheme} {row.root}"


class NetworkVolumes(QObject):
    """Fills the "Network" section of the sidebar model and keeps its statuses current."""

    changed = Signal()  # rows or a status changed (tests wait on it)

    def __init__(self, services: AppServices, section: QStandardItem, parent: QObject | None = None):
        super().__init__(parent)
        self.services = services
        self.section = section
        self.rows: dict[str, VolumeRow] = {}
        self.statuses: dict[str, tuple[str, str]] = {}
        self.schedule = CheckSchedule()
        self._loader = BackgroundRunner("volumes", parent=self)
        self._checker = BackgroundRunner("volume-checks", workers=4, parent=self)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self._fill()

    # -- rows ------------------------------------------------------------------------------
    def reload(self) -> None:
        self._loader.submit(self._read_rows, self._rows_read)

    def _read_rows(self) -> list[VolumeRow]:
        conn = self.services.library.connect_reader()
        try:
            return list_volumes(conn)
        except sqlite3.OperationalError:  # a library older than volumes
            return []
        finally:
            conn.close()

    def _rows_read(self, rows, error) -> None:
        if error is not None:
            self.services.status.emit(f"Cannot read the network volumes: {error}")
            return
        self.rows = {r.name: r for r in rows}
        self.statuses = {n: s for n, s in self.statuses.items() if n in self.rows}
        self.schedule.track(self.rows, time.monotonic())
        self._fill()
        self._tick()

    def _fill(self) -> None:
        self.section.removeRows(0, self.section.rowCount())
        if not self.rows:
            hint = QStandardItem("Add a network volume…")
            hint.setEditable(False)
            hint.setData("add_volume", KindRole)
            hint.setToolTip("A NAS over SFTP, an S3 bucket or a WebDAV share")
            font = hint.font()
            font.setItalic(True)
            hint.setFont(font)
            self.section.appendRow(hint)
        for name, row in self.rows.items():
            item = QStandardItem(name)
            item.setEditable(False)
            item.setData("remote", KindRole)
            item.setData(name, VolumeNameRole)
            self._show_status(item, row)
            self.section.appendRow(item)
        self.changed.emit()

    def _show_status(self, item: QStandardItem, row: VolumeRow) -> None:
        status, detail = self.statuses.get(row.name, (CHECKING, ""))
        item.setData(status, StatusRole)
        item.setIcon(status_icon(status))
        word = STATUS_WORDS.get(status, status)
        item.setText(f"{row.name}  —  {word}")
        tip = f"{describe(row)}\n{word}" + (f": {detail}" if detail else "")
        item.setToolTip(tip)
        item.setData(tip, Qt.ItemDataRole.StatusTipRole)

    def item_of(self, name: str) -> QStandardItem | None:
        for r in range(self.section.rowCount()):
            item = self.section.child(r)
            if item.data(VolumeNameRole) == name:
                return item
        return None

    # -- statuses --------------------------------------------------------------------------
    def check_now(self, name: str) -> None:
        self.schedule.check_now(name, time.monotonic())
        self._tick()

    def _tick(self) -> None:
        folder = self.services.library.folder
        for name in self.schedule.due(time.monotonic()):
            row = self.rows.get(name)
            if row is None:
                continue
            item = self.item_of(name)
            if item is not None and name not in self.statuses:
                self._show_status(item, row)

            def run(row=row) -> tuple[str, str]:
                return check(spec_of(row, folder, CHECK_TIMEOUT))

            self._checker.submit(run, lambda result, error, name=name: self._checked(name, result, error))

    def _checked(self, name: str, result, error) -> None:
        if name not in self.rows:
            return
        if error is not None:  # not a remote error (those are statuses): a bug or bad settings
            result = (OFFLINE, f"volume {name}: cannot be checked: {error}")
        self.statuses[name] = result
        self.schedule.record(name, result[0], time.monotonic())
        item = self.item_of(name)
        if item is not None:
            self._show_status(item, self.rows[name])
        self.changed.emit()

    def close(self) -> None:
        if shiboken6.isValid(self._timer):  # the window may be gone already (it owns the timer)
            self._timer.stop()
        self._loader.close()
        self._checker.close()

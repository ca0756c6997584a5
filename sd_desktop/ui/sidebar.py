"""The sidebar: locations (with size and entry counts), network volumes (with their status, kept by
``network_volumes``), mounted volumes (with free space) and places.

Totals come from ``library.locations.list_locations`` on a read connection of its own and the
volume list from ``VolumeManager``, both on a worker thread; the model is a QStandardItemModel
rebuilt when the results arrive. The row of the place holding the folder shown is highlighted
(``highlight``): the deepest location, volume or place that contains it, none when none does.
"""

from __future__ import annotations

import os
import sqlite3

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QMenu,
    QMessageBox,
    QStyle,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from sd_desktop import paths
from sd_desktop.enums import EventKind
from sd_desktop.library.locations import LocationInfo, list_locations
from sd_desktop.ui.formatting import human_size, plural
from sd_desktop.ui.icons import TypeIcons
from sd_desktop.ui.network_volumes import NetworkVolumes, VolumeNameRole
from sd_desktop.ui.polling_notice import polling_notice
from sd_desktop.ui.services import AppServices, trash_folder
from sd_desktop.ui.workers import BackgroundRunner
from sd_desktop.volumes import Volume, VolumeManager

PathRole = Qt.ItemDataRole.UserRole + 1
LocationRole = Qt.ItemDataRole.UserRole + 2
KindRole = Qt.ItemDataRole.UserRole + 3  # "location", "remote", "volume", "place", "section", "add", "add_volume"
IndexModeRole = Qt.ItemDataRole.UserRole + 4

INDEX_MODE_LABELS = {
    "shallow": ("&Quick (names, sizes, dates)", "Metadata only: the fastest; no duplicates search from the index"),
    "content": ("&Standard (+ content ids)", "Adds a content id per file: finds copies and moves (the default)"),
    "deep": (
        "&Deep (+ integrity hashes and thumbnails)",
        "Reads every file whole: an integrity hash for validation, and thumbnails made right away",
    ),
}


class SidebarModel(QStandardItemModel):
    def __init__(self, icons: TypeIcons, parent=None):
        super().__init__(parent)
        self.icons = icons
        self.locations: list[LocationInfo] = []
        self.volumes: list[Volume] = []
        # locations the live index polls instead of being notified: id -> the notice (engine's words)
        self.polled: dict[int, str] = {}
        self.polled_icon = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
        self._sections: dict[str, QStandardItem] = {}
        for key, title in (
            ("locations", "Locations"),
            ("network", "Network"),
            ("volumes", "Volumes"),
            ("places", "Places"),
        ):
            item = QStandardItem(title)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            item.setData("section", KindRole)
            font = item.font()
            font.setBold(True)
            item.setFont(font)
            self.appendRow(item)
            self._sections[key] = item
        home = QStandardItem(icons.folder, "Home")
        home.setData(os.fsencode(os.path.expanduser("~")), PathRole)
        home.setData("place", KindRole)
        home.setEditable(False)
        self._sections["places"].appendRow(home)
        trash = trash_folder()
        if trash is not None:
            item = QStandardItem(icons.trash, "Trash")
            item.setData(trash, PathRole)
            item.setData("place", KindRole)
            item.setEditable(False)
            item.setToolTip("Files moved to the Trash")
            self._sections["places"].appendRow(item)

    def section(self, key: str) -> QStandardItem:
        return self._sections[key]

    def set_data(self, locations: list[LocationInfo], volumes: list[Volume]) -> None:
        self.locations, self.volumes = locations, volumes
        section = self._sections["locations"]
        section.removeRows(0, section.rowCount())
        if not locations:
            hint = QStandardItem("Add a location…")
            hint.setEditable(False)
            hint.setData("add", KindRole)
            hint.setToolTip("Track a folder: it is indexed, searched and shown with thumbnails")
            font = hint.font()
            font.setItalic(True)
            hint.setFont(font)
            section.appendRow(hint)
        for loc in locations:
            item = QStandardItem(self.icons.folder, loc.name)
            item.setEditable(False)
            item.setData(os.fsencode(loc.path), PathRole)
            item.setData(loc.id, LocationRole)
            item.setData("location", KindRole)
            item.setData(loc.index_mode, IndexModeRole)
            counts = f"{plural(loc.entries, 'item')} · {human_size(loc.total_bytes)}"
            if loc.last_indexed is None and loc.entries == 0:
                counts = "not indexed yet"
            mode = INDEX_MODE_LABELS.get(loc.index_mode, (loc.index_mode,))[0].replace("&", "")
            item.setToolTip(f"{paths.display(loc.path)}\n{counts}\nIndexing: {mode}")
            item.setData(counts, Qt.ItemDataRole.StatusTipRole)
            item.setText(f"{loc.name}  —  {counts}")
            self._mark_polled(item)
            section.appendRow(item)
        section = self._sections["volumes"]
        section.removeRows(0, section.rowCount())
        for vol in volumes:
            item = QStandardItem(self.icons.drive, vol.mountpoint)
            item.setEditable(False)
            item.setData(os.fsencode(vol.mountpoint), PathRole)
            item.setData("volume", KindRole)
            free = f"{human_size(vol.free_bytes)} free of {human_size(vol.total_bytes)}"
            item.setText(f"{vol.mountpoint}  —  {free}")
            item.setToolTip(f"{vol.device} ({vol.fstype}{', read-only' if vol.read_only else ''})\n{free}")
            section.appendRow(item)

    def set_polled(self, location_id: int, notice: str | None) -> None:
        """Mark a location as polled (its notice), or as notified again (None)."""
        if notice is None:
            self.polled.pop(location_id, None)
        else:
            self.polled[location_id] = notice
        section = self._sections["locations"]
        for r in range(section.rowCount()):
            item = section.child(r)
            if item.data(LocationRole) == location_id:
                item.setIcon(self.icons.folder)
                item.setToolTip(item.toolTip().split(POLLED_TIP)[0])
                self._mark_polled(item)

    def _mark_polled(self, item: QStandardItem) -> None:
        notice = self.polled.get(item.data(LocationRole))
        if notice is not None:
            item.setIcon(self.polled_icon)
            item.setToolTip(f"{item.toolTip()}{POLLED_TIP}{notice}")


POLLED_TIP = "\n\n"  # separates the polling notice from the rest of a location's tooltip


def _load(services: AppServices) -> tuple[list[LocationInfo], list[Volume]]:
    conn = services.library.connect_reader()
    try:
        locations = list_locations(conn=conn)
    finally:
        conn.close()
    try:
        volumes = VolumeManager().volumes()
    except (OSError, RuntimeError):
        volumes = []
    return locations, volumes


class Sidebar(QWidget):
    openRequested = Signal(bytes)
    addRequested = Signal()
    remoteOpenRequested = Signal(str)  # a network volume's name: browse it
    addVolumeRequested = Signal()
    removeVolumeRequested = Signal(str)
    indexVolumeRequested = Signal(str)
    loaded = Signal()

    def __init__(self, services: AppServices, icons: TypeIcons, parent: QWidget | None = None):
        super().__init__(parent)
        self.services = services
        self.model = SidebarModel(icons, self)
        self.view = QTreeView()
        self.view.setObjectName("sidebar")
        self.view.setModel(self.model)
        self.view.setHeaderHidden(True)
        self.view.setRootIsDecorated(False)
        self.view.setIndentation(12)
        self.view.setUniformRowHeights(True)
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.view.expandAll()
        self.view.clicked.connect(self._activate)
        self.view.activated.connect(self._activate)
        self.view.selectionModel().currentChanged.connect(lambda *_: self._update_buttons())
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self._runner = BackgroundRunner("sidebar", parent=self)
        self._shown: bytes | None = None

        style = self.style()
        self.add_button = self._button(
            "Add a location…", style.standardIcon(QStyle.StandardPixmap.SP_FileDialogNewFolder)
        )
        self.add_button.clicked.connect(self.addRequested)
        self.remove_button = self._button(
            "Remove the selected location (files stay on disk)",
            style.standardIcon(QStyle.StandardPixmap.SP_DialogDiscardButton),
        )
        self.remove_button.clicked.connect(self._remove)
        self.reindex_button = self._button(
            "Re-index the selected location", style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload)
        )
        self.reindex_button.clicked.connect(self._reindex)
        self.add_volume_button = self._button(
            "Add a network volume (SFTP, S3, WebDAV)…", style.standardIcon(QStyle.StandardPixmap.SP_DriveNetIcon)
        )
        self.add_volume_button.clicked.connect(self.addVolumeRequested)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(4, 2, 4, 2)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.reindex_button)
        buttons.addWidget(self.add_volume_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        services.locationsChanged.connect(self.refresh)
        services.bridge.libraryChanged.connect(self._live_event)
        self.network = NetworkVolumes(services, self.model.section("network"), self)
        self.network.changed.connect(self.view.expandAll)
        self._update_buttons()
        self.refresh()

    @staticmethod
    def _button(tip: str, icon) -> QToolButton:
        b = QToolButton()
        b.setIcon(icon)
        b.setToolTip(tip)
        b.setAutoRaise(True)
        return b

    def _live_event(self, event) -> None:
        """A location the live index polls: its row says so, and the status bar once per location."""
        extra = event.extra or {}
        if event.kind is not EventKind.LOCATION_STATUS or "polling" not in extra:
            return
        location_id = extra["location_id"]
        if extra["polling"] is None:
            self.model.set_polled(location_id, None)
            return
        notice = polling_notice(extra.get("path", ""), extra["polling"], extra.get("delay", 0.0))
        first = location_id not in self.model.polled
        self.model.set_polled(location_id, notice)
        if first:
            self.services.status.emit(notice)

    def refresh(self) -> None:
        self._runner.submit(lambda: _load(self.services), self._loaded)
        self.network.reload()  # volumes added meanwhile (by the command line) show too

    def _loaded(self, result, error) -> None:
        if error is not None:
            if not isinstance(error, sqlite3.Error | OSError):
                raise error
            self.services.status.emit(f"Cannot read locations: {error}")
            return
        current = self.selected_location()
        self.model.set_data(*result)
        self.view.expandAll()
        if self._shown is not None:
            self.highlight(self._shown)
        elif current is not None:
            self.select_location(current)
        self._update_buttons()
        self.loaded.emit()

    def selected_location(self) -> int | None:
        idx = self.view.currentIndex()
        return idx.data(LocationRole) if idx.isValid() else None

    def select_location(self, location_id: int) -> None:
        section = self.model.section("locations")
        for r in range(section.rowCount()):
            item = section.child(r)
            if item.data(LocationRole) == location_id:
                self.view.setCurrentIndex(item.index())
                return

    def highlight(self, path: bytes | None) -> None:
        """Make the row of the place holding ``path`` current: the deepest one that contains it
        (a location before a volume or place at the same folder); no row when none does."""
        self._shown = path
        best, depth = None, -1
        for key in ("locations", "volumes", "places"):
            section = self.model.section(key)
            for r in range(section.rowCount()):
                item = section.child(r)
                root = item.data(PathRole)
                if root is None or path is None or not paths.is_within(path, root):
                    continue
                if len(os.path.normpath(root)) > depth:
                    best, depth = item, len(os.path.normpath(root))
        if best is None:
            self.view.selectionModel().clear()  # the current index too: nothing looks chosen
        else:
            self.view.setCurrentIndex(best.index())
        self._update_buttons()

    def highlighted(self) -> QStandardItem | None:
        """The highlighted row's item (None when no row is)."""
        index = self.view.currentIndex()
        selected = self.view.selectionModel().isSelected(index) if index.isValid() else False
        return self.model.itemFromIndex(index) if selected else None

    def _activate(self, index: QModelIndex) -> None:
        if index.data(KindRole) == "add":
            self.addRequested.emit()
            return
        if index.data(KindRole) == "add_volume":
            self.addVolumeRequested.emit()
            return
        if index.data(KindRole) == "remote":
            self.remoteOpenRequested.emit(index.data(VolumeNameRole))
            return
        path = index.data(PathRole)
        if path is not None:
            self.openRequested.emit(path)
        self._update_buttons()

    def _update_buttons(self) -> None:
        has = self.selected_location() is not None
        self.remove_button.setEnabled(has)
        self.reindex_button.setEnabled(has)

    def _remove(self) -> None:
        loc = self.selected_location()
        if loc is None:
            return
        name = self.view.currentIndex().data(Qt.ItemDataRole.ToolTipRole) or ""
        answer = QMessageBox.question(
            self,
            "Remove Location",
            f"Stop tracking this location?\n\n{name}\n\nIts index is forgotten; the files on disk are not touched.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.services.spawn_remove_location(loc)

    def location_menu(self, index: QModelIndex) -> QMenu | None:
        """The right-click menu of a location row (None elsewhere)."""
        location_id = index.data(LocationRole) if index.isValid() else None
        if location_id is None:
            return None
        menu = QMenu(self)
        path = index.data(PathRole)
        menu.addAction("&Open", lambda: self.openRequested.emit(path))
        menu.addAction("&Re-index", lambda: self.services.spawn_index_location(location_id))
        modes = menu.addMenu("Index &mode")
        group = QActionGroup(modes)
        current = index.data(IndexModeRole)
        for mode, (label, tip) in INDEX_MODE_LABELS.items():
            action = QAction(label, modes)
            action.setCheckable(True)
            action.setChecked(mode == current)
            action.setToolTip(tip)
            action.setStatusTip(tip)
            action.setData(mode)
            action.triggered.connect(lambda _=False, m=mode: self._set_mode(location_id, m))
            group.addAction(action)
            modes.addAction(action)
        modes.setToolTipsVisible(True)
        menu.addSeparator()
        menu.addAction("Re&move Location…", self._remove)
        return menu

    def network_menu(self, index: QModelIndex) -> QMenu | None:
        """The right-click menu of the Network section and its rows (None elsewhere)."""
        kind = index.data(KindRole) if index.isValid() else None
        in_section = index.isValid() and index.data() == "Network" and kind == "section"
        if kind not in ("remote", "add_volume") and not in_section:
            return None
        menu = QMenu(self)
        if kind == "remote":
            name = index.data(VolumeNameRole)
            menu.addAction("&Browse", lambda: self.remoteOpenRequested.emit(name))
            menu.addAction("&Check Now", lambda: self.network.check_now(name))
            menu.addAction("&Index…", lambda: self.indexVolumeRequested.emit(name))
            menu.addSeparator()
            menu.addAction("Re&move Volume…", lambda: self.removeVolumeRequested.emit(name))
            menu.addSeparator()
        menu.addAction("&Add Network Volume…", self.addVolumeRequested)
        return menu

    def _context_menu(self, pos) -> None:
        index = self.view.indexAt(pos)
        if index.isValid():
            self.view.setCurrentIndex(index)
        menu = self.location_menu(index) or self.network_menu(index)
        if menu is not None:
            menu.exec(self.view.viewport().mapToGlobal(pos))
            menu.deleteLater()

    def _set_mode(self, location_id: int, mode: str) -> None:
        if self.model_mode(location_id) != mode:
            self.services.spawn_set_index_mode(location_id, mode)

    def model_mode(self, location_id: int) -> str | None:
        return next((loc.index_mode for loc in self.model.locations if loc.id == location_id), None)

    def _reindex(self) -> None:
        loc = self.selected_location()
        if loc is not None:
            self.services.spawn_index_location(loc)

    def close_runner(self) -> None:
        self._runner.close()
        self.network.close()

"""A folder of a network volume, browsed in a view of its own (the main content view lists the local
disk through the library; a remote folder has neither): name, size and date per row, folders first.

Listing runs on a worker (``volumes.blocking.list_folder``); the view says "Loading…" meanwhile and,
when the server is gone or refuses, the one line of why in place of the rows, never a frozen window.
A result for a folder left meanwhile is dropped. As a grid, pictures show thumbnails made on
workers from whole reads of small files (``ops.media.thumbnail.remote``), a few per connection.
Rows dragged out carry ``NAME:/path`` items (``dnd.remote_to_mime``): dropped on a local folder
they are copied there by the ``remote_copy`` job.
"""

from __future__ import annotations

import posixpath
import time

from PySide6.QtCore import QAbstractTableModel, QMimeData, QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QStackedWidget,
    QStyle,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from sd_desktop.library.volumes import VolumeRow
from sd_desktop.ui import dnd
from sd_desktop.ui.formatting import human_size
from sd_desktop.ui.icons import KIND_DIR, KIND_FILE, TypeIcons
from sd_desktop.ui.workers import BackgroundRunner
from sd_desktop.volumes.blocking import list_folder
from sd_desktop.volumes.remote import AUTH_FAILED, OFFLINE, RemoteEntry
from sd_desktop.volumes.specs import spec_of

COLUMNS = ("Name", "Size", "Modified")
THUMB_BATCH = 8  # pictures read over one connection per worker call
THUMB_LIMIT = 500  # pictures of one folder given thumbnails (each is a whole read)
GRID_ICON = 128
Index = QModelIndex | QPersistentModelIndex


class RemoteFolderModel(QAbstractTableModel):
    """The entries of one remote folder (set whole once listed)."""

    def __init__(self, icons: TypeIcons, parent=None):
        super().__init__(parent)
        self.icons = icons
        self.volume = ""
        self.entries: list[RemoteEntry] = []
        self.thumbs: dict[str, QIcon] = {}

    def set_entries(self, volume: str, entries: list[RemoteEntry]) -> None:
        self.beginResetModel()
        self.volume, self.entries, self.thumbs = volume, entries, {}
        self.endResetModel()

    def set_thumbnails(self, found: dict[str, bytes | None]) -> None:
        """Encoded thumbnails by path (decoded here: a QImage from a few KB of WebP is quick)."""
        for path, data in found.items():
            if data:
                image = QImage.fromData(data)
                if not image.isNull():
                    self.thumbs[path] = QIcon(QPixmap.fromImage(image))
        rows = [r for r, e in enumerate(self.entries) if e.path in found]
        if rows:
            self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), 0))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        e = self.entries[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return e.name
            if col == 1:
                return "" if e.is_dir else human_size(e.size)
            if e.mtime_ns is None:
                return ""
            return time.strftime("%Y-%m-%d %H:%M", time.localtime(e.mtime_ns / 1e9))
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            if e.path in self.thumbs:
                return self.thumbs[e.path]
            return self.icons.icon(KIND_DIR if e.is_dir else KIND_FILE, e.name)
        if role == Qt.ItemDataRole.ToolTipRole and col == 0:
            return f"{self.volume}:/{e.path}"
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [dnd.REMOTE_MIME]

    def mimeData(self, indexes) -> QMimeData:  # noqa: N802
        rows = sorted({i.row() for i in indexes if i.isValid()})
        return dnd.remote_to_mime(self.volume, [self.entries[r].path for r in rows])

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.CopyAction


class RemoteFolderView(QWidget):
    """Up, the ``NAME:/folder`` shown, Refresh; the rows, or a line saying why there are none."""

    listed = Signal(str)  # the folder (NAME:/path) whose listing arrived, or failed (tests wait on it)
    unreachable = Signal(str)  # a volume's name: its listing failed as offline or auth failed
    thumbnailsArrived = Signal(int)  # how many pictures a batch answered for (tests wait on it)

    def __init__(self, library, icons: TypeIcons, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("remote_folder")
        self.library = library
        self.volume: VolumeRow | None = None
        self.path = ""
        self.error: str | None = None
        self._generation = 0
        self._thumbs_asked: set[int] = set()  # listings whose thumbnails were asked for
        self._runner = BackgroundRunner("remote-list", workers=3, parent=self)  # a hung volume holds one
        self._thumbs = BackgroundRunner("remote-thumbs", workers=2, parent=self)
        self.model = RemoteFolderModel(icons, self)
        self.tree = QTreeView()
        self.tree.setObjectName("remote_rows")
        self.tree.setModel(self.model)
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.tree.activated.connect(self._activated)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.grid = QListView()
        self.grid.setObjectName("remote_grid")
        self.grid.setModel(self.model)
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setIconSize(QSize(GRID_ICON, GRID_ICON))
        self.grid.setGridSize(QSize(GRID_ICON + 40, GRID_ICON + 44))
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setWordWrap(True)
        self.grid.setUniformItemSizes(True)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.grid.setDragEnabled(True)
        self.grid.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.grid.activated.connect(self._activated)
        self.as_grid = False
        self.message = QLabel()
        self.message.setObjectName("remote_message")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setMargin(24)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.tree)
        self.stack.addWidget(self.grid)
        self.stack.addWidget(self.message)

        style = self.style()
        self.up_button = QToolButton()
        self.up_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_ArrowUp))
        self.up_button.setToolTip("Enclosing folder")
        self.up_button.clicked.connect(self.go_up)
        self.refresh_button = QToolButton()
        self.refresh_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        self.refresh_button.setToolTip("List the folder again")
        self.refresh_button.clicked.connect(self.refresh)
        self.grid_button = QToolButton()
        self.grid_button.setObjectName("remote_as_grid")
        self.grid_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_FileDialogContentsView))
        self.grid_button.setToolTip("Show as a grid with thumbnails")
        self.grid_button.setCheckable(True)
        self.grid_button.toggled.connect(self.set_grid)
        self.where = QLabel()
        self.where.setObjectName("remote_where")
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(self.up_button)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.where, 1)
        bar.addWidget(self.grid_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)

    def address(self) -> str:
        return f"{self.volume.name}:/{self.path}" if self.volume is not None else ""

    def open(self, volume: VolumeRow, path: str = "") -> None:
        """Show ``path`` (relative to the volume's root) of ``volume``; it is listed on a worker."""
        self.volume, self.path = volume, path.strip("/")
        self.where.setText(self.address())
        self.up_button.setEnabled(bool(self.path))
        self.refresh()

    def refresh(self) -> None:
        if self.volume is None:
            return
        self._generation += 1
        generation, volume, path = self._generation, self.volume, self.path
        self.error = None
        self.model.set_entries(volume.name, [])
        self._say("Loading…")
        folder = self.library.folder
        self._runner.submit(
            lambda: list_folder(spec_of(volume, folder), path),
            lambda result, error: self._listed(generation, result, error),
        )

    def set_grid(self, on: bool) -> None:
        """A grid with thumbnails, or the list; thumbnails are asked for when the grid first shows."""
        self.as_grid = on
        self.grid_button.setChecked(on)
        if self.stack.currentWidget() is not self.message:
            self.stack.setCurrentWidget(self.grid if on else self.tree)
        if on:
            self._ask_thumbnails(self._generation)

    def current_view(self) -> QAbstractItemView:
        return self.grid if self.as_grid else self.tree

    def _ask_thumbnails(self, generation: int) -> None:
        from sd_desktop.ops.media.thumbnail.remote import known_cas_ids, thumbnails, wanted

        if self.volume is None or generation in self._thumbs_asked:
            return
        self._thumbs_asked.add(generation)
        pictures = [e for e in self.model.entries if wanted(e)][:THUMB_LIMIT]
        volume, folder, library = self.volume, self.library.folder, self.library
        for start in range(0, len(pictures), THUMB_BATCH):
            batch = pictures[start : start + THUMB_BATCH]

            def make(batch=batch) -> dict[str, bytes | None]:
                known = library.read_sync(lambda c: known_cas_ids(c, volume.id, batch))
                return thumbnails(spec_of(volume, folder), batch, folder, known)

            self._thumbs.submit(make, lambda found, error: self._thumbnails(generation, found, error))

    def _thumbnails(self, generation: int, found, error) -> None:
        if generation != self._generation or error is not None:  # a folder left, or the volume gone
            return
        self.model.set_thumbnails(found)
        self.thumbnailsArrived.emit(len(found))

    def _say(self, text: str | None) -> None:
        if text is None:
            self.stack.setCurrentWidget(self.grid if self.as_grid else self.tree)
        else:
            self.message.setText(text)
            self.stack.setCurrentWidget(self.message)

    def _listed(self, generation: int, entries, error) -> None:
        if generation != self._generation:  # a folder left meanwhile
            return
        if error is not None:
            self.error = str(error) if isinstance(error, OSError) else f"cannot list {self.address()}: {error}"
            self._say(f"{self.error}\n\nRefresh to try again.")
            if getattr(error, "kind", None) in (OFFLINE, AUTH_FAILED):
                self.unreachable.emit(self.volume.name)
        else:
            self.model.set_entries(self.volume.name, entries)
            self._say(None if entries else "This folder is empty.")
            if self.as_grid:
                self._ask_thumbnails(generation)
        self.listed.emit(self.address())

    def _activated(self, index: QModelIndex) -> None:
        entry = self.model.entries[index.row()]
        if entry.is_dir and self.volume is not None:
            self.open(self.volume, entry.path)

    def go_up(self) -> None:
        if self.volume is not None and self.path:
            self.open(self.volume, posixpath.dirname(self.path))

    def selected_paths(self) -> list[str]:
        rows = sorted({i.row() for i in self.current_view().selectionModel().selectedIndexes()})
        return [self.model.entries[r].path for r in rows]

    def close_runner(self) -> None:
        self._runner.close()
        self._thumbs.close()

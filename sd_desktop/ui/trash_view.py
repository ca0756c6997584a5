"""The Trash view: every trashed item of every trash (name, original location, deletion date,
size), with Restore, Delete Permanently… and Empty Trash… buttons and a context menu.

Widgets only: the view shows the ``TrashItem``s it is given and emits what the user asked for
(``trash_page`` listens, asks and queues the jobs)."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QStackedWidget,
    QStyle,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from sd_desktop import paths
from sd_desktop.enums import EntryKind
from sd_desktop.ops.files.trash.listing import TrashItem
from sd_desktop.ui.formatting import human_size, plural
from sd_desktop.ui.icons import TypeIcons

COL_NAME, COL_FROM, COL_DELETED, COL_SIZE = range(4)
HEADERS = ("Name", "Original Location", "Deleted", "Size")
SortRole = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


def deleted_text(deleted_at: str | None) -> str:
    """``2024-05-01T10:20:30`` as ``2024-05-01 10:20`` (what the record says, in local time)."""
    return deleted_at[:16].replace("T", " ") if deleted_at else "unknown"


class TrashModel(QAbstractTableModel):
    def __init__(self, icons: TypeIcons, parent: Any = None):
        super().__init__(parent)
        self.icons = icons
        self.items: list[TrashItem] = []

    def set_items(self, items: list[TrashItem]) -> None:
        self.beginResetModel()
        self.items = list(items)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.items):
            return None
        item, col = self.items[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_NAME:
                return item.name
            if col == COL_FROM:
                return paths.display(os.path.dirname(item.original_path)) if item.original_path else "unknown"
            if col == COL_DELETED:
                return deleted_text(item.deleted_at)
            return human_size(item.size)
        if role == SortRole:
            return (item.name.casefold(), self.data(index), item.deleted_at or "", item.size)[col]
        if role == Qt.ItemDataRole.DecorationRole and col == COL_NAME:
            return self.icons.icon(EntryKind.DIR if item.is_dir else EntryKind.FILE, item.name)
        if role == Qt.ItemDataRole.ToolTipRole:
            where = paths.display(item.original_path) if item.original_path else "origin unknown"
            return f"{where}\n{item.problem}" if item.problem else where
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class TrashView(QWidget):
    restoreRequested = Signal(list)  # [TrashItem]
    deleteRequested = Signal(list)  # [TrashItem]
    emptyRequested = Signal()

    def __init__(self, icons: TypeIcons, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("trash_view")
        self.model = TrashModel(icons, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SortRole)
        self.tree = QTreeView()
        self.tree.setObjectName("trash_list")
        self.tree.setModel(self.proxy)
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a folder's own name is at its end
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(COL_DELETED, Qt.SortOrder.DescendingOrder)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.tree.doubleClicked.connect(lambda _i: self.restoreRequested.emit(self.selected_items()))
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_FROM, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(COL_NAME, 260)
        header.resizeSection(COL_DELETED, 140)
        header.resizeSection(COL_SIZE, 90)
        self.menu: QMenu | None = None

        style = self.style()
        title = QLabel("<b>Trash</b>")
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("trash_summary")
        self.restore_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_ArrowBack), "Restore")
        self.restore_button.setToolTip("Put the selected items back where they were deleted from")
        self.restore_button.clicked.connect(lambda: self.restoreRequested.emit(self.selected_items()))
        self.delete_button = QPushButton("Delete Permanently…")
        self.delete_button.clicked.connect(lambda: self.deleteRequested.emit(self.selected_items()))
        self.empty_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_TrashIcon), "Empty Trash…")
        self.empty_button.clicked.connect(self.emptyRequested)
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 6, 8, 6)
        bar.addWidget(title)
        bar.addSpacing(10)
        bar.addWidget(self.summary, 1)
        for button in (self.restore_button, self.delete_button, self.empty_button):
            bar.addWidget(button)

        self.empty_label = QLabel("The Trash is empty")
        self.empty_label.setObjectName("trash_empty_label")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setStyleSheet("color: palette(mid); font-size: 15px;")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.tree)
        self.stack.addWidget(self.empty_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        self._update_buttons()

    def set_items(self, items: list[TrashItem], problems: list[str] | None = None) -> None:
        """Show ``items`` (the selection is kept for items still there)."""
        kept = {i.trash_path for i in self.selected_items()}
        self.model.set_items(items)
        sel = self.tree.selectionModel()
        for row, item in enumerate(items):
            if item.trash_path in kept:
                index = self.proxy.mapFromSource(self.model.index(row, 0))
                sel.select(index, sel.SelectionFlag.Select | sel.SelectionFlag.Rows)
        total = sum(i.size for i in items)
        text = f"{plural(len(items), 'item')}, {human_size(total)}" if items else "empty"
        if problems:
            text += f" — {problems[0]}"
        self.summary.setText(text)
        self.stack.setCurrentWidget(self.tree if items else self.empty_label)
        self._update_buttons()

    def selected_items(self) -> list[TrashItem]:
        rows = sorted({self.proxy.mapToSource(i).row() for i in self.tree.selectionModel().selectedRows()})
        return [self.model.items[r] for r in rows if r < len(self.model.items)]

    def _update_buttons(self) -> None:
        has = bool(self.selected_items())
        self.restore_button.setEnabled(has)
        self.delete_button.setEnabled(has)
        self.empty_button.setEnabled(bool(self.model.items))

    def _context_menu(self, pos: QPoint) -> None:
        index = self.tree.indexAt(pos)
        sel = self.tree.selectionModel()
        if index.isValid() and not sel.isRowSelected(index.row(), index.parent()):
            self.tree.setCurrentIndex(index)
        menu = QMenu(self)
        menu.setObjectName("trash_menu")
        items = self.selected_items() if index.isValid() else []
        if items:
            menu.setDefaultAction(menu.addAction("Restore", lambda: self.restoreRequested.emit(items)))
            menu.addAction("Delete Permanently…", lambda: self.deleteRequested.emit(items))
            menu.addSeparator()
        menu.addAction("Empty Trash…", self.emptyRequested.emit).setEnabled(bool(self.model.items))
        self.menu = menu
        menu.popup(self.tree.viewport().mapToGlobal(pos))

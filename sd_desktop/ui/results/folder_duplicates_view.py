"""The duplicate-folder results view: groups of identical folders, each with the size and file count
of one copy, and the folders of the group below it. Like the file view it only asks: its signals go
to the results controller, which reveals or opens a folder."""

from __future__ import annotations

import os

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from sd_desktop import paths
from sd_desktop.ui.formatting import human_size, plural

COL_FOLDER, COL_SIZE, COL_FILES = 0, 1, 2
PathRole = Qt.ItemDataRole.UserRole + 1  # raw path bytes of a folder row


def headline_text(output: dict) -> str:
    groups = output.get("group_count", 0)
    if not groups:
        return "No duplicate folders"
    return plural(groups, "group") + " of identical folders"


def subline_text(output: dict) -> str:
    return (
        f"{plural(output.get('duplicate_folders', 0), 'extra copy', 'extra copies')} · "
        f"{human_size(output.get('wasted_bytes', 0))} in extra copies · "
        f"{plural(output.get('folders_scanned', 0), 'folder')} and "
        f"{plural(output.get('files_scanned', 0), 'file')} searched; every candidate read in full"
    )


def build_model(output: dict, folder_icon=None) -> QStandardItemModel:
    """A group row per group (its folders as children), most space in extra copies first."""
    model = QStandardItemModel()
    model.setHorizontalHeaderLabels(["Folder", "Size", "Files"])
    bold = QFont()
    bold.setBold(True)
    for g in output.get("folder_groups", []):
        title = QStandardItem(f"{len(g['paths'])} identical folders")
        title.setFont(bold)
        size = QStandardItem(f"{human_size(g['size'])} each")
        files = QStandardItem(plural(g["files"], "file"))
        for item in (title, size, files):
            item.setEditable(False)
        for p in g["paths"]:
            raw = os.fsencode(p)
            row = QStandardItem(paths.display(raw))
            row.setData(raw, PathRole)
            row.setToolTip(paths.display(raw))
            row.setEditable(False)
            if folder_icon is not None:
                row.setIcon(folder_icon)
            extra = [QStandardItem(human_size(g["size"])), QStandardItem(str(g["files"]))]
            for item in extra:
                item.setEditable(False)
            title.appendRow([row, *extra])
        model.appendRow([title, size, files])
    return model


class FolderDuplicatesView(QWidget):
    revealRequested = Signal(bytes)
    openRequested = Signal(bytes)

    def __init__(self, output: dict, job_id: int | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("folder_duplicates_view")
        self.output, self.job_id = output, job_id
        style = self.style()
        self.headline = QLabel(headline_text(output))
        self.headline.setObjectName("folder_duplicates_headline")
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.headline.setFont(font)
        self.subline = QLabel(subline_text(output))
        self.subline.setWordWrap(True)
        self.subline.setStyleSheet("color: palette(mid);")

        self.model = build_model(output, style.standardIcon(QStyle.StandardPixmap.SP_DirIcon))
        self.model.setParent(self)
        self.tree = QTreeView()
        self.tree.setObjectName("folder_groups")
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.tree.header()
        header.setSectionResizeMode(COL_FOLDER, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_SIZE, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_FILES, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.tree.expandAll()
        self.tree.doubleClicked.connect(self._open)
        self.tree.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

        self.reveal_button = QPushButton("Show in Folder")
        self.reveal_button.clicked.connect(lambda: self._emit(self.revealRequested))
        self.open_button = QPushButton("Open")
        self.open_button.clicked.connect(lambda: self._emit(self.openRequested))
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.reveal_button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.subline)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    def selected_path(self) -> bytes | None:
        indexes = self.tree.selectionModel().selectedIndexes()
        for index in indexes:
            raw = index.siblingAtColumn(COL_FOLDER).data(PathRole)
            if raw is not None:
                return raw
        return None

    def _emit(self, signal) -> None:
        raw = self.selected_path()
        if raw is not None:
            signal.emit(raw)

    def _open(self, index: QModelIndex) -> None:
        raw = index.siblingAtColumn(COL_FOLDER).data(PathRole)
        if raw is not None:
            self.openRequested.emit(raw)

    def _update_buttons(self) -> None:
        on_folder = self.selected_path() is not None
        self.reveal_button.setEnabled(on_folder)
        self.open_button.setEnabled(on_folder)

"""The duplicate-folder results view: groups of identical folders, each with the size and file count
of one copy, and the folders of the group below it. Like the file view it only asks: its signals go
to the results controller, which reveals or opens a folder, or removes the extra copies through the
guarded DeleteJob (each folder compared with its kept copy, read whole, right before it goes) and
hands the outcomes back (``show_outcomes``). Which copy of each group is kept: ``duplicate_folders.select``."""

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
from sd_desktop.ops.files.duplicate_folders.select import extra_copies
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


def outcome_text(outcomes: list[dict]) -> str:
    done = sum(1 for o in outcomes if o.get("outcome") in ("trashed", "deleted"))
    kept = [o for o in outcomes if o.get("outcome") not in ("trashed", "deleted")]
    text = f"{plural(done, 'folder')} moved to the Trash."
    if kept:
        reasons = "; ".join(f"{paths.display(o['path'])}: {o.get('reason') or o.get('outcome')}" for o in kept[:3])
        text += f" {plural(len(kept), 'folder')} kept ({reasons}{'; …' if len(kept) > 3 else ''})."
    return text


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
    trashRequested = Signal(list)  # GuardedFolder of each extra copy
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
        self.banner = QLabel()
        self.banner.setObjectName("folder_duplicates_banner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "background: #fff4e0; color: #6b4100; border: 1px solid #f0c36d; border-radius: 4px; padding: 6px;"
        )
        self.banner.hide()

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
        self.trash_button = QPushButton("Move Extra Copies to Trash")
        self.trash_button.setObjectName("trash_extra_folders")
        self.trash_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_TrashIcon))
        self.trash_button.setToolTip(
            "Keeps the copy with the shortest path in each group; every other copy is compared with it, "
            "read in full, right before it goes"
        )
        self.trash_button.setEnabled(bool(output.get("folder_groups")))
        self.trash_button.clicked.connect(lambda: self.trashRequested.emit(extra_copies(self.output)))
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.reveal_button)
        buttons.addStretch(1)
        buttons.addWidget(self.trash_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.subline)
        layout.addWidget(self.banner)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    def show_outcomes(self, outcomes: list[dict]) -> None:
        """What the removal did: the folders gone are struck out (the groups stay listed: the search
        is not run again), the banner says what went and what stayed, and why."""
        gone = {os.fsencode(o["path"]) for o in outcomes if o.get("outcome") in ("trashed", "deleted")}
        for row in range(self.model.rowCount()):
            group = self.model.item(row, COL_FOLDER)
            for child in range(group.rowCount()):
                item = group.child(child, COL_FOLDER)
                if any(paths.is_within(item.data(PathRole), g) for g in gone):  # or went with its parent
                    font = item.font()
                    font.setStrikeOut(True)
                    item.setFont(font)
                    item.setToolTip(f"{paths.display(item.data(PathRole))} (moved to the Trash)")
        self.banner.setText(outcome_text(outcomes))
        self.banner.show()
        self.trash_button.setEnabled(False)

    def show_message(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.show()

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

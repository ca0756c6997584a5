"""The "Find duplicates" dialog: duplicate files or duplicate folders; for files, the mode, size
range, extensions, hidden files and reference folders. ``config()`` is the job's config: a
``DuplicateConfig`` (files) or a ``FolderConfig`` (folders: every file counts, nothing to filter)."""

from __future__ import annotations

import os

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sd_desktop import paths
from sd_desktop.ops.files.duplicate_detection import DuplicateConfig, DuplicateMode
from sd_desktop.ops.files.duplicate_folders import FolderConfig

MODES = (
    (DuplicateMode.CONTENT, "Same content (full hash) — recommended"),
    (DuplicateMode.DEEP, "Same content, compared byte by byte — slowest, certain"),
    (DuplicateMode.SIZE, "Same size only — candidates, not verified"),
    (DuplicateMode.NAME_SIZE, "Same name and size — candidates, not verified"),
)
KINDS = (("files", "Duplicate files"), ("folders", "Duplicate folders (whole content identical)"))
FOLDERS_HINT = (
    "Folders whose every file, name and sub-folder is identical, hidden files included; each one is "
    "confirmed by reading every file in full. Only the highest duplicated folders are listed."
)
UNITS = (("KB", 1000), ("MB", 1000**2), ("GB", 1000**3))
PathRole = 0x0100 + 1


class _PathList(QWidget):
    """A list of folders with Add…/Remove buttons (raw paths kept in the items)."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = title
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setMaximumHeight(90)
        add, remove = QPushButton("Add…"), QPushButton("Remove")
        add.clicked.connect(self._add)
        remove.clicked.connect(lambda: [self.list.takeItem(self.list.row(i)) for i in self.list.selectedItems()])
        buttons = QVBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.list, 1)
        row.addLayout(buttons)

    def add_path(self, path: paths.PathLike) -> None:
        raw = os.path.abspath(os.fsencode(path))
        if raw in self.paths():
            return
        item = QListWidgetItem(paths.display(raw))
        item.setData(PathRole, raw)
        item.setToolTip(paths.display(raw))
        self.list.addItem(item)

    def paths(self) -> list[bytes]:
        return [self.list.item(i).data(PathRole) for i in range(self.list.count())]

    def _add(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.title)
        if folder:
            self.add_path(folder)


class FindDuplicatesDialog(QDialog):
    def __init__(self, search_paths: list[bytes], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("find_duplicates_dialog")
        self.setWindowTitle("Find Duplicates")
        self.search = _PathList("Search in")
        for p in search_paths:
            self.search.add_path(p)
        self.kind = QComboBox()
        self.kind.setObjectName("duplicates_kind")
        for value, text in KINDS:
            self.kind.addItem(text, value)
        self.folders_hint = QLabel(FOLDERS_HINT)
        self.folders_hint.setObjectName("folders_hint")
        self.folders_hint.setWordWrap(True)
        self.folders_hint.setStyleSheet("color: palette(mid);")
        self.mode = QComboBox()
        for value, text in MODES:
            self.mode.addItem(text, value.value)  # the plain string: Qt keeps it as it is
        self.min_size, self.min_unit = self._size_box(0)
        self.max_size, self.max_unit = self._size_box(0)
        self.max_size.setSpecialValueText("no limit")
        self.extensions = QLineEdit()
        self.extensions.setPlaceholderText("all files (or e.g. jpg, png, mp4)")
        self.hidden = QCheckBox("Include hidden files and folders")
        self.hidden.setChecked(True)
        self.empty = QCheckBox("Include empty files")
        self.references = _PathList("Reference folder")
        hint = QLabel("Files in reference folders are never proposed for removal.")
        hint.setObjectName("hint")
        hint.setStyleSheet("color: palette(mid);")

        self.form = form = QFormLayout()
        form.addRow("Search in:", self.search)
        form.addRow("Find:", self.kind)
        form.addRow("", self.folders_hint)
        form.addRow("Compare by:", self.mode)
        form.addRow("Minimum size:", self._pair(self.min_size, self.min_unit))
        form.addRow("Maximum size:", self._pair(self.max_size, self.max_unit))
        form.addRow("Extensions:", self.extensions)
        form.addRow("", self.hidden)
        form.addRow("", self.empty)
        form.addRow("Reference folders:", self.references)
        form.addRow("", hint)
        self._file_rows = range(3, form.rowCount())  # from "Compare by" on: the file search's own
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.find_button = self.buttons.addButton("Find Duplicates", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        # only a button inside its dialog can be made the default (Enter), and the folder lists'
        # buttons must not take Enter for themselves
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
        self.find_button.setDefault(True)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()
        self.resize(560, self.sizeHint().height())

    def folders(self) -> bool:
        """Whether whole folders are compared (else files)."""
        return self.kind.currentData() == "folders"

    def _kind_changed(self) -> None:
        files = not self.folders()
        # the file search's filters mean nothing for whole folders (every file counts): not shown
        for row in self._file_rows:
            self.form.setRowVisible(row, files)
        self.form.setRowVisible(2, not files)  # the folders' hint
        self.layout().activate()
        self.resize(max(self.width(), 560), self.sizeHint().height())

    @staticmethod
    def _size_box(value: int) -> tuple[QSpinBox, QComboBox]:
        box = QSpinBox()
        box.setRange(0, 1_000_000)
        box.setValue(value)
        unit = QComboBox()
        for text, factor in UNITS:
            unit.addItem(text, factor)
        return box, unit

    @staticmethod
    def _pair(a: QWidget, b: QWidget) -> QWidget:
        w = QWidget()
        row = QHBoxLayout(w)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(a, 1)
        row.addWidget(b)
        return w

    def accept(self) -> None:
        if not self.search.paths():
            self.search.list.setFocus()
            return
        super().accept()

    def config(self) -> DuplicateConfig | FolderConfig:
        """The job's config of the current choices: the file search's, or the folder search's."""
        if self.folders():
            return FolderConfig(search_paths=[paths.to_path(p) for p in self.search.paths()])
        max_bytes = self.max_size.value() * self.max_unit.currentData()
        exts = [e.strip().lstrip("*").lstrip(".") for e in self.extensions.text().replace(";", ",").split(",")]
        return DuplicateConfig(
            search_paths=[paths.to_path(p) for p in self.search.paths()],
            mode=DuplicateMode(self.mode.currentData()),
            min_size=self.min_size.value() * self.min_unit.currentData(),
            max_size=max_bytes or None,
            extensions=[e for e in exts if e],
            include_hidden=self.hidden.isChecked(),
            include_empty=self.empty.isChecked(),
            reference_paths=[paths.to_path(p) for p in self.references.paths()],
        )

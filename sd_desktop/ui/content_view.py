"""The content pane: a list view (details columns) and a grid view (thumbnails) over one model,
sharing one selection. Drops are handled outside the views, through ``dropHandler``."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, QSize, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QListView,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from sd_desktop.ui.content_model import COL_KIND, COL_MODIFIED, COL_NAME, COL_SIZE, ContentModel

LIST, GRID = 0, 1
GRID_ICON = 128


class ContentView(QStackedWidget):
    activated = Signal(int)  # row
    selectionChanged = Signal()
    retryRequested = Signal()  # the button under why the listing failed

    def __init__(self, model: ContentModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        # a QTableView, not a QTreeView: a tree lays out every row again (calling the model per row)
        # each time rows are appended, which makes a 100,000-row folder stutter while it loads
        self.list = QTableView()
        self.list.setObjectName("content_list")
        self.list.setModel(model)
        self.list.setShowGrid(False)
        self.list.setWordWrap(False)
        self.list.setCornerButtonEnabled(False)
        self.list.setTabKeyNavigation(False)
        vheader = self.list.verticalHeader()
        vheader.hide()
        vheader.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vheader.setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.list.setAlternatingRowColors(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.setSortingEnabled(True)
        self.list.sortByColumn(COL_NAME, Qt.SortOrder.AscendingOrder)
        self.list.setIconSize(QSize(18, 18))
        header = self.list.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        for col, width in ((COL_SIZE, 110), (COL_KIND, 170), (COL_MODIFIED, 150)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(col, width)

        self.grid = QListView()
        self.grid.setObjectName("content_grid")
        self.grid.setModel(model)
        self.grid.setSelectionModel(self.list.selectionModel())
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setUniformItemSizes(True)
        self.grid.setLayoutMode(QListView.LayoutMode.Batched)
        self.grid.setBatchSize(500)
        self.grid.setIconSize(QSize(GRID_ICON, GRID_ICON))
        self.grid.setGridSize(QSize(GRID_ICON + 40, GRID_ICON + 44))
        self.grid.setSpacing(6)
        self.grid.setWordWrap(True)
        self.grid.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)

        self.addWidget(self.list)
        self.addWidget(self.grid)
        for view in (self.list, self.grid):
            view.activated.connect(lambda idx: self.activated.emit(idx.row()))
            view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            view.installEventFilter(self)
        self.selection_model().selectionChanged.connect(lambda *_: self.selectionChanged.emit())
        self.placeholders: list[QLabel] = []
        self.retry_buttons: list[QPushButton] = []
        for view in (self.list, self.grid):
            self._placeholder(view)

    def _placeholder(self, view: QAbstractItemView) -> None:
        label = QLabel(view.viewport())
        label.setObjectName("content_placeholder")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        label.setEnabled(False)  # drawn in the palette's grey, as Dolphin draws "Folder is empty"
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)  # clicks and drops reach the view
        label.hide()
        retry = QPushButton("Try Again", view.viewport())
        retry.setObjectName("content_retry")
        retry.setToolTip("List the folder again (F5)")
        retry.clicked.connect(lambda _=False: self.retryRequested.emit())
        retry.hide()
        layout = QVBoxLayout(view.viewport())
        layout.setSpacing(12)
        layout.addStretch(1)
        layout.addWidget(label)
        layout.addWidget(retry, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)
        self.placeholders.append(label)
        self.retry_buttons.append(retry)

    def set_placeholder(self, text: str | None, retry: bool = False) -> None:
        """A line across the empty views ("No items match “x”"), or none; ``retry``: with a button
        under it that lists the folder again (why a listing failed)."""
        for label, button in zip(self.placeholders, self.retry_buttons, strict=True):
            label.setText(text or "")
            label.setVisible(bool(text))
            button.setVisible(bool(text) and retry)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        # Ctrl+C is the window's Copy of files; when it is disabled (nothing selected) the item
        # view would put the current row's name on the clipboard instead
        return event.type() == QEvent.Type.KeyPress and event.matches(QKeySequence.StandardKey.Copy)

    def selection_model(self) -> QItemSelectionModel:
        return self.list.selectionModel()

    @property
    def mode(self) -> int:
        return self.currentIndex()

    def set_mode(self, mode: int) -> None:
        self.setCurrentIndex(mode)
        self.model.set_show_thumbnails(mode == GRID)

    def current_view(self) -> QAbstractItemView:
        return self.grid if self.mode == GRID else self.list

    def selected_rows(self) -> list[int]:
        rows: list[int] = []
        for rng in self.selection_model().selection():
            rows.extend(range(rng.top(), rng.bottom() + 1))
        return rows

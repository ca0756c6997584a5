"""The validation results view: the issues table with severity and type filters, and actions on
the selection (reveal, open, re-validate) plus export. Actions are signals for the controller."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from sd_desktop.ui.formatting import human_count, human_size, plural
from sd_desktop.ui.results.validation_model import (
    COL_ACTION,
    COL_MESSAGE,
    COL_PATH,
    COL_SEVERITY,
    COL_TYPE,
    SEVERITIES,
    IssueFilter,
    PathRole,
    ValidationModel,
    humanize,
    severity_icon,
)


class ValidationView(QWidget):
    revealRequested = Signal(bytes)
    openRequested = Signal(bytes)
    revalidateRequested = Signal(list)  # raw paths
    exportRequested = Signal()

    def __init__(self, model: ValidationModel, job_id: int | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("validation_view")
        self.model = model
        self.job_id = job_id
        self.unavailable: dict[QPushButton, str] = {}  # actions that cannot work here, and why
        self.last_menu: QMenu | None = None
        self.proxy = IssueFilter(self)
        self.proxy.setSourceModel(model)
        out = model.output

        headline = QLabel()
        font = headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        headline.setFont(font)
        n = len(model.issues)
        headline.setText(f"{plural(n, 'issue')} found" if n else "No issues found")
        self.headline = headline
        sub = QLabel(
            f"{plural(out.get('files_checked', 0), 'file')} checked ({out.get('mode', 'basic')} mode, "
            f"{human_size(out.get('bytes_read', 0))} read) in {', '.join(out.get('targets') or [])}"
        )
        sub.setStyleSheet("color: palette(mid);")
        sub.setWordWrap(True)

        counts = {s: sum(1 for i in model.issues if i.get("severity") == s) for s in SEVERITIES}
        self.severity_boxes: dict[str, QCheckBox] = {}
        filters = QHBoxLayout()
        filters.addWidget(QLabel("Show:"))
        for sev in SEVERITIES:
            box = QCheckBox(f"{sev.capitalize()} ({counts[sev]})")
            box.setObjectName(f"show_{sev}")
            box.setIcon(severity_icon(sev))
            box.setChecked(True)
            box.toggled.connect(self._filters_changed)
            self.severity_boxes[sev] = box
            filters.addWidget(box)
        filters.addSpacing(12)
        self.type_box = QComboBox()
        self.type_box.setObjectName("type_filter")
        self.type_box.addItem("All types", None)
        for t in model.types():
            self.type_box.addItem(humanize(t), t)
        self.type_box.currentIndexChanged.connect(self._filters_changed)
        filters.addWidget(self.type_box)
        filters.addStretch(1)

        self.table = QTableView()
        self.table.setObjectName("validation_table")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_SEVERITY, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # keep the file name visible
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        for col, width in (
            (COL_SEVERITY, 100),
            (COL_TYPE, 140),
            (COL_PATH, 320),
            (COL_MESSAGE, 330),
            (COL_ACTION, 160),
        ):
            header.resizeSection(col, width)
        header.setSectionResizeMode(COL_PATH, QHeaderView.ResizeMode.Interactive)
        self.table.doubleClicked.connect(lambda idx: self._emit_one(self.openRequested, idx))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

        self.reveal_button = QPushButton("Reveal")
        self.reveal_button.clicked.connect(lambda: self._emit_first(self.revealRequested))
        self.open_button = QPushButton("Open")
        self.open_button.clicked.connect(lambda: self._emit_first(self.openRequested))
        self.revalidate_button = QPushButton("Re-validate Selected")
        self.revalidate_button.setObjectName("revalidate")
        self.revalidate_button.clicked.connect(lambda: self.revalidateRequested.emit(self.selected_paths()))
        self.export_button = QPushButton("Export…")
        self.export_button.clicked.connect(self.exportRequested)
        buttons = QHBoxLayout()
        for b in (self.reveal_button, self.open_button, self.revalidate_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)

        self.shown = QLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(headline)
        layout.addWidget(sub)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.shown)
        layout.addLayout(buttons)
        self._filters_changed()

    def _filters_changed(self, *_args) -> None:
        self.proxy.set_severities({s for s, b in self.severity_boxes.items() if b.isChecked()})
        self.proxy.set_type(self.type_box.currentData())
        self.shown.setText(f"Showing {human_count(self.proxy.rowCount())} of {human_count(len(self.model.issues))}")
        self._update_buttons()

    def _update_buttons(self) -> None:
        has = bool(self.selected_paths())
        for b in (self.reveal_button, self.open_button, self.revalidate_button):
            b.setEnabled(has and b not in self.unavailable)

    def set_reveal_unavailable(self, why: str) -> None:
        """Reveal stays off, its tooltip saying ``why`` (files on a volume are in no file manager)."""
        self.unavailable[self.reveal_button] = why
        self.reveal_button.setToolTip(why)
        self._update_buttons()

    def selected_paths(self) -> list[bytes]:
        seen: list[bytes] = []
        for idx in self.table.selectionModel().selectedRows(COL_PATH):
            raw = idx.data(PathRole)
            if raw is not None and raw not in seen:
                seen.append(raw)
        return seen

    def _emit_first(self, signal) -> None:
        sel = self.selected_paths()
        if sel:
            signal.emit(sel[0])

    def _emit_one(self, signal, idx) -> None:
        raw = idx.data(PathRole)
        if raw is not None:
            signal.emit(raw)

    def _context_menu(self, pos) -> None:
        idx = self.table.indexAt(pos)
        if not idx.isValid():
            return
        menu = QMenu(self)
        menu.addAction("Open", lambda: self._emit_one(self.openRequested, idx))
        reveal = menu.addAction("Reveal in File Manager", lambda: self._emit_one(self.revealRequested, idx))
        why = self.unavailable.get(self.reveal_button)
        if why:
            reveal.setEnabled(False)
            reveal.setToolTip(why)
            menu.setToolTipsVisible(True)
        self.last_menu = menu
        menu.addAction("Re-validate Selected", lambda: self.revalidateRequested.emit(self.selected_paths()))
        menu.popup(self.table.viewport().mapToGlobal(pos))

"""The job panel (a dock): live rows for active jobs, and a clearable history.

Active rows show name, target, phase, a progress bar, items/bytes, speed and ETA, with pause /
resume / cancel buttons that call manager commands through ``AppServices``. Finished jobs move
to the history table; double-click (or Details) shows a job's output, error and non-critical
errors. Jobs found running after a crash are labelled "interrupted by a crash".
"""

from __future__ import annotations

import json

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStyle,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from sd_desktop.jobs import FINISHED, EventKind, JobEvent, JobInfo, JobStatus, Progress
from sd_desktop.jobs.codec import to_jsonable
from sd_desktop.ui.formatting import human_count, human_duration, human_rate, human_size, human_time
from sd_desktop.ui.services import AppServices

STATUS_TEXT = {
    JobStatus.QUEUED: "Waiting",
    JobStatus.RUNNING: "Running",
    JobStatus.PAUSED: "Paused",
    JobStatus.COMPLETED: "Completed",
    JobStatus.COMPLETED_WITH_ERRORS: "Completed with errors",
    JobStatus.FAILED: "Failed",
    JobStatus.CANCELLED: "Cancelled",
}
CRASH_NOTE = "interrupted by a crash"
BAR_STEPS = 1000  # per mille: a 100,000-item job moves the bar every 100 items


def job_title(name: str) -> str:
    return name.replace("_", " ").strip().capitalize()


def status_text(info: JobInfo) -> str:
    text = STATUS_TEXT.get(info.status, str(info.status))
    if info.interrupted:
        text += f" — {CRASH_NOTE}"
    return text


def progress_texts(p: Progress | None) -> tuple[str, str, float | None]:
    """(phase/message, items·bytes·speed·ETA, fraction done or None) for a progress snapshot."""
    if p is None:
        return "", "", None
    phase = p.phase or ""
    message = p.message or ""
    head = f"{phase.capitalize()}: {message}" if phase and message else (phase.capitalize() or message)
    parts = []
    done, total = p.done or 0, p.total
    if total:
        parts.append(f"{human_count(done)} / {human_count(total)} items")
    elif done:
        parts.append(f"{human_count(done)} items")
    bdone, btotal = p.bytes_done or 0, p.bytes_total
    if btotal:
        parts.append(f"{human_size(bdone)} / {human_size(btotal)}")
    elif bdone:
        parts.append(human_size(bdone))
    rate = human_rate(p.rate, p.rate_unit or "items")
    if rate:
        parts.append(rate)
    if p.eta_seconds is not None:
        parts.append(f"{human_duration(p.eta_seconds)} left")
    return head, " · ".join(parts), p.fraction


class JobRow(QFrame):
    """One active job."""

    def __init__(self, info: JobInfo, services: AppServices, parent: QWidget | None = None):
        super().__init__(parent)
        self.job_id = info.id
        self.services = services
        self.info = info
        self.progress: Progress | None = None
        self.setObjectName(f"job_row_{info.id}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        style = self.style()
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.state = QLabel()
        self.phase = QLabel()
        self.phase.setTextFormat(Qt.TextFormat.PlainText)
        self.stats = QLabel()
        self.stats.setTextFormat(Qt.TextFormat.PlainText)
        self.bar = QProgressBar()
        self.bar.setTextVisible(True)
        self.bar.setMaximumHeight(16)
        self.errors = QToolButton()
        self.errors.setAutoRaise(True)
        self.errors.clicked.connect(self._show_errors)
        self.pause_button = QToolButton()
        self.pause_button.setAutoRaise(True)
        self.pause_button.clicked.connect(self._toggle_pause)
        self.cancel_button = QToolButton()
        self.cancel_button.setAutoRaise(True)
        self.cancel_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_DialogCancelButton))
        self.cancel_button.setToolTip("Cancel this job")
        self.cancel_button.clicked.connect(lambda: self.services.cancel(self.job_id))

        top = QHBoxLayout()
        top.setSpacing(4)
        top.addWidget(self.title, 1)
        top.addWidget(self.state)
        top.addWidget(self.errors)
        top.addWidget(self.pause_button)
        top.addWidget(self.cancel_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.phase, 1)
        bottom.addWidget(self.stats)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 6)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.bar)
        layout.addLayout(bottom)
        self.set_info(info)

    def set_info(self, info: JobInfo) -> None:
        self.info = info
        target = f" — {info.target}" if info.target else ""
        self.title.setText(f"{job_title(info.name)}{target}")
        self.state.setText(status_text(info))
        style = self.style()
        paused = info.status is JobStatus.PAUSED
        icon = QStyle.StandardPixmap.SP_MediaPlay if paused else QStyle.StandardPixmap.SP_MediaPause
        self.pause_button.setIcon(style.standardIcon(icon))
        self.pause_button.setToolTip("Resume this job" if paused else "Pause this job")
        self.set_error_count(info.error_count)
        self.set_progress(Progress.from_dict(info.progress))

    def set_status(self, status: JobStatus) -> None:
        live = self.progress  # newer than the stored record's
        self.info.status = status
        self.set_info(self.info)
        self.set_progress(live)

    def set_error_count(self, n: int) -> None:
        self.errors.setVisible(n > 0)
        self.errors.setText(f"{n} error{'s' if n != 1 else ''}")
        self.errors.setToolTip("Show the problems this job skipped")

    def set_progress(self, p: Progress | None) -> None:
        self.progress = p
        head, stats, fraction = progress_texts(p)
        self.phase.setText(head or ("Waiting for its turn" if self.info.status is JobStatus.QUEUED else ""))
        self.stats.setText(stats)
        if fraction is None:
            running = self.info.status is JobStatus.RUNNING
            self.bar.setRange(0, 0 if running else BAR_STEPS)  # busy indicator while running without a total
            self.bar.setValue(0)
        else:
            self.bar.setRange(0, BAR_STEPS)
            self.bar.setValue(int(fraction * BAR_STEPS))

    def _toggle_pause(self) -> None:
        if self.info.status is JobStatus.PAUSED:
            self.services.resume(self.job_id)
        else:
            self.services.pause(self.job_id)

    def _show_errors(self) -> None:
        self.services.tasks.spawn(
            self.services.manager.info(self.job_id),
            what="job details",
            done=lambda info: show_details(info, self.window()),
        )


def show_details(info: JobInfo | None, parent: QWidget | None = None) -> QDialog | None:
    """A non-modal window with a job's output, error and non-critical errors."""
    if info is None:
        return None
    dialog = QDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setWindowTitle(f"Job {info.id}: {job_title(info.name)}")
    text = QPlainTextEdit()
    text.setReadOnly(True)
    text.setPlainText(details_text(info))
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.close)
    layout = QVBoxLayout(dialog)
    layout.addWidget(text)
    layout.addWidget(buttons)
    dialog.resize(640, 420)
    dialog.show()
    return dialog


def details_text(info: JobInfo) -> str:
    lines = [
        f"{job_title(info.name)} — {info.target}" if info.target else job_title(info.name),
        f"Status: {status_text(info)}",
    ]
    if info.started_at:
        lines.append(f"Started: {human_time(info.started_at)}")
    if info.finished_at:
        lines.append(f"Finished: {human_time(info.finished_at)}")
        if info.started_at:
            lines.append(f"Took: {human_duration(info.finished_at - info.started_at)}")
    if info.interrupted:
        lines.append(f"This job was {CRASH_NOTE} {info.interrupted} time(s) and continued from its last checkpoint.")
    if info.error:
        lines += ["", f"Error: {info.error}"]
    if info.output is not None:
        lines += ["", "Output:", json.dumps(to_jsonable(info.output), indent=2, default=str, ensure_ascii=False)]
    if info.errors:
        lines += ["", f"Problems ({info.error_count}):"]
        for e in info.errors:
            if isinstance(e, dict):
                lines.append(f"  {e.get('path', '')}: {e.get('reason', e.get('message', ''))}")
            else:
                lines.append(f"  {e}")
        if info.error_count > len(info.errors):
            lines.append(f"  … and {info.error_count - len(info.errors)} more")
    return "\n".join(lines)


def in_history(info: JobInfo) -> bool:
    """Jobs queued for on-demand work (thumbnails of what scrolls into view) stay out of the history."""
    return not (isinstance(info.config, dict) and info.config.get("on_demand"))


class JobHistoryModel(QAbstractTableModel):
    """Finished jobs, newest first."""

    HEADERS = ("Job", "Target", "Status", "Finished", "Errors")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._jobs: list[JobInfo] = []

    def set_jobs(self, jobs: list[JobInfo]) -> None:
        self.beginResetModel()
        self._jobs = sorted(jobs, key=lambda j: (j.finished_at or 0, j.id), reverse=True)
        self.endResetModel()

    def add(self, info: JobInfo) -> None:
        for i, j in enumerate(self._jobs):
            if j.id == info.id:
                self._jobs[i] = info
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.HEADERS) - 1))
                return
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._jobs.insert(0, info)
        self.endInsertRows()

    def job(self, row: int) -> JobInfo:
        return self._jobs[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if 0 <= section < len(self.HEADERS):
                return self.HEADERS[section]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._jobs):
            return None
        j = self._jobs[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                job_title(j.name),
                j.target,
                status_text(j),
                human_time(j.finished_at) if j.finished_at else "",
                str(j.error_count) if j.error_count else "",
            )[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            return j.error or status_text(j)
        if role == Qt.ItemDataRole.UserRole:
            return j.id
        return None


class JobPanel(QWidget):
    """Active jobs above, history below. Fed by the bridge's signals."""

    activeChanged = Signal(int, object)  # number of active jobs, overall fraction (or None)

    def __init__(self, services: AppServices, parent: QWidget | None = None):
        super().__init__(parent)
        self.services = services
        self.rows: dict[int, JobRow] = {}

        self.empty = QLabel("No jobs running")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setEnabled(False)
        self._rows_box = QWidget()
        self._rows_layout = QVBoxLayout(self._rows_box)
        self._rows_layout.setContentsMargins(4, 4, 4, 4)
        self._rows_layout.setSpacing(4)
        self._rows_layout.addWidget(self.empty)
        self._rows_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._rows_box)

        self.history_model = JobHistoryModel(self)
        self.history = QTreeView()
        self.history.setObjectName("job_history")
        self.history.setModel(self.history_model)
        self.history.setRootIsDecorated(False)
        self.history.setUniformRowHeights(True)
        self.history.setAlternatingRowColors(True)
        self.history.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.history.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.history.doubleClicked.connect(self._details_of_index)
        self.details_button = QPushButton("Details…")
        self.details_button.clicked.connect(self._details_of_selection)
        self.clear_button = QPushButton("Clear history")
        self.clear_button.clicked.connect(self._clear)
        history_head = QHBoxLayout()
        label = QLabel("History")
        font = label.font()
        font.setBold(True)
        label.setFont(font)
        history_head.addWidget(label, 1)
        history_head.addWidget(self.details_button)
        history_head.addWidget(self.clear_button)
        history_box = QWidget()
        hl = QVBoxLayout(history_box)
        hl.setContentsMargins(4, 4, 4, 4)
        hl.addLayout(history_head)
        hl.addWidget(self.history)

        active_box = QWidget()
        al = QVBoxLayout(active_box)
        al.setContentsMargins(4, 4, 4, 4)
        self.active_label = QLabel("Active jobs")
        self.active_label.setFont(font)
        al.addWidget(self.active_label)
        al.addWidget(scroll, 1)
        # side by side: the dock is wide and short at the bottom of the window
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(active_box)
        split.addWidget(history_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([720, 480])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

        services.bridge.jobEvent.connect(self._on_event)
        services.bridge.jobProgress.connect(self._on_progress)
        self.reload()

    # -- loading ---------------------------------------------------------------------------
    def reload(self) -> None:
        self.services.tasks.spawn(self.services.manager.list(limit=500), what="list jobs", done=self._loaded)

    def _loaded(self, infos: list[JobInfo]) -> None:
        self.history_model.set_jobs([i for i in infos if i.status in FINISHED and in_history(i)])
        for info in sorted((i for i in infos if i.status not in FINISHED), key=lambda i: i.id):
            self._upsert(info)
        self._emit_active()

    def _upsert(self, info: JobInfo) -> None:
        if info.status in FINISHED:
            row = self.rows.pop(info.id, None)
            if row is not None:
                row.deleteLater()
            if in_history(info):
                self.history_model.add(info)
        else:
            row = self.rows.get(info.id)
            if row is None:
                row = JobRow(info, self.services, self._rows_box)
                self.rows[info.id] = row
                self._rows_layout.insertWidget(self._rows_layout.count() - 1, row)
            else:
                row.set_info(info)
        self.empty.setVisible(not self.rows)
        self.active_label.setText(f"Active jobs ({len(self.rows)})" if self.rows else "Active jobs")
        self._emit_active()

    # -- live events -----------------------------------------------------------------------
    def _on_progress(self, job_id: int, progress: Progress, error_count: int) -> None:
        row = self.rows.get(job_id)
        if row is not None:
            if row.info.status is not JobStatus.RUNNING:
                row.set_status(JobStatus.RUNNING)
            row.set_progress(progress)
            row.set_error_count(error_count)
            self._emit_active()

    def _on_event(self, event: JobEvent) -> None:
        if event.kind == EventKind.PROGRESS:
            return  # ``_on_progress`` has it, as a Progress
        row = self.rows.get(event.job_id)
        if row is not None and event.kind in (EventKind.STARTED, EventKind.PAUSED, EventKind.RESUMED):
            row.set_status(JobStatus(event.status))  # instant feedback; the full record follows
        self.services.tasks.spawn(self.services.manager.info(event.job_id), what="job info", done=self._refreshed)

    def _refreshed(self, info: JobInfo | None) -> None:
        if info is not None:
            self._upsert(info)

    def _emit_active(self) -> None:
        fractions = []
        for row in self.rows.values():
            fraction = row.progress.fraction if row.progress is not None else None
            if fraction is not None:
                fractions.append(fraction)
        overall = sum(fractions) / len(fractions) if fractions else None
        self.activeChanged.emit(len(self.rows), overall)

    # -- history ---------------------------------------------------------------------------
    def _clear(self) -> None:
        self.services.tasks.spawn(self.services.manager.clear_history(), what="clear history", done=self._cleared)

    def _cleared(self, _n: int) -> None:
        self.history_model.set_jobs([])

    def _details_of_selection(self) -> None:
        rows = self.history.selectionModel().selectedRows()
        if rows:
            self._details_of_index(rows[0])

    def _details_of_index(self, index: QModelIndex) -> None:
        if index.isValid():
            show_details(self.history_model.job(index.row()), self)

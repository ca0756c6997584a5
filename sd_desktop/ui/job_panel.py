"""The job panel, at the bottom of the window: a compact strip of the active jobs, one line each,
that expands to show the clearable history beside them.

Active rows show name, target, phase, a progress bar, items/bytes, speed and ETA, with pause /
resume / cancel buttons that call manager commands through ``AppServices``. Finished jobs move
to the history table, which names targets by their folder or location (``job_words``) and says
how each job ended in a word or three; double-click (or Details) shows a job's output, error and
non-critical errors. Jobs found running after a crash are labelled "interrupted by a crash".
"""

from __future__ import annotations

import asyncio
import json
import sqlite3

import shiboken6
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
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
from sd_desktop.library.locations import list_locations
from sd_desktop.ops.files.duplicate_detection import DuplicateDetectionJob
from sd_desktop.ops.files.duplicate_folders import DuplicateFoldersJob
from sd_desktop.ops.files.validation import ValidationJob
from sd_desktop.ops.media.similar.job import SimilarPicturesJob
from sd_desktop.ui.elided_label import ElidedLabel
from sd_desktop.ui.formatting import human_count, human_duration, human_rate, human_size, human_time, plural, short_time
from sd_desktop.ui.job_words import Locations, short_status, target_label
from sd_desktop.ui.services import AppServices, is_background

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
# searches whose last result Clear History keeps: made again, they cost a walk and hashing
KEPT_RESULTS = (DuplicateDetectionJob.NAME, DuplicateFoldersJob.NAME, ValidationJob.NAME, SimilarPicturesJob.NAME)
BAR_STEPS = 1000  # per mille: a 100,000-item job moves the bar every 100 items
STRIP_ROWS = 4  # the compact strip grows to this many jobs, then scrolls
BAR_WIDTH = 140


def job_title(name: str) -> str:
    return name.replace("_", " ").strip().capitalize()


def status_text(info: JobInfo) -> str:
    text = STATUS_TEXT.get(info.status, str(info.status))
    if info.interrupted:
        text += f" — {CRASH_NOTE}"
    return text


def progress_texts(p: Progress | None, live: bool = True) -> tuple[str, str, float | None]:
    """(phase/message, items·bytes·speed·ETA, fraction done or None) for a progress snapshot;
    speed and ETA only while the job runs (``live``): a paused or waiting job has neither."""
    if p is None:
        return "", "", None
    phase = p.phase or ""
    message = p.message or ""
    head = f"{phase.capitalize()}: {message}" if phase and message else (phase.capitalize() or message)
    parts = []
    done, total = p.done or 0, p.total
    if total:
        parts.append(f"{human_count(done)} / {plural(total, 'item')}")
    elif done:
        parts.append(plural(done, "item"))
    bdone, btotal = p.bytes_done or 0, p.bytes_total
    if btotal:
        parts.append(f"{human_size(bdone)} / {human_size(btotal)}")
    elif bdone:
        parts.append(human_size(bdone))
    rate = human_rate(p.rate, p.rate_unit or "items") if live else ""
    if rate:
        parts.append(rate)
    if live and p.eta_seconds is not None:
        parts.append(f"{human_duration(p.eta_seconds)} left")
    return head, " · ".join(parts), p.fraction


class JobRow(QFrame):
    """One active job, on one line: title, phase, bar, figures, state and its buttons (texts that do
    not fit end in "…" and show whole in their tooltips)."""

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
        self.title = ElidedLabel()
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.state = QLabel()
        # the usual states take the same room: the bars of the rows line up
        self.state.setMinimumWidth(self.state.fontMetrics().horizontalAdvance("Running") + 8)
        self.phase = ElidedLabel()
        self.stats = ElidedLabel()
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setFixedWidth(BAR_WIDTH)
        self.bar.setMaximumHeight(14)
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

        line = QHBoxLayout(self)
        line.setContentsMargins(6, 1, 4, 1)
        line.setSpacing(8)
        line.addWidget(self.title, 3)
        line.addWidget(self.phase, 3)
        line.addWidget(self.bar)
        line.addWidget(self.stats, 3)
        line.addWidget(self.state)
        line.addWidget(self.errors)
        line.addWidget(self.pause_button)
        line.addWidget(self.cancel_button)
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
        self.errors.setText(plural(n, "error"))
        self.errors.setToolTip("Show the problems this job skipped")

    def set_progress(self, p: Progress | None) -> None:
        self.progress = p
        head, stats, fraction = progress_texts(p, live=self.info.status is JobStatus.RUNNING)
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
        times = "once" if info.interrupted == 1 else f"{info.interrupted} times"
        went_on = "could not continue" if info.status is JobStatus.FAILED else "continued from its last checkpoint"
        lines.append(f"This job was {CRASH_NOTE} {times} and {went_on}.")
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
    """Finished jobs, newest first: what, on what (by name), how it ended, when."""

    HEADERS = ("Job", "Target", "Status", "Finished")
    COL_JOB, COL_TARGET, COL_STATUS, COL_FINISHED = range(4)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._jobs: list[JobInfo] = []
        self.locations: Locations = {}

    def set_locations(self, locations: Locations) -> None:
        """Names of the library's locations (targets of index and thumbnail jobs are shown by them)."""
        self.locations = locations
        if self._jobs:
            self.dataChanged.emit(self.index(0, self.COL_TARGET), self.index(len(self._jobs) - 1, self.COL_TARGET))

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
            if col == self.COL_JOB:
                return job_title(j.name)
            if col == self.COL_TARGET:
                return target_label(j, self.locations)[0]
            if col == self.COL_STATUS:
                return short_status(j)
            return short_time(j.finished_at)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == self.COL_TARGET:
                return target_label(j, self.locations)[1]
            if col == self.COL_FINISHED:
                return human_time(j.finished_at) if j.finished_at else None
            return j.error or status_text(j)
        if role == Qt.ItemDataRole.UserRole:
            return j.id
        return None


class JobPanel(QWidget):
    """Active jobs, and (expanded) the history beside them. Fed by the bridge's signals.

    Compact, the panel is a strip of the active jobs, one line each (``strip_height``); expanded,
    it also shows the history. The window decides how tall the panel is (``ui.job_pane``)."""

    activeChanged = Signal(int, int, object)  # jobs running or waiting, jobs paused, overall fraction (or None)
    stripChanged = Signal()  # the strip's height changes (a job came or went)
    expandRequested = Signal(bool)  # the panel's own Hide button
    offerWanted = Signal(list)  # JobInfo of the paused jobs, at start-up: offer to resume or discard them

    def __init__(self, services: AppServices, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("job_panel")
        self.services = services
        self.rows: dict[int, JobRow] = {}
        self.expanded = False

        self.empty = QLabel("No jobs running")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setEnabled(False)
        self._rows_box = QWidget()
        self._rows_layout = QVBoxLayout(self._rows_box)
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        self._rows_layout.setSpacing(0)
        self._rows_layout.addWidget(self.empty)
        self._rows_layout.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(self._rows_box)

        self.history_model = JobHistoryModel(self)
        self.history = QTreeView()
        self.history.setObjectName("job_history")
        self.history.setModel(self.history_model)
        self.history.setRootIsDecorated(False)
        self.history.setUniformRowHeights(True)
        self.history.setAlternatingRowColors(True)
        self.history.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.history.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.history.header()
        # the target takes what the short columns leave: nothing is pushed out of sight
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(JobHistoryModel.COL_TARGET, QHeaderView.ResizeMode.Stretch)
        self.history.doubleClicked.connect(self._details_of_index)
        self.details_button = QPushButton("Details…")
        self.details_button.clicked.connect(self._details_of_selection)
        self.clear_button = QPushButton("Clear History")
        self.clear_button.clicked.connect(self._ask_clear)
        self.clear_prompt: QMessageBox | None = None
        self.hide_button = QPushButton("Hide")
        self.hide_button.setObjectName("hide_history")
        self.hide_button.setToolTip("Back to the strip of running jobs (Ctrl+J)")
        self.hide_button.clicked.connect(lambda: self.expandRequested.emit(False))
        history_head = QHBoxLayout()
        label = QLabel("History")
        font = label.font()
        font.setBold(True)
        label.setFont(font)
        history_head.addWidget(label, 1)
        history_head.addWidget(self.details_button)
        history_head.addWidget(self.clear_button)
        history_head.addWidget(self.hide_button)
        self.history_box = QWidget()
        hl = QVBoxLayout(self.history_box)
        hl.setContentsMargins(4, 4, 4, 4)
        hl.addLayout(history_head)
        hl.addWidget(self.history)

        active_box = QWidget()
        al = QVBoxLayout(active_box)
        al.setContentsMargins(0, 0, 0, 0)
        al.setSpacing(2)
        self.active_label = QLabel("Active jobs")
        self.active_label.setFont(font)
        self.active_label.setContentsMargins(4, 4, 4, 0)
        al.addWidget(self.active_label)
        al.addWidget(self.scroll, 1)
        # side by side when expanded: the panel is wide and short at the bottom of the window
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(active_box)
        self.split.addWidget(self.history_box)
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 1)
        self.split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.split)
        self.set_expanded(False)

        services.bridge.jobEvent.connect(self._on_event)
        services.bridge.jobProgress.connect(self._on_progress)
        services.locationsChanged.connect(self._load_locations)
        self.reload(offer=True)

    # -- compact strip / expanded ----------------------------------------------------------
    def set_expanded(self, on: bool) -> None:
        self.expanded = on
        self.history_box.setVisible(on)
        self.active_label.setVisible(on)
        self.empty.setVisible(on and not self.rows)
        bars = Qt.ScrollBarPolicy
        self.scroll.setVerticalScrollBarPolicy(
            bars.ScrollBarAsNeeded if on or len(self.rows) > STRIP_ROWS else bars.ScrollBarAlwaysOff
        )

    def strip_height(self) -> int:
        """How tall the compact strip is: its jobs' lines (up to STRIP_ROWS), 0 with none."""
        rows = list(self.rows.values())[:STRIP_ROWS]
        return sum(r.sizeHint().height() for r in rows)

    # -- loading ---------------------------------------------------------------------------
    def reload(self, offer: bool = False, recovered: tuple[int, ...] = ()) -> None:
        """List the jobs again. ``offer``: then offer the paused ones (``offerWanted``); ``recovered``:
        the ids the engine found interrupted at start, said in the status bar when they resumed."""
        self.services.tasks.spawn(
            self.services.manager.list(limit=500),
            what="list jobs",
            done=lambda infos: self._loaded(infos, offer, recovered),
        )
        self._load_locations()

    def _load_locations(self) -> None:
        library = self.services.library

        def read() -> dict[int, tuple[str, str]]:
            conn = library.connect_reader()
            try:
                return {loc.id: (loc.name, loc.path) for loc in list_locations(conn=conn)}
            except sqlite3.Error:
                return {}
            finally:
                conn.close()

        async def go() -> dict[int, tuple[str, str]]:
            return await asyncio.to_thread(read)

        self.services.tasks.spawn(go(), what="location names", done=self.history_model.set_locations)

    def _loaded(self, infos: list[JobInfo], offer: bool = False, recovered: tuple[int, ...] = ()) -> None:
        if not shiboken6.isValid(self):  # the list came back after the window was closed
            return
        infos = [i for i in infos if not is_background(i.name, i.target)]
        self.history_model.set_jobs([i for i in infos if i.status in FINISHED and in_history(i)])
        active = sorted((i for i in infos if i.status not in FINISHED), key=lambda i: i.id)
        for info in active:
            self._upsert(info)
        self._emit_active()
        resumed = [i for i in active if i.id in recovered and i.status in (JobStatus.QUEUED, JobStatus.RUNNING)]
        if resumed:
            names = ", ".join(job_title(i.name) for i in resumed[:3]) + (" …" if len(resumed) > 3 else "")
            self.services.status.emit(f"Resumed {plural(len(resumed), 'job')} a crash interrupted: {names}")
        if offer:
            self.offerWanted.emit([i for i in active if i.status is JobStatus.PAUSED])

    def _upsert(self, info: JobInfo) -> None:
        if is_background(info.name, info.target):
            return
        before = len(self.rows)
        if info.status in FINISHED:
            row = self.rows.pop(info.id, None)
            if row is not None and shiboken6.isValid(row):  # not when the window is closing already
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
        self.active_label.setText(f"Active jobs ({len(self.rows)})" if self.rows else "Active jobs")
        self.set_expanded(self.expanded)
        if len(self.rows) != before:
            self.stripChanged.emit()
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
            self._emit_active()
        self.services.tasks.spawn(self.services.manager.info(event.job_id), what="job info", done=self._refreshed)

    def _refreshed(self, info: JobInfo | None) -> None:
        if info is not None:
            self._upsert(info)

    def _emit_active(self) -> None:
        fractions = []
        paused = 0
        for row in self.rows.values():
            if row.info.status is JobStatus.PAUSED:
                paused += 1
                continue
            fraction = row.progress.fraction if row.progress is not None else None
            if fraction is not None:
                fractions.append(fraction)
        overall = sum(fractions) / len(fractions) if fractions else None
        self.activeChanged.emit(len(self.rows) - paused, paused, overall)

    # -- history ---------------------------------------------------------------------------
    def _ask_clear(self) -> QMessageBox:
        """Ask before clearing (not blocking: the answer arrives as a signal)."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Clear History",
            "Remove the finished jobs from the history?",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("clear_history_prompt")
        box.setInformativeText(
            "The last result of each duplicate search, similar-pictures search and validation is kept, so "
            "it can still be shown; older results of the same search go."
        )
        clear = box.addButton("Clear History", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.buttonClicked.connect(lambda button: self._clear() if button is clear else None)
        self.clear_prompt = box
        box.open()
        return box

    def _clear(self) -> None:
        self.services.tasks.spawn(
            self.services.manager.clear_history(keep_last_of=KEPT_RESULTS), what="clear history", done=self._cleared
        )

    def _cleared(self, _n: int) -> None:
        self.reload()  # what was kept

    def _details_of_selection(self) -> None:
        rows = self.history.selectionModel().selectedRows()
        if rows:
            self._details_of_index(rows[0])

    def _details_of_index(self, index: QModelIndex) -> None:
        if index.isValid():
            show_details(self.history_model.job(index.row()), self)

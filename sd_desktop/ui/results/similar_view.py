"""The similar-pictures results view: one group per row, its pictures side by side as cards
(thumbnail, name, size and resolution, distance to the group's first picture, kept or marked).

Marking: "Keep the Largest" and "Keep the Sharpest" mark all but one picture of each group (the
rules are ``ops.media.similar.keep``'s; sharpness is measured on worker threads, never here), a
card's check box (or Space) toggles one mark, and the last kept picture of a group cannot be
marked. "Move to Trash" (or "Delete Permanently…", which the controller confirms first) asks the
file-actions controller to run the DeleteJob, which re-checks every marked picture and a kept one
of its group right before acting; its outcomes come back through ``show_outcomes``. A double click opens the picture.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QIcon, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionButton,
    QStyleOptionViewItem,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from sd_desktop.ops.media.similar.keep import sharpness
from sd_desktop.ui.formatting import plural
from sd_desktop.ui.results.similar_model import (
    DetailsRole,
    NoPreviewRole,
    PathRole,
    SimilarModel,
    StateRole,
    outcome_words,
    summary_text,
)
from sd_desktop.ui.workers import BackgroundRunner

THUMB = 160  # px: the pictures of the cards
PAD = 6
CHECK = 20  # the check box's square at a card's top-left corner
SHARPNESS_BATCH = 16  # pictures measured per worker task: the progress moves, the queue stays short
MARKED = QColor("#c0392b")
KEPT = QColor("#2e8b57")


class CardDelegate(QStyledItemDelegate):
    """Paints one picture as a card; a click in its check box toggles its mark."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        fm = QFontMetrics(QApplication.font())
        self.line = fm.height()
        self.size = QSize(THUMB + 2 * PAD, THUMB + 3 * PAD + 4 * self.line)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        return self.size

    @staticmethod
    def check_rect(cell: QRect) -> QRect:
        return QRect(cell.left() + PAD, cell.top() + PAD, CHECK, CHECK)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        state = index.data(StateRole)
        if state is None:
            return  # no picture in this cell (a smaller group)
        painter.save()
        pal = option.palette
        r = option.rect.adjusted(2, 2, -2, -2)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(pal.color(QPalette.ColorRole.Highlight).lighter(170) if selected else pal.base().color())
        border = MARKED if state == "marked" else KEPT if state == "kept" else pal.color(QPalette.ColorRole.Mid)
        painter.setPen(QPen(border, 2.5 if state != "gone" else 1.0))
        painter.drawRoundedRect(r, 6, 6)

        thumb = QRect(r.left() + PAD - 2, r.top() + PAD - 2, THUMB, THUMB)
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(icon, QIcon) and not icon.isNull():
            mode = QIcon.Mode.Disabled if state == "gone" else QIcon.Mode.Normal
            icon.paint(painter, thumb, Qt.AlignmentFlag.AlignCenter, mode)
        else:
            painter.setPen(pal.color(QPalette.ColorRole.Mid))
            painter.drawText(
                thumb, Qt.AlignmentFlag.AlignCenter, "No preview" if index.data(NoPreviewRole) else "Loading…"
            )

        flags = index.flags()
        if state != "gone":
            box = QStyleOptionButton()
            box.rect = self.check_rect(r.adjusted(-2, -2, 0, 0))
            box.state = QStyle.StateFlag.State_On if state == "marked" else QStyle.StateFlag.State_Off
            if flags & Qt.ItemFlag.ItemIsUserCheckable:
                box.state |= QStyle.StateFlag.State_Enabled
            style = option.widget.style() if option.widget is not None else QApplication.style()
            style.drawPrimitive(QStyle.PrimitiveElement.PE_IndicatorCheckBox, box, painter, option.widget)

        text = QRect(r.left() + PAD - 2, thumb.bottom() + PAD, r.width() - 2 * PAD + 4, self.line)
        name = index.data(Qt.ItemDataRole.DisplayRole) or ""
        font = QFont(option.font)
        font.setBold(True)
        font.setStrikeOut(state == "gone")
        painter.setFont(font)
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        painter.drawText(
            text,
            Qt.AlignmentFlag.AlignLeft,
            QFontMetrics(font).elidedText(name, Qt.TextElideMode.ElideMiddle, text.width()),
        )
        size_text, distance, status = index.data(DetailsRole)
        painter.setFont(option.font)
        fm = QFontMetrics(option.font)
        for k, (line, colour) in enumerate(
            (
                (size_text, pal.color(QPalette.ColorRole.Text)),
                (distance, pal.color(QPalette.ColorRole.PlaceholderText)),
                (
                    status,
                    MARKED if state == "marked" else KEPT if state == "kept" else pal.color(QPalette.ColorRole.Mid),
                ),
            )
        ):
            painter.setPen(colour)
            row = text.translated(0, (k + 1) * self.line)
            painter.drawText(
                row, Qt.AlignmentFlag.AlignLeft, fm.elidedText(line, Qt.TextElideMode.ElideRight, row.width())
            )
        painter.restore()

    def editorEvent(self, event: QEvent, model, option: QStyleOptionViewItem, index) -> bool:  # noqa: N802
        if event.type() in (
            QEvent.Type.MouseButtonPress,
            QEvent.Type.MouseButtonRelease,
            QEvent.Type.MouseButtonDblClick,
        ):
            if not self.check_rect(option.rect).contains(event.position().toPoint()):
                return False
            if event.type() == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
                model.toggle(index)
            return True  # the box's press and double click are the box's, not the card's
        return super().editorEvent(event, model, option, index)  # Space toggles the current card


class SimilarView(QWidget):
    trashRequested = Signal(list)  # PictureTarget list (the controller runs the DeleteJob)
    deleteRequested = Signal(list)  # PictureTarget list, permanent (the controller confirms)
    openRequested = Signal(bytes)
    revealRequested = Signal(bytes)

    def __init__(self, model: SimilarModel, job_id: int | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("similar_view")
        self.model = model
        self.job_id = job_id
        self._runner = BackgroundRunner("sharpness", workers=2, parent=self)
        self._measuring = 0  # batches in flight
        self._total = self._measured = 0
        self._error: BaseException | None = None
        out = model.output

        self.headline = QLabel()
        self.headline.setObjectName("similar_headline")
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.headline.setFont(font)
        self.subline = QLabel()
        self.subline.setWordWrap(True)
        self.subline.setStyleSheet("color: palette(mid);")
        where = ", ".join(out.get("paths") or [])
        self.subline.setText(
            f"Searched {where} · {plural(int(out.get('pictures') or 0), 'picture')} compared · "
            f"similarity threshold {out.get('threshold')} bits · check each group before removing"
        )
        self.banner = QLabel()
        self.banner.setObjectName("similar_banner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "background: #fff4e0; color: #6b4100; border: 1px solid #f0c36d; border-radius: 4px; padding: 6px;"
        )
        self.banner.hide()

        sp = QStyle.StandardPixmap
        self.largest_button = self._tool("Keep the Largest", None, "Mark all but the picture with the most pixels")
        self.largest_button.setObjectName("keep_largest")
        self.largest_button.clicked.connect(model.keep_largest)
        self.sharpest_button = self._tool(
            "Keep the Sharpest", None, "Mark all but the sharpest picture of each group (measured first)"
        )
        self.sharpest_button.setObjectName("keep_sharpest")
        self.sharpest_button.clicked.connect(self.keep_sharpest)
        self.clear_button = self._tool("Clear", None, "Remove every mark")
        self.clear_button.clicked.connect(model.clear_marks)
        self.trash_button = self._tool(
            "Move to Trash", self.style().standardIcon(sp.SP_TrashIcon), "Move the marked pictures to the Trash"
        )
        self.trash_button.setObjectName("trash_marked")
        self.trash_button.clicked.connect(lambda: self._request(self.trashRequested))
        self.delete_button = self._tool("Delete Permanently…", None, "Delete the marked pictures (asks first)")
        self.delete_button.setObjectName("delete_marked")
        self.delete_button.clicked.connect(lambda: self._request(self.deleteRequested))
        bar = QHBoxLayout()
        for b in (self.largest_button, self.sharpest_button, self.clear_button):
            bar.addWidget(b)
        bar.addSpacing(16)
        bar.addWidget(self.trash_button)
        bar.addWidget(self.delete_button)
        bar.addStretch(1)

        self.table = QTableView()
        self.table.setObjectName("similar_table")
        self.table.setModel(model)
        self.delegate = CardDelegate(self.table)
        self.table.setItemDelegate(self.delegate)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        # fixed sizes: thousands of groups lay out without measuring a single cell
        for header, size in (
            (self.table.horizontalHeader(), self.delegate.size.width()),
            (self.table.verticalHeader(), self.delegate.size.height()),
        ):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
            header.setDefaultSectionSize(size)
            header.setMinimumSectionSize(1)
        self.table.verticalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        self.table.doubleClicked.connect(self._open)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)

        self.summary = QLabel()
        self.summary.setObjectName("similar_summary")
        sfont = self.summary.font()
        sfont.setBold(True)
        self.summary.setFont(sfont)

        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.subline)
        layout.addWidget(self.banner)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        model.marksChanged.connect(self._update_summary)
        self._update_headline()
        self._update_summary()

    def _tool(self, text: str, icon, tip: str) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setToolTip(tip)
        if icon is not None:
            b.setIcon(icon)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        return b

    def _update_headline(self) -> None:
        live = [g for g in self.model.groups if sum(1 for p in g if not p.gone) > 1]
        if live:
            extra = sum(sum(1 for p in g if not p.gone) - 1 for g in live)
            self.headline.setText(
                f"{plural(len(live), 'group')} of similar pictures — {plural(extra, 'picture')} beside the one to keep"
            )
        elif self.model.groups:
            self.headline.setText("Every group of similar pictures is resolved")
        else:
            self.headline.setText("No similar pictures found")

    def _update_summary(self) -> None:
        files, freed, groups = self.model.summary()
        self.summary.setText(summary_text(files, freed, groups))
        self.trash_button.setEnabled(files > 0)
        self.delete_button.setEnabled(files > 0)

    # -- sharpness, off the GUI thread -----------------------------------------------------
    def keep_sharpest(self) -> None:
        """Measure what is not measured yet (on workers), then mark all but the sharpest."""
        todo = self.model.unmeasured()
        if not todo:
            self.model.keep_sharpest()
            return
        if self._measuring:
            return
        self.sharpest_button.setEnabled(False)
        self._total = len(todo)
        self._measured = 0
        self._error = None
        self.show_message(f"Measuring the sharpness of {plural(len(todo), 'picture')}…")
        batches = [todo[i : i + SHARPNESS_BATCH] for i in range(0, len(todo), SHARPNESS_BATCH)]
        self._measuring = len(batches)
        for batch in batches:
            self._runner.submit(lambda b=batch: [(p, sharpness(p)) for p in b], self._measured_batch)

    def _measured_batch(self, scores: list | None, error: BaseException | None) -> None:
        self._measuring -= 1
        self._error = self._error or error
        for path, score in scores or []:
            self.model.sharpness[path] = score
        self._measured += len(scores or [])
        if self._measuring:
            self.show_message(f"Measuring the sharpness… {self._measured} of {self._total}")
            return
        self.sharpest_button.setEnabled(True)
        self.banner.hide()
        if self._error is not None:
            self.show_message(f"The sharpness could not be measured: {self._error}")
            return
        self.model.keep_sharpest()

    @property
    def measuring(self) -> bool:
        return self._measuring > 0

    # -- actions ---------------------------------------------------------------------------
    def _request(self, signal) -> None:
        targets = self.model.removal_targets()
        if targets:
            signal.emit(targets)

    def show_message(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.show()

    def show_outcomes(self, outcomes: list[dict], verb: str = "moved to the Trash") -> None:
        self.model.apply_outcomes(outcomes)
        self.show_message(outcome_words(outcomes, verb))
        self._update_summary()
        self._update_headline()

    def _open(self, index: QModelIndex) -> None:
        raw = index.data(PathRole)
        if raw and index.data(StateRole) != "gone":
            self.openRequested.emit(raw)

    def _context_menu(self, pos) -> None:
        index = self.table.indexAt(pos)
        raw = index.data(PathRole)
        if not raw:
            return
        menu = QMenu(self)
        menu.addAction("Open", lambda: self.openRequested.emit(raw))
        menu.addAction("Reveal in File Manager", lambda: self.revealRequested.emit(raw))
        if index.flags() & Qt.ItemFlag.ItemIsUserCheckable:
            marked = index.data(StateRole) == "marked"
            menu.addAction("Keep" if marked else "Mark for Removal", lambda: self.model.toggle(index))
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def dispose(self) -> None:
        """The tab closes: late sharpness results are dropped."""
        self._runner.close()

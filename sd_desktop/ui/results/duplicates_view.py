"""The duplicate results view: the groups tree beside a preview of the selected picture, marking
tools, a summary of what the marked set frees, and the actions on it. The view only asks: its
signals go to the file-actions controller, which runs the guarded DeleteJob / FileCopyJob and
hands the outcomes back (``show_outcomes``)."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import QDateTime, QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMenu,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from sd_desktop import paths
from sd_desktop.library import Library
from sd_desktop.ops.files.duplicate_detection.select import Policy, SelectionError
from sd_desktop.ui.formatting import human_size, plural
from sd_desktop.ui.results.duplicates_model import (
    COL_FOLDER,
    COL_LOCATION,
    COL_MODIFIED,
    COL_NAME,
    COL_SIZE,
    DuplicatesModel,
    PathRole,
    summary_text,
)
from sd_desktop.ui.results.duplicates_words import outcome_text, skipped_text
from sd_desktop.ui.results.preview_pane import PreviewPane

EXPAND_ALL_LIMIT = 2000
THUMB = 32  # px: the thumbnails of the rows
ROW_PADDING = 4
POLICIES = (
    (Policy.KEEP_OLDEST, "Keep the Oldest Copy"),
    (Policy.KEEP_NEWEST, "Keep the Newest Copy"),
    (Policy.KEEP_SHORTEST_PATH, "Keep the Shortest Path"),
    (Policy.KEEP_REFERENCE, "Keep Copies in Reference Folders"),
    (Policy.KEEP_MATCHING, "Keep Copies Matching a Pattern…"),
)


class RowDelegate(QStyledItemDelegate):
    """Every row at least as tall as a thumbnail: the tree's rows all take the first row's height
    (uniform heights keep a big result fast), and that first row is a group without a picture."""

    def __init__(self, height: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.height = height

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        hint = super().sizeHint(option, index)
        return QSize(hint.width(), max(hint.height(), self.height))


class DuplicatesView(QWidget):
    trashRequested = Signal(list)  # guarded targets (GuardedTarget)
    deleteRequested = Signal(list)  # guarded targets, permanent (the controller confirms)
    moveRequested = Signal(list)  # raw paths of the marked files
    linkRequested = Signal(list)  # the marked copies as LinkTargets (the controller confirms)
    exportRequested = Signal()
    revealRequested = Signal(bytes)
    openRequested = Signal(bytes)

    def __init__(
        self,
        model: DuplicatesModel,
        job_id: int | None = None,
        parent: QWidget | None = None,
        library: Library | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("duplicates_view")
        self.model = model
        self.job_id = job_id
        # actions that cannot work here: why, and when (None: always), and the tooltip to put back
        self.unavailable: dict[QToolButton, tuple[str, Callable[[], bool] | None, str]] = {}
        self.reveal_unavailable = ""  # why Reveal in File Manager cannot (files on a volume)
        self.last_menu: QMenu | None = None
        out = model.output
        style = self.style()
        sp = QStyle.StandardPixmap

        self.headline = QLabel()
        self.headline.setObjectName("duplicates_headline")
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.headline.setFont(font)
        self.subline = QLabel()
        self.subline.setWordWrap(True)
        self.subline.setStyleSheet("color: palette(mid);")
        self.banner = QLabel()
        self.banner.setObjectName("duplicates_banner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "background: #fff4e0; color: #6b4100; border: 1px solid #f0c36d; border-radius: 4px; padding: 6px;"
        )
        self.banner.hide()

        self.auto_menu = QMenu(self)
        self.policy_actions: dict[Policy, QAction] = {}
        for policy, text in POLICIES:
            act = self.auto_menu.addAction(text)
            act.triggered.connect(lambda _=False, p=policy: self.auto_mark(p))
            self.policy_actions[policy] = act
        self.auto_button = self._tool("Auto-Mark", None, "Mark all but one copy of each group by a rule")
        self.auto_button.setMenu(self.auto_menu)
        self.auto_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.invert_button = self._tool("Invert", None, "Invert the marks (one copy of each group stays kept)")
        self.invert_button.clicked.connect(model.invert)
        self.clear_button = self._tool("Clear", None, "Remove every mark")
        self.clear_button.clicked.connect(model.clear_marks)
        self.trash_button = self._tool(
            "Move to Trash", style.standardIcon(sp.SP_TrashIcon), "Move the marked files to the Trash"
        )
        self.trash_button.setObjectName("trash_marked")
        self.trash_button.clicked.connect(lambda: self._request(self.trashRequested))
        self.delete_button = self._tool("Delete Permanently…", None, "Delete the marked files (asks first)")
        self.delete_button.clicked.connect(lambda: self._request(self.deleteRequested))
        self.move_button = self._tool("Move to Folder…", style.standardIcon(sp.SP_DirIcon), "Move the marked files")
        self.move_button.clicked.connect(lambda: self.moveRequested.emit([f.raw for f in model.marked_files()]))
        self.link_button = self._tool(
            "Replace with Links…", None, "Make the marked copies links to the kept copy: the space comes back"
        )
        self.link_button.setObjectName("link_marked")
        self.link_button.clicked.connect(self._request_links)
        self.export_button = self._tool("Export…", style.standardIcon(sp.SP_DialogSaveButton), "Save as JSON or CSV")
        self.export_button.clicked.connect(self.exportRequested)

        bar = QHBoxLayout()
        for b in (self.auto_button, self.invert_button, self.clear_button):
            bar.addWidget(b)
        bar.addSpacing(16)
        for b in (self.trash_button, self.delete_button, self.move_button, self.link_button):
            bar.addWidget(b)
        bar.addStretch(1)
        bar.addWidget(self.export_button)

        self.tree = QTreeView()
        self.tree.setObjectName("duplicates_tree")
        self.tree.setModel(model)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setIconSize(QSize(THUMB, THUMB))
        self.tree.setItemDelegate(RowDelegate(THUMB + ROW_PADDING, self.tree))
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setAllColumnsShowFocus(True)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Interactive)
        for col, width in (
            (COL_NAME, 240),  # with the preview beside it, the tree is narrow in a small window
            (COL_FOLDER, 180),
            (COL_LOCATION, 100),
            (COL_SIZE, 80),
            (COL_MODIFIED, 130),
        ):
            header.resizeSection(col, width)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        if len(model.groups) <= EXPAND_ALL_LIMIT:
            self.tree.expandAll()
        else:  # a huge result opens with the biggest groups expanded; the rest expand on demand
            for row in range(EXPAND_ALL_LIMIT):
                self.tree.expand(model.index(row, 0))
        if not model.has_locations():
            self.tree.setColumnHidden(COL_LOCATION, True)
        self.tree.activated.connect(self._activated)
        self.tree.selectionModel().currentChanged.connect(lambda current, _previous: self._preview(current))
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)

        self.summary = QLabel()
        self.summary.setObjectName("duplicates_summary")
        sfont = self.summary.font()
        sfont.setBold(True)
        self.summary.setFont(sfont)

        self.preview = PreviewPane(library)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.setObjectName("duplicates_split")
        self.split.addWidget(self.tree)
        self.split.addWidget(self.preview)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        self.split.setChildrenCollapsible(False)
        self.split.setSizes([600, 400])

        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.subline)
        layout.addWidget(self.banner)
        layout.addLayout(bar)
        layout.addWidget(self.split, 1)
        layout.addWidget(self.summary)

        self._update_headline()
        where = ", ".join(out.get("search_paths") or [])
        note = "" if model.verified else f" · {out.get('note') or 'candidates, not verified'}"
        refs = out.get("reference_paths") or []
        ref_text = f" · reference: {', '.join(refs)}" if refs else ""
        since = out.get("unchanged_since")
        # the groups of an earlier search, taken because no file changed since: say when that was
        since_text = f" · nothing changed since the search of {_when(since)}" if since else ""
        self.subline.setText(f"Searched {where} by {out.get('mode', 'content')}{note}{ref_text}{since_text}")
        for b in (self.trash_button, self.delete_button, self.link_button):
            b.setEnabled(model.verified)
            if not model.verified:
                b.setToolTip("Unverified candidates cannot be deleted here: search by content first")
        self.policy_actions[Policy.KEEP_REFERENCE].setEnabled(
            bool(model.reference_paths) or any(f.reference for g in model.groups for f in g.files)
        )
        model.marksChanged.connect(self._update_summary)
        self._update_summary()

    def _update_headline(self) -> None:
        live = [g for g in self.model.groups if len(g.present) > 1]
        wasted = sum(g.wasted for g in live)
        if live:
            groups = plural(len(live), "duplicate group")
            self.headline.setText(f"{groups} — {human_size(wasted)} could be freed")
        elif self.model.groups:
            self.headline.setText("Every duplicate group is resolved")
        else:
            self.headline.setText("No duplicates found")

    def _tool(self, text: str, icon, tip: str) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setToolTip(tip)
        if icon is not None:
            b.setIcon(icon)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        b.setAutoRaise(False)
        return b

    def _update_summary(self) -> None:
        files, freed, groups = self.model.summary()
        self.summary.setText(summary_text(files, freed, groups))
        has = files > 0
        self.trash_button.setEnabled(has and self.model.verified)
        self.delete_button.setEnabled(has and self.model.verified)
        self.link_button.setEnabled(has and self.model.verified)
        self.move_button.setEnabled(has)
        for button, (why, when, tip) in self.unavailable.items():
            off = when is None or when()
            if off:
                button.setEnabled(False)
            button.setToolTip(why if off else tip)

    def set_unavailable(self, button: QToolButton, why: str, when: Callable[[], bool] | None = None) -> None:
        """``button`` stays off (with ``when``: while it returns true), its tooltip saying ``why`` (an
        action files on a volume cannot take)."""
        self.unavailable[button] = (why, when, self.unavailable.get(button, ("", None, button.toolTip()))[2])
        self._update_summary()

    def auto_mark(self, policy: Policy, pattern: str | None = None) -> None:
        if policy is Policy.KEEP_MATCHING and pattern is None:
            pattern, ok = QInputDialog.getText(
                self, "Keep Matching", "Keep copies whose path or name matches (e.g. */Originals/*):"
            )
            if not ok or not pattern:
                return
        try:
            plan = self.model.mark_by_policy(policy, pattern)
        except SelectionError as exc:
            self.show_message(str(exc))
            return
        if plan.skipped:
            self.show_message(skipped_text(plan.skipped, Policy(policy), pattern))
        else:
            self.banner.hide()

    def _request(self, signal) -> None:
        try:
            targets = self.model.guarded_targets()
        except ValueError as exc:
            self.show_message(str(exc))
            return
        if targets:
            signal.emit(targets)

    def _request_links(self) -> None:
        try:
            targets = self.model.link_targets()
        except ValueError as exc:
            self.show_message(str(exc))
            return
        if targets:
            self.linkRequested.emit(targets)

    def show_message(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.show()

    def show_outcomes(self, outcomes: list[dict], verb: str = "moved to the Trash") -> None:
        """Report a finished job's outcomes in the view (done files struck out, skipped groups flagged)."""
        self.model.apply_outcomes(outcomes)
        self.show_message(outcome_text(outcomes, verb))
        self._update_summary()
        self._update_headline()

    def _preview(self, index: QModelIndex) -> None:
        """Show the file of the current row in the preview pane (a group row: its first copy)."""
        if not index.isValid():
            self.preview.show_file(None)
            return
        group, f = self.model.group_of(index)
        if f is None:
            f = group.files[0] if group.files else None
        if f is None:
            self.preview.show_file(None)
            return
        raw = f.raw
        when = _when(f.mtime_ns / 1e9) if f.mtime_ns else ""
        details = (
            f"{human_size(group.size)}{f' · modified {when}' if when else ''}\n{paths.display(os.path.dirname(raw))}"
        )
        self.preview.show_file(raw, f.content_id, paths.display(os.path.basename(raw)), details)

    def dispose(self) -> None:
        """The tab closes: stop the preview's loading."""
        self.preview.dispose()

    def _activated(self, index: QModelIndex) -> None:
        raw = index.data(PathRole)
        if raw:
            self.openRequested.emit(raw)

    def _context_menu(self, pos) -> None:
        raw = self.tree.indexAt(pos).data(PathRole)
        if not raw:
            return
        menu = QMenu(self)
        menu.addAction("Open", lambda: self.openRequested.emit(raw))
        reveal = menu.addAction("Reveal in File Manager", lambda: self.revealRequested.emit(raw))
        if self.reveal_unavailable:
            reveal.setEnabled(False)
            reveal.setToolTip(self.reveal_unavailable)
            menu.setToolTipsVisible(True)
        self.last_menu = menu
        menu.popup(self.tree.viewport().mapToGlobal(pos))


def _when(epoch: float) -> str:
    return QDateTime.fromSecsSinceEpoch(int(epoch)).toString("d MMM yyyy, HH:mm")

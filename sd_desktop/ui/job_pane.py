"""How much of the window the job panel takes: the bottom pane of the window's vertical splitter.

Compact (the default), the panel is exactly as tall as its active jobs, one line each, and gone
when none runs: the files keep the window. Expanded (Ctrl+J, the status bar's job button), it
also shows the history, at the height the user last dragged it to. That height and whether the
panel was expanded are remembered in the window's settings.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSettings, QTimer, Signal
from PySide6.QtWidgets import QSplitter

from sd_desktop.ui.job_panel import JobPanel
from sd_desktop.ui.settings import get_bool, get_int

EXPANDED_HEIGHT = 240  # px: the expanded panel's first height, until the user sets one
MIN_EXPANDED = 120
MAX_HEIGHT = 16777215  # QWIDGETSIZE_MAX
EXPANDED_KEY, HEIGHT_KEY = "layout/jobs_expanded", "layout/jobs_height"


class JobPane(QObject):
    expandedChanged = Signal(bool)

    def __init__(self, split: QSplitter, panel: JobPanel, parent: QObject | None = None):
        super().__init__(parent)
        self.split = split
        self.panel = panel
        self.expanded = False
        self.expanded_height = EXPANDED_HEIGHT
        self._shown = False
        panel.stripChanged.connect(self.fit)
        panel.expandRequested.connect(self.set_expanded)
        split.splitterMoved.connect(self._moved)
        split.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        # sizes restored before the window is shown have no height to share yet: fit once it has
        if watched is self.split and event.type() == QEvent.Type.Show and not self._shown:
            self._shown = True
            QTimer.singleShot(0, self.fit)
        return False

    def set_expanded(self, on: bool) -> None:
        if on == self.expanded:
            return
        self.expanded = on
        self.panel.set_expanded(on)
        self.fit()
        self.expandedChanged.emit(on)

    def toggle(self) -> None:
        self.set_expanded(not self.expanded)

    def fit(self) -> None:
        """Give the panel its height: the strip's, or the one the user chose for the expanded panel."""
        index = self.split.indexOf(self.panel)
        total = sum(self.split.sizes()) or self.split.height()
        if self.expanded:
            self.panel.setMinimumHeight(MIN_EXPANDED)
            self.panel.setMaximumHeight(MAX_HEIGHT)
            self.panel.show()
            height = max(MIN_EXPANDED, self.expanded_height)
        else:
            height = self.panel.strip_height()
            if height == 0:
                self.panel.hide()
                return
            # min == max: the strip is as tall as its lines, whatever the splitter is asked
            self.panel.setFixedHeight(height)
            self.panel.show()
        sizes = self.split.sizes()
        if total > height:
            sizes = [total - height if i != index else height for i in range(len(sizes))]
            self.split.setSizes(sizes)

    def _moved(self, _pos: int, _index: int) -> None:
        if self.expanded and self.panel.isVisible():
            self.expanded_height = self.split.sizes()[self.split.indexOf(self.panel)]

    def save(self, settings: QSettings) -> None:
        settings.setValue(EXPANDED_KEY, self.expanded)
        settings.setValue(HEIGHT_KEY, self.expanded_height)

    def restore(self, settings: QSettings) -> None:
        self.expanded_height = max(MIN_EXPANDED, get_int(settings, HEIGHT_KEY, EXPANDED_HEIGHT))
        self.set_expanded(get_bool(settings, EXPANDED_KEY, False))
        self.fit()

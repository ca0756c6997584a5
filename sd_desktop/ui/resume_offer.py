"""The banner above the folder that offers, at start-up, the jobs waiting for the user: paused ones,
and the deletes and moves a crash interrupted (the engine never resumes those by itself). Resume
queues them again; Discard cancels them (the jobs remove their half-done temporary files)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QToolButton, QWidget

from sd_desktop.jobs import JobInfo
from sd_desktop.ui.formatting import plural
from sd_desktop.ui.job_panel import CRASH_NOTE, job_title
from sd_desktop.ui.services import AppServices

SHOWN_AT_MOST = 3  # jobs named in the text; the rest are counted


def offer_text(infos: list[JobInfo]) -> str:
    named = []
    for info in infos[:SHOWN_AT_MOST]:
        why = CRASH_NOTE if info.interrupted else "paused"
        named.append(f"{job_title(info.name)}{' — ' + info.target if info.target else ''} ({why})")
    more = len(infos) - len(named)
    tail = f" and {more} more" if more > 0 else ""
    verb = "waits" if len(infos) == 1 else "wait"
    return f"{plural(len(infos), 'job')} did not finish and {verb} for you: {'; '.join(named)}{tail}."


class ResumeOffer(QFrame):
    def __init__(self, services: AppServices, parent: QWidget | None = None):
        super().__init__(parent)
        self.services = services
        self.jobs: list[JobInfo] = []
        self.setObjectName("resume_offer")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(self.backgroundRole(), palette.color(palette.ColorRole.ToolTipBase))
        palette.setColor(self.foregroundRole(), palette.color(palette.ColorRole.ToolTipText))
        self.setPalette(palette)
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxQuestion).pixmap(22, 22))
        self.text = QLabel()
        self.text.setObjectName("resume_offer_text")
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setWordWrap(True)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setObjectName("resume_offer_resume")
        self.resume_button.clicked.connect(self._resume)
        self.discard_button = QPushButton("Discard")
        self.discard_button.setObjectName("resume_offer_discard")
        self.discard_button.setToolTip("Cancel these jobs; what they already did stays done")
        self.discard_button.clicked.connect(self._discard)
        close = QToolButton()
        close.setAutoRaise(True)
        close.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_TitleBarCloseButton))
        close.setToolTip("Decide later (the jobs stay paused in the job panel)")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(icon)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.resume_button)
        layout.addWidget(self.discard_button)
        layout.addWidget(close)
        self.hide()

    def offer(self, infos: list[JobInfo]) -> None:
        """Offer ``infos`` (paused jobs); hidden when there are none."""
        self.jobs = list(infos)
        if not infos:
            self.hide()
            return
        self.text.setText(offer_text(self.jobs))
        self.show()

    def _resume(self) -> None:
        for info in self.jobs:
            self.services.resume(info.id)
        self.offer([])

    def _discard(self) -> None:
        for info in self.jobs:
            self.services.cancel(info.id)
        self.offer([])

"""The copy-conflict dialog, fed by the copy job's ``ask`` policy (``ops.files.copy.conflicts``).

It shows one conflict at a time (source and existing target with sizes and dates) and offers
Overwrite / Skip / Keep Both (rename) / Overwrite if Older, with "Apply to all remaining". When
every conflict has an answer, ``answers()`` holds them (source path → policy value); the caller
stores them with ``answer_conflicts`` and resumes the job.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from sd_desktop import paths
from sd_desktop.ops.files.copy.conflicts import Conflict
from sd_desktop.ui.formatting import human_size, human_time

CHOICES = (
    ("overwrite", "Overwrite"),
    ("skip", "Skip"),
    ("rename", "Keep Both"),
    ("overwrite_if_older", "Overwrite if Older"),
)


def _describe(size: int | None, mtime_ns: int | None) -> str:
    if size is None:
        return "gone since the copy started"
    return f"{human_size(size)}, modified {human_time(mtime_ns, ns=True) if mtime_ns else '?'}"


class ConflictDialog(QDialog):
    def __init__(self, job_id: int, conflicts: list[Conflict], parent: QWidget | None = None, move: bool = False):
        super().__init__(parent)
        self.setObjectName("conflict_dialog")
        self.setWindowTitle("File Already Exists")
        self.job_id = job_id
        self.conflicts = [c for c in conflicts if c.answer is None]
        self._answers: dict[str, str] = {}
        self._index = 0
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(40, 40))
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.headline.setFont(font)
        self.existing = QLabel()
        self.incoming = QLabel()
        for label in (self.existing, self.incoming):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid = QGridLayout()
        grid.addWidget(icon, 0, 0, 3, 1, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.headline, 0, 1)
        grid.addWidget(self.existing, 1, 1)
        grid.addWidget(self.incoming, 2, 1)
        grid.setColumnStretch(1, 1)
        self.apply_all = QCheckBox()
        self.apply_all.setObjectName("apply_to_all")
        self.buttons = QDialogButtonBox()
        self.choice_buttons: dict[str, QPushButton] = {}
        for value, text in CHOICES:
            b = self.buttons.addButton(text, QDialogButtonBox.ButtonRole.ActionRole)
            b.setObjectName(f"answer_{value}")
            b.clicked.connect(lambda _=False, v=value: self.choose(v))
            self.choice_buttons[value] = b
        # cancelling stops the whole job: name it as the user started it
        self.cancel_button = self.buttons.addButton(
            "Cancel Move" if move else "Cancel Copy", QDialogButtonBox.ButtonRole.RejectRole
        )
        self.cancel_button.setObjectName("cancel_job")
        self.cancel_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.apply_all)
        layout.addWidget(self.buttons)
        # Enter keeps both, wherever the focus starts: a focused button must not become the default
        # (the first one is Overwrite)
        for button in self.choice_buttons.values():
            button.setAutoDefault(False)
        self.cancel_button.setAutoDefault(False)
        self.choice_buttons["rename"].setDefault(True)  # once inside the dialog, or it does not hold
        self.choice_buttons["rename"].setFocus()
        self.setMinimumWidth(560)
        self._show()

    @property
    def current(self) -> Conflict | None:
        return self.conflicts[self._index] if self._index < len(self.conflicts) else None

    def _show(self) -> None:
        c = self.current
        if c is None:
            return
        name = paths.display(os.path.basename(os.fsencode(c.target)))
        folder = paths.display(os.path.dirname(os.fsencode(c.target)))
        what = {"folder": "A folder", "link": "A link"}.get(c.kind, "A file")
        self.headline.setText(f"{what} named “{name}” already exists in “{folder}”")
        self.existing.setText(f"<b>Existing:</b> {_describe(c.target_size, c.target_mtime_ns)}")
        self.incoming.setText(
            f"<b>Replace with:</b> {_describe(c.source_size, c.source_mtime_ns)}<br>"
            f"<span style='color: palette(mid)'>from {paths.display(os.path.dirname(os.fsencode(c.source)))}</span>"
        )
        left = len(self.conflicts) - self._index
        self.apply_all.setText(f"Apply to all {left} conflicts" if left > 1 else "Apply to all")
        self.apply_all.setEnabled(left > 1)

    def choose(self, policy: str) -> None:
        """Answer the current conflict (and the rest, when "apply to all" is ticked)."""
        if self.current is None:
            return
        rest = self.conflicts[self._index :] if self.apply_all.isChecked() else [self.current]
        for c in rest:
            self._answers[os.fsdecode(c.source)] = policy
        self._index += len(rest)
        if self.current is None:
            self.accept()
        else:
            self._show()

    def answers(self) -> dict[str, str]:
        return dict(self._answers)

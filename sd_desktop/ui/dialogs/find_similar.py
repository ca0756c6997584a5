"""The "Find similar pictures" dialog: the folders to search and how alike pictures must be (the
threshold in bits, explained in words); ``config()`` is the similar-pictures job's config."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sd_desktop import paths
from sd_desktop.ops.media.similar.config import DEFAULT_THRESHOLD, MAX_THRESHOLD, SimilarConfig
from sd_desktop.ui.dialogs.find_duplicates import _PathList


def threshold_words(bits: int) -> str:
    """What a threshold finds, in words (the measured variants sit 0..8 bits from their original)."""
    if bits == 0:
        return "Strictest: only pictures that look identical (re-saved or converted copies)."
    if bits <= 5:
        return "Strict: re-saved, converted and resized copies; retouched ones may be missed."
    if bits <= 11:
        return "Balanced (recommended): also brightened, rotated and slightly cropped copies."
    return "Loose: also pictures that merely look alike — check each group before removing."


class FindSimilarDialog(QDialog):
    def __init__(self, search_paths: list[bytes], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("find_similar_dialog")
        self.setWindowTitle("Find Similar Pictures")
        intro = QLabel(
            "Finds pictures that look alike: resized, re-encoded (JPEG, PNG, WebP, HEIC), rotated, "
            "brightened or slightly cropped copies of one picture."
        )
        intro.setWordWrap(True)
        self.search = _PathList("Search in")
        for p in search_paths:
            self.search.add_path(p)

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("threshold_slider")
        self.slider.setRange(0, MAX_THRESHOLD)
        self.slider.setPageStep(2)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setTickInterval(1)
        self.spin = QSpinBox()
        self.spin.setObjectName("threshold_spin")
        self.spin.setRange(0, MAX_THRESHOLD)
        self.spin.setSuffix(" bits")
        self.slider.valueChanged.connect(self.spin.setValue)
        self.spin.valueChanged.connect(self.slider.setValue)
        self.spin.valueChanged.connect(self._explain)
        stricter, looser = QLabel("stricter"), QLabel("looser")
        for label in (stricter, looser):
            label.setStyleSheet("color: palette(mid);")
        slider_row = QHBoxLayout()
        slider_row.addWidget(stricter)
        slider_row.addWidget(self.slider, 1)
        slider_row.addWidget(looser)
        slider_row.addWidget(self.spin)
        self.explanation = QLabel()
        self.explanation.setObjectName("threshold_words")
        self.explanation.setWordWrap(True)
        hint = QLabel(
            f"How many of the 64 bits of the pictures' fingerprints may differ (default {DEFAULT_THRESHOLD}). "
            "Nothing is removed by the search: you choose in the results."
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: palette(mid);")

        form = QFormLayout()
        form.addRow("Search in:", self.search)
        form.addRow("Similarity:", slider_row)
        form.addRow("", self.explanation)
        form.addRow("", hint)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.find_button = self.buttons.addButton("Find Similar Pictures", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
        self.find_button.setDefault(True)
        self.spin.setValue(DEFAULT_THRESHOLD)
        self._explain(DEFAULT_THRESHOLD)
        self.resize(560, self.sizeHint().height())

    def _explain(self, bits: int) -> None:
        self.explanation.setText(threshold_words(bits))

    def accept(self) -> None:
        if not self.search.paths():
            self.search.list.setFocus()
            return
        super().accept()

    def config(self) -> SimilarConfig:
        """The similar-pictures job's config of the current choices."""
        return SimilarConfig(paths=[paths.to_path(p) for p in self.search.paths()], threshold=self.spin.value())

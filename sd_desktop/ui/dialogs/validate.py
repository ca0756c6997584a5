"""The "Validate" dialog: which checks to run on the chosen files and folders."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QRadioButton, QVBoxLayout, QWidget

from sd_desktop import paths
from sd_desktop.ops.files.validation import ValidationConfig, ValidationMode
from sd_desktop.ui.formatting import plural

MODES = (
    (ValidationMode.BASIC, "Basic", "Files still exist with the size and date the library knows (fast)"),
    (ValidationMode.INTEGRITY, "Integrity", "Full content hash compared with the stored one (reads every byte)"),
    (ValidationMode.CORRUPTION, "Corruption", "Files open as what their names say: images, archives, PDFs, media"),
    (ValidationMode.COMPLETE, "Complete", "All of the above"),
)


class ValidateDialog(QDialog):
    def __init__(self, targets: list[bytes], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("validate_dialog")
        self.setWindowTitle("Validate Files")
        self.targets = targets
        layout = QVBoxLayout(self)
        what = paths.display(targets[0]) if len(targets) == 1 else plural(len(targets), "item")
        title = QLabel(f"Check <b>{what}</b>")
        title.setWordWrap(True)
        layout.addWidget(title)
        self.radios: dict[ValidationMode, QRadioButton] = {}
        for value, name, text in MODES:
            radio = QRadioButton(name)
            radio.setObjectName(f"mode_{value.value}")
            label = QLabel(text)
            label.setStyleSheet("color: palette(mid); margin-left: 22px;")
            layout.addWidget(radio)
            layout.addWidget(label)
            self.radios[value] = radio
        self.radios[ValidationMode.BASIC].setChecked(True)
        self.permissions = QCheckBox("Also check that every file can be read")
        layout.addWidget(self.permissions)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.validate_button = buttons.addButton("Validate", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        # only a button inside its dialog can be made the default (Enter): set it once it is there
        self.validate_button.setDefault(True)

    def set_mode(self, mode: ValidationMode | str) -> None:
        self.radios[ValidationMode(mode)].setChecked(True)

    def config(self) -> ValidationConfig:
        """The validation job's config of the current choices."""
        mode = next(v for v, r in self.radios.items() if r.isChecked())
        return ValidationConfig(
            targets=[paths.to_path(t) for t in self.targets],
            mode=mode,
            check_permissions=self.permissions.isChecked(),
        )

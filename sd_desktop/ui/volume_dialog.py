"""The "Add Network Volume" dialog: a form per kind of volume (SFTP, S3, WebDAV), each field checked
in place as it is typed (``volumes.forms.problems``), a Test button that connects on a worker and
says the result in one line, and Add, which registers the volume on a worker through
``volumes.registry`` (the secrets to the keyring or the 0600 file, as ``volume add`` does)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from sd_desktop.library.volumes import VolumeError
from sd_desktop.ui.network_volumes import STATUS_WORDS
from sd_desktop.ui.services import AppServices
from sd_desktop.ui.workers import BackgroundRunner
from sd_desktop.volumes import forms
from sd_desktop.volumes.blocking import CHECK_TIMEOUT, check
from sd_desktop.volumes.remote import ONLINE, VolumeSpec
from sd_desktop.volumes.specs import SpecError

TITLES = {"sftp": "SFTP (SSH)", "s3": "S3 bucket", "webdav": "WebDAV"}
LABELS = {
    "user": "User",
    "host": "Host",
    "port": "Port",
    "root": "Folder",
    "key": "Key file",
    "passphrase": "Key passphrase",
    "password": "Password",
    "trust_host_key": "",
    "bucket": "Bucket",
    "endpoint": "Endpoint",
    "region": "Region",
    "access_key_id": "Access key",
    "secret_access_key": "Secret key",
    "url": "URL",
    "username": "User",
}
HINTS = {
    ("sftp", "port"): "22",
    ("sftp", "root"): "/srv/photos (default: the login folder)",
    ("sftp", "key"): "~/.ssh/id_ed25519",
    ("s3", "root"): "/ (a prefix inside the bucket)",
    ("s3", "endpoint"): "https://s3.example.net (default: AWS)",
    ("s3", "region"): "us-east-1",
    ("webdav", "url"): "https://nas.local:8080/share",
}
SECRET_FIELDS = {"passphrase", "password", "secret_access_key"}
LABEL_WIDTH = 110  # px: the labels of the name, the kind and each form line up
ERROR_STYLE = "color: #b00020;"


class AddVolumeDialog(QDialog):
    added = Signal(str)  # the new volume's name
    tested = Signal(str, str)  # status, detail: the Test button's result (tests wait on it)

    def __init__(self, services: AppServices, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("add_volume_dialog")
        self.setWindowTitle("Add Network Volume")
        self.services = services
        self._runner = BackgroundRunner("volume-dialog", parent=self)
        self._touched: set[str] = set()
        self.edits: dict[str, dict[str, QLineEdit | QCheckBox]] = {}
        self.errors: dict[str, dict[str, QLabel]] = {}

        self.name = QLineEdit()
        self.name.setObjectName("volume_name")
        self.name.setPlaceholderText("nas (you will write nas:/folder)")
        self.name_error = self._error_label()
        self.kind = QComboBox()
        self.kind.setObjectName("volume_kind")
        for scheme in forms.SCHEMES:
            self.kind.addItem(TITLES[scheme], scheme)
        self.pages = QStackedWidget()
        for scheme in forms.SCHEMES:
            self.pages.addWidget(self._form(scheme))
        self.kind.currentIndexChanged.connect(self._kind_changed)

        top = QFormLayout()
        top.addRow(self._label("Name"), self._with_error(self.name, self.name_error))
        top.addRow(self._label("Kind"), self.kind)
        self.name.textChanged.connect(lambda _t: self._edited("name"))

        self.result = QLabel()
        self.result.setObjectName("test_result")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox()
        self.test_button = QPushButton("&Test")
        self.test_button.setObjectName("test_button")
        self.add_button = QPushButton("&Add")
        self.add_button.setObjectName("add_button")
        self.add_button.setDefault(True)
        self.buttons.addButton(self.test_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.add_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self.reject)
        self.test_button.clicked.connect(self.test)
        self.add_button.clicked.connect(self.add)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.pages)
        layout.addWidget(self.result)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)
        self._fit_page()
        self._validate()

    # -- the forms -------------------------------------------------------------------------
    @staticmethod
    def _label(text: str) -> QLabel:
        label = QLabel(text)
        label.setMinimumWidth(LABEL_WIDTH)
        return label

    @staticmethod
    def _error_label() -> QLabel:
        label = QLabel()
        label.setStyleSheet(ERROR_STYLE)
        label.setWordWrap(True)
        label.hide()
        return label

    @staticmethod
    def _with_error(widget: QWidget, error: QLabel) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(widget)
        column.addWidget(error)
        return box

    def _form(self, scheme: str) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        self.edits[scheme], self.errors[scheme] = {}, {}
        for field in forms.FIELDS[scheme]:
            if field == "trust_host_key":
                box = QCheckBox("Trust the server's host key without checking known_hosts")
                box.setToolTip("Only for a server on a network you trust: its identity is not checked")
                box.toggled.connect(lambda _on, f=field: self._edited(f))
                self.edits[scheme][field] = box
                form.addRow(self._label(""), box)
                continue
            edit = QLineEdit()
            edit.setObjectName(f"{scheme}_{field}")
            edit.setPlaceholderText(HINTS.get((scheme, field), ""))
            if field in SECRET_FIELDS:
                edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.textChanged.connect(lambda _t, f=field: self._edited(f))
            self.edits[scheme][field] = edit
            error = self.errors[scheme][field] = self._error_label()
            widget: QWidget = edit
            if field == "key":
                pick = QPushButton("Choose…")
                pick.clicked.connect(lambda _=False, e=edit: self._choose_key(e))
                row = QWidget()
                line = QHBoxLayout(row)
                line.setContentsMargins(0, 0, 0, 0)
                line.addWidget(edit, 1)
                line.addWidget(pick)
                widget = row
            form.addRow(self._label(LABELS[field]), self._with_error(widget, error))
        return page

    def _fit_page(self) -> None:
        """The dialog as tall as the form shown (a stack is as tall as its tallest page otherwise)."""
        ignored, preferred = QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred
        for i in range(self.pages.count()):
            shown = i == self.pages.currentIndex()
            self.pages.widget(i).setSizePolicy(preferred, preferred if shown else ignored)
        if self.layout() is not None:
            self.layout().activate()
        self.adjustSize()

    def _choose_key(self, edit: QLineEdit) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose the private key", edit.text() or "~/.ssh")
        if path:
            edit.setText(path)

    def _kind_changed(self, _index: int) -> None:
        self.pages.setCurrentIndex(self.kind.currentIndex())
        self._fit_page()
        self._touched.clear()
        self.result.clear()
        self._validate()

    def scheme(self) -> str:
        return self.kind.currentData()

    def set_scheme(self, scheme: str) -> None:
        self.kind.setCurrentIndex(forms.SCHEMES.index(scheme))

    def fields(self) -> dict[str, str]:
        out = {}
        for field, widget in self.edits[self.scheme()].items():
            out[field] = ("1" if widget.isChecked() else "") if isinstance(widget, QCheckBox) else widget.text()
        return out

    def _edited(self, field: str) -> None:
        self._touched.add(field)
        self._validate()

    def _validate(self, show_all: bool = False) -> dict[str, str]:
        """Check the form; show each touched field's problem under it (every field's with
        ``show_all``); Add is enabled only for a form without problems."""
        found = forms.problems(self.scheme(), self.name.text(), self.fields())
        shown = found if show_all else {k: v for k, v in found.items() if k in self._touched}
        for label, field in [(self.name_error, "name"), *((lab, f) for f, lab in self.errors[self.scheme()].items())]:
            label.setText(shown.get(field, ""))
            label.setVisible(field in shown)
        self.add_button.setEnabled(not found)
        return found

    # -- test and add ----------------------------------------------------------------------
    def _volume(self, name: str) -> tuple[str, str, dict[str, str]] | None:
        try:
            return forms.to_volume(self.scheme(), name, self.fields())
        except forms.FormError:
            self._touched.update(forms.FIELDS[self.scheme()])
            self._validate(show_all=True)
            return None

    def test(self) -> None:
        """Connect on a worker and say in one line whether the volume answers."""
        name = self.name.text().strip() or "new-volume"
        found = self._volume(name if forms.NAME_PATTERN.match(name) else "new-volume")
        if found is None:
            self.result.setText("Fix the fields marked in red first.")
            return
        scheme, root, options = found
        spec = VolumeSpec(name=name, scheme=scheme, root=root, options=options, timeout=CHECK_TIMEOUT)
        self.result.setText("Testing…")
        self.test_button.setEnabled(False)
        self._runner.submit(lambda: check(spec), self._tested)

    def _tested(self, result, error) -> None:
        self.test_button.setEnabled(True)
        status, detail = result if error is None else ("offline", str(error))
        word = STATUS_WORDS.get(status, status)
        self.result.setText(f"{word[0].upper()}{word[1:]}" + (f": {detail}" if detail else ""))
        self.result.setStyleSheet("" if status == ONLINE else ERROR_STYLE)
        self.tested.emit(status, detail)

    def add(self) -> None:
        """Register the volume on a worker; the dialog closes once it is."""
        name = self.name.text().strip()
        found = self._volume(name)
        if found is None:
            return
        scheme, root, options = found
        from sd_desktop.volumes.registry import register

        lib = self.services.library
        self.add_button.setEnabled(False)
        self._runner.submit(lambda: register(lib, lib.folder, name, scheme, root, options), self._registered)

    def _registered(self, result, error) -> None:
        if error is not None:
            self.add_button.setEnabled(True)
            known = VolumeError | SpecError | OSError  # their one line says what to change
            text = str(error) if isinstance(error, known) else f"cannot add the volume: {error}"
            self.result.setText(text)
            self.result.setStyleSheet(ERROR_STYLE)
            return
        name = self.name.text().strip()
        self.services.status.emit(f"Volume {name} added" + (f" (warning: {result.warning})" if result.warning else ""))
        self.added.emit(name)
        self.accept()

    def done(self, code: int) -> None:
        self._runner.close()
        super().done(code)

"""The Properties dialog: what the file system and the library know of one path
(``library.describe.describe``: kind, size, counts, cas_id, integrity hash, MIME, sidecars)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from sd_desktop.ui.formatting import human_count, human_size, human_time


def rows_of(info: dict) -> list[tuple[str, str]]:
    """Label/value pairs shown for a ``describe`` result."""
    rows = [("Path", info["path"]), ("Kind", info["kind"])]
    size = info.get("aggregate_size") if info["kind"] == "dir" else info["size"]
    if size is not None:
        rows.append(("Size", f"{human_size(size)} ({size:,} bytes)"))
    if info["kind"] == "dir" and info.get("file_count") is not None:
        rows.append(("Contains", f"{human_count(info['file_count'])} files, {human_count(info['child_count'])} items"))
    rows.append(("Modified", human_time(info["mtime_ns"], ns=True)))
    if not info["indexed"]:
        where = "not in a location" if info["location_id"] is None else "its location is not indexed here yet"
        rows.append(("Library", f"not indexed ({where})"))
        return rows
    rows.append(("Library", f"location {info['location_id']}, entry {info['entry_id']}"))
    rows.append(("MIME type", info.get("mime") or "—"))
    rows.append(("Content id (cas_id)", info.get("cas_id") or "—"))
    rows.append(("Integrity hash", info.get("integrity_hash") or "— (deep index or validate to compute)"))
    sidecars = info.get("sidecars") or []
    rows.append(
        (
            "Sidecars",
            ", ".join(f"{s['variant']} {s['width']}×{s['height']} {s['format']}" for s in sidecars) or "none",
        )
    )
    return rows


class PropertiesDialog(QDialog):
    def __init__(self, info: dict, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("properties_dialog")
        self.info = info
        self.setWindowTitle(f"Properties — {info['path'].rsplit('/', 1)[-1] or info['path']}")
        form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for label, value in rows_of(info):
            v = QLabel(value)
            v.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            v.setWordWrap(True)
            form.addRow(f"<b>{label}:</b>", v)
            self.values[label] = v
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)

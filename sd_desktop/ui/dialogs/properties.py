"""The Properties dialog: what the file system and the library know of one path
(``library.describe.describe``), in plain words: "Folder", "Contains 42 files in 2 folders",
the location by its name."""

from __future__ import annotations

import os

from PySide6.QtCore import QMimeDatabase, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from sd_desktop.ui.formatting import human_size, human_time, plural

KINDS = {"dir": "Folder", "symlink": "Link", "other": "Special file (device, pipe or socket)"}


def kind_text(info: dict) -> str:
    """ "Folder", "Link", or what the file holds ("JPEG image"), from the library's MIME type or,
    for a file the library does not know, from its name."""
    if info["kind"] in KINDS:
        return KINDS[info["kind"]]
    db = QMimeDatabase()
    mime = (
        db.mimeTypeForName(info["mime"])
        if info.get("mime")
        else db.mimeTypeForFile(info["path"], QMimeDatabase.MatchMode.MatchExtension)
    )
    if mime.isValid() and not mime.isDefault() and mime.comment():
        comment = mime.comment()
        return comment[:1].upper() + comment[1:]
    return "File"


def size_text(size: int) -> str:
    return plural(size, "byte") if size < 1000 else f"{human_size(size)} ({plural(size, 'byte')})"


def contains_text(files: int, folders: int | None) -> str:
    """ "42 files in 2 folders", "1 file", "Nothing"."""
    if not files and not folders:
        return "Nothing"
    text = plural(files, "file")
    return f"{text} in {plural(folders, 'folder')}" if folders else text


def library_text(info: dict) -> str:
    if info["location_id"] is None:
        return "Not in your library"
    name = info.get("location_name") or "a location"
    if not info["indexed"]:
        return f"In “{name}”, not indexed yet"
    return f"In “{name}”"


def rows_of(info: dict) -> list[tuple[str, str]]:
    """Label/value pairs shown for a ``describe`` result."""
    folder = info["kind"] == "dir"
    rows = [("Kind", kind_text(info)), ("Where", os.path.dirname(info["path"]) or info["path"])]
    size = info.get("aggregate_size") if folder else info["size"]
    if size is not None and (info["indexed"] or not folder):  # a folder's own size means nothing to people
        rows.append(("Size", size_text(size)))
    if folder and info.get("file_count") is not None:
        rows.append(("Contains", contains_text(info["file_count"], info.get("dir_count"))))
    rows.append(("Modified", human_time(info["mtime_ns"], ns=True)))
    rows.append(("Library", library_text(info)))
    if not info["indexed"]:
        return rows
    if not folder:
        rows.append(("Content id", info.get("cas_id") or "Not computed yet"))
        rows.append(
            ("Integrity hash", info.get("integrity_hash") or "Not computed yet (a deep index or Validate makes it)")
        )
        sidecars = info.get("sidecars") or []
        sizes = [f"{s['width']}×{s['height']}" for s in sidecars]
        rows.append(("Thumbnails", " and ".join(sizes) if sizes else "None yet"))
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
            v.setTextFormat(Qt.TextFormat.PlainText)
            v.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            v.setWordWrap(True)
            form.addRow(f"<b>{label}:</b>", v)
            self.values[label] = v
        if info.get("mime"):
            self.values["Kind"].setToolTip(info["mime"])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

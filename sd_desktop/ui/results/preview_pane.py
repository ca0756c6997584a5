"""The preview pane of the duplicate view: the selected picture, large, as dupeGuru and czkawka show
it beside their lists, with its name, size, date and folder.

The picture is the largest thumbnail sidecar the library holds for the file's content (the
thumbnail job writes a 512 px variant beside the 256 px one the lists use), else the file itself,
scaled while it is decoded. Both are read and decoded on a worker thread; a newer selection
makes the result of an older one be dropped, so quick arrow keys never queue stale pictures.
"""

from __future__ import annotations

import os

import shiboken6
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QImage, QImageReader, QPixmap
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from sd_desktop.library import Library
from sd_desktop.library.browse import thumbnail_files
from sd_desktop.ui.workers import BackgroundRunner

LARGE_VARIANTS = ("512", "256")  # the largest first
MAX_SIDE = 1024  # a file decoded for the pane is scaled to this while it is read
DEBOUNCE_MS = 40  # arrow keys held down: only the row the user stops on is decoded


def load_preview(library: Library | None, content_id: int | None, path: bytes) -> QImage | None:
    """The picture to show for ``path`` (runs on a worker thread): its largest sidecar, else the
    file decoded at most ``MAX_SIDE`` px wide or high; None for what is not a readable picture."""
    if library is not None and content_id is not None:
        conn = library.connect_reader()
        try:
            for variant in LARGE_VARIANTS:
                for _cid, file in thumbnail_files(conn, [content_id], variant, library.sidecar_dir):
                    image = QImage(os.fsdecode(file))
                    if not image.isNull():
                        return image
        finally:
            conn.close()
    reader = QImageReader(os.fsdecode(path))
    reader.setAutoTransform(True)  # camera pictures stand the right way up
    if not reader.canRead():
        return None
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > MAX_SIDE:
        reader.setScaledSize(size.scaled(MAX_SIDE, MAX_SIDE, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    return None if image.isNull() else image


class PreviewPane(QFrame):
    def __init__(self, library: Library | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("preview_pane")
        self.library = library
        self.path: bytes | None = None
        self._content_id: int | None = None
        self._pixmap: QPixmap | None = None
        self._token = 0
        self._runner = BackgroundRunner("preview", parent=self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._load)

        self.picture = QLabel()
        self.picture.setObjectName("preview_picture")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(QSize(160, 120))
        # the label follows the pane's size, never the picture's
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.picture.setStyleSheet("color: palette(mid);")
        self.name = QLabel()
        self.name.setObjectName("preview_name")
        self.name.setWordWrap(True)
        self.name.setTextFormat(Qt.TextFormat.PlainText)
        font = self.name.font()
        font.setBold(True)
        self.name.setFont(font)
        self.details = QLabel()
        self.details.setObjectName("preview_details")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.name)
        layout.addWidget(self.details)
        self.show_file(None)

    @property
    def pixmap(self) -> QPixmap | None:
        """The picture shown (full size as decoded), None when there is none."""
        return self._pixmap

    def show_file(self, path: bytes | None, content_id: int | None = None, name: str = "", details: str = "") -> None:
        """Show ``path`` (None: nothing selected); its picture arrives from a worker."""
        self._token += 1
        self.path, self._content_id = path, content_id
        self._pixmap = None
        self.name.setText(name)
        self.details.setText(details)
        self.picture.setPixmap(QPixmap())
        self.picture.setText("Select a file to see it here" if path is None else "Loading…")
        if path is not None:
            self._timer.start()

    def _load(self) -> None:
        if self.path is None:
            return
        token, library, cid, path = self._token, self.library, self._content_id, self.path
        self._runner.submit(lambda: load_preview(library, cid, path), lambda res, err: self._loaded(token, res, err))

    def _loaded(self, token: int, image: QImage | None, error: BaseException | None) -> None:
        if token != self._token:
            return  # the selection moved on
        if error is not None or image is None:
            self.picture.setText("No preview for this file")
            return
        self._pixmap = QPixmap.fromImage(image)
        self._fit()

    def _fit(self) -> None:
        if self._pixmap is None:
            return
        room = self.picture.size()
        shown = self._pixmap
        if shown.width() > room.width() or shown.height() > room.height():
            shown = shown.scaled(room, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        self.picture.setPixmap(shown)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def dispose(self) -> None:
        """Stop loading (the view goes away, or went already): late pictures are dropped."""
        self._runner.close()
        if shiboken6.isValid(self._timer):
            self._timer.stop()

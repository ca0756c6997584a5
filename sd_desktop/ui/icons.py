"""File-type icons as Dolphin and Nautilus show them: the desktop's icon theme by MIME type (the
type's own icon, else its generic one), folders with the theme's folder icon, symbolic links with
the link emblem over their type's icon. When the theme lacks an icon, a bundled one stands in
(``resources/icons/types``, named as the freedesktop icon naming specification names them, drawn
for this project), and the style's plain file icon after that.

The MIME type comes from the name alone (``MatchExtension``): no file is read on the GUI thread.
Icons are looked up once per (kind, extension) and cached: the icon theme is slow per file, and a
100,000-row folder asks for thousands while scrolling."""

from __future__ import annotations

from PySide6.QtCore import QMimeDatabase, QRect, QSize
from PySide6.QtGui import QAbstractFileIconProvider, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QFileIconProvider

KIND_FILE, KIND_DIR, KIND_SYMLINK, KIND_OTHER = 0, 1, 2, 3
FOLDER_ICON, LINK_EMBLEM, UNKNOWN_ICON = "folder", "emblem-symbolic-link", "unknown"
EMBLEM_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


def bundled_icon(name: str) -> QIcon | None:
    """The bundled icon ``name`` (None when this build has none of that name, or no resources)."""
    try:
        from sd_desktop.resources import resource_path

        return QIcon(str(resource_path(f"icons/types/{name}.svg")))
    except (FileNotFoundError, ValueError):
        return None


def with_emblem(base: QIcon, emblem: QIcon) -> QIcon:
    """``base`` with ``emblem`` in its lower right corner, drawn at the usual icon sizes."""
    out = QIcon()
    for size in EMBLEM_SIZES:
        pixmap = QPixmap(base.pixmap(QSize(size, size)))
        if pixmap.isNull():
            continue
        side = max(8, size * 9 // 20)
        painter = QPainter(pixmap)
        emblem.paint(painter, QRect(pixmap.width() - side, pixmap.height() - side, side, side))
        painter.end()
        out.addPixmap(pixmap)
    return out


class TypeIcons:
    def __init__(self) -> None:
        self._provider = QFileIconProvider()
        self._mimes = QMimeDatabase()
        self._icons: dict[tuple[int, str], QIcon] = {}
        self._comments: dict[tuple[int, str], str] = {}
        self._bundled: dict[str, QIcon | None] = {}
        self._file = self._themed([UNKNOWN_ICON], self._provider.icon(QAbstractFileIconProvider.IconType.File))
        self._folder = self._themed([FOLDER_ICON], self._provider.icon(QAbstractFileIconProvider.IconType.Folder))
        self._trash = self._provider.icon(QAbstractFileIconProvider.IconType.Trashcan)
        self._drive = self._provider.icon(QAbstractFileIconProvider.IconType.Drive)
        self._emblem = self._themed([LINK_EMBLEM], QIcon())

    def _themed(self, names: list[str], fallback: QIcon) -> QIcon:
        """The first of ``names`` the theme has, else the first one bundled, else ``fallback``."""
        for name in names:
            if name and QIcon.hasThemeIcon(name):
                return QIcon.fromTheme(name)
        for name in names:
            if name not in self._bundled:
                self._bundled[name] = bundled_icon(name) if name else None
            icon = self._bundled[name]
            if icon is not None and not icon.isNull():
                return icon
        return fallback

    @staticmethod
    def _ext(name: str) -> str:
        dot = name.rfind(".")
        return name[dot + 1 :].lower() if 0 < dot < len(name) - 1 else ""

    def icon(self, kind: int, name: str) -> QIcon:
        if kind == KIND_DIR:
            return self._folder
        key = (kind, self._ext(name))
        icon = self._icons.get(key)
        if icon is None:
            icon = self._lookup(kind, key[1])
            self._icons[key] = icon
        return icon

    def _lookup(self, kind: int, ext: str) -> QIcon:
        if kind == KIND_SYMLINK:
            # what a link points to is not looked up (that is a stat): its name's type, with the emblem
            base = self.icon(KIND_FILE, f"x.{ext}" if ext else "x")
            return with_emblem(base, self._emblem) if not self._emblem.isNull() else base
        if not ext:
            return self._file
        mime = self._mimes.mimeTypeForFile(f"x.{ext}", QMimeDatabase.MatchMode.MatchExtension)
        if not mime.isValid() or mime.isDefault():
            return self._file
        return self._themed([mime.iconName(), mime.genericIconName()], self._file)

    def kind_text(self, kind: int, name: str, mime: str | None = None) -> str:
        if kind == KIND_DIR:
            return "Folder"
        if kind == KIND_SYMLINK:
            return "Symbolic link"
        if kind == KIND_OTHER:
            return "Special file"
        ext = self._ext(name)
        key = (kind, mime or ext)
        text = self._comments.get(key)
        if text is None:
            m = self._mimes.mimeTypeForName(mime) if mime else None
            if m is None or not m.isValid():
                m = self._mimes.mimeTypeForFile(f"x.{ext}", QMimeDatabase.MatchMode.MatchExtension) if ext else None
            if m is not None and m.isValid() and not m.isDefault():
                text = m.comment()
                text = text[:1].upper() + text[1:]
            else:
                text = f"{ext.upper()} file" if ext else "File"
            self._comments[key] = text
        return text

    @property
    def folder(self) -> QIcon:
        return self._folder

    @property
    def trash(self) -> QIcon:
        return self._trash

    @property
    def drive(self) -> QIcon:
        return self._drive

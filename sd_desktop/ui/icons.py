"""File-type icons, looked up once per (kind, extension) and cached: QFileIconProvider and the
icon theme are slow per file, and a 100,000-row folder asks for thousands while scrolling."""

from __future__ import annotations

from PySide6.QtCore import QMimeDatabase
from PySide6.QtGui import QAbstractFileIconProvider, QIcon
from PySide6.QtWidgets import QFileIconProvider

KIND_DIR, KIND_SYMLINK, KIND_OTHER = 1, 2, 3


class TypeIcons:
    def __init__(self) -> None:
        self._provider = QFileIconProvider()
        self._mimes = QMimeDatabase()
        self._icons: dict[tuple[int, str], QIcon] = {}
        self._comments: dict[tuple[int, str], str] = {}
        self._file = self._provider.icon(QAbstractFileIconProvider.IconType.File)
        self._folder = self._provider.icon(QAbstractFileIconProvider.IconType.Folder)
        self._trash = self._provider.icon(QAbstractFileIconProvider.IconType.Trashcan)
        self._drive = self._provider.icon(QAbstractFileIconProvider.IconType.Drive)

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
            return QIcon.fromTheme("emblem-symbolic-link", self._file)
        if not ext:
            return self._file
        mime = self._mimes.mimeTypeForFile(f"x.{ext}", QMimeDatabase.MatchMode.MatchExtension)
        if not mime.isValid() or mime.isDefault():
            return self._file
        generic = QIcon.fromTheme(mime.genericIconName(), self._file)
        return QIcon.fromTheme(mime.iconName(), generic)

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

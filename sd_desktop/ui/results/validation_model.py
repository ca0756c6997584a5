"""The validation results model: one row per issue of a file_validation job's output, with a
filter proxy by severity and type."""

from __future__ import annotations

import os

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    QRectF,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

from sd_desktop import paths
from sd_desktop.ui.multidata import fill_span

COL_SEVERITY, COL_TYPE, COL_PATH, COL_MESSAGE, COL_ACTION = range(5)
HEADERS = ("Severity", "Type", "Path", "Message", "Suggested action")
SEVERITIES = ("critical", "error", "warning", "info")
RANK = {s: i for i, s in enumerate(SEVERITIES)}
COLORS = {"critical": "#8e1b1b", "error": "#d32f2f", "warning": "#ef8f00", "info": "#1e6fd9"}
GLYPHS = {"critical": "!!", "error": "!", "warning": "?", "info": "i"}
PathRole = Qt.ItemDataRole.UserRole + 1
SeverityRole = Qt.ItemDataRole.UserRole + 2
TypeRole = Qt.ItemDataRole.UserRole + 3
SortRole = Qt.ItemDataRole.UserRole + 4

_ICONS: dict[str, QIcon] = {}


def severity_icon(severity: str) -> QIcon:
    """A coloured round badge per severity (the style's message-box icons are too big and too alike)."""
    icon = _ICONS.get(severity)
    if icon is None:
        pm = QPixmap(32, 32)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(COLORS.get(severity, "#777777")))
        p.drawEllipse(QRectF(2, 2, 28, 28))
        p.setPen(QColor("white"))
        font = QFont()
        font.setBold(True)
        font.setPixelSize(18)
        p.setFont(font)
        p.drawText(QRectF(0, 0, 32, 32), Qt.AlignmentFlag.AlignCenter, GLYPHS.get(severity, "·"))
        p.end()
        icon = _ICONS[severity] = QIcon(pm)
    return icon


def humanize(word: str) -> str:
    return word.replace("_", " ").capitalize()


class ValidationModel(QAbstractTableModel):
    def __init__(self, output: dict, parent: QObject | None = None):
        super().__init__(parent)
        self.output = output
        self.issues = sorted(
            (dict(i, path=os.fsencode(i["path"])) for i in output.get("issues") or []),
            key=lambda i: (RANK.get(i.get("severity"), 9), i["path"]),
        )

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.issues)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < 5:
            return HEADERS[section]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def types(self) -> list[str]:
        return sorted({i.get("type", "") for i in self.issues})

    def multiData(self, index: QModelIndex | QPersistentModelIndex, roleDataSpan: QModelRoleDataSpan) -> None:
        fill_span(self, index, roleDataSpan)  # one Python call per painted cell

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.issues):
            return None
        i = self.issues[index.row()]
        col = index.column()
        sev = i.get("severity", "")
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_SEVERITY:
                return sev.capitalize()
            if col == COL_TYPE:
                return humanize(i.get("type", ""))
            if col == COL_PATH:
                return paths.display(i["path"])
            if col == COL_MESSAGE:
                return i.get("message", "")
            if col == COL_ACTION:
                return (i.get("suggested_action") or "").capitalize()
            return None
        if role == Qt.ItemDataRole.DecorationRole and col == COL_SEVERITY:
            return severity_icon(sev)
        if role == Qt.ItemDataRole.ForegroundRole and col == COL_SEVERITY:
            return QColor(COLORS.get(sev, "#777777"))
        if role == Qt.ItemDataRole.FontRole and col == COL_SEVERITY and sev in ("critical", "error"):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{paths.display(i['path'])}\n{i.get('message', '')}"
        if role == SortRole:
            if col == COL_SEVERITY:
                return RANK.get(sev, 9)
            return self.data(index, Qt.ItemDataRole.DisplayRole)
        if role == PathRole:
            return i["path"]
        if role == SeverityRole:
            return sev
        if role == TypeRole:
            return i.get("type", "")
        return None


class IssueFilter(QSortFilterProxyModel):
    """Shows the issues of the chosen severities (all by default) and type (None = every type)."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.severities: set[str] = set(SEVERITIES)
        self.type: str | None = None
        self.setSortRole(SortRole)

    def set_severities(self, severities: set[str]) -> None:
        self._refilter(lambda: setattr(self, "severities", set(severities)))

    def set_type(self, type_: str | None) -> None:
        self._refilter(lambda: setattr(self, "type", type_ or None))

    def _refilter(self, change) -> None:
        if hasattr(self, "endFilterChange"):  # Qt 6.10+: invalidateFilter is deprecated
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:  # noqa: N802
        idx = self.sourceModel().index(row, 0, parent)
        if idx.data(SeverityRole) not in self.severities:
            return False
        return self.type is None or idx.data(TypeRole) == self.type

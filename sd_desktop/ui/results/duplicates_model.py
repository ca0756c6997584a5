"""The duplicate results model: a tree of groups (most wasted bytes first) and their files.

Marks are what the user proposes to remove. Whatever is clicked, a group always keeps one
unmarked copy (the last unmarked file cannot be marked and is shown as the kept copy), files in
reference folders are locked, and automatic marking is the engine's selection policy
(``duplicate_detection.select.plan_deletion``), not a second implementation. The marked set turns
into the guarded deletion plan the DeleteJob re-checks at run time (``guarded_targets``); its
outcomes come back through ``apply_outcomes`` (skipped groups changed since the scan).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from sd_desktop import paths
from sd_desktop.ops.files import remote_listing
from sd_desktop.ops.files.delete.config import GuardedTarget
from sd_desktop.ops.files.duplicate_detection.select import Plan, Policy, _in_any, plan_deletion
from sd_desktop.ops.files.link.config import LinkTarget
from sd_desktop.ui.formatting import human_size, human_time, plural
from sd_desktop.ui.icons import TypeIcons
from sd_desktop.ui.multidata import fill_span

COL_NAME, COL_FOLDER, COL_LOCATION, COL_SIZE, COL_MODIFIED, COL_STATUS = range(6)
HEADERS = ("Name", "Folder", "Location", "Size", "Modified", "Status")
NO_GROUP = 0  # internalId of group rows; file rows carry their group's index + 1
PathRole = Qt.ItemDataRole.UserRole + 1
KeptRole = Qt.ItemDataRole.UserRole + 2
DONE_OUTCOMES = ("trashed", "deleted", "moved", "linked", "already")  # no longer an extra copy


@dataclass
class DupFile:
    path: str  # os.fsdecode'd (surrogates keep undecodable bytes)
    mtime_ns: int
    reference: bool
    marked: bool = False
    status: str | None = None  # trashed | deleted | moved | linked | "skipped: ..." | "failed: ..."
    content_id: int | None = None
    device: int | None = None  # st_dev the search saw (a link's kept copy is chosen on the same one)

    @property
    def raw(self) -> bytes:
        return os.fsencode(self.path)

    @property
    def present(self) -> bool:
        return self.status not in DONE_OUTCOMES


@dataclass
class DupGroup:
    size: int
    hash: str | None
    files: list[DupFile] = field(default_factory=list)
    note: str | None = None  # what happened when the marked set was acted on

    @property
    def present(self) -> list[DupFile]:
        return [f for f in self.files if f.present]

    @property
    def wasted(self) -> int:
        return self.size * max(0, len(self.present) - 1)

    def unmarked(self) -> list[DupFile]:
        return [f for f in self.present if not f.marked]


class DuplicatesModel(QAbstractItemModel):
    marksChanged = Signal()

    def __init__(
        self,
        output: dict,
        icons: TypeIcons | None = None,
        locations: list[tuple[bytes, str]] | None = None,
        thumbnails: object | None = None,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.output = output
        self.icons = icons or TypeIcons()
        self.thumbnails = thumbnails
        self.locations = sorted(locations or [], key=lambda loc: -len(loc[0]))
        self.verified = bool(output.get("verified", False))
        self.reference_paths = [os.fsdecode(p) for p in output.get("reference_paths") or []]
        # folders are shown relative to the search path holding them (the longest first)
        self.search_roots = sorted(
            (
                os.path.realpath(os.fsencode(p))
                for p in output.get("search_paths") or []
                if not remote_listing.is_remote(p)
            ),
            key=len,
            reverse=True,
        )
        self.groups: list[DupGroup] = []
        for g in output.get("groups") or []:
            files = g.get("files") or [{"path": p, "mtime_ns": 0} for p in g["paths"]]
            group = DupGroup(int(g["size"]), g.get("hash"))
            for f in files:
                path = os.fsdecode(f["path"])
                ref = bool(f.get("reference")) or bool(self.reference_paths and _in_any(path, self.reference_paths))
                group.files.append(DupFile(path, int(f.get("mtime_ns") or 0), ref, device=f.get("device")))
            self.groups.append(group)
        self.groups.sort(key=lambda g: (-g.wasted, g.files[0].path if g.files else ""))
        self._by_cid: dict[int, list[tuple[int, int]]] = {}
        if thumbnails is not None:
            thumbnails.ready.connect(self._thumbnails_ready)

    # -- structure -------------------------------------------------------------------------
    def index(self, row: int, column: int, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column < 0 or column >= len(HEADERS) or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, NO_GROUP) if row < len(self.groups) else QModelIndex()
        if parent.internalId() != NO_GROUP or parent.column() != 0:
            return QModelIndex()
        g = parent.row()
        if g >= len(self.groups) or row >= len(self.groups[g].files):
            return QModelIndex()
        return self.createIndex(row, column, g + 1)

    def parent(self, index: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not index.isValid() or index.internalId() == NO_GROUP:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, NO_GROUP)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self.groups)
        if parent.internalId() == NO_GROUP and parent.column() == 0:
            return len(self.groups[parent.row()].files)
        return 0

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole and section == COL_SIZE:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def group_of(self, index: QModelIndex) -> tuple[DupGroup, DupFile | None]:
        if index.internalId() == NO_GROUP:
            return self.groups[index.row()], None
        g = self.groups[index.internalId() - 1]
        return g, g.files[index.row()]

    # -- marking rules ---------------------------------------------------------------------
    def is_locked(self, group: DupGroup, f: DupFile) -> bool:
        """Locked files cannot be marked: references, files already acted on, the last kept copy."""
        if f.reference or not f.present:
            return True
        return not f.marked and len(group.unmarked()) <= 1

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.internalId() == NO_GROUP:
            return base
        group, f = self.group_of(index)
        base |= Qt.ItemFlag.ItemNeverHasChildren
        if index.column() == COL_NAME and f is not None and not self.is_locked(group, f):
            base |= Qt.ItemFlag.ItemIsUserCheckable
        return base

    def setData(self, index: QModelIndex | QPersistentModelIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.CheckStateRole or index.internalId() == NO_GROUP:
            return False
        group, f = self.group_of(index)
        assert f is not None
        want = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
        if want == f.marked:
            return True
        if want and self.is_locked(group, f):
            return False
        f.marked = want
        self._group_changed(self.groups.index(group))
        self.marksChanged.emit()
        return True

    def _group_changed(self, g: int) -> None:
        n = len(self.groups[g].files)
        parent = self.index(g, 0)
        self.dataChanged.emit(parent, self.index(g, len(HEADERS) - 1))
        if n:
            self.dataChanged.emit(self.index(0, 0, parent), self.index(n - 1, len(HEADERS) - 1, parent))

    def _all_changed(self) -> None:
        # one repaint for bulk marking (no rows move; views keep their expanded groups)
        self.layoutAboutToBeChanged.emit()
        self.layoutChanged.emit()
        self.marksChanged.emit()

    def mark_by_policy(self, policy: Policy | str, pattern: str | None = None) -> Plan:
        """Mark what the engine's selection policy proposes (files acted on stay as they are)."""
        remaining = dict(self.output, groups=[self._group_dict(g) for g in self.groups])
        plan = plan_deletion(remaining, policy, pattern, self.reference_paths)
        doomed = {os.fsencode(t["path"]) for t in plan.targets}
        for group in self.groups:
            for f in group.present:
                f.marked = f.raw in doomed
        self._all_changed()
        return plan

    @staticmethod
    def _group_dict(g: DupGroup) -> dict:
        files = [{"path": f.path, "mtime_ns": f.mtime_ns, "reference": f.reference} for f in g.present]
        return {"size": g.size, "hash": g.hash, "paths": [f["path"] for f in files], "files": files}

    def invert(self) -> None:
        """Flip the marks of unlocked files; a group that would lose every copy keeps its first one."""
        for group in self.groups:
            for f in group.present:
                if not f.reference:
                    f.marked = not f.marked
            if group.present and not group.unmarked():
                keep = min(group.present, key=lambda f: (len(f.raw), f.raw))
                keep.marked = False
        self._all_changed()

    def clear_marks(self) -> None:
        for group in self.groups:
            for f in group.files:
                f.marked = False
        self._all_changed()

    def marked_files(self) -> list[DupFile]:
        return [f for g in self.groups for f in g.present if f.marked]

    def summary(self) -> tuple[int, int, int]:
        """(marked files, bytes they free, groups touched)."""
        files = bytes_ = groups = 0
        for g in self.groups:
            m = [f for f in g.present if f.marked]
            if m:
                groups += 1
                files += len(m)
                bytes_ += g.size * len(m)
        return files, bytes_, groups

    def guarded_targets(self) -> list[GuardedTarget]:
        """The guarded deletion plan of the marked set: each target names the unmarked copies kept."""
        if not self.verified:
            raise ValueError("these results are candidates, not verified duplicates: run a content search first")
        out = []
        for g in self.groups:
            keepers = [paths.to_path(f.path) for f in g.unmarked()]
            for f in g.present:
                if f.marked and keepers and g.hash:
                    out.append(GuardedTarget(paths.to_path(f.path), g.size, f.mtime_ns, g.hash, keepers))
        return out

    def link_targets(self) -> list[LinkTarget]:
        """The marked copies as links to an unmarked copy of their group (one on the same device
        where there is one): the LinkJob re-checks each at run time."""
        if not self.verified:
            raise ValueError("these results are candidates, not verified duplicates: run a content search first")
        out = []
        for g in self.groups:
            keepers = g.unmarked()
            if not keepers or not g.hash:
                continue
            for f in g.present:
                if f.marked:
                    keeper = next((k for k in keepers if k.device == f.device), keepers[0])
                    out.append(
                        LinkTarget(paths.to_path(f.path), paths.to_path(keeper.path), g.size, f.mtime_ns, g.hash)
                    )
        return out

    def apply_outcomes(self, outcomes: list[dict]) -> tuple[int, int]:
        """Show a delete/move/link job's outcomes: done files drop out of their group (a link undone
        comes back), skipped ones report why (the group changed since the scan, or could not be
        linked). Returns (done, skipped or failed)."""
        by_path = {os.path.abspath(os.fsencode(o["path"])): o for o in outcomes}
        linking = any("keeper" in o for o in outcomes)  # a LinkJob's outcomes name the kept copy
        done = problems = 0
        for group in self.groups:
            notes = []
            for f in group.files:
                o = by_path.get(os.path.abspath(f.raw))
                if o is None:
                    continue
                outcome = o.get("outcome")
                f.marked = False
                if outcome == "restored":  # an undone link: an extra copy again
                    f.status = None
                    done += 1
                elif outcome in DONE_OUTCOMES or outcome == "copied":
                    f.status = "moved" if outcome == "copied" else outcome
                    done += 1
                else:
                    f.status = f"{outcome}: {o.get('reason') or 'no reason given'}"
                    problems += 1
                    notes.append(o.get("reason") or outcome)
            if notes and linking:
                group.note = "not replaced by a link: " + notes[0]
            elif notes:
                group.note = "changed since the scan — not deleted: " + notes[0]
        self._all_changed()
        return done, problems

    # -- thumbnails ------------------------------------------------------------------------
    def set_content_ids(self, ids: dict[bytes, int]) -> None:
        self._by_cid.clear()
        for gi, g in enumerate(self.groups):
            for fi, f in enumerate(g.files):
                cid = ids.get(f.raw)
                f.content_id = cid
                if cid is not None:
                    self._by_cid.setdefault(cid, []).append((gi, fi))
        for gi in range(len(self.groups)):
            self._group_changed(gi)

    def _thumbnails_ready(self, cids: list[int]) -> None:
        for cid in cids:
            for gi, fi in self._by_cid.get(cid, ()):
                idx = self.index(fi, COL_NAME, self.index(gi, 0))
                self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])

    # -- data ------------------------------------------------------------------------------
    def _folder(self, folder: bytes) -> str:
        if remote_listing.is_remote(folder + b"/"):  # on a volume: its address, as the path bar shows it
            return paths.display(folder + b"/" if folder.endswith(b":") else folder)
        for root in self.search_roots:
            if paths.is_within(folder, root):
                rel = os.path.relpath(folder, root)
                name = paths.display(os.path.basename(root) or root)
                return name if rel == b"." else f"{name}/{paths.display(rel)}"
        return paths.display(folder)

    def has_locations(self) -> bool:
        return any(self._location(f.raw) for g in self.groups for f in g.files)

    def _location(self, raw: bytes) -> str:
        for root, name in self.locations:
            if paths.is_within(raw, root):
                return name
        return ""

    def multiData(self, index: QModelIndex | QPersistentModelIndex, roleDataSpan: QModelRoleDataSpan) -> None:
        fill_span(self, index, roleDataSpan)  # one Python call per painted cell

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        group, f = self.group_of(index)
        col = index.column()
        if f is None:
            return self._group_data(group, col, role)
        raw = f.raw
        kept = f.present and not f.marked
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_NAME:
                return paths.display(os.path.basename(raw))
            if col == COL_FOLDER:
                return self._folder(os.path.dirname(raw))
            if col == COL_LOCATION:
                return self._location(raw)
            if col == COL_SIZE:
                return human_size(group.size)
            if col == COL_MODIFIED:
                return human_time(f.mtime_ns, ns=True) if f.mtime_ns else ""
            if col == COL_STATUS:
                if f.status:
                    return f.status[:1].upper() + f.status[1:]
                if f.reference:
                    return "Reference — kept"
                if f.marked:
                    return "Marked for removal"
                return "Kept copy" if len(group.unmarked()) == 1 else "Keep"
            return None
        if role == Qt.ItemDataRole.CheckStateRole and col == COL_NAME:
            return Qt.CheckState.Checked if f.marked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DecorationRole and col == COL_NAME:
            if f.content_id is not None and self.thumbnails is not None:
                icon = self.thumbnails.icon(f.content_id)
                if icon is not None:
                    return icon
            if f.reference:
                return _lock_icon()
            return self.icons.icon(0, os.fsdecode(os.path.basename(raw)))
        if (
            role == Qt.ItemDataRole.FontRole
            and col == COL_NAME
            or role == Qt.ItemDataRole.FontRole
            and col == COL_STATUS
        ):
            font = QFont()
            if not f.present:
                font.setStrikeOut(True)
            elif kept and len(group.unmarked()) == 1:
                font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole:
            pal = QApplication.palette()
            if not f.present:
                return QBrush(pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
            if f.status:
                return QBrush(QColor("#b35c00"))
            if f.marked:
                return QBrush(QColor("#c0392b")) if col == COL_STATUS else None
            if col == COL_STATUS:
                return QBrush(QColor("#2e7d32"))
        if role == Qt.ItemDataRole.ToolTipRole:
            return paths.display(raw) + (f"\n{f.status}" if f.status else "")
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == PathRole:
            return raw
        if role == KeptRole:
            return kept
        return None

    def _group_data(self, group: DupGroup, col: int, role: int):
        if role == Qt.ItemDataRole.DisplayRole:
            n = len(group.present)
            if col == COL_NAME:
                name = paths.display(os.path.basename(group.files[0].raw)) if group.files else ""
                return f"{n} copies — {name}" if n > 1 else f"Resolved — {name}"
            if col == COL_SIZE:
                return human_size(group.size)
            if col == COL_STATUS:
                if group.note:
                    return group.note
                if n <= 1:
                    return "one copy left"
                marked = len([f for f in group.present if f.marked])
                wasted = f"wastes {human_size(group.wasted)}"
                return f"{wasted} · {marked} marked" if marked else wasted
            return None
        if role == Qt.ItemDataRole.FontRole and col in (COL_NAME, COL_STATUS):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and col == COL_STATUS and group.note:
            return QBrush(QColor("#b35c00"))
        if role == Qt.ItemDataRole.ToolTipRole and group.hash:
            return f"blake3 {group.hash}"
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


_LOCK: QIcon | None = None


def _lock_icon() -> QIcon:
    """A small padlock: reference files are locked."""
    global _LOCK
    if _LOCK is None:
        from PySide6.QtCore import QRectF
        from PySide6.QtGui import QPainter, QPen, QPixmap

        pm = QPixmap(32, 32)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(QColor("#5f6b7a"), 3.5))
        p.drawArc(QRectF(9, 3, 14, 18), 0, 180 * 16)
        p.drawLine(9, 12, 9, 15)
        p.drawLine(23, 12, 23, 15)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#d4a017"))
        p.drawRoundedRect(QRectF(5, 14, 22, 16), 3, 3)
        p.end()
        _LOCK = QIcon(pm)
    return _LOCK


def summary_text(files: int, freed: int, groups: int) -> str:
    if not files:
        return "Nothing marked. Mark copies to remove, or use Auto-Mark."
    return f"{plural(files, 'file')} marked in {plural(groups, 'group')} — frees {human_size(freed)}"

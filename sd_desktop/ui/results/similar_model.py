"""The similar-pictures results model: one row per group, its pictures side by side (column i is
the group's i-th picture; a shorter group leaves its last cells empty).

The model holds the marks and renders them; the rules (which picture to keep, that a group keeps
one, what a removal re-checks) are ``ops.media.similar.keep``'s. Thumbnails come from the window's
``ThumbnailCache`` (the library's sidecar of an indexed content, else the freedesktop cache, made
on demand), loaded on its workers; ``ready`` repaints only the cells that got one. An indexed
picture whose content has no sidecar yet falls back to the freedesktop cache (made on demand, no
job needed), so every card gets its picture.
"""

from __future__ import annotations

import os
from collections import Counter

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from sd_desktop import paths
from sd_desktop.ops.files.delete.config import PictureTarget
from sd_desktop.ops.media.similar import keep
from sd_desktop.ops.media.similar.keep import Picture
from sd_desktop.ui.formatting import human_size, plural

PathRole = Qt.ItemDataRole.UserRole + 1  # raw bytes of the picture's path
DetailsRole = Qt.ItemDataRole.UserRole + 2  # (size and resolution, distance, status) texts
StateRole = Qt.ItemDataRole.UserRole + 3  # "marked" | "kept" | "gone"
NoPreviewRole = Qt.ItemDataRole.UserRole + 4  # True: this picture will get no thumbnail
DONE_OUTCOMES = ("trashed", "deleted")


class SimilarModel(QAbstractTableModel):
    marksChanged = Signal()

    def __init__(self, output: dict, thumbnails: object | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.output = output
        self.thumbnails = thumbnails
        self.groups: list[list[Picture]] = keep.groups_of(output)
        self.status: dict[tuple[int, int], str] = {}  # (group, picture) -> what a removal did to it
        self.sharpness: dict[str, float | None] = {}  # path -> score, once measured
        self._width = max((len(g) for g in self.groups), default=0)
        self._cids: dict[str, int] = {}
        self.without_sidecar: set[str] = set()  # indexed pictures shown from the freedesktop cache instead
        self._cells_of: dict[object, list[tuple[int, int]]] = {}  # thumbnail key -> cells waiting for it
        if thumbnails is not None:
            thumbnails.ready.connect(self._thumbnails_ready)
            thumbnails.missing.connect(self._thumbnails_missing)

    # -- structure -------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.groups)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._width

    def picture(self, index: QModelIndex | QPersistentModelIndex) -> Picture | None:
        if not index.isValid() or index.row() >= len(self.groups):
            return None
        group = self.groups[index.row()]
        return group[index.column()] if index.column() < len(group) else None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self.groups):
            present = [p for p in self.groups[section] if not p.gone]
            return f"Group {section + 1}\n{plural(len(present), 'picture')}"
        if orientation == Qt.Orientation.Horizontal and 0 <= section < self._width:
            return "First" if section == 0 else str(section + 1)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        p = self.picture(index)
        if p is None:
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        if keep.can_mark(self.groups[index.row()], index.column()):
            base |= Qt.ItemFlag.ItemIsUserCheckable
        return base

    # -- data ------------------------------------------------------------------------------
    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        p = self.picture(index)
        if p is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return paths.display(os.path.basename(os.fsencode(p.path)))
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if p.marked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(index.row(), index.column(), p)
        if role == PathRole:
            return os.fsencode(p.path)
        if role == StateRole:
            return "gone" if p.gone else "marked" if p.marked else "kept"
        if role == NoPreviewRole:
            return self.thumbnails is not None and self.thumbnails.settled(self._key(p))
        if role == DetailsRole:
            return self._details(index.row(), index.column(), p)
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join((paths.display(os.fsencode(p.path)), *self._details(index.row(), index.column(), p)))
        return None

    def _details(self, g: int, i: int, p: Picture) -> tuple[str, str, str]:
        size = f"{human_size(p.size)} · {p.width}×{p.height}"
        distance = "first picture" if i == 0 else f"{p.distance} {'bit' if p.distance == 1 else 'bits'} from the first"
        status = self.status.get((g, i))
        if status is None:
            status = "Marked for removal" if p.marked else "Kept"
        return size, distance, status

    def setData(self, index: QModelIndex | QPersistentModelIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:
        p = self.picture(index)
        if p is None or role != Qt.ItemDataRole.CheckStateRole:
            return False
        want = value if isinstance(value, bool) else Qt.CheckState(value) == Qt.CheckState.Checked
        if want == p.marked:
            return True
        if not keep.can_mark(self.groups[index.row()], index.column()):
            return False
        p.marked = want
        self._row_changed(index.row())
        self.marksChanged.emit()
        return True

    def toggle(self, index: QModelIndex | QPersistentModelIndex) -> bool:
        p = self.picture(index)
        return p is not None and self.setData(index, not p.marked, Qt.ItemDataRole.CheckStateRole)

    def _row_changed(self, g: int) -> None:
        self.dataChanged.emit(self.index(g, 0), self.index(g, max(0, self._width - 1)))
        self.headerDataChanged.emit(Qt.Orientation.Vertical, g, g)

    def _all_changed(self) -> None:
        if self.groups:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.groups) - 1, max(0, self._width - 1)))
        self.marksChanged.emit()

    # -- marking ---------------------------------------------------------------------------
    def keep_largest(self) -> None:
        """Mark all but the largest picture of each group (most pixels, then most bytes)."""
        for group in self.groups:
            present = [i for i, p in enumerate(group) if not p.gone]
            if present:
                keep.mark_all_but(group, present[keep.largest([group[i] for i in present])])
        self._all_changed()

    def keep_sharpest(self) -> None:
        """Mark all but the sharpest picture of each group (``sharpness`` must be measured first)."""
        for group in self.groups:
            present = [i for i, p in enumerate(group) if not p.gone]
            if present:
                pics = [group[i] for i in present]
                best = keep.sharpest(pics, [self.sharpness.get(p.path) for p in pics])
                keep.mark_all_but(group, present[best])
        self._all_changed()

    def unmeasured(self) -> list[str]:
        """Paths of present pictures whose sharpness is not measured yet."""
        return [p.path for g in self.groups for p in g if not p.gone and p.path not in self.sharpness]

    def clear_marks(self) -> None:
        for group in self.groups:
            for p in group:
                p.marked = False
        self._all_changed()

    def marked(self) -> list[Picture]:
        return [p for g in self.groups for p in g if p.marked and not p.gone]

    def summary(self) -> tuple[int, int, int]:
        """(marked pictures, bytes they free, groups touched)."""
        files = bytes_ = groups = 0
        for g in self.groups:
            m = [p for p in g if p.marked and not p.gone]
            if m:
                groups += 1
                files += len(m)
                bytes_ += sum(p.size for p in m)
        return files, bytes_, groups

    def removal_targets(self) -> list[PictureTarget]:
        return keep.removal_targets(self.groups)

    def apply_outcomes(self, outcomes: list[dict]) -> tuple[int, int]:
        """Show a removal's outcomes: removed pictures are gone, skipped ones say why."""
        by_path = {os.path.abspath(os.fsencode(o["path"])): o for o in outcomes}
        done = problems = 0
        for g, group in enumerate(self.groups):
            for i, p in enumerate(group):
                o = by_path.get(os.path.abspath(os.fsencode(p.path)))
                if o is None:
                    continue
                p.marked = False
                outcome = o.get("outcome")
                if outcome in DONE_OUTCOMES:
                    p.gone = True
                    self.status[(g, i)] = "Moved to the Trash" if outcome == "trashed" else "Deleted"
                    done += 1
                else:
                    self.status[(g, i)] = f"Kept: {o.get('reason') or outcome}"
                    problems += 1
        self._all_changed()
        self.headerDataChanged.emit(Qt.Orientation.Vertical, 0, max(0, len(self.groups) - 1))
        return done, problems

    # -- thumbnails ------------------------------------------------------------------------
    def set_content_ids(self, ids: dict[bytes, int]) -> None:
        """Indexed pictures show the library's sidecar (looked up off the GUI thread by the caller)."""
        self._cids = {os.fsdecode(raw): cid for raw, cid in ids.items()}
        self._cells_of.clear()
        self._all_changed()

    def _key(self, p: Picture) -> object:
        cid = self._cids.get(p.path)
        return cid if cid is not None else (os.fsencode(p.path), p.mtime_ns, p.size)

    def _thumbnail(self, g: int, i: int, p: Picture):
        if self.thumbnails is None:
            return None
        key = self._key(p)
        icon = self.thumbnails.icon(key)
        if icon is None:
            cells = self._cells_of.setdefault(key, [])
            if (g, i) not in cells:
                cells.append((g, i))
        return icon

    def _thumbnails_missing(self, cids: list[int]) -> None:
        """Contents with no sidecar: their pictures ask the freedesktop cache instead."""
        gone = set(cids)
        for path in [p for p, cid in self._cids.items() if cid in gone]:
            del self._cids[path]
            self.without_sidecar.add(path)
        for cid in gone:
            for g, i in self._cells_of.pop(cid, ()):
                idx = self.index(g, i)
                self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])

    def _thumbnails_ready(self, keys: list) -> None:
        for key in keys:
            for g, i in self._cells_of.pop(key, ()):
                idx = self.index(g, i)
                self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])


def summary_text(files: int, freed: int, groups: int) -> str:
    if not files:
        return "Nothing marked. Mark pictures to remove, or use Keep the Largest / Keep the Sharpest."
    return f"{plural(files, 'picture')} marked in {plural(groups, 'group')} — frees {human_size(freed)}"


def outcome_words(outcomes: list[dict], verb: str) -> str:
    """What a removal did: "2 pictures moved to the Trash, 1 kept: changed since the search (…)"."""
    done = sum(1 for o in outcomes if o.get("outcome") in DONE_OUTCOMES)
    why = Counter(
        (o.get("reason") or o.get("outcome") or "no reason given").removesuffix("; kept")
        for o in outcomes
        if o.get("outcome") not in DONE_OUTCOMES
    )
    text = f"{plural(done, 'picture')} {verb}"
    if why:
        kept = sum(why.values())
        text += f", {kept} kept: " + "; ".join(
            reason if n == kept else f"{n} because {reason}" for reason, n in why.most_common()
        )
    return text + "."

"""The content pane's model: one folder's children as they are on disk.

Every folder is listed the same way, on the model's worker thread: ``library.disk_listing`` scans
that one folder and enriches the rows from the library when a location holds it (entry ids,
folder totals, content ids for thumbnails). The scan must see the whole folder before it can sort
it, so an indexed folder first shows its first rows as the library knows them
(``disk_listing.indexed_first``, already sorted), and when the scan is done they are edited into
the disk's rows in place (``row_diff``: what the person selected, the current row and the scroll
position stay). Rows stream back in chunks (the first chunk is small so the first rows paint at
once); the view pulls them in with ``canFetchMore``/``fetchMore``. A
new sort, filter or folder bumps a generation number so late chunks of an older listing are
dropped; a sort or filter reuses the last scan. ``refresh`` lists the folder again and edits the
rows in place (``row_diff``), so the selection and the scroll position stay; when the library's
rows differ from the disk it says so (``libraryStale``) for the window to have them updated.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QIcon

from sd_desktop import paths
from sd_desktop.library import Library
from sd_desktop.library.browse import (
    KIND_DIR,
    KIND_FILE,
    R_CHILDREN,
    R_CONTENT,
    R_ID,
    R_KIND,
    R_MIME,
    R_MTIME,
    R_NAME,
    R_PATH,
    R_SIZE,
    FolderTarget,
    SortKey,
)
from sd_desktop.ops.files import remote_listing
from sd_desktop.ops.files.disk_listing import DiskListing, arrange, indexed_first, list_folder, resolve_shown
from sd_desktop.ui.formatting import human_size, human_time, plural
from sd_desktop.ui.icons import TypeIcons
from sd_desktop.ui.row_diff import Edit, preview_end, row_edits
from sd_desktop.ui.thumbnails import ThumbnailCache
from sd_desktop.volumes.listing import ListingError

# rows are ``library.browse`` rows (R_* index them): the disk listing, enriched from the library
COL_NAME, COL_SIZE, COL_KIND, COL_MODIFIED = range(4)
SORT_KEYS = {COL_NAME: SortKey.NAME, COL_SIZE: SortKey.SIZE, COL_KIND: SortKey.KIND, COL_MODIFIED: SortKey.MODIFIED}
HEADERS = ("Name", "Size", "Kind", "Modified")
FIRST_CHUNK = 200
CHUNK = 5000
FETCH_BATCH = 2000

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
EntryRole = Qt.ItemDataRole.UserRole + 1  # the row tuple
PathRole = Qt.ItemDataRole.UserRole + 2  # absolute raw path (bytes)
IsDirRole = Qt.ItemDataRole.UserRole + 3
_ROLES = frozenset({_DISPLAY, _DECORATION, _ALIGN, _TOOLTIP, int(EntryRole), int(PathRole), int(IsDirRole)})


@dataclass(frozen=True)
class _Stale:
    """The listed folder's library rows differ from the disk."""

    target: FolderTarget


@dataclass(frozen=True)
class _Edits:
    """A refresh's edits of the rows shown (``row_diff``)."""

    edits: list[Edit]


class _Chunks(QObject):
    """Carries every loader's chunks to the GUI thread; each model takes its own (by loader).

    One for the process, made on the GUI thread and never freed: a worker emitting on it can never
    be the one to free it, and a model going away disconnects from an object that is still there."""

    chunk = Signal(object, int, object, bool, object, object)  # loader, generation, rows, done, error, count


_CHUNKS: list[_Chunks] = []


def _chunks() -> _Chunks:
    if not _CHUNKS:
        _CHUNKS.append(_Chunks())
    return _CHUNKS[0]


class _FolderLoader:
    """The model's worker side, a plain object so the worker thread never holds the model itself: a
    Qt object whose last Python reference went away on the worker would be deleted there, off its
    own thread, while the GUI thread may still use it (a crash now and then)."""

    def __init__(self, library: Library, chunks: _Chunks):
        self.library = library
        self.chunks = chunks
        self.gen = 0
        self.closed = False
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._listing: DiskListing | None = None  # the last scan (worker thread only)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sd-ui-content")
        # a volume's folders list on workers of their own: a server that hangs until its deadline
        # never holds up the listing of a local folder opened meanwhile
        self._remote_pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="sd-ui-remote")

    def next_gen(self) -> int:
        """A new generation: chunks of older ones are dropped."""
        with self._lock:
            self.gen += 1
            return self.gen

    def current(self, gen: int) -> bool:
        with self._lock:
            return gen == self.gen and not self.closed

    def submit(self, *args: object) -> None:
        remote = remote_listing.is_remote(args[1])  # type: ignore[arg-type]
        (self._remote_pool if remote else self._pool).submit(self._work, *args)

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self.gen += 1
        conn = self._conn
        if conn is not None:
            conn.interrupt()
        self._pool.submit(self._close_reader)
        self._pool.shutdown(wait=False)
        self._remote_pool.shutdown(wait=False, cancel_futures=True)

    def _close_reader(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _reader(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self.library.connect_reader()
        return self._conn

    def _work(
        self,
        gen: int,
        path: bytes,
        rescan: bool,
        column: int,
        descending: bool,
        filter_text: str,
        show_hidden: bool,
        shown: list[tuple] | None,
        sync: bool,
        prefix: bool = False,
    ) -> None:
        """List ``path`` (again when ``rescan``, else the last scan sorted and filtered anew) and send
        the rows: as edits of ``shown`` when given (a refresh), else in chunks. ``prefix``: ``shown``
        are only the first rows (the listing had not finished): edits reach as far as they go, the
        rest follows in chunks."""
        if not self.current(gen):
            return
        remote = remote_listing.is_remote(path)
        try:
            listing = self._listing
            if rescan or listing is None or listing.target.path != path:
                if remote:  # the folder shown even when the volume does not answer (Refresh tries it again)
                    self._emit(gen, FolderTarget(path), False, None, None)
                    listing = remote_listing.list_rows(self.library, path)
                else:
                    conn = self._reader()
                    target = resolve_shown(conn, path)
                    if shown is None:  # the library's first rows, shown while the disk is listed
                        preview = indexed_first(
                            conn, target, SORT_KEYS[column], descending, filter_text, show_hidden, FIRST_CHUNK
                        )
                        if preview and self.current(gen):
                            self._emit(gen, target, False, None, None)
                            self._emit(gen, preview, False, None, None)
                            shown, prefix = preview, True
                    listing = list_folder(conn, target)
                if not self.current(gen):
                    return
                self._listing = listing
                if not remote and not prefix:
                    self._emit(gen, listing.target, False, None, None)
                if sync and listing.stale:
                    self._emit(gen, _Stale(listing.target), False, None, None)
            rows = arrange(listing.rows, SORT_KEYS[column], descending, filter_text, show_hidden)
            if not self.current(gen):
                return
            if shown is not None:
                end = preview_end(shown, rows, len(shown) + FIRST_CHUNK) if prefix else len(rows)
                edits = row_edits(shown, rows[:end])
                if edits is not None:
                    self._emit(gen, _Edits(edits), end >= len(rows), None, len(rows))
                    self._send(gen, rows, end)
                    return
                self._emit(gen, None, False, None, None)  # too many changes: start over
            first = rows[:FIRST_CHUNK]
            self._emit(gen, first, len(rows) <= FIRST_CHUNK, None, len(rows))
            self._send(gen, rows, FIRST_CHUNK)
        except ListingError as exc:
            self._listing = None
            if prefix:  # the folder is gone from the disk: the rows shown of it must go too
                self._emit(gen, None, False, None, None)
            self._emit(gen, [], True, str(exc), 0)
        except sqlite3.Error as exc:
            if self.current(gen):
                self._emit(gen, [], True, f"cannot read the library: {exc}", 0)
        except Exception as exc:  # a volume's RemoteError (offline, refused, gone: its one line), or bad settings
            if not remote:
                raise
            if self.current(gen):
                text = str(exc) if isinstance(exc, OSError) else f"cannot list {paths.display(path)}: {exc}"
                self._emit(gen, [], True, text, 0)

    def _send(self, gen: int, rows: list[tuple], start: int) -> None:
        """The rows from ``start`` on, in chunks."""
        for i in range(start, len(rows), CHUNK):
            if not self.current(gen):
                return
            self._emit(gen, rows[i : i + CHUNK], i + CHUNK >= len(rows), None, len(rows))

    def _emit(self, gen: int, rows: object, done: bool, error: str | None, count: int | None) -> None:
        try:
            self.chunks.chunk.emit(self, gen, rows, done, error, count)
        except RuntimeError:  # the application is shutting down
            pass


class ContentModel(QAbstractTableModel):
    """Rows of one folder. ``open_path`` starts loading; signals report progress and failures."""

    folderChanged = Signal(object)  # FolderTarget
    libraryStale = Signal(object)  # FolderTarget whose library rows differ from the disk (see refresh)
    loadingFinished = Signal(int)  # rows in the folder (after filter)
    loadFailed = Signal(str)
    thumbnailsWanted = Signal(list)  # entry ids whose thumbnails are missing

    def __init__(
        self,
        library: Library,
        thumbnails: ThumbnailCache | None = None,
        icons: TypeIcons | None = None,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.library = library
        self.thumbnails = thumbnails
        self.icons = icons or TypeIcons()
        self.target: FolderTarget | None = None
        self.total: int | None = None
        self.loading = False
        self.error: str | None = None  # why the last listing failed (shown in place of the rows)
        self.show_thumbnails = False
        self._rows: list[tuple] = []
        self._texts: list[tuple | None] = []  # see _cell: texts and type icon, made on first paint of a row
        self._type_icons: list[QIcon] = []  # the type icons cells point to (see _cell)
        self._icon_slots: dict[int, int] = {}  # QIcon.cacheKey() -> index in _type_icons
        self._buffer: list[tuple] = []
        self._want_more = False
        self._sort = (COL_NAME, Qt.SortOrder.AscendingOrder)
        self._filter = ""
        self._show_hidden = False
        self._cid_rows: dict[object, set[int]] = {}  # thumbnail key -> rows showing a fallback icon
        self._loader = _FolderLoader(library, _chunks())
        self._loader.chunks.chunk.connect(self._on_chunk, Qt.ConnectionType.QueuedConnection)
        if thumbnails is not None:
            thumbnails.ready.connect(self._on_thumbnails_ready)
            thumbnails.missing.connect(self._on_thumbnails_missing)
            thumbnails.changed.connect(self._on_thumbnails_changed)

    # -- public API ------------------------------------------------------------------------
    def open_path(self, path: paths.PathLike) -> None:
        """Show the folder ``path``; ``libraryStale`` follows when the library's rows of it are behind."""
        self._start(os.fsencode(path), rescan=True, sync=True)

    def refresh(self, sync: bool = True) -> None:
        """List the folder again and edit the rows in place. ``sync``: say (``libraryStale``) when the
        library's rows differ from the disk; False after the library was just brought up to date, so
        entries the indexer leaves out never start another update."""
        if self.target is None:
            return
        if not self._rows:
            self._start(self.target.path, rescan=True, sync=sync)
            return
        gen = self._loader.next_gen()
        column, order = self._sort
        self._loader.submit(
            gen,
            self.target.path,
            True,
            column,
            order == Qt.SortOrder.DescendingOrder,
            self._filter,
            self._show_hidden,
            self._rows + self._buffer,  # a snapshot: the worker compares, the GUI thread edits
            sync,
            self.loading,  # rows shown while the listing runs (what is selected in them stays)
        )

    def set_filter(self, text: str, reload: bool = True) -> None:
        """Filter by name; ``reload=False`` only records it, for the next ``open_path``."""
        if text != self._filter:
            self._filter = text
            if reload:
                self._restart()

    @property
    def filter_text(self) -> str:
        return self._filter

    def set_show_hidden(self, show: bool) -> None:
        if show != self._show_hidden:
            self._show_hidden = show
            self._restart()

    @property
    def sort_column(self) -> int:
        return self._sort[0]

    @property
    def sort_order(self) -> Qt.SortOrder:
        return self._sort[1]

    def entry(self, row: int) -> tuple:
        return self._rows[row]

    def loaded_rows(self) -> int:
        return len(self._rows)

    def fetch_all(self) -> None:
        """Insert every row received so far (tests, select-all)."""
        while self._buffer:
            self._insert_batch(len(self._buffer))

    def row_of_path(self, path: bytes, start: int = 0) -> int | None:
        """The row of ``path`` among the rows received so far (from ``start`` on), inserting the
        buffered rows up to it; None when it is not (yet) listed."""
        for row in range(start, len(self._rows)):
            if self._rows[row][R_PATH] == path:
                return row
        for i, r in enumerate(self._buffer):
            if r[R_PATH] == path:
                self._insert_batch(i + 1)
                return len(self._rows) - 1
        return None

    def sum_sizes(self, rows: list[int]) -> int:
        return sum(self._rows[r][R_SIZE] or 0 for r in rows if r < len(self._rows))

    def close(self) -> None:
        self._loader.close()

    # -- loading ---------------------------------------------------------------------------
    def _restart(self) -> None:
        if self.target is not None:
            self._start(self.target.path, rescan=False, sync=False)

    def _start(self, path: bytes, rescan: bool, sync: bool) -> None:
        if self._loader.closed:
            return
        gen = self._loader.next_gen()
        self._reset_rows()
        self.loading = True
        self.error = None
        self._want_more = True
        column, order = self._sort
        self._loader.submit(
            gen,
            path,
            rescan,
            column,
            order == Qt.SortOrder.DescendingOrder,
            self._filter,
            self._show_hidden,
            None,
            sync,
        )

    def _reset_rows(self) -> None:
        self.beginResetModel()
        self._rows = []
        self._texts = []
        self._buffer = []
        self._cid_rows = {}
        self.total = None
        self.endResetModel()

    def _on_chunk(
        self, loader: _FolderLoader, gen: int, rows: object, done: bool, error: str | None, count: int | None
    ) -> None:
        if loader is not self._loader or not loader.current(gen):
            return
        if isinstance(rows, FolderTarget):
            self.target = rows
            self.folderChanged.emit(rows)
            return
        if isinstance(rows, _Stale):
            self.libraryStale.emit(rows.target)
            return
        if rows is None:  # a refresh with too many changes to edit in place: the chunks follow
            self._reset_rows()
            self.loading = True
            self._want_more = True
            return
        if count is not None:
            self.total = count
        if isinstance(rows, _Edits):
            self._apply(rows.edits)
        else:
            self._buffer.extend(rows)  # type: ignore[arg-type]
            if self._want_more or not self._rows:
                self._want_more = False
                self._insert_batch(FETCH_BATCH)
        if done:
            self.loading = False
            self.error = error
            if error and self.target is not None and remote_listing.is_remote(self.target.path):
                self._reset_rows()  # a volume that stopped answering: its old rows would mislead
            if error:
                self.loadFailed.emit(error)
            self.loadingFinished.emit(self.total or 0)

    def _apply(self, edits: list[Edit]) -> None:
        """Apply a refresh's edits to the rows shown and, past them, to the rows received but not
        shown yet (``_buffer``): positions count both, in that order."""
        root = QModelIndex()
        if edits:
            self._cid_rows = {}  # rows move: thumbnail cells register again as they paint
        for e in edits:
            shown = len(self._rows)
            end = e.start + e.count
            if e.op == "remove":
                if end > shown:
                    del self._buffer[max(e.start, shown) - shown : end - shown]
                if e.start < shown:
                    end = min(end, shown)
                    self.beginRemoveRows(root, e.start, end - 1)
                    del self._rows[e.start : end]
                    del self._texts[e.start : end]
                    self.endRemoveRows()
            elif e.op == "insert":
                if e.start < shown or (e.start == shown and not self._buffer):
                    self.beginInsertRows(root, e.start, end - 1)
                    self._rows[e.start : e.start] = e.rows
                    self._texts[e.start : e.start] = [None] * e.count
                    self.endInsertRows()
                else:  # among the rows the view has not asked for yet
                    self._buffer[e.start - shown : e.start - shown] = e.rows
            else:  # update: rows replaced in place
                for at, row in enumerate(e.rows, e.start):
                    if at < shown:
                        self._rows[at] = row
                        self._texts[at] = None
                    else:
                        self._buffer[at - shown] = row
                if e.start < shown:
                    self.dataChanged.emit(self.index(e.start, 0), self.index(min(end, shown) - 1, len(HEADERS) - 1))

    def _insert_batch(self, n: int) -> None:
        take = self._buffer[:n]
        if not take:
            return
        del self._buffer[:n]
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(take) - 1)
        self._rows.extend(take)
        self._texts.extend([None] * len(take))
        self.endInsertRows()

    # -- QAbstractItemModel ----------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        return not parent.isValid() and (bool(self._buffer) or self.loading)

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        if parent.isValid():
            return
        if self._buffer:
            self._insert_batch(FETCH_BATCH)
        elif self.loading:
            self._want_more = True

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < 4:
            return HEADERS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole and section == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # no flags(): QAbstractTableModel's own answer (enabled, selectable, never has children) is ours, and
    # leaving it in C++ saves a Python call per painted cell

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(HEADERS):
            return
        if (column, order) != self._sort:
            self._sort = (column, order)
            self._restart()

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY):
        # views ask ~7 roles per cell (font, colours, check state...): refuse unused roles first
        if role not in _ROLES:
            return None
        row = index.row()
        if row < 0 or row >= len(self._rows):
            return None
        return self._value(row, index.column(), role)

    def multiData(self, index: QModelIndex | QPersistentModelIndex, roleDataSpan: QModelRoleDataSpan) -> None:
        # Qt's delegates ask for every role of a cell in one multiData call: answering here costs one
        # Python call per painted cell instead of ~7 data() calls (the scroll's main cost). The row's
        # texts and type icon are made once (first paint), so the loop below only picks values.
        row = index.row()
        if 0 <= row < len(self._rows):
            col = index.column()
            cell = self._texts[row] or self._cell(row)
        else:
            col, cell = -1, None
        for i in range(len(roleDataSpan)):  # (iterating the span ends on a raised IndexError: slower)
            # the delegate reuses its span from cell to cell: every role must be set or cleared
            item = roleDataSpan[i]
            role = item.role()
            if cell is None or role not in _ROLES:
                item.clearData()
            elif role == _DISPLAY:
                item.setData(cell[col])
            elif role == _DECORATION:
                if col != COL_NAME:
                    item.clearData()
                elif self.show_thumbnails:
                    item.setData(self._decoration(row, cell))
                else:
                    item.setData(self._type_icons[cell[4]])
            elif role == _ALIGN:
                if col == COL_SIZE:
                    item.setData(_RIGHT)
                else:
                    item.clearData()
            else:
                value = self._value(row, col, role)
                if value is None:
                    item.clearData()
                else:
                    item.setData(value)

    def _cell(self, row: int) -> tuple:
        """(name, size, kind, modified texts, type icon number) of a row, made on its first paint.

        Only strings and ints: the garbage collector stops tracking such tuples, so 100,000 of them
        add nothing to a full collection (a tuple holding a QIcon kept a ~0.5 s collection alive)."""
        r = self._rows[row]
        icon = self.icons.icon(r[R_KIND], r[R_NAME])
        slot = self._icon_slots.get(icon.cacheKey())
        if slot is None:
            slot = self._icon_slots[icon.cacheKey()] = len(self._type_icons)
            self._type_icons.append(icon)
        cell = (r[R_NAME], *self._display_texts(r), slot)
        self._texts[row] = cell
        return cell

    def _decoration(self, row: int, cell: tuple):
        if self.show_thumbnails and self.thumbnails is not None:
            r = self._rows[row]
            # the library's thumbnail of an indexed content, else the freedesktop cache's of the file
            key = r[R_CONTENT] if r[R_CONTENT] is not None else (r[R_PATH], r[R_MTIME], r[R_SIZE])
            if r[R_CONTENT] is not None or r[R_KIND] == KIND_FILE:
                icon = self.thumbnails.icon(key)
                if icon is not None:
                    return icon
                self._cid_rows.setdefault(key, set()).add(row)
        return self._type_icons[cell[4]]

    def _value(self, row: int, col: int, role: int):
        if role == _DISPLAY:
            return (self._texts[row] or self._cell(row))[col] if 0 <= col < 4 else None
        if role == _DECORATION:
            if col != COL_NAME:
                return None
            return self._decoration(row, self._texts[row] or self._cell(row))
        if role == _ALIGN:
            return _RIGHT if col == COL_SIZE else None
        if role == _TOOLTIP:
            return paths.display(self._rows[row][R_PATH]) if col == COL_NAME else None
        if role == EntryRole:
            return self._rows[row]
        if role == PathRole:
            return self._rows[row][R_PATH]
        if role == IsDirRole:
            return self._rows[row][R_KIND] == KIND_DIR
        return None

    def _display_texts(self, r: tuple) -> tuple[str, str, str]:
        if r[R_KIND] == KIND_DIR:
            if r[R_SIZE]:  # the indexer's aggregate size of the files below
                size = human_size(r[R_SIZE])
            else:
                size = "" if r[R_CHILDREN] is None else plural(r[R_CHILDREN], "item")
        else:
            size = human_size(r[R_SIZE])
        kind = self.icons.kind_text(r[R_KIND], r[R_NAME], r[R_MIME])
        modified = human_time(r[R_MTIME], ns=True) if r[R_MTIME] else ""
        return size, kind, modified

    # -- thumbnails ------------------------------------------------------------------------
    def set_show_thumbnails(self, show: bool) -> None:
        if show != self.show_thumbnails:
            self.show_thumbnails = show
            if self._rows:
                self.dataChanged.emit(
                    self.index(0, COL_NAME),
                    self.index(len(self._rows) - 1, COL_NAME),
                    [Qt.ItemDataRole.DecorationRole],
                )

    def _repaint_rows(self, rows: set[int]) -> None:
        for row in sorted(rows):
            if row < len(self._rows):
                idx = self.index(row, COL_NAME)
                self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])

    def _on_thumbnails_ready(self, cids: list[int]) -> None:
        for cid in cids:
            rows = self._cid_rows.pop(cid, None)
            if rows:
                self._repaint_rows(rows)

    def _on_thumbnails_missing(self, cids: list[int]) -> None:
        wanted, asked = [], []
        for cid in cids:  # content ids only: the freedesktop cache's thumbnails are made without a job
            ids = [self._rows[r][R_ID] for r in self._cid_rows.get(cid, ()) if r < len(self._rows)]
            ids = [i for i in ids if i is not None]
            if ids:
                wanted += ids
                asked.append(cid)
        if wanted:
            self.thumbnails.mark_asked(asked)  # once per content and session (the grid settles)
            self.thumbnailsWanted.emit(wanted)

    def _on_thumbnails_changed(self) -> None:
        rows: set[int] = set()
        for rs in self._cid_rows.values():
            rows |= rs
        self._repaint_rows(rows)

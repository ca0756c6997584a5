"""The main window: sidebar | main area (the files, and results as tabs beside them), the job
panel as a strip below (``job_pane``), menus and status bar; the first-launch page when the
library holds no folder yet. It builds the parts that act on files (``file_ops``, ``rename``,
``results_tabs``, ``copy_conflicts``, drops, context menus), creates its menus and hands them to
``file_menus`` to fill; it holds no engine logic of its own."""

from __future__ import annotations

import asyncio
import os
import time
from functools import partial

from PySide6.QtCore import QByteArray, QItemSelectionModel, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QProgressBar,
    QSplitter,
    QStackedWidget,
    QStyle,
    QSystemTrayIcon,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from sd_desktop import paths
from sd_desktop.enums import EntryKind
from sd_desktop.jobs import FINISHING_KINDS, EventKind, JobEvent
from sd_desktop.library.browse import KIND_DIR, R_KIND, R_PATH
from sd_desktop.ops.files import remote_listing
from sd_desktop.ops.indexing.job import IndexerJob
from sd_desktop.ui.action_state import ActionStates
from sd_desktop.ui.action_targets import ActionTargets
from sd_desktop.ui.actions import ActionRegistry
from sd_desktop.ui.content_model import ContentModel, FolderTarget
from sd_desktop.ui.content_view import GRID, LIST, ContentView
from sd_desktop.ui.context_menus import ContextMenus
from sd_desktop.ui.copy_conflicts import ConflictPrompter
from sd_desktop.ui.drop_filter import DropFilter, DropHandler
from sd_desktop.ui.file_clipboard import FileClipboard
from sd_desktop.ui.file_menus import fill_edit_menu, fill_files_menu, fill_tools_menu, register_file_actions
from sd_desktop.ui.file_ops import FileOperations
from sd_desktop.ui.folder_watch import FolderWatch
from sd_desktop.ui.formatting import human_count, human_duration, human_size, plural
from sd_desktop.ui.icons import TypeIcons
from sd_desktop.ui.inline_rename import InlineRename
from sd_desktop.ui.job_pane import JobPane
from sd_desktop.ui.job_panel import JobPanel, job_title
from sd_desktop.ui.job_submit import JobSubmitter
from sd_desktop.ui.location_input import TypedLocation, resolve_typed_location
from sd_desktop.ui.new_folder import NewFolders
from sd_desktop.ui.pathbar import PathBar
from sd_desktop.ui.prompts import Prompts
from sd_desktop.ui.remote_files import RemoteFiles
from sd_desktop.ui.rename import Renamer
from sd_desktop.ui.results_tabs import ResultTabs
from sd_desktop.ui.resume_offer import ResumeOffer
from sd_desktop.ui.services import AppServices, is_background, trash_folder
from sd_desktop.ui.settings import get_bool, get_int, open_settings
from sd_desktop.ui.sidebar import PathRole as SidebarPathRole
from sd_desktop.ui.sidebar import Sidebar
from sd_desktop.ui.trash_page import TrashPage
from sd_desktop.ui.view_icons import grid_icon, list_icon
from sd_desktop.ui.volume_actions import VolumeActions
from sd_desktop.ui.volume_dialog import AddVolumeDialog
from sd_desktop.ui.welcome import WelcomePage

LONG_JOB_SECONDS = 10.0
SIDEBAR_WIDTH = 240  # px: the sidebar's first width, until the user drags it
SELECT_AFTER_SECONDS = 10.0  # how long a new or renamed item is awaited in the listing (re-indexing)
OUTCOME_TEXT = {EventKind.COMPLETED: "finished", EventKind.FAILED: "failed", EventKind.CANCELLED: "cancelled"}


class MainWindow(QMainWindow):
    closeRequested = Signal()

    def __init__(self, services: AppServices):
        super().__init__()
        self.services = services
        self.setWindowTitle("sd_desktop")
        self.setObjectName("main_window")
        self.icons = TypeIcons()
        self.settings = open_settings()
        self._back: list[bytes] = []
        self._forward: list[bytes] = []
        self._path: bytes | None = None
        self._job_started: dict[int, float] = {}
        self._select_after: tuple[bytes, bool, float] | None = None  # path, edit its name, until when
        self._came_from: bytes | None = None  # the folder left by going up: made current in its parent

        self.model = ContentModel(services.library, services.thumbnails, self.icons, self)
        self.model.folderChanged.connect(self._folder_changed)
        self.model.loadingFinished.connect(self._loaded)
        self.model.loadFailed.connect(self._load_failed)
        self.model.thumbnailsWanted.connect(services.request_thumbnails)
        self.model.rowsInserted.connect(lambda *_: self._update_selection())  # the count shows while loading
        self.folder_watch = FolderWatch(self.model, services, self)
        self.model.rowsInserted.connect(self._rows_arrived)
        self.content = ContentView(self.model)
        self.content.activated.connect(self._activate_row)
        self.content.retryRequested.connect(self._retry)
        self.content.selectionChanged.connect(self._update_selection)

        self.sidebar = Sidebar(services, self.icons)
        self.sidebar.openRequested.connect(self.open_path)
        self.sidebar.addRequested.connect(self.add_location_dialog)

        self.path_bar = PathBar(trash=trash_folder())
        self.path_bar.pathClicked.connect(self.open_path)
        self.path_bar.pathEntered.connect(self._location_entered)
        self.path_bar.editingFinished.connect(lambda: self.content.current_view().setFocus())
        self.filter = QLineEdit()
        self.filter.setObjectName("filter")
        self.filter.setPlaceholderText("Filter by name")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMaximumWidth(260)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(150)
        self._filter_timer.timeout.connect(lambda: self.model.set_filter(self.filter.text().strip()))
        self.filter.textChanged.connect(lambda _t: self._filter_timer.start())

        self.pages = QStackedWidget()  # the folder's contents, the Trash, or the first-launch page
        self.pages.addWidget(self.content)
        self.welcome = WelcomePage()
        self.welcome.addRequested.connect(self.add_location_dialog)
        self.welcome.foldersDropped.connect(self._add_dropped_locations)
        self.pages.addWidget(self.welcome)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)  # sidebar | main area (added with the results)
        self.splitter.setObjectName("side_split")
        self.splitter.addWidget(self.sidebar)

        self.jobs = JobPanel(services)
        self.jobs.activeChanged.connect(self._jobs_changed)
        self.resume_offer = ResumeOffer(services)  # jobs waiting for the user's yes, above everything
        self.jobs.offerWanted.connect(self.resume_offer.offer)
        # the files above, the job panel below: a strip of the running jobs, or the history
        self.vsplit = QSplitter(Qt.Orientation.Vertical)
        self.vsplit.setObjectName("jobs_split")
        self.vsplit.addWidget(self.splitter)
        self.vsplit.addWidget(self.jobs)
        self.vsplit.setStretchFactor(0, 1)
        self.vsplit.setStretchFactor(1, 0)
        self.vsplit.setChildrenCollapsible(False)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.resume_offer)
        column.addWidget(self.vsplit, 1)
        self.setCentralWidget(central)
        self.job_pane = JobPane(self.vsplit, self.jobs, self)
        services.locationAdded.connect(self._location_added)
        self.sidebar.loaded.connect(self._sidebar_loaded)

        # what acts on files: each part gets what it needs, nothing reaches into the window
        self.prompts = Prompts(self, lambda: self.current_path)
        self.job_submit = JobSubmitter(services, self._refresh_folder, self)
        self.targets = ActionTargets(self.model, self.content, lambda: self.current_path)
        self.file_ops = FileOperations(services, self.job_submit, self.targets, self.prompts, self.open_path, self)
        self.renamer = Renamer(services, self.job_submit, self.targets, self.prompts, self.file_ops, self)
        self.inline_rename = InlineRename(self.renamer, self.model, self.content, self)
        self.renamer.edit_in_place = self.inline_rename.start
        self.renamer.renamed.connect(lambda _old, new: self._select_when_listed(new, edit=False))
        self.new_folders = NewFolders(services, self.job_submit, self.file_ops, lambda: self.current_path, self)
        self.new_folders.created.connect(lambda path: self._select_when_listed(path, edit=True))
        self.clipboard = FileClipboard(services, self.file_ops, self.targets, lambda: self.current_path, self)
        self.result_tabs = ResultTabs(
            services,
            self.job_submit,
            self.targets,
            self.prompts,
            self.file_ops,
            self.icons,
            self,
            locations=lambda: self.sidebar.model.locations,
        )
        self._build_main_area()
        self.copy_conflicts = ConflictPrompter(services, self)
        self.drops = DropHandler(self.file_ops, self.targets, self)
        self.trash_page = TrashPage(services, self.job_submit, self.prompts, self.icons, self)
        self.pages.addWidget(self.trash_page.view)
        self.targets.page_selection = self.trash_page.selection
        self.trash_page.loaded.connect(lambda _l: self._update_selection())
        self._build_network()

        self.actions = ActionRegistry(self)
        self._build_actions()
        register_file_actions(
            self.actions,
            self.file_ops,
            self.renamer,
            self.result_tabs,
            self.job_submit.undo_stack,
            self.style(),
            self.clipboard,
            self.new_folders,
        )
        self.action_states = ActionStates(self.actions, self.targets, lambda: self.clipboard.available)
        self.clipboard.availableChanged.connect(lambda _on: self.action_states.update())
        self.content.selectionChanged.connect(self.action_states.update)
        self.trash_page.view.tree.selectionModel().selectionChanged.connect(lambda *_: self.action_states.update())
        self.trash_page.loaded.connect(lambda _l: self.action_states.update())
        self.action_states.update()
        self.context_menus = ContextMenus(self.actions, self.targets, self.model, self.content, self.sidebar, self)
        self.context_menus.remote = self.remote_files
        self._build_menus_and_toolbar()
        self._build_status_bar()
        self.tray = self._make_tray()

        services.status.connect(self._show_status)  # a method: Qt drops the connection with the window
        services.bridge.jobEvent.connect(self._job_event)
        self._restore_settings()
        self._connect_file_views()
        self.content.current_view().setFocus()  # the keys act on the files from the start

    def _build_network(self) -> None:
        """Network volumes: their folders in the content views, and what the sidebar asks of them."""
        self.volume_actions = VolumeActions(
            self.services, self.job_submit, lambda name: self.sidebar.network.rows.get(name), self
        )
        self.volume_actions.removed.connect(lambda _n: self.sidebar.network.reload())
        self.remote_files = RemoteFiles(self.services, self.job_submit, self.file_ops, self.volume_actions, self)
        self.drops.remote = self.clipboard.remote = self.file_ops.remote = self.remote_files
        self.remote_files.rows_shown = lambda: [self.model.entry(r) for r in range(self.model.loaded_rows())]
        self.remote_files.results = self.result_tabs
        self.result_tabs.remote = self.remote_files
        self.sidebar.remoteOpenRequested.connect(self.open_remote)
        self.sidebar.addVolumeRequested.connect(self.add_volume_dialog)
        self.sidebar.removeVolumeRequested.connect(self.volume_actions.remove)
        self.sidebar.indexVolumeRequested.connect(self.volume_actions.index)
        self.volume_dialog: AddVolumeDialog | None = None

    def open_remote(self, name: str, path: str = "") -> None:
        """Browse ``path`` (relative to its root) of the network volume ``name`` in the content views."""
        if name in self.sidebar.network.rows:
            self.open_path(remote_listing.address(name, path))

    def add_volume_dialog(self) -> AddVolumeDialog:
        dialog = AddVolumeDialog(self.services, self)
        dialog.added.connect(lambda _name: self.sidebar.network.reload())
        dialog.finished.connect(dialog.deleteLater)
        self.volume_dialog = dialog
        dialog.open()
        return dialog

    # -- actions ---------------------------------------------------------------------------
    def _build_actions(self) -> None:
        a, S, style = self.actions, QKeySequence.StandardKey, self.style()
        sp = QStyle.StandardPixmap
        a.add("back", "Back", self.go_back, shortcut=S.Back, icon=style.standardIcon(sp.SP_ArrowBack))
        a.add("forward", "Forward", self.go_forward, shortcut=S.Forward, icon=style.standardIcon(sp.SP_ArrowForward))
        a.add("up", "Enclosing Folder", self.go_up, shortcut="Alt+Up", icon=style.standardIcon(sp.SP_ArrowUp))
        a["up"].setShortcuts([QKeySequence("Alt+Up"), QKeySequence("Backspace")])
        a.add("home", "Home", lambda: self.open_path(os.path.expanduser("~")), shortcut="Alt+Home")
        a.add(
            "refresh",
            "Refresh",
            lambda: self._retry() if self.model.error else self.model.refresh(),
            shortcut=S.Refresh,
            icon=style.standardIcon(sp.SP_BrowserReload),
        )
        a.add("open_folder", "Open Folder…", self.open_folder_dialog, shortcut=S.Open)
        # Ctrl+D bookmarks a folder in Dolphin and Nautilus; Ctrl+Shift+N is New Folder there
        a.add("add_location", "Add Location…", self.add_location_dialog, shortcut="Ctrl+D")
        a.add("add_volume", "Add Network Volume…", lambda: self.add_volume_dialog())
        a.add("edit_location", "Edit Location", self.path_bar.start_editing, shortcut="Ctrl+L")
        a.add("context_menu", "Context Menu", self._keyboard_context_menu, shortcut="Shift+F10")
        a["context_menu"].setShortcuts([QKeySequence("Shift+F10"), QKeySequence(Qt.Key.Key_Menu)])
        a.add("select_all", "Select All", self._select_all, shortcut=S.SelectAll)
        a.add("find", "Filter…", self._focus_filter, shortcut=S.Find)
        a.add("quit", "Quit", self.close, shortcut=S.Quit)
        view_list = a.add(
            "view_list",
            "As List",
            lambda: self.set_view_mode(LIST),
            shortcut="Ctrl+1",
            checkable=True,
            icon=list_icon(),
        )
        view_grid = a.add(
            "view_grid",
            "As Grid",
            lambda: self.set_view_mode(GRID),
            shortcut="Ctrl+2",
            checkable=True,
            icon=grid_icon(),
        )
        view_list.setChecked(True)
        a.add("show_hidden", "Show Hidden Files", self._toggle_hidden, shortcut="Ctrl+H", checkable=True)
        job_panel = a.add(
            "job_panel",
            "Job Panel",
            self.job_pane.set_expanded,
            shortcut="Ctrl+J",
            checkable=True,
            tip="Show the job history beside the running jobs",
        )
        self.job_pane.expandedChanged.connect(job_panel.setChecked)
        self._view_grid, self._view_list = view_grid, view_list

    def _build_menus_and_toolbar(self) -> None:
        a = self.actions
        bar = self.menuBar()
        m = bar.addMenu("&File")
        m.addAction(a["fa_new_folder"])
        m.addSeparator()
        for key in ("open_folder", "add_location", "add_volume"):
            m.addAction(a[key])
        m.addSeparator()
        m.addAction(a["quit"])
        m = bar.addMenu("&Edit")
        fill_edit_menu(m, a)
        m.addAction(a["select_all"])
        m.addAction(a["find"])
        self.files_menu = bar.addMenu("F&iles")
        fill_files_menu(self.files_menu, a)
        self.tools_menu = bar.addMenu("&Tools")
        fill_tools_menu(self.tools_menu, a, self.result_tabs)
        m = bar.addMenu("&View")
        for key in ("view_list", "view_grid"):
            m.addAction(a[key])
        m.addSeparator()
        m.addAction(a["show_hidden"])
        m.addAction(a["refresh"])
        m.addSeparator()
        m.addAction(a["job_panel"])
        m = bar.addMenu("&Go")
        for key in ("back", "forward", "up", "home"):
            m.addAction(a[key])
        m.addSeparator()
        m.addAction(a["edit_location"])

        tb = QToolBar("Navigation")
        tb.setObjectName("navigation_toolbar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        for key in ("back", "forward", "up", "refresh"):
            tb.addAction(a[key])
        tb.addSeparator()
        tb.addWidget(self.path_bar)
        tb.addSeparator()
        tb.addAction(a["view_list"])
        tb.addAction(a["view_grid"])
        tb.addWidget(self.filter)
        self.addToolBar(tb)

    def _connect_file_views(self) -> None:
        """Context menus and drops on the content views and the sidebar; "Show Results" in the
        job history."""
        menus, drops = self.context_menus, self.drops
        self.drop_filters = []
        for view in (self.content.list, self.content.grid):
            view.customContextMenuRequested.connect(lambda pos, v=view: menus.popup_content_menu(v, pos))
            self.drop_filters.append(DropFilter(drops, view, partial(self._folder_under, view), drag_out=True))
        side = self.sidebar.view
        side.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        side.customContextMenuRequested.connect(menus.popup_sidebar_menu)
        self.drop_filters.append(DropFilter(drops, side, self._sidebar_folder_under, drag_out=False))
        history = self.jobs.history
        history.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        history.customContextMenuRequested.connect(
            lambda pos: self.result_tabs.show_history_menu(history, self.jobs.history_model, pos)
        )

    def _build_main_area(self) -> None:
        """The files as the first tab of the main area; results open as tabs beside them."""
        self.result_tabs.set_files_page(self.pages)
        self.splitter.addWidget(self.result_tabs.tabs)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([SIDEBAR_WIDTH, 1000])

    def _folder_under(self, view: QAbstractItemView, pos: QPoint) -> bytes | None:
        """Where a drop at ``pos`` of a content view goes: the folder row under it, else the folder shown."""
        index = view.indexAt(pos)
        if index.isValid():
            entry = self.model.entry(index.row())
            if entry[R_KIND] == KIND_DIR:
                return entry[R_PATH]
        return self.current_path

    def _sidebar_folder_under(self, pos: QPoint) -> bytes | None:
        index = self.sidebar.view.indexAt(pos)
        return index.data(SidebarPathRole) if index.isValid() else None

    def _refresh_folder(self) -> None:
        if self.trash_page.active:
            self.trash_page.reload()
        elif self._path is not None:
            self.model.refresh()

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.selection_label = QLabel()
        self.selection_label.setObjectName("selection_label")
        self.selection_label.setMinimumWidth(240)
        self.selection_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.job_label = QToolButton()
        self.job_label.setObjectName("job_indicator")
        self.job_label.setAutoRaise(True)
        self.job_label.setToolTip("Show or hide the job history (Ctrl+J)")
        self.job_label.clicked.connect(self.job_pane.toggle)
        self.job_bar = QProgressBar()
        self.job_bar.setMaximumWidth(120)
        self.job_bar.setMaximumHeight(14)
        self.job_bar.setTextVisible(False)
        self.job_bar.hide()
        sb.addPermanentWidget(self.selection_label)
        sb.addPermanentWidget(self.job_bar)
        sb.addPermanentWidget(self.job_label)
        self._jobs_changed(0, 0, None)

    def _make_tray(self) -> QSystemTrayIcon | None:
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return None
        tray = QSystemTrayIcon(self.windowIcon() if not self.windowIcon().isNull() else self.icons.folder, self)
        tray.setToolTip("sd_desktop")
        tray.show()
        return tray

    # -- navigation ------------------------------------------------------------------------
    def open_path(self, path: paths.PathLike, *, record: bool = True) -> None:
        """Show the folder ``path``: a local one, or ``NAME:/path`` on a network volume (the same
        views; listed on a worker through the volume)."""
        raw = os.fsencode(path)
        remote = remote_listing.split(raw)
        raw = remote_listing.address(*remote) if remote is not None else os.path.abspath(raw)
        if record and self._path is not None and raw != self._path:
            self._back.append(self._path)
            self._forward.clear()
        if raw != self._path:
            self._clear_filter()  # a filter typed for one folder never hides another's files
            self._came_from = self._path if self._path is not None and self._parent_of(self._path) == raw else None
            self._select_after = None
            self.inline_rename.cancel()
        self._path = raw
        self.path_bar.set_path(raw)
        self.sidebar.highlight(None if remote else raw)
        item = self.sidebar.network.item_of(remote[0]) if remote else None
        if item is not None:
            self.sidebar.view.setCurrentIndex(item.index())
        self.result_tabs.show_files()
        in_trash = raw == trash_folder()  # the Trash place: every trash, as the Trash view
        self.pages.setCurrentWidget(self.trash_page.view if in_trash else self.content)
        self.trash_page.set_active(in_trash)
        if remote:
            name = f"{remote[0]}:/{remote[1]}"
        else:
            name = "Trash" if in_trash else paths.display(os.path.basename(raw) or raw)
        self.setWindowTitle(f"{name} — sd_desktop")
        self.selection_label.setText("Loading…")
        # a volume's folder may take seconds (or its deadline) to list: say so where the rows go
        self.content.set_placeholder("Loading…" if remote else None)
        if not in_trash:
            self.model.open_path(raw)
        self.action_states.update()
        self._update_nav()

    def _show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def jobs_recovered(self, ids: list[int]) -> None:
        """After the engine's crash recovery at start: show the jobs as recovered, say which resumed
        on their own, and offer the ones that wait (paused, or a delete or move a crash stopped)."""
        self.jobs.reload(offer=True, recovered=tuple(ids))

    @property
    def current_path(self) -> bytes | None:
        return self._path

    def open_start(self) -> None:
        """What the window shows at start, unless it was told a folder: the last folder shown; at
        the first launch, the library's first location when it has one already (indexed from the
        command line before the window ever opened), else the page that says to add a folder (and
        the first location once the sidebar finds one: ``_sidebar_loaded``)."""
        if self._path is not None:
            return  # a location added at start opened already
        last = self.last_path()
        locations = self.sidebar.model.locations
        if last is not None:
            self.open_path(last)
        elif locations:  # the sidebar was loaded before this: its ``loaded`` came and went
            self.open_path(locations[0].path)
        else:
            self.show_welcome()

    def show_welcome(self) -> None:
        self.pages.setCurrentWidget(self.welcome)
        self.trash_page.set_active(False)
        self.result_tabs.show_files()
        self.setWindowTitle("sd_desktop")
        self.selection_label.setText("")
        self.sidebar.highlight(None)

    def _location_added(self, folder: bytes, _location_id: int) -> None:
        self.open_path(folder)  # the user added it to look at it

    def _add_dropped_locations(self, folders: list[bytes]) -> None:
        for folder in folders:  # each is opened once added (locationAdded)
            self.services.spawn_add_location(folder)

    def _sidebar_loaded(self) -> None:
        """Locations added elsewhere (the command line) while the first-launch page shows: open one."""
        locations = self.sidebar.model.locations
        if self.pages.currentWidget() is self.welcome and self._path is None and locations:
            self.open_path(locations[0].path)

    def remote_shown(self) -> tuple[str, str] | None:
        """``(volume, path)`` of the network volume's folder shown, None for a local one."""
        return remote_listing.split(self._path) if self._path is not None else None

    @staticmethod
    def _parent_of(path: bytes) -> bytes | None:
        """The enclosing folder (local or on a volume); None at a root."""
        if remote_listing.is_remote(path):
            return remote_listing.parent(path)
        if path == trash_folder():
            return None  # the Trash is a place of its own: above it is the trash's inner layout
        parent = os.path.dirname(path)
        return parent if parent != path else None

    def go_back(self) -> None:
        if self._back:
            if self._path is not None:
                self._forward.append(self._path)
            self.open_path(self._back.pop(), record=False)

    def go_forward(self) -> None:
        if self._forward:
            if self._path is not None:
                self._back.append(self._path)
            self.open_path(self._forward.pop(), record=False)

    def go_up(self) -> None:
        parent = self._parent_of(self._path) if self._path is not None else None
        if parent is not None:
            self.open_path(parent)

    def _update_nav(self) -> None:
        self.actions["back"].setEnabled(bool(self._back))
        self.actions["forward"].setEnabled(bool(self._forward))
        self.actions["up"].setEnabled(self._path is not None and self._parent_of(self._path) is not None)

    def _activate_row(self, row: int) -> None:
        """Double-click or Enter: a folder (or a link to one, kept as the path shown) opens here, a
        file in its default application."""
        entry = self.model.entry(row)
        if entry[R_KIND] == KIND_DIR:
            self.open_path(entry[R_PATH])
        elif remote_listing.is_remote(entry[R_PATH]):
            self.remote_files.open_files([entry[R_PATH]])  # a copy in a temporary folder, then opened
        elif entry[R_KIND] == EntryKind.SYMLINK and os.path.isdir(entry[R_PATH]):
            self.open_path(entry[R_PATH])
        else:
            self.file_ops.open_default([entry[R_PATH]])

    def _rows_arrived(self, _parent: object, first: int, _last: int) -> None:
        """The first rows of a folder: give the list a current item (the folder just left, when
        going up), so the arrow keys and type-ahead start there."""
        if first == 0 and not self.content.current_view().currentIndex().isValid():
            self._make_current(0)
        self._select_listed()

    def _make_current(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.content.selection_model().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
        self.content.current_view().scrollTo(index)

    def _current_came_from(self) -> None:
        """After going up, the folder just left is the current item (as in Dolphin), unless the
        user moved on already."""
        came_from, self._came_from = self._came_from, None
        current = self.content.current_view().currentIndex()
        if came_from is not None and current.row() <= 0 and not self.content.selected_rows():
            row = self.model.row_of_path(came_from)
            if row is not None:
                self._make_current(row)

    def _select_when_listed(self, path: bytes, edit: bool) -> None:
        """Select ``path`` (and edit its name) once the folder's listing has it."""
        if os.path.dirname(path) == self._path:
            self._select_after = (path, edit, time.monotonic() + SELECT_AFTER_SECONDS)
            self._select_listed()

    def _select_listed(self) -> None:
        if self._select_after is None:
            return
        path, edit, until = self._select_after
        if time.monotonic() > until:
            self._select_after = None
            return
        row = self.model.row_of_path(path)
        if row is None:
            return
        self._select_after = None
        view = self.content.current_view()
        index = self.model.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag
        self.content.selection_model().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)
        view.scrollTo(index)
        if edit:
            self.inline_rename.start(path)
        else:
            view.setFocus()

    def _keyboard_context_menu(self) -> None:
        side = self.sidebar.view
        self.context_menus.popup_at_current(side if side.hasFocus() else self.content.current_view())

    def _location_entered(self, text: str) -> None:
        """Enter in the location bar: go there (the file list gets the focus) or say why not, in place."""
        base = self._path
        typed = remote_listing.split(text.strip())
        if typed is not None and typed[0] in self.sidebar.network.rows:  # NAME:/path of a volume
            self.path_bar.stop_editing()
            self.open_path(remote_listing.address(*typed))
            self.content.current_view().setFocus()
            return
        if base is not None and remote_listing.is_remote(base):
            base = None  # a relative path typed beside a volume's folder means nothing local

        async def go() -> None:
            found: TypedLocation = await asyncio.to_thread(resolve_typed_location, text, base)
            if not self.path_bar.editing:
                return  # given up meanwhile
            if found.path is None:
                self.path_bar.show_error(found.error)
                return
            self.path_bar.stop_editing()
            self.open_path(found.path)
            self.content.current_view().setFocus()

        self.services.tasks.spawn(go(), what="open location")

    def _clear_filter(self) -> None:
        if self.filter.text():
            self._filter_timer.stop()
            self.filter.blockSignals(True)
            self.filter.clear()
            self.filter.blockSignals(False)
        self.model.set_filter("", reload=False)

    def _folder_changed(self, target: FolderTarget) -> None:
        source = "library" if target.in_library else "folder (not indexed)"
        self.path_bar.setToolTip(f"{target.display} — {source}")

    def _loaded(self, total: int) -> None:
        self._update_selection()
        self._current_came_from()
        self._select_listed()
        needle = self.model.filter_text
        remote = self.remote_shown()
        if remote is not None and not self.model.error:  # the volume answers: its pictures are read again
            self.services.thumbnails.retry_remote()
        if self.model.error and not self.model.rowCount():  # why, once, in place of the rows
            self.content.set_placeholder(self.model.error, retry=True)
            self.selection_label.clear()  # no "0 items" under a folder that could not be listed
        elif self.model.error:  # a refresh failed over the rows still shown: the status bar says why
            self.statusBar().showMessage(self.model.error, 10000)
            self.content.set_placeholder(None)
        elif needle and not total:
            self.content.set_placeholder(f"No items match “{needle}”")
        elif remote is not None and not total:
            self.content.set_placeholder("This folder is empty.")
        else:
            self.content.set_placeholder(None)

    def _retry(self) -> None:
        """List the folder shown again after its listing failed: opened anew, as the model's last
        folder is still the one listed before when this one was never found."""
        if self._path is not None and not self.trash_page.active:
            self.open_path(self._path, record=False)

    def _load_failed(self, _message: str) -> None:
        # the message shows in ``_loaded`` (next), in one place
        self.statusBar().clearMessage()  # an older message ("… queued") would sit beside it
        remote = self.remote_shown()
        if remote is not None:  # the sidebar checks the volume at once: its status says so too
            self.sidebar.network.check_now(remote[0])

    # -- dialogs (plain slots, never inside a coroutine) -----------------------------------
    def open_folder_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open Folder", paths.display(self._path or b""))
        if path:
            self.open_path(path)

    def add_location_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Add Location", os.path.expanduser("~"))
        if path:
            self.services.spawn_add_location(path)

    # -- view options ----------------------------------------------------------------------
    def set_view_mode(self, mode: int) -> None:
        self.content.set_mode(mode)
        self._view_list.setChecked(mode == LIST)
        self._view_grid.setChecked(mode == GRID)

    def _toggle_hidden(self) -> None:
        self.model.set_show_hidden(self.actions["show_hidden"].isChecked())

    def _select_all(self) -> None:
        self.model.fetch_all()
        self.content.current_view().selectAll()

    def _focus_filter(self) -> None:
        self.filter.setFocus()
        self.filter.selectAll()

    # -- status bar ------------------------------------------------------------------------
    def _update_selection(self) -> None:
        if self.trash_page.active:
            self.selection_label.setText(self.trash_page.summary())
            return
        rows = self.content.selected_rows()
        total = self.model.total
        if rows:
            size = human_size(self.model.sum_sizes(rows))
            of = "" if total is None else f" of {plural(total, 'item')}"  # None: the library's first rows, loading
            text = f"{human_count(len(rows))}{of} selected ({size})" + (", loading…" if self.model.loading else "")
        elif self.model.loading:
            text = f"{plural(total, 'item')}, loading…" if total else "Loading…"
        elif self.model.filter_text:
            text = f"{plural(total or 0, 'item')} match “{self.model.filter_text}”"
        else:
            text = plural(total or 0, "item")
        self.selection_label.setText(text)

    def _jobs_changed(self, active: int, paused: int, fraction: float | None) -> None:
        parts = [f"{plural(active, 'job')} running"] if active else []
        if paused:
            parts.append(f"{human_count(paused)} paused")
        self.job_label.setText(", ".join(parts) or "No jobs")
        if active:
            self.job_bar.show()
            if fraction is None:
                self.job_bar.setRange(0, 0)
            else:
                self.job_bar.setRange(0, 100)
                self.job_bar.setValue(int(fraction * 100))
        else:
            self.job_bar.hide()

    def _job_event(self, event: JobEvent) -> None:
        if event.kind == EventKind.STARTED:
            self._job_started.setdefault(event.job_id, time.monotonic())
            return
        if event.kind not in FINISHING_KINDS:
            return
        if is_background(event.name, event.target):  # the folder shown, brought up to date
            self._job_started.pop(event.job_id, None)
            if event.kind == EventKind.COMPLETED and self._path is not None and self.remote_shown() is None:
                self.model.refresh(sync=False)  # (a volume's folder is not what a local update changed)
            return
        # the "… queued" message of the job must not outlive it
        kind = EventKind(event.kind)
        message = f"{job_title(event.name)} {OUTCOME_TEXT[kind]}" + (f" — {event.target}" if event.target else "")
        if kind is EventKind.FAILED and event.error:
            message += f": {event.error}"
        self.statusBar().showMessage(message, 10000)
        started = self._job_started.pop(event.job_id, None)
        local = self._path is not None and self.remote_shown() is None
        if event.name == IndexerJob.NAME and kind is EventKind.COMPLETED and local:
            self.model.refresh(sync=False)  # the folder may now be in the library
        long_job = started is not None and time.monotonic() - started >= LONG_JOB_SECONDS
        if long_job and self.tray is not None and not self.isActiveWindow():
            took = human_duration(time.monotonic() - started)
            what = f"{job_title(event.name)}{' — ' + event.target if event.target else ''}"
            self.tray.showMessage(f"Job {kind}", f"{what} ({took})", QSystemTrayIcon.MessageIcon.Information)

    # -- settings and closing --------------------------------------------------------------
    def _restore_settings(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 760)
        state = s.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        self.job_pane.restore(s)
        header = s.value("view/header")
        if isinstance(header, QByteArray) and not header.isEmpty():
            self.content.list.horizontalHeader().restoreState(header)
        split = s.value("window/splitter")
        if isinstance(split, QByteArray) and not split.isEmpty():
            self.splitter.restoreState(split)
        self.set_view_mode(GRID if get_int(s, "view/mode", LIST) == GRID else LIST)
        hidden = get_bool(s, "view/show_hidden", False)
        self.actions["show_hidden"].setChecked(hidden)
        self.model.set_show_hidden(hidden)

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("window/splitter", self.splitter.saveState())
        self.job_pane.save(s)
        s.setValue("view/header", self.content.list.horizontalHeader().saveState())
        s.setValue("view/mode", self.content.mode)
        s.setValue("view/show_hidden", self.actions["show_hidden"].isChecked())
        if self._path is not None and self.remote_shown() is None:  # a volume may be gone at the next start
            s.setValue("view/last_path", paths.display(self._path))
        s.sync()

    def last_path(self) -> str | None:
        value = self.settings.value("view/last_path")
        return value if isinstance(value, str) and value else None

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        # the app owns the orderly shutdown (pause jobs, persist, close the library)
        self.save_settings()
        event.ignore()
        self.closeRequested.emit()

    def dispose(self) -> None:
        """Stop background loaders before the library closes."""
        self.folder_watch.close()
        self.model.close()
        self.result_tabs.close_all()
        self.trash_page.close()
        self.sidebar.close_runner()
        self.volume_actions.close_runner()
        self.remote_files.close()
        if self.tray is not None:
            self.tray.hide()


def focus_window(window: MainWindow) -> None:
    window.show()
    window.raise_()
    window.activateWindow()
    QApplication.alert(window)

"""Context menus for files, folders, locations and empty space, built from the window's actions
(so a menu item, its menu-bar twin and its shortcut are one QAction). ``ContextMenus`` shows
them on the content views and the sidebar; while one is open, the actions act on what it was
opened on (an ``action_targets.Context``). A network volume's folder gets the menu of what acts on
a volume (``remote_files``)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QPoint, QTimer
from PySide6.QtWidgets import QAbstractItemView, QMenu, QWidget

from sd_desktop.library.browse import KIND_DIR, R_KIND, R_PATH
from sd_desktop.ops.files import remote_listing
from sd_desktop.ui.action_targets import EMPTY, FILE, FOLDER, LOCATION, PLACE, TRASH, ActionTargets, Context
from sd_desktop.ui.actions import ActionRegistry
from sd_desktop.ui.content_model import ContentModel
from sd_desktop.ui.content_view import ContentView
from sd_desktop.ui.services import trash_folder
from sd_desktop.ui.sidebar import LocationRole, Sidebar
from sd_desktop.ui.sidebar import PathRole as SidebarPathRole

# None is a separator; the first entry is the default (bold) item
MENUS: dict[str, list[str | None]] = {
    FILE: [
        "fa_open",
        "fa_open_default",
        "fa_reveal",
        None,
        "fa_cut",
        "fa_copy",
        None,
        "fa_copy_to",
        "fa_move_to",
        "fa_rename",
        None,
        "fa_trash",
        "fa_delete",
        None,
        "fa_find_duplicates",
        "fa_find_similar",
        "fa_validate",
        "fa_thumbnails",
        None,
        "fa_properties",
    ],
    FOLDER: [
        "fa_open",
        "fa_open_default",
        "fa_reveal",
        None,
        "fa_cut",
        "fa_copy",
        None,
        "fa_copy_to",
        "fa_move_to",
        "fa_rename",
        None,
        "fa_trash",
        "fa_delete",
        None,
        "fa_find_duplicates",
        "fa_find_similar",
        "fa_validate",
        "fa_thumbnails",
        "fa_reindex",
        None,
        "fa_properties",
    ],
    LOCATION: [
        "fa_open",
        "fa_open_default",
        "fa_reveal",
        None,
        "fa_find_duplicates",
        "fa_find_similar",
        "fa_validate",
        "fa_thumbnails",
        "fa_reindex",
        None,
        "fa_properties",
    ],
    PLACE: [
        "fa_open",
        "fa_open_default",
        None,
        "fa_find_duplicates",
        "fa_find_similar",
        "fa_validate",
        None,
        "fa_properties",
    ],
    TRASH: ["fa_open", "fa_open_default"],
    EMPTY: [
        "fa_undo",
        "fa_redo",
        None,
        "fa_paste",
        "fa_new_folder",
        None,
        "fa_find_duplicates",
        "fa_find_similar",
        "fa_validate",
        "fa_thumbnails",
        "fa_reindex",
        None,
        "fa_open_default",
        "fa_properties",
    ],
}


def build_menu(kind: str, actions: ActionRegistry, parent: QWidget | None = None) -> QMenu:
    """The context menu for ``kind`` (one of FILE, FOLDER, LOCATION, PLACE, TRASH, EMPTY)."""
    menu = QMenu(parent)
    menu.setObjectName(f"context_menu_{kind}")
    keys = MENUS[kind]
    for key in keys:
        if key is None:
            menu.addSeparator()
        elif key in actions:
            menu.addAction(actions[key])
    first = next((k for k in keys if k and k in actions), None)
    if first is not None and kind != EMPTY:
        menu.setDefaultAction(actions[first])  # drawn in bold, as file managers show the double-click action
    return menu


class ContextMenus(QObject):
    def __init__(
        self,
        actions: ActionRegistry,
        targets: ActionTargets,
        model: ContentModel,
        content: ContentView,
        sidebar: Sidebar,
        window: QWidget,
    ):
        super().__init__(window)
        self.actions = actions
        self.targets = targets
        self.model = model
        self.content = content
        self.sidebar = sidebar
        self.window = window
        self.last_menu: QMenu | None = None
        self.remote = None  # RemoteFiles: the menu of a network volume's rows

    def content_context(self, pos: QPoint, view: QAbstractItemView) -> Context:
        """What a context menu at ``pos`` of a content view acts on (the row under it joins the
        selection, as file managers do; empty space means the folder shown)."""
        index = view.indexAt(pos)
        if not index.isValid():
            current = self.targets.current_folder()
            return Context(EMPTY, [current] if current is not None else [])
        sel = self.content.selection_model()
        if not sel.isRowSelected(index.row(), index.parent()):
            view.setCurrentIndex(index)
        rows = sorted(self.content.selected_rows()) or [index.row()]
        entries = [self.model.entry(r) for r in rows if r < self.model.loaded_rows()]
        kind = FOLDER if all(e[R_KIND] == KIND_DIR for e in entries) and len(entries) == 1 else FILE
        return Context(kind, [e[R_PATH] for e in entries])

    def sidebar_context(self, pos: QPoint) -> Context | None:
        index = self.sidebar.view.indexAt(pos)
        raw = index.data(SidebarPathRole) if index.isValid() else None
        if raw is None:
            return None
        location = index.data(LocationRole)
        trash = trash_folder()
        if trash is not None and raw == trash:
            return Context(TRASH, [raw])
        if location is not None:
            return Context(LOCATION, [raw], location)
        return Context(PLACE, [raw])  # Home, volumes: never renamed or trashed from here

    def menu_for(self, context: Context) -> QMenu:
        """Build the context menu for ``context``; actions triggered from it act on that context."""
        self.targets.set_context(context)  # (action_state enables what can act on it)
        menu = build_menu(context.kind, self.actions, self.window)
        self.last_menu = menu
        # actions run right after the menu hides: drop the context once they did
        menu.aboutToHide.connect(lambda: QTimer.singleShot(0, lambda: self._end_menu(menu)))
        return menu

    def _end_menu(self, menu: QMenu) -> None:
        self.targets.set_context(None)
        menu.deleteLater()

    def popup_content_menu(self, view: QAbstractItemView, pos: QPoint) -> None:
        folder = self.targets.current_folder()
        if self.remote is not None and remote_listing.is_remote(folder):
            self.remote_menu(view, pos).popup(view.viewport().mapToGlobal(pos))
            return
        menu = self.menu_for(self.content_context(pos, view))
        menu.popup(view.viewport().mapToGlobal(pos))

    def remote_menu(self, view: QAbstractItemView, pos: QPoint) -> QMenu:
        """The menu of the volume rows at ``pos`` (the row under it joins the selection), or of the
        volume folder shown when ``pos`` is on empty space."""
        index = view.indexAt(pos)
        rows: list[int] = []
        if index.isValid():
            if not self.content.selection_model().isRowSelected(index.row(), index.parent()):
                view.setCurrentIndex(index)
            rows = sorted(self.content.selected_rows()) or [index.row()]
        entries = [self.model.entry(r) for r in rows if r < self.model.loaded_rows()]
        menu = self.remote.menu(entries, self.targets.current_folder(), self.window)
        self.last_menu = menu
        return menu

    def popup_at_current(self, view: QAbstractItemView) -> None:
        """Shift+F10 or the Menu key: the menu of the view's current item, beside it (of the
        folder shown when there is none)."""
        index = view.currentIndex()
        if view is self.sidebar.view:
            if index.isValid():
                self.popup_sidebar_menu(view.visualRect(index).center())
        elif index.isValid() or remote_listing.is_remote(self.targets.current_folder()):
            self.popup_content_menu(view, view.visualRect(index).center() if index.isValid() else QPoint(8, 8))
        else:
            current = self.targets.current_folder()
            menu = self.menu_for(Context(EMPTY, [current] if current is not None else []))
            menu.popup(view.viewport().mapToGlobal(QPoint(8, 8)))

    def popup_sidebar_menu(self, pos: QPoint) -> None:
        context = self.sidebar_context(pos)
        if context is not None:
            menu = self.menu_for(context)
            menu.popup(self.sidebar.view.viewport().mapToGlobal(pos))

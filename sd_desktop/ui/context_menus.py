"""Context menus for files, folders, locations and empty space, built from the window's actions
(so a menu item, its menu-bar twin and its shortcut are one QAction)."""

from __future__ import annotations

from PySide6.QtWidgets import QMenu, QWidget

from sd_desktop.ui.actions import ActionRegistry

FILE, FOLDER, LOCATION, PLACE, EMPTY, TRASH = "file", "folder", "location", "place", "empty", "trash"

# None is a separator; the first entry is the default (bold) item
MENUS: dict[str, list[str | None]] = {
    FILE: [
        "fa_open",
        "fa_open_default",
        "fa_reveal",
        None,
        "fa_copy_to",
        "fa_move_to",
        "fa_rename",
        None,
        "fa_trash",
        "fa_delete",
        None,
        "fa_find_duplicates",
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
        "fa_copy_to",
        "fa_move_to",
        "fa_rename",
        None,
        "fa_trash",
        "fa_delete",
        None,
        "fa_find_duplicates",
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
        "fa_validate",
        "fa_thumbnails",
        "fa_reindex",
        None,
        "fa_properties",
    ],
    PLACE: ["fa_open", "fa_open_default", None, "fa_find_duplicates", "fa_validate", None, "fa_properties"],
    TRASH: ["fa_open", "fa_open_default"],
    EMPTY: [
        "fa_undo",
        "fa_redo",
        None,
        "fa_find_duplicates",
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

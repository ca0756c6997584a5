"""What the file actions act on: the context of the open context menu, else the selection of the
content view, else the folder shown. While a page replaces the folder view (the Trash), only the
actions that ask for it (``page=True``: Delete, Shift+Delete) get that page's selection."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sd_desktop.library.browse import R_PATH, Row
from sd_desktop.ui.content_model import ContentModel
from sd_desktop.ui.content_view import ContentView

# what a context menu was opened on
FILE, FOLDER, LOCATION, PLACE, EMPTY, TRASH = "file", "folder", "location", "place", "empty", "trash"


@dataclass
class Context:
    """What a context menu (or a shortcut) acts on."""

    kind: str  # FILE / FOLDER / LOCATION / PLACE / TRASH / EMPTY
    paths: list[bytes]
    location_id: int | None = None


class ActionTargets:
    def __init__(self, model: ContentModel, content: ContentView, current_folder: Callable[[], bytes | None]):
        self.model = model
        self.content = content
        self.current_folder = current_folder
        self.context: Context | None = None  # set while a context menu's actions may run
        # the selection of a page shown in place of the folder view, None while the folder shows
        self.page_selection: Callable[[], list[bytes] | None] = lambda: None
        self.context_changed: list[Callable[[], None]] = []  # told when a context is set or dropped

    def set_context(self, context: Context | None) -> None:
        self.context = context
        for listener in self.context_changed:
            listener()

    def selected_entries(self) -> list[Row]:
        """The content view's selected rows (loaded ones), in view order."""
        model = self.model
        return [model.entry(r) for r in sorted(self.content.selected_rows()) if r < model.loaded_rows()]

    def selected_paths(self, *, page: bool = False) -> list[bytes]:
        """The context's paths (none for empty space), else the content view's selection. While a
        page is shown: its selection when ``page`` (else nothing: renaming or moving a trashed
        item by hand would cut it from its record)."""
        if self.context is not None:
            return list(self.context.paths) if self.context.kind != EMPTY else []
        shown = self.page_selection()
        if shown is not None:
            return shown if page else []
        return [e[R_PATH] for e in self.selected_entries()]

    def targets(self) -> list[bytes]:
        """The selection, else the folder shown."""
        sel = self.selected_paths()
        if sel:
            return sel
        if self.context is not None and self.context.paths:
            return list(self.context.paths)
        current = self.current_folder()
        return [current] if current is not None else []

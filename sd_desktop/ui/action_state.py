"""Which file actions can act now: Cut, Copy, Copy to, Move to and the deletes need a selection,
Rename exactly one item, Paste files on the clipboard. Disabled actions are grey in menus and
their shortcuts do nothing. An open context menu counts as the selection it was opened on; while a
page replaces the folder view (the Trash), its selection counts for the deletes only. While a
network volume's folder shows, the actions that only local files can take are off (its context
menu has what acts on a volume); Copy, Paste and Delete Permanently act through the remote jobs."""

from __future__ import annotations

from collections.abc import Callable

from sd_desktop.ops.files import remote_listing
from sd_desktop.ui.action_targets import FILE, FOLDER, ActionTargets
from sd_desktop.ui.actions import ActionRegistry

NEED_SELECTION = ("fa_cut", "fa_copy", "fa_copy_to", "fa_move_to", "fa_trash", "fa_delete")
NEED_ONE = ("fa_rename",)
PAGE_ACTIONS = ("fa_trash", "fa_delete")  # what acts on a page's selection too (``selected_paths(page=True)``)
# what a network volume's folder cannot do (no trash, no rename or move job, no local search there)
LOCAL_ONLY = (
    "fa_cut",
    "fa_copy_to",
    "fa_move_to",
    "fa_trash",
    "fa_rename",
    "fa_open_default",
    "fa_reveal",
    "fa_find_duplicates",
    "fa_find_similar",
    "fa_validate",
    "fa_thumbnails",
    "fa_reindex",
    "fa_new_folder",
    "fa_properties",  # the volume's menu has its own (the listed size and time)
)


class ActionStates:
    def __init__(
        self,
        actions: ActionRegistry,
        targets: ActionTargets,
        can_paste: Callable[[], bool],
    ):
        self.actions = actions
        self.targets = targets
        self.can_paste = can_paste
        targets.context_changed.append(self.update)

    def selected_count(self) -> tuple[int, int]:
        """Items the file actions would act on: (all of them, those of the page actions)."""
        context = self.targets.context
        if context is not None:
            n = len(context.paths) if context.kind in (FILE, FOLDER) else 0
            return n, n
        shown = self.targets.page_selection()
        if shown is not None:  # a page in place of the folder (the Trash): only Delete acts on it
            return 0, len(shown)
        n = len(self.targets.content.selected_rows())
        return n, n

    def update(self) -> None:
        n, on_page = self.selected_count()
        for key in NEED_SELECTION:
            self._enable(key, (on_page if key in PAGE_ACTIONS else n) > 0)
        for key in NEED_ONE:
            self._enable(key, n == 1)
        self._enable("fa_paste", self.can_paste() and self.targets.current_folder() is not None)
        remote = remote_listing.is_remote(self.targets.current_folder())
        for key in LOCAL_ONLY:
            if remote or key not in NEED_SELECTION + NEED_ONE:
                self._enable(key, not remote)

    def _enable(self, key: str, on: bool) -> None:
        if key in self.actions:
            self.actions[key].setEnabled(on)

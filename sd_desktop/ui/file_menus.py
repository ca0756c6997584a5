"""The file actions in the window's ActionRegistry (text, shortcut, what they call) and the menu-bar
entries that show them: Undo/Redo in Edit, the Files menu, the Tools menu. The window creates the
menus and hands them here to be filled; context menus take the same actions (``context_menus``)."""

from __future__ import annotations

from PySide6.QtGui import QAction, QIcon, QKeySequence, QUndoStack
from PySide6.QtWidgets import QMenu, QStyle

from sd_desktop.ops.files.duplicate_detection import DuplicateDetectionJob
from sd_desktop.ops.files.validation import ValidationJob
from sd_desktop.ops.media.similar.job import SimilarPicturesJob
from sd_desktop.ui.actions import ActionRegistry
from sd_desktop.ui.context_menus import FOLDER, MENUS
from sd_desktop.ui.file_clipboard import FileClipboard
from sd_desktop.ui.file_ops import FileOperations
from sd_desktop.ui.new_folder import NewFolders
from sd_desktop.ui.rename import Renamer
from sd_desktop.ui.results_tabs import ResultTabs

TOOLS_MENU: list[str | None] = [
    "fa_find_duplicates",
    "fa_find_similar",
    "fa_validate",
    "fa_thumbnails",
    "fa_reindex",
    None,
    "fa_last_duplicates",
    "fa_last_similar",
    "fa_last_validation",
]


def register_file_actions(
    a: ActionRegistry,
    ops: FileOperations,
    renamer: Renamer,
    results: ResultTabs,
    undo: QUndoStack,
    style: QStyle,
    clipboard: FileClipboard,
    folders: NewFolders,
) -> None:
    S, sp = QKeySequence.StandardKey, QStyle.StandardPixmap
    a.add("fa_new_folder", "New Folder", lambda: folders.create(), shortcut="Ctrl+Shift+N")
    a["fa_new_folder"].setIcon(QIcon.fromTheme("folder-new"))
    # plain keys, not StandardKey.Cut: on X11 that also holds Shift+Del, which is Delete Permanently
    a.add("fa_cut", "Cut", clipboard.cut, shortcut="Ctrl+X")
    a.add("fa_copy", "Copy", clipboard.copy, shortcut="Ctrl+C")
    a.add("fa_paste", "Paste", lambda: clipboard.paste(), shortcut="Ctrl+V")
    a["fa_copy"].setShortcuts([QKeySequence("Ctrl+C"), QKeySequence("Ctrl+Insert")])
    a["fa_paste"].setShortcuts([QKeySequence("Ctrl+V"), QKeySequence("Shift+Insert")])
    a.add("fa_open", "Open", ops.open_items)
    a.add("fa_open_default", "Open with System Default", lambda: ops.open_default())
    a.add("fa_reveal", "Reveal in File Manager", lambda: ops.reveal())
    a.add("fa_copy_to", "Copy to…", lambda: ops.copy_to(move=False), shortcut="Ctrl+Shift+C")
    a.add("fa_move_to", "Move to…", lambda: ops.copy_to(move=True), shortcut="Ctrl+Shift+M")
    a.add("fa_rename", "Rename…", lambda: renamer.rename(), shortcut="F2")
    a.add("fa_trash", "Move to Trash", lambda: ops.trash(), shortcut=S.Delete, icon=style.standardIcon(sp.SP_TrashIcon))
    a.add("fa_delete", "Delete Permanently…", lambda: ops.delete_permanently(), shortcut="Shift+Del")
    a.add("fa_find_duplicates", "Find Duplicates…", lambda: results.find_duplicates(), shortcut="Ctrl+Shift+D")
    a.add("fa_find_similar", "Find Similar Pictures…", lambda: results.find_similar())
    a.add("fa_validate", "Validate…", lambda: results.validate(), shortcut="Ctrl+Shift+V")
    a.add("fa_thumbnails", "Generate Thumbnails", ops.generate_thumbnails)
    a.add("fa_reindex", "Re-index", ops.reindex)
    a.add("fa_properties", "Properties", lambda: ops.properties(), shortcut="Alt+Return")
    a.add("fa_undo", "Undo", undo.undo, shortcut=S.Undo)
    a.add("fa_redo", "Redo", undo.redo, shortcut=S.Redo)
    a.add(
        "fa_last_duplicates",
        "Last Duplicate Results",
        lambda: results.show_last_results(DuplicateDetectionJob.NAME),
    )
    a.add(
        "fa_last_similar", "Last Similar Pictures Results", lambda: results.show_last_results(SimilarPicturesJob.NAME)
    )
    a.add("fa_last_validation", "Last Validation Results", lambda: results.show_last_results(ValidationJob.NAME))
    _follow_undo_stack(a["fa_undo"], a["fa_redo"], undo)


def _follow_undo_stack(undo_action: QAction, redo_action: QAction, stack: QUndoStack) -> None:
    """Undo/Redo are enabled and named after what the stack would undo or redo."""
    undo_action.setEnabled(False)
    redo_action.setEnabled(False)
    stack.canUndoChanged.connect(undo_action.setEnabled)
    stack.canRedoChanged.connect(redo_action.setEnabled)
    stack.undoTextChanged.connect(lambda t: undo_action.setText(f"Undo {t}" if t else "Undo"))
    stack.redoTextChanged.connect(lambda t: redo_action.setText(f"Redo {t}" if t else "Redo"))


def _add(menu: QMenu, a: ActionRegistry, keys: list[str | None]) -> None:
    for key in keys:
        menu.addSeparator() if key is None else menu.addAction(a[key])


def fill_edit_menu(edit: QMenu, a: ActionRegistry) -> None:
    """Undo and Redo, Cut, Copy and Paste, then a separator (before the window's own Edit entries)."""
    _add(edit, a, ["fa_undo", "fa_redo", None, "fa_cut", "fa_copy", "fa_paste", None])


def fill_files_menu(files: QMenu, a: ActionRegistry) -> None:
    """The actions on files and folders, as the context menu of a folder has them."""
    _add(files, a, MENUS[FOLDER])


def fill_tools_menu(tools: QMenu, a: ActionRegistry, results: ResultTabs) -> None:
    """Find duplicates and similar pictures, validate, thumbnails, re-index, stored results, and the
    Results pane."""
    _add(tools, a, TOOLS_MENU)
    tools.addAction(results.results_action)

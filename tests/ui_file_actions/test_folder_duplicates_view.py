"""Find duplicates in "Folders" mode from the context menu on a generated tree with planted folder
copies: the dialog turns the file filters off, the results view lists the manifest's folder groups
(size and file count of one copy each), its extra copies go to the Trash through the guarded delete
(one changed since the search stays) and the stored result reopens."""

from __future__ import annotations

import json
import os

from PySide6.QtCore import QPoint

from sd_desktop.ops.files.duplicate_folders import FolderConfig
from sd_desktop.ops.files.duplicate_folders.select import extra_copies
from sd_desktop.ui.results.folder_duplicates_view import COL_FILES, COL_FOLDER, COL_SIZE, PathRole
from tests.support.make_corpus import main as make_corpus
from tests.ui_file_actions.conftest import open_folder


def view_groups(view, tree) -> list[list[str]]:
    root = os.path.realpath(tree)
    model = view.model
    groups = []
    for row in range(model.rowCount()):
        parent = model.index(row, 0)
        paths = [model.index(r, COL_FOLDER, parent).data(PathRole) for r in range(model.rowCount(parent))]
        groups.append(sorted(os.path.relpath(os.fsdecode(p), root) for p in paths))
    return sorted(groups)


def test_folders_mode_lists_the_folder_groups(window, qtbot, tmp_path, artifacts):
    out = tmp_path / "corpus"
    make_corpus([str(out), "--files", "120", "--seed", "3", "--folder-copies"])
    tree, manifest = out / "tree", json.loads((out / "manifest.json").read_text())
    open_folder(qtbot, window, tree)
    view = window.content.list
    corner = QPoint(view.viewport().width() - 5, view.viewport().height() - 5)
    menu = window.context_menus.menu_for(window.context_menus.content_context(corner, view))
    next(a for a in menu.actions() if a.text() == "Find Duplicates…").trigger()
    dialog = window.prompts.last_dialog
    assert not dialog.folders_hint.isVisible() and dialog.mode.isEnabled()
    dialog.kind.setCurrentIndex(dialog.kind.findData("folders"))
    assert dialog.folders_hint.isVisible()
    assert [w.isVisible() for w in (dialog.mode, dialog.extensions, dialog.hidden, dialog.references)] == [False] * 4
    dialog.kind.setCurrentIndex(dialog.kind.findData("files"))
    assert dialog.mode.isVisible() and dialog.references.isVisible() and not dialog.folders_hint.isVisible()
    dialog.kind.setCurrentIndex(dialog.kind.findData("folders"))
    assert dialog.config() == FolderConfig(search_paths=[tree])
    dialog.grab().save(str(artifacts / "find-duplicate-folders-dialog.png"))
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=60000) as blocker:
        dialog.find_button.click()
    assert blocker.args[0].name == "duplicate_folders"
    qtbot.waitUntil(
        lambda: window.result_tabs.views and window.result_tabs.views[-1].objectName() == "folder_duplicates_view"
    )
    view = window.result_tabs.views[-1]
    assert view_groups(view, tree) == manifest["folder_groups"]
    first = view.model.index(0, 0)  # the most space in extra copies: the project folder and its copy
    assert view.model.rowCount(first) == 2
    assert view.model.index(0, COL_SIZE).data() == f"{view.output['folder_groups'][0]['size'] / 1e6:.1f} MB each"
    assert view.model.index(0, COL_FILES).data() == f"{view.output['folder_groups'][0]['files']} files"
    assert view.headline.text() == f"{len(manifest['folder_groups'])} groups of identical folders"
    # a folder row selected: reveal asks for that folder
    view.tree.setCurrentIndex(view.model.index(1, 0, first))
    with qtbot.waitSignal(view.revealRequested) as revealed:
        view.reveal_button.click()
    assert revealed.args[0] == os.fsencode(view.output["folder_groups"][0]["paths"][1])
    window.result_tabs.tabs.setCurrentWidget(view)
    window.grab().save(str(artifacts / "duplicate-folders-view.png"))
    # the extra copies to the Trash: each compared with the kept copy right before; one changed since
    # the search (a byte in the middle of its big file, mtime put back) stays
    extra = extra_copies(view.output)
    root = os.path.realpath(tree)
    kept_of = {os.path.relpath(f.path, root): os.path.relpath(f.keepers[0], root) for f in extra}
    assert kept_of["Copies/backup/atlas"] == "Copies/atlas"
    assert kept_of["Copies/atlas (big byte)/src"] == "Copies/atlas/src"
    assert not any(p.startswith("Copies/backup/atlas/") for p in kept_of)  # they go with their parent
    changed = next(f.path for f in extra if os.path.basename(f.path) == "src")
    target = changed / "main.py"
    st = target.stat()
    with open(target, "r+b") as fh:
        fh.seek(st.st_size // 2)
        fh.write(b"\x00" if fh.read(1) != b"\x00" else b"\x01")
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=60000) as blocker:
        view.trash_button.click()
    assert blocker.args[0].name == "delete"
    qtbot.waitUntil(view.banner.isVisible)
    assert view.banner.text().startswith(f"{len(extra) - 1} folders moved to the Trash. 1 folder kept ({changed}: ")
    assert [f.path.exists() for f in extra] == [f.path == changed for f in extra]
    assert all(f.keepers[0].exists() for f in extra)
    struck = sorted(
        os.path.relpath(os.fsdecode(item.data(PathRole)), root)
        for row in range(view.model.rowCount())
        for child in range(view.model.item(row, 0).rowCount())
        if (item := view.model.item(row, 0).child(child, COL_FOLDER)).font().strikeOut()
    )
    trashed = [os.path.relpath(f.path, root) for f in extra if f.path != changed]
    members = [os.path.relpath(p, root) for g in view.output["folder_groups"] for p in g["paths"]]
    assert struck == sorted(m for m in members if any(m == t or m.startswith(t + "/") for t in trashed))
    assert "Copies/backup/atlas/src" in struck  # gone with its parent
    window.grab().save(str(artifacts / "duplicate-folders-removed.png"))
    # stored: the last result reopens (it survives a restart)
    before = len(window.result_tabs.views)
    window.result_tabs.show_last_results("duplicate_folders")
    qtbot.waitUntil(lambda: len(window.result_tabs.views) == before + 1)
    assert view_groups(window.result_tabs.views[-1], tree) == manifest["folder_groups"]

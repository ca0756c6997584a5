"""What the window does with files on network volumes, shown in the content views as ``NAME:/path``
rows (``ops.files.remote_listing``): the context menu's actions (Open, Download to…, Copy, Delete
Permanently, Find Duplicates, Validate, Index…, Properties) and the transfers a drop or a paste
starts: a volume's items onto a local folder (``remote_copy``), local files or another volume's
items into a volume's folder (``remote_upload``).

Every transfer and delete is an engine job (progress in the job panel, pause, resume). Before an
upload the destination folder is listed on a worker (never the GUI thread), and before a download
the local destination is looked at there too: when names there are taken, the user is asked once,
as for a local copy, whether to replace them, keep both (``a (1).txt``) or skip them; the answer is
the job's ``on_conflict``, and a download that skipped files says so in the status bar. A volume
has no trash: Delete asks first and deletes for good.
"""

from __future__ import annotations

import os
import posixpath
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from sd_desktop import paths
from sd_desktop.library.browse import KIND_DIR, R_KIND, R_MTIME, R_NAME, R_PATH, R_SIZE, Row
from sd_desktop.library.volumes import find_volume
from sd_desktop.ops.files import remote_listing
from sd_desktop.ui import open_copies
from sd_desktop.ui.clipboard import files_from_mime
from sd_desktop.ui.dnd import mime_to_remote, remote_to_mime
from sd_desktop.ui.file_ops import FileOperations
from sd_desktop.ui.formatting import human_size
from sd_desktop.ui.job_submit import JobSubmitter
from sd_desktop.ui.services import AppServices
from sd_desktop.ui.workers import BackgroundRunner
from sd_desktop.volumes.blocking import list_folder
from sd_desktop.volumes.remote import NOT_FOUND, RemoteError
from sd_desktop.volumes.specs import spec_of

SKIP, OVERWRITE, RENAME = "skip", "overwrite", "rename"  # the upload job's on_conflict


def split_items(items: list[bytes]) -> tuple[str, list[str]] | None:
    """``(volume, paths)`` when every item is on one volume, else None."""
    found = [remote_listing.split(p) for p in items]
    volumes = {f[0] for f in found if f is not None}
    if not found or None in found or len(volumes) != 1:
        return None
    return volumes.pop(), [f[1] for f in found if f is not None]


def taken_locally(folder: str, items: list[str]) -> list[str]:
    """The names of ``items`` (paths on a volume) already in the local ``folder`` (on a worker: the
    folder may be on a slow disk)."""
    names = {posixpath.basename(i.rstrip("/")) for i in items}
    return sorted(n for n in names if n and os.path.lexists(os.path.join(folder, n)))


def located(library, volume: str, path: str) -> tuple[int, str] | None:
    """The indexed location of ``volume`` holding ``path`` (on a worker), None when there is none."""
    from sd_desktop.library.volumes import locate_remote

    row = library.read_sync(lambda c: find_volume(c, volume))
    if row is None:
        raise RemoteError(NOT_FOUND, f"no network volume named {volume}")
    return library.read_sync(lambda c: locate_remote(c, row.id, path))


def taken_names(library, volume: str, folder: str) -> set[str]:
    """The names in ``folder`` of ``volume`` (on a worker: one listing through the volume); none
    when the folder is not there yet (the upload makes it)."""
    row = library.read_sync(lambda c: find_volume(c, volume))
    if row is None:
        raise RemoteError(NOT_FOUND, f"no network volume named {volume}")
    try:
        return {posixpath.basename(e.path) for e in list_folder(spec_of(row, library.folder), folder)}
    except RemoteError as exc:
        if exc.kind == NOT_FOUND:
            return set()
        raise


class RemoteFiles(QObject):
    uploadQueued = Signal(str)  # the destination NAME:/path of a queued upload (tests wait on it)
    downloadQueued = Signal(str)  # the local folder of a queued download (tests wait on it)

    def __init__(self, services: AppServices, jobs: JobSubmitter, ops: FileOperations, volumes, window: QWidget):
        super().__init__(window)
        self.services = services
        self.jobs = jobs
        self.ops = ops
        self.volumes = volumes  # VolumeActions: Index…
        self.window = window
        self._runner = BackgroundRunner("remote-files", workers=2, parent=self)
        # the questions: replaced by tests (a modal box cannot be answered offscreen)
        self.ask: Callable[[str, str], bool] = self._ask
        self.ask_conflict: Callable[[list[str], str], str | None] = self._ask_conflict
        self.ask_folder: Callable[[str], bytes | None] = self._ask_folder
        self.ask_index: Callable[[str], bool] = self._ask_index
        self.results = None  # ResultTabs (set by the window): Find Duplicates and Validate open tabs
        self.tell: Callable[[str, str], None] = lambda title, text: QMessageBox.information(self.window, title, text)
        self.last_menu: QMenu | None = None
        self.rows_shown: Callable[[], list[Row]] = list  # the content view's rows (set by the window)
        self.open_folders: list[str] = []  # Open's temporary folders, removed when the window closes
        self._runner.submit(open_copies.sweep_stale, self._swept)  # what a crashed run left, a day old

    # -- transfers -------------------------------------------------------------------------
    def download(self, volume: str, items: list[str], destination: bytes | None) -> bool:
        """Items of a volume into a local folder: one ``remote_copy`` job each (always a copy: nothing
        is removed from the volume). Names already there are asked about once first."""
        if not items or destination is None or remote_listing.is_remote(destination):
            return False
        dest = os.fsdecode(os.path.abspath(destination))
        self._runner.submit(
            lambda: taken_locally(dest, items),
            lambda taken, error: self._download(volume, items, dest, taken, error),
        )
        return True

    def _download(self, volume: str, items: list[str], dest: str, taken, error) -> None:
        if error is not None:
            self.services.status.emit(f"Nothing copied to {dest}: {error}")
            return
        policy = SKIP
        if taken:
            answer = self.ask_conflict(taken, dest)
            if answer is None:
                return
            policy = answer
        from sd_desktop.ops.files.remote_copy import RemoteCopyConfig

        for item in items:
            config = RemoteCopyConfig(volume=volume, source=item, destination=dest, on_conflict=policy)
            self.jobs.submit(config, f"Copy {volume}:/{item} to {dest}", on_done=self._downloaded)
        self.downloadQueued.emit(dest)

    def _downloaded(self, info) -> None:
        self.jobs.refresh_after(info)
        skipped = (info.output or {}).get("skipped", 0)
        if skipped:  # never silently: the job's outcomes list each one
            self.services.status.emit(
                f"{info.target}: {skipped} file(s) skipped, already there (see the job's details)"
            )

    def upload(self, sources: list[bytes], destination: bytes) -> bool:
        """Local files and folders into the volume folder ``destination`` (an address)."""
        local = [os.fsdecode(os.path.abspath(s)) for s in sources if not remote_listing.is_remote(s)]
        if not local or len(local) != len(sources):
            return False
        return self._send(local, "", destination)

    def copy_between(self, volume: str, items: list[str], destination: bytes) -> bool:
        """Items of ``volume`` into the volume folder ``destination``; items already in it stay."""
        found = remote_listing.split(destination)
        if found is None:
            return False
        moved = [i for i in items if not (found[0] == volume and posixpath.dirname(i) == found[1])]
        return bool(moved) and self._send(moved, volume, destination)

    def _send(self, sources: list[str], source_volume: str, destination: bytes) -> bool:
        found = remote_listing.split(destination)
        if found is None:
            return False
        volume, folder = found
        library = self.services.library
        self._runner.submit(
            lambda: taken_names(library, volume, folder),
            lambda taken, error: self._upload(sources, source_volume, volume, folder, taken, error),
        )
        return True

    def _upload(self, sources: list[str], source_volume: str, volume: str, folder: str, taken, error) -> None:
        where = f"{volume}:/{folder}"
        if error is not None:
            self.services.status.emit(f"Nothing copied to {where}: {error}")
            return
        clashes = sorted(n for n in (posixpath.basename(s.rstrip("/")) for s in sources) if n in taken)
        policy = SKIP
        if clashes:
            answer = self.ask_conflict(clashes, where)
            if answer is None:
                return
            policy = answer
        from sd_desktop.ops.files.remote_upload import RemoteUploadConfig

        config = RemoteUploadConfig(
            volume=volume, destination=folder, sources=sources, source_volume=source_volume, on_conflict=policy
        )
        count = f"“{posixpath.basename(sources[0])}”" if len(sources) == 1 else f"{len(sources)} items"
        self.jobs.submit(config, f"Copy {count} to {where}", on_done=self.jobs.refresh_after)
        self.uploadQueued.emit(where)

    def _ask_conflict(self, names: list[str], where: str) -> str | None:
        shown = "\n".join(names[:8]) + ("\n…" if len(names) > 8 else "")
        box = QMessageBox(QMessageBox.Icon.Question, "Items Already There", "", parent=self.window)
        box.setText(f"{len(names)} item(s) already in {where}:\n\n{shown}")
        replace = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
        both = box.addButton("Keep Both", QMessageBox.ButtonRole.AcceptRole)
        skip = box.addButton("Skip", QMessageBox.ButtonRole.RejectRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return {replace: OVERWRITE, both: RENAME, skip: SKIP}.get(box.clickedButton())

    # -- the clipboard ---------------------------------------------------------------------
    def copy_to_clipboard(self, items: list[bytes]) -> bool:
        """Copy: the items' ``NAME:/path`` (other programs get the text; a paste here copies them)."""
        found = split_items(items)
        if found is None:
            return False
        from PySide6.QtGui import QGuiApplication

        QGuiApplication.clipboard().setMimeData(remote_to_mime(*found))
        self.services.status.emit(f"{len(items)} item(s) of {found[0]} copied: paste with Ctrl+V")
        return True

    def paste(self, mime, destination: bytes) -> bool:
        """Paste into ``destination`` what the clipboard holds, when a volume is on either side."""
        remote = mime_to_remote(mime)
        if remote is not None:
            if remote_listing.is_remote(destination):
                return self.copy_between(remote[0], remote[1], destination)
            return self.download(remote[0], remote[1], destination)
        found = files_from_mime(mime)
        if found is not None and remote_listing.is_remote(destination):
            return self.upload(list(found.paths), destination)  # a cut is copied: the originals stay
        return False

    # -- the context menu ------------------------------------------------------------------
    def menu(self, rows: list[Row], folder: bytes, parent: QWidget) -> QMenu:
        """The menu of ``rows`` of the volume folder ``folder`` (none: the folder itself)."""
        menu = QMenu(parent)
        menu.setObjectName("remote_menu")
        items = [r[R_PATH] for r in rows]
        one_folder = len(rows) == 1 and rows[0][R_KIND] == KIND_DIR
        if rows:
            if one_folder:
                menu.setDefaultAction(menu.addAction("&Open", lambda: self.ops.open_folder(items[0])))
            else:  # a folder among them opens here, else the files open in their applications
                menu.setDefaultAction(menu.addAction("&Open", lambda: self.open_items(items)))
            menu.addAction("&Download to…", lambda: self.download_to(items))
            menu.addAction("&Copy", lambda: self.copy_to_clipboard(items))
            menu.addSeparator()
            menu.addAction("&Delete Permanently…", lambda: self.delete_permanently(items))
            menu.addSeparator()
        scope = items[0] if one_folder else folder
        menu.addAction("Find &Duplicates", lambda: self.find_duplicates(scope))
        menu.addAction("&Validate", lambda: self.validate(scope))
        volume, path = remote_listing.split(scope) or ("", "")
        menu.addAction("&Index…", lambda: self.volumes.index(volume, path or "/"))
        menu.addSeparator()
        menu.addAction("P&roperties", lambda: self.properties(rows, folder))
        self.last_menu = menu
        menu.aboutToHide.connect(menu.deleteLater)
        return menu

    def open_items(self, items: list[bytes]) -> None:
        """Open (Enter): the first folder among ``items`` in the window, else the files."""
        folders = [p for p in items if self._is_folder(p)]
        if folders:
            self.ops.open_folder(folders[0])
        else:
            self.open_files(items)

    def _is_folder(self, item: bytes) -> bool:
        return any(r[R_PATH] == item and r[R_KIND] == KIND_DIR for r in self.rows_shown())

    def open_files(self, items: list[bytes]) -> None:
        """Open files of a volume: each is copied into a temporary folder, then opened from there
        (``open_copies``: the folder goes when the window closes)."""
        for item in items:
            found = remote_listing.split(item)
            if found is None:
                continue
            from sd_desktop.ops.files.remote_copy import RemoteCopyConfig

            folder = open_copies.make_folder()
            self.open_folders.append(folder)
            local = os.path.join(os.fsencode(folder), os.fsencode(posixpath.basename(found[1])))

            def opened(info, local=local) -> None:
                if getattr(info.status, "value", info.status) == "completed" and os.path.exists(local):
                    self.ops.open_default([local])

            config = RemoteCopyConfig(volume=found[0], source=found[1], destination=folder)
            self.jobs.submit(config, f"Open {found[0]}:/{found[1]}", on_done=opened)

    def download_to(self, items: list[bytes]) -> None:
        found = split_items(items)
        folder = self.ask_folder("Download to Folder") if found is not None else None
        if found is not None and folder:
            self.download(found[0], found[1], folder)

    def _ask_folder(self, title: str) -> bytes | None:
        chosen = QFileDialog.getExistingDirectory(self.window, title, os.path.expanduser("~"))
        return os.fsencode(chosen) if chosen else None

    def _ask(self, title: str, text: str) -> bool:
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        return QMessageBox.question(self.window, title, text, yes | no, no) == yes

    def delete_permanently(self, items: list[bytes]) -> bool:
        """Delete on the volume, after a yes: it has no trash, nothing comes back."""
        found = split_items(items)
        if found is None or any(not p for p in found[1]):
            return False
        volume, rels = found
        named = f"“{posixpath.basename(rels[0])}”" if len(rels) == 1 else f"{len(rels)} items"
        text = f"Delete {named} from {volume} permanently?\n\nA network volume has no trash: this cannot be undone."
        if not self.ask("Delete Permanently", text):
            return False
        from sd_desktop.ops.files.remote_delete import RemoteDeleteConfig

        config = RemoteDeleteConfig(volume=volume, paths=rels, confirm=True)
        self.jobs.submit(config, f"Delete {named} from {volume}", on_done=self.jobs.refresh_after)
        return True

    def find_duplicates(self, scope: bytes) -> None:
        """Duplicates inside ``scope`` from the stored index, into a results tab. A folder in no
        indexed location is offered to be indexed first (one click), then searched."""
        found = remote_listing.split(scope)
        if found is None:
            return
        volume, path = found
        library = self.services.library
        self._runner.submit(
            lambda: located(library, volume, path),
            lambda where, error: self._find_duplicates(volume, path, where, error),
        )

    def _find_duplicates(self, volume: str, path: str, where, error) -> None:
        text = f"{volume}:/{path}"
        if error is not None:
            self.services.status.emit(f"Cannot search {text}: {error}")
            return
        if where is not None:
            self.results.run_remote_duplicates(text)
            return
        if not self.ask_index(text):
            return

        def indexed(info) -> None:
            if getattr(info.status, "value", info.status) == "completed":
                self.results.run_remote_duplicates(text)
            else:
                self.services.status.emit(f"{text} was not indexed ({info.error or info.status}): no search")

        self.volumes.index(volume, path or "/", on_done=indexed)

    def _ask_index(self, where: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, "Find Duplicates", "", parent=self.window)
        box.setText(
            f"{where} is not indexed yet.\n\nDuplicates are found from the index: index the folder now "
            "(its files are listed and sampled through the volume), then search it?"
        )
        go = box.addButton("Index It Now", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(go)
        box.exec()
        return box.clickedButton() is go

    def validate(self, scope: bytes) -> None:
        """Compare ``scope`` with its stored index through the volume (as ``validate NAME:/path``),
        into a results tab."""
        self.results.run_remote_validation(paths.display(scope))

    def properties(self, rows: list[Row], folder: bytes) -> str:
        """Name, where, size and time of the rows (as listed), in a box; returns the text."""
        if not rows:
            text = f"{paths.display(folder)}\nFolder on a network volume"
        elif len(rows) == 1:
            r = rows[0]
            kind = "Folder" if r[R_KIND] == KIND_DIR else f"File, {human_size(r[R_SIZE] or 0)} ({r[R_SIZE] or 0} bytes)"
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r[R_MTIME] / 1e9)) if r[R_MTIME] else "unknown"
            text = f"{r[R_NAME]}\n{paths.display(r[R_PATH])}\n{kind}\nModified: {when}"
        else:
            size = sum(r[R_SIZE] or 0 for r in rows if r[R_KIND] != KIND_DIR)
            text = f"{len(rows)} items in {paths.display(folder)}\nFiles: {human_size(size)}"
        self.tell("Properties", text)
        return text

    def _swept(self, _removed, error: BaseException | None) -> None:
        if error is not None:
            self.services.status.emit(f"Old temporary copies of opened files were not removed: {error}")

    def close(self) -> None:
        self._runner.close()
        open_copies.remove(self.open_folders)  # the window closes: its opened copies go
        self.open_folders.clear()

"""What the Network section's menu does to a volume: remove it (asked first; a volume with
locations is refused unless the user agrees to forget them too, as ``volume remove --force``; no
file is ever deleted) and index a folder of it (the ``remote_indexer`` job). The library work runs
on a worker through ``volumes.registry``; the questions are asked on the GUI thread."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from sd_desktop.library.volumes import VolumeError, VolumeRow
from sd_desktop.ui.job_submit import JobSubmitter
from sd_desktop.ui.services import AppServices
from sd_desktop.ui.workers import BackgroundRunner
from sd_desktop.volumes import registry


class VolumeActions(QObject):
    removed = Signal(str)  # a volume's name, once forgotten
    indexQueued = Signal(str)  # NAME:/path

    def __init__(
        self,
        services: AppServices,
        jobs: JobSubmitter,
        row_of: Callable[[str], VolumeRow | None],
        window: QWidget,
    ):
        super().__init__(window)
        self.services = services
        self.jobs = jobs
        self.row_of = row_of
        self.window = window
        self._runner = BackgroundRunner("volume-actions", parent=self)
        # the questions: replaced by tests (a modal box cannot be answered offscreen)
        self.ask: Callable[[str, str], bool] = self._ask
        self.ask_path: Callable[[str], str | None] = self._ask_path

    def _ask(self, title: str, text: str) -> bool:
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        return QMessageBox.question(self.window, title, text, yes | no, no) == yes

    def _ask_path(self, name: str) -> str | None:
        text, ok = QInputDialog.getText(self.window, "Index a Folder", f"Folder on {name} to index:", text="/")
        return text if ok else None

    # -- remove ----------------------------------------------------------------------------
    def remove(self, name: str) -> None:
        row = self.row_of(name)
        if row is None:
            return
        lib = self.services.library
        self._runner.submit(lambda: registry.locations_of(lib, row), lambda held, err: self._confirm(row, held, err))

    def _confirm(self, row: VolumeRow, held, error) -> None:
        if error is not None:
            self.services.status.emit(f"Cannot remove volume {row.name}: {error}")
            return
        text = f"Forget the network volume {row.name}?\n\nNothing on it is touched."
        if held:
            listed = "\n".join(path for _, path in held[:5]) + ("\n…" if len(held) > 5 else "")
            text = (
                f"The volume {row.name} has {len(held)} location(s):\n\n{listed}\n\n"
                "Forget them with it? Their index is forgotten; no file is deleted, here or on the volume."
            )
        if not self.ask("Remove Network Volume", text):
            return
        lib = self.services.library
        self._runner.submit(
            lambda: registry.unregister(lib, lib.folder, row, with_locations=bool(held)),
            lambda result, err: self._removed(row, result, err),
        )

    def _removed(self, row: VolumeRow, locations, error) -> None:
        if error is not None:
            self.services.status.emit(f"Volume {row.name} not removed: {error}")
            return
        self.services.status.emit(
            f"Volume {row.name} removed" + (f" with {locations} location(s)" if locations else "")
        )
        self.services.locationsChanged.emit()
        self.removed.emit(row.name)

    # -- index -----------------------------------------------------------------------------
    def index(self, name: str, path: str | None = None, on_done=None) -> None:
        """Index ``path`` of volume ``name`` (asked for when None); ``on_done`` gets the finished job."""
        row = self.row_of(name)
        if row is None:
            return
        if path is None:
            path = self.ask_path(name)
            if path is None:
                return
        lib = self.services.library
        self._runner.submit(
            lambda: registry.location_for(lib, row, path),
            lambda found, err: self._index(row, path, found, err, on_done),
        )

    def _index(self, row: VolumeRow, path: str, found, error, on_done=None) -> None:
        if error is not None:
            text = str(error) if isinstance(error, VolumeError) else f"cannot index it: {error}"
            self.services.status.emit(f"{row.name}:/{path.strip('/')}: {text}")
            return
        from sd_desktop.ops.indexing.remote_job import RemoteIndexConfig

        location_id, below = found
        address = f"{row.name}:/{path.strip('/')}"
        self.services.locationsChanged.emit()
        self.jobs.submit(RemoteIndexConfig(location_id=location_id, path=below), f"Index {address}", on_done=on_done)
        self.indexQueued.emit(address)

    def close_runner(self) -> None:
        self._runner.close()

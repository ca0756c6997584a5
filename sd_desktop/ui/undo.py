"""Undo for file operations: QUndoCommands whose undo and redo are jobs.

A command is pushed once its operation finished (so it knows what really happened): undo of a copy
trashes the copies it made (a DeleteJob in trash mode, nothing is lost), undo of a move moves the
files back (a FileCopyJob with ``move``; one that landed under another name, "Keep Both", is
renamed back to its own name once there), undo of a trash restores exactly the items the delete
job reported (a TrashRestoreJob; never over a file), undo of replacing duplicates with links gives
each path still linked to its kept copy its own bytes and metadata again (a LinkJob in copy mode),
undo of a rename renames back, undo of a new folder trashes it. Redo runs the operation again.
The first ``redo`` Qt calls on push does nothing: the operation already ran.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from PySide6.QtGui import QUndoCommand

from sd_desktop import paths
from sd_desktop.ops.files.copy.config import ConflictPolicy, CopyConfig
from sd_desktop.ops.files.delete.config import DeleteConfig, DeleteMode
from sd_desktop.ops.files.link.config import LinkConfig, LinkMethod, LinkTarget
from sd_desktop.ops.files.trash.config import OnConflict, TrashRestoreConfig
from sd_desktop.ui.dnd import copy_config

JobConfig = DeleteConfig | CopyConfig | TrashRestoreConfig | LinkConfig


class JobSink(Protocol):
    """Queues the jobs of undo and redo (a typed job config, and what it does in a few words);
    ``on_done`` gets the finished job's record (a ``JobInfo``)."""

    def submit_job(
        self,
        config: JobConfig,
        what: str,
        on_done: Callable[[Any], None] | None = None,
    ) -> None: ...

    def rename_path(self, src: bytes, dst: bytes) -> None: ...


class RenameSink(Protocol):
    """Renames a path on disk (the undo and redo of a rename)."""

    def rename_path(self, src: bytes, dst: bytes) -> None: ...


class FolderSink(Protocol):
    """Creates a folder on disk (the redo of a new folder)."""

    def make_folder(self, path: bytes) -> None: ...


def _name(p: bytes) -> str:
    return paths.display(os.path.basename(p))


def _what(items: list[bytes]) -> str:
    return _name(items[0]) if len(items) == 1 else f"{len(items)} items"


class _JobCommand(QUndoCommand):
    def __init__(self, sink: JobSink | RenameSink, text: str):
        super().__init__(text)
        self.sink = sink
        self._pushed = False

    def redo(self) -> None:
        if not self._pushed:  # QUndoStack.push calls redo: the operation already ran
            self._pushed = True
            return
        self.do()

    def do(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class CopyCommand(_JobCommand):
    """Copied ``pairs`` (source, created target); undo trashes the targets."""

    def __init__(self, sink: JobSink, pairs: list[tuple[bytes, bytes]], destination: bytes):
        super().__init__(sink, f"Copy {_what([s for s, _ in pairs])}")
        self.pairs, self.destination = pairs, destination

    def undo(self) -> None:
        config = DeleteConfig(targets=[paths.to_path(t) for _s, t in self.pairs], mode=DeleteMode.TRASH)
        self.sink.submit_job(config, f"undo: {self.text()}")

    def do(self) -> None:
        self.sink.submit_job(copy_config([s for s, _t in self.pairs], self.destination, False), f"redo: {self.text()}")


class MoveCommand(_JobCommand):
    """Moved ``pairs`` (original path, new path); undo moves each back into its original folder,
    under its original name."""

    def __init__(self, sink: JobSink, pairs: list[tuple[bytes, bytes]]):
        super().__init__(sink, f"Move {_what([s for s, _ in pairs])}")
        self.pairs = pairs

    def _moves(self, back: bool) -> None:
        by_folder: dict[bytes, list[bytes]] = defaultdict(list)
        what = f"{'undo' if back else 'redo'}: {self.text()}"
        for i, (original, moved) in enumerate(self.pairs):
            src, dst = (moved, original) if back else (original, moved)
            if os.path.basename(src) == os.path.basename(dst):
                by_folder[os.path.dirname(dst)].append(src)
            elif back:
                self._back_renamed(src, dst, what)
            else:
                self._again_renamed(i, src, os.path.dirname(dst), what)
        for folder, sources in by_folder.items():
            self.sink.submit_job(copy_config(sources, folder, True), what)

    def _back_renamed(self, moved: bytes, original: bytes, what: str) -> None:
        """A move that kept both (landed as "name (1).ext"): move it back, then give it its name again."""
        folder = os.path.dirname(original)
        landed = os.path.join(folder, os.path.basename(moved))

        def done(info: Any) -> None:
            if _outcome_of(info, moved) == "moved":
                self.sink.rename_path(landed, original)

        self.sink.submit_job(copy_config([moved], folder, True), what, done)

    def _again_renamed(self, i: int, original: bytes, folder: bytes, what: str) -> None:
        """Redo of a kept-both move: the name is taken again, so it lands beside it once more."""

        def done(info: Any) -> None:
            target = _target_of(info, original)
            if target is not None:
                self.pairs[i] = (original, target)

        config = replace(copy_config([original], folder, True), on_conflict=ConflictPolicy.RENAME)
        self.sink.submit_job(config, what, done)

    def undo(self) -> None:
        self._moves(back=True)

    def do(self) -> None:
        self._moves(back=False)


class TrashCommand(_JobCommand):
    """Trashed ``pairs`` (original path, where it is in the trash); undo restores exactly those
    items (beside anything that took their place meanwhile), redo trashes the originals again."""

    def __init__(self, sink: JobSink, pairs: list[tuple[bytes, bytes]]):
        super().__init__(sink, f"Move {_what([o for o, _ in pairs])} to the Trash")
        self.pairs = pairs

    def undo(self) -> None:
        config = TrashRestoreConfig(items=[paths.to_path(t) for _o, t in self.pairs], on_conflict=OnConflict.BESIDE)
        self.sink.submit_job(config, f"undo: {self.text()}")

    def do(self) -> None:
        def done(info: Any) -> None:  # the items are in the trash under names of the new run
            again = dict(trash_pairs(getattr(info, "output", None) or {}))
            self.pairs = [(o, again.get(o, t)) for o, t in self.pairs]

        config = DeleteConfig(targets=[paths.to_path(o) for o, _t in self.pairs], mode=DeleteMode.TRASH)
        self.sink.submit_job(config, f"redo: {self.text()}", done)


def trash_pairs(output: dict) -> list[tuple[bytes, bytes]]:
    """(original path, trash path) of each item a delete job's output says it trashed."""
    return [
        (os.fsencode(o["path"]), os.fsencode(o["trash_path"]))
        for o in output.get("outcomes") or []
        if o.get("outcome") == "trashed" and o.get("trash_path")
    ]


def command_for_trash(sink: JobSink, output: dict | None) -> TrashCommand | None:
    """The undo command of a finished trash (None when nothing went to the trash, or the platform's
    trash does not say where items went)."""
    pairs = trash_pairs(output or {})
    return TrashCommand(sink, pairs) if pairs else None


def _row_of(info: Any, source: bytes) -> dict | None:
    output = getattr(info, "output", None) or {}
    return next((o for o in output.get("outcomes") or [] if os.fsencode(o.get("path", "")) == source), None)


def _outcome_of(info: Any, source: bytes) -> str | None:
    row = _row_of(info, source)
    return row.get("outcome") if row else None


def _target_of(info: Any, source: bytes) -> bytes | None:
    row = _row_of(info, source)
    if row is None or row.get("outcome") not in ("moved", "renamed") or not row.get("target"):
        return None
    return os.fsencode(row["target"])


class RenameCommand(_JobCommand):
    def __init__(self, sink: RenameSink, old: bytes, new: bytes):
        super().__init__(sink, f"Rename {_name(old)} to {_name(new)}")
        self.old, self.new = old, new

    def undo(self) -> None:
        self.sink.rename_path(self.new, self.old)

    def do(self) -> None:
        self.sink.rename_path(self.old, self.new)


class NewFolderCommand(_JobCommand):
    """Created the folder ``path``; undo moves it to the Trash (with anything put in it since, so
    nothing is lost), redo creates it again."""

    def __init__(self, jobs: JobSink, folders: FolderSink, path: bytes):
        super().__init__(jobs, f"New Folder {_name(path)}")
        self.folders, self.path = folders, path

    def undo(self) -> None:
        config = DeleteConfig(targets=[paths.to_path(self.path)], mode=DeleteMode.TRASH)
        self.sink.submit_job(config, f"undo: {self.text()}")

    def do(self) -> None:
        self.folders.make_folder(self.path)


def command_for_copy(
    sink: JobSink, config: CopyConfig, output: dict, preexisting: set[bytes] = frozenset()
) -> QUndoCommand | None:
    """The undo command of a finished copy/move job (None when nothing was copied or moved).

    Targets named in ``preexisting`` (they existed before the job: a merged folder, an overwritten
    file) are left out, so an undo never trashes what was there before."""
    move = config.move
    pairs = []
    for o in output.get("outcomes") or []:
        outcome = o.get("outcome")
        target = o.get("target")
        if target is None or outcome not in ("copied", "moved", "renamed"):
            continue
        src, dst = os.fsencode(o["path"]), os.fsencode(target)
        if dst in preexisting or not os.path.lexists(dst):
            continue  # it replaced what was there, or is gone already: nothing to take back
        if move and (outcome == "copied" or os.path.lexists(src)):
            continue  # its source stayed: nothing was moved
        pairs.append((src, dst))  # "renamed" (Keep Both): target is the name it really landed under
    if not pairs:
        return None
    if move:
        return MoveCommand(sink, pairs)
    return CopyCommand(sink, pairs, os.fsencode(config.destination))


class LinkCommand(_JobCommand):
    """Replaced copies by links (the LinkJob's ``linked`` outcomes); undo gives each path that is
    still linked to its kept copy independent bytes again, with the metadata it had; redo links them
    again (re-verified as the first time)."""

    def __init__(self, sink: JobSink, method: LinkMethod, linked: list[dict], on_done: Callable | None = None):
        super().__init__(sink, f"Replace {_what([os.fsencode(o['path']) for o in linked])} with links")
        self.method = method
        self.linked = linked
        self.on_done = on_done

    def _targets(self, with_metadata: bool) -> list[LinkTarget]:
        keys = ("mode", "uid", "gid", "atime_ns") if with_metadata else ()
        return [
            LinkTarget(
                paths.to_path(os.fsencode(o["path"])),
                paths.to_path(os.fsencode(o["keeper"])),
                o["size"],
                o["mtime_ns"],
                o["hash"],
                **{k: o.get(k) for k in keys},
            )
            for o in self.linked
        ]

    def undo(self) -> None:
        config = LinkConfig(targets=self._targets(True), method=LinkMethod.COPY, confirm=True)
        self.sink.submit_job(config, f"undo: {self.text()}", self.on_done)

    def do(self) -> None:
        config = LinkConfig(targets=self._targets(False), method=self.method, confirm=True)
        self.sink.submit_job(config, f"redo: {self.text()}", self.on_done)


def command_for_links(sink: JobSink, output: dict, on_done: Callable | None = None) -> LinkCommand | None:
    """The undo step of a finished LinkJob (None when it linked nothing)."""
    linked = [o for o in output.get("outcomes") or [] if o.get("outcome") == "linked"]
    if not linked:
        return None
    return LinkCommand(sink, LinkMethod(output.get("method", "hardlink")), linked, on_done)

"""Undo for file operations: QUndoCommands whose undo and redo are jobs.

A command is pushed once its operation finished (so it knows what really happened): undo of a copy
trashes the copies it made (a DeleteJob in trash mode, nothing is lost), undo of a move moves the
files back (a FileCopyJob with ``move``), undo of a rename renames back. Redo runs the operation
again. The first ``redo`` Qt calls on push does nothing: the operation already ran.
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Protocol

from PySide6.QtGui import QUndoCommand

from sd_desktop import paths
from sd_desktop.ops.files.copy.config import CopyConfig
from sd_desktop.ops.files.delete.config import DeleteConfig, DeleteMode
from sd_desktop.ui.dnd import copy_config


class JobSink(Protocol):
    """Queues the jobs of undo and redo (a typed job config, and what it does in a few words)."""

    def submit_job(self, config: DeleteConfig | CopyConfig, what: str) -> None: ...


class RenameSink(Protocol):
    """Renames a path on disk (the undo and redo of a rename)."""

    def rename_path(self, src: bytes, dst: bytes) -> None: ...


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
    """Moved ``pairs`` (original path, new path); undo moves each back into its original folder."""

    def __init__(self, sink: JobSink, pairs: list[tuple[bytes, bytes]]):
        super().__init__(sink, f"Move {_what([s for s, _ in pairs])}")
        self.pairs = pairs

    def _moves(self, back: bool) -> None:
        by_folder: dict[bytes, list[bytes]] = defaultdict(list)
        for original, moved in self.pairs:
            src, dst = (moved, original) if back else (original, moved)
            by_folder[os.path.dirname(dst)].append(src)
        for folder, sources in by_folder.items():
            self.sink.submit_job(copy_config(sources, folder, True), f"{'undo' if back else 'redo'}: {self.text()}")

    def undo(self) -> None:
        self._moves(back=True)

    def do(self) -> None:
        self._moves(back=False)


class RenameCommand(_JobCommand):
    def __init__(self, sink: RenameSink, old: bytes, new: bytes):
        super().__init__(sink, f"Rename {_name(old)} to {_name(new)}")
        self.old, self.new = old, new

    def undo(self) -> None:
        self.sink.rename_path(self.new, self.old)

    def do(self) -> None:
        self.sink.rename_path(self.old, self.new)


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
        if outcome == "renamed" or dst in preexisting or not os.path.lexists(dst):
            continue  # the name it landed under is not the planned one: do not guess
        if move and outcome != "moved":
            continue
        pairs.append((src, dst))
    if not pairs:
        return None
    if move:
        return MoveCommand(sink, pairs)
    return CopyCommand(sink, pairs, os.fsencode(config.destination))

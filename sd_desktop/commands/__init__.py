"""Headless sub-commands. Each module defines ``register(subparsers)``; ``cli`` wires them in.

A module sets ``func`` on its parser(s): ``func(args) -> int`` (the exit code). The job modules
are most of a command's start-up (Pillow, pathspec, the thumbnail workers...), so a command says
which it needs with ``needs_jobs`` there too: ``False`` for none (it must then neither queue nor
rebuild a job, or load them itself, ``ops.load_all()``, when it must), a tuple of job names for
only those (every job it queues, follow-ups included), every job by default.

A module's top-level imports are paid by every run of its command (``cli`` imports only the
module of the command given): import the job engine and peewee inside the functions that use them.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# the exit codes of every command (README: "Exit codes"); ``common`` has them too
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_PARTIAL = 0, 1, 2, 3, 4

COMMAND_MODULES: list[str] = [
    "sd_desktop.commands.location",
    "sd_desktop.commands.volume",
    "sd_desktop.commands.jobs",
    "sd_desktop.commands.info",
    "sd_desktop.commands.duplicates",
    "sd_desktop.commands.validate",
    "sd_desktop.commands.index",
    "sd_desktop.commands.copy",
    "sd_desktop.commands.delete",
    "sd_desktop.commands.trash",
    "sd_desktop.commands.lint",
    "sd_desktop.commands.thumbnails",
    "sd_desktop.commands.similar",
    "sd_desktop.commands.serve",
]


def name_of(module: str) -> str:
    """The command a module defines, as typed (``sd_desktop.commands.location`` -> ``location``)."""
    return module.rsplit(".", 1)[1].replace("_", "-")


def module_of(name: str) -> ModuleType:
    """The module of the command ``name`` (imported now)."""
    for module in COMMAND_MODULES:
        if name_of(module) == name:
            return importlib.import_module(module)
    raise KeyError(name)


def modules() -> list[ModuleType]:
    return [importlib.import_module(m) for m in COMMAND_MODULES]

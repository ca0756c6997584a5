"""Headless sub-commands. Each module defines ``register(subparsers)``; ``cli`` wires them in.

A module sets ``func`` on its parser(s): ``func(args) -> int`` (the exit code).
"""

from __future__ import annotations

import importlib
from types import ModuleType

COMMAND_MODULES: list[str] = [
    "sd_desktop.commands.location",
    "sd_desktop.commands.jobs",
    "sd_desktop.commands.info",
    "sd_desktop.commands.duplicates",
    "sd_desktop.commands.validate",
    "sd_desktop.commands.index",
    "sd_desktop.commands.copy",
    "sd_desktop.commands.delete",
    "sd_desktop.commands.trash",
    "sd_desktop.commands.thumbnails",
    "sd_desktop.commands.similar",
]


def modules() -> list[ModuleType]:
    return [importlib.import_module(m) for m in COMMAND_MODULES]

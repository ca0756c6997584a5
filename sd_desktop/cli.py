"""Command-line front end: headless sub-commands, or the GUI when none is given.

Headless runs use the same engine as the app and never import Qt.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

import peewee

from sd_desktop import __version__, commands
from sd_desktop.commands.common import EXIT_FAILED, EXIT_USAGE, CommandFailed, UsageError
from sd_desktop.library import LibraryError, default_library_dir, fault_of


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage dump), exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--library", metavar="DIR", help="library folder (default: $SD_DESKTOP_HOME or the user data folder)"
    )
    parser.add_argument("--version", action="version", version=f"sd-desktop {__version__}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sd-desktop", description="sd_desktop headless commands")
    _common(parser)
    sub = parser.add_subparsers(
        dest="command", required=True, parser_class=_Parser, metavar="{" + ",".join(command_names()) + "}"
    )
    for module in commands.modules():
        module.register(sub)
    return parser


def build_gui_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sd-desktop",
        description="sd_desktop: index, deduplicate and manage your files",
        epilog="Headless commands: " + ", ".join(command_names()) + " (sd-desktop COMMAND --help)",
    )
    _common(parser)
    parser.add_argument("paths", nargs="*", metavar="PATH", help="folders to open")
    parser.add_argument(
        "--add-location", metavar="PATH", action="append", default=[], help="add PATH as a location and index it"
    )
    parser.add_argument(
        "--index-mode",
        choices=("shallow", "content", "deep"),
        default="content",
        help="how --add-location indexes (deep adds integrity hashes and thumbnails)",
    )
    parser.add_argument("--quit-when-idle", action="store_true", help="quit once no job is queued or running")
    return parser


def command_names() -> list[str]:
    names = []
    for module in commands.COMMAND_MODULES:
        names.append(module.rsplit(".", 1)[1].replace("_", "-"))
    return names


def _first_positional(argv: Sequence[str]) -> str | None:
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--library":
            skip = True
            continue
        if arg.startswith("-"):
            continue
        return arg
    return None


def wants_gui(argv: Sequence[str]) -> bool:
    first = _first_positional(argv)
    if "--version" in argv or "-h" in argv or "--help" in argv:
        return first is None or first not in command_names()
    return first is None or first not in command_names()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if wants_gui(argv) and "--version" not in argv:
        args = build_gui_parser().parse_args(argv)
        from sd_desktop.ui.app import run_gui  # Qt only here: the headless path never imports it

        return run_gui(args)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"sd-desktop: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CommandFailed as exc:
        print(f"sd-desktop: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except LibraryError as exc:  # the library failed under the command: full, read-only, damaged
        print(f"sd-desktop: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (sqlite3.DatabaseError, peewee.DatabaseError) as exc:
        fault = fault_of(exc, Path(args.library) if args.library else default_library_dir())
        if fault is None:
            raise
        print(f"sd-desktop: {fault}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED

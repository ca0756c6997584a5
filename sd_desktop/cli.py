"""Command-line front end: headless sub-commands, or the GUI when none is given.

Headless runs use the same engine as the app and never import Qt. A command imports what it uses
and no more: the parser imports only the module of the command given, and the job modules load
only for commands that run jobs (``needs_jobs``), so ``--version`` or ``location list`` start in
a few hundredths of a second (tests/perf/test_startup_perf.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from sd_desktop import __version__, commands
from sd_desktop.commands import EXIT_FAILED, EXIT_USAGE

# what every command imports anyway (``commands.common``, the library's errors) is imported in
# ``main`` once a command is parsed: ``--version`` and ``--help`` need none of it


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage dump), exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--library", metavar="DIR", help="library folder (default: $SD_DESKTOP_HOME or the user data folder)"
    )
    parser.add_argument("--version", action="version", version=f"sd-desktop {__version__}")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The headless parser; every command in full, or with ``argv`` only the command it gives
    (its module imported, the others bare names: all argparse needs to parse that line). Help
    asked anywhere in ``argv`` builds every command, for the list of commands it prints."""
    parser = _Parser(prog="sd-desktop", description="sd_desktop headless commands")
    _common(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object per line: progress, then a result")
    sub = parser.add_subparsers(
        dest="command", required=True, parser_class=_Parser, metavar="{" + ",".join(command_names()) + "}"
    )
    every = argv is None or any(map(_asks_help, argv))
    wanted = None if every else _first_positional(argv)
    for module in commands.COMMAND_MODULES:
        name = commands.name_of(module)
        if every or name == wanted:
            commands.module_of(name).register(sub)
        else:
            sub.add_parser(name)
    for command_parser in _command_parsers(parser):
        _accept_everywhere(command_parser)
    return parser


def _asks_help(arg: str) -> bool:
    """``-h`` or ``--help`` (or an abbreviation argparse takes for it: ``--he``)."""
    return arg == "-h" or (arg.startswith("--h") and "--help".startswith(arg))


def _command_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every parser below ``parser``: the commands, and their sub-commands (``jobs list``)."""
    found: list[argparse.ArgumentParser] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):  # an alias names the same parser
                found += [child, *_command_parsers(child)]
    return found


def _accept_everywhere(parser: argparse.ArgumentParser) -> None:
    """``--library`` and ``--json`` after a (sub-)command as well as before it. Their default here is
    SUPPRESS: a sub-parser's defaults overwrite what the main parser read, so an option given before
    the command would otherwise be forgotten."""
    options = parser._option_string_actions
    if "--library" not in options:
        parser.add_argument(
            "--library", metavar="DIR", default=argparse.SUPPRESS, help="library folder (also before the command)"
        )
    if "--json" in options:
        options["--json"].default = argparse.SUPPRESS
    elif parser._subparsers is not None:  # ``jobs --json list``: the sub-command itself has its own --json
        parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


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
    return [commands.name_of(module) for module in commands.COMMAND_MODULES]


def _first_positional(argv: Sequence[str]) -> str | None:
    """The first word that is neither an option nor an option's value (``--library DIR``,
    ``--add-location PATH``, also abbreviated as argparse allows), or None."""
    options = {o: a.nargs != 0 for a in build_gui_parser()._actions for o in a.option_strings}
    skip = False
    for n, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg == "--":
            return argv[n + 1] if n + 1 < len(argv) else None
        if arg.startswith("-") and arg != "-":
            if "=" not in arg:
                named = [o for o in options if o == arg] or [o for o in options if o.startswith(arg)]
                skip = len(named) == 1 and options[named[0]]
            continue
        return arg
    return None


def _can_open(word: str) -> bool:
    """A first word the window opens: an existing path (not yet ``NAME:/path`` on a volume: the
    window browses local folders only; ``unknown_first_word`` says so)."""
    return os.path.exists(word)


def wants_gui(argv: Sequence[str]) -> bool:
    """True when ``argv`` opens the window: no command (only GUI options, ``--help``), or a first word
    that is something to open. A first word that is neither is a usage error (``main``)."""
    first = _first_positional(argv)
    return first is None or (first not in command_names() and _can_open(first))


def unknown_first_word(word: str, library: str | None = None) -> str:
    """The one-line complaint about a first word that is no command and nothing to open."""
    from sd_desktop.volumes.addresses import is_volume_path  # only for a word that is no command nor path

    if is_volume_path(word, library):
        return f"the window cannot open a volume yet; try: sd-desktop info {word}, or sd-desktop index {word}"
    if os.sep in word or word.startswith(("~", ".")):  # meant as a path
        return f"no such file or folder: {word}"
    import difflib  # only for a word that is no command

    names = command_names()
    close = difflib.get_close_matches(word, names, n=3, cutoff=0.6)
    if close:
        return f"unknown command {word!r}; did you mean " + " or ".join(repr(c) for c in close) + "?"
    return f"unknown command {word!r} (commands: {', '.join(names)}; or a folder to open)"


def _library_in(argv: Sequence[str]) -> str | None:
    """The ``--library DIR`` of ``argv``, read without parsing (which could print help and exit)."""
    for n, arg in enumerate(argv):
        if arg == "--library" and n + 1 < len(argv):
            return argv[n + 1]
        if arg.startswith("--library="):
            return arg.split("=", 1)[1]
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if wants_gui(argv) and "--version" not in argv:
        args = build_gui_parser().parse_args(argv)
        from sd_desktop.ui.app import run_gui  # Qt only here: the headless path never imports it

        return run_gui(args)
    first = _first_positional(argv)
    if first is not None and first not in command_names() and not _can_open(first):  # a typo opens no window
        print(f"sd-desktop: error: {unknown_first_word(first, _library_in(argv))}", file=sys.stderr)
        return EXIT_USAGE
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    import sqlite3
    from pathlib import Path

    from sd_desktop.commands.common import CommandFailed, UsageError
    from sd_desktop.library import LibraryError, default_library_dir, fault_of

    needs_jobs = getattr(args, "needs_jobs", True)
    if needs_jobs:
        from sd_desktop import ops

        # the engine knows only the jobs that registered: every job module once, or the command's own
        if needs_jobs is True:
            ops.load_all()
        else:
            ops.load(needs_jobs)
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
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as exc:
        if _is_instance(exc, "sd_desktop.jobs.codec", "CodecError"):  # a config the engine refused: nothing ran
            print(f"sd-desktop: error: bad job config: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if not (isinstance(exc, sqlite3.DatabaseError) or _is_instance(exc, "peewee", "DatabaseError")):
            raise
        fault = fault_of(exc, Path(args.library) if args.library else default_library_dir())
        if fault is None:
            raise
        print(f"sd-desktop: {fault}", file=sys.stderr)
        return EXIT_FAILED


def _is_instance(exc: BaseException, module: str, name: str) -> bool:
    """Whether ``exc`` is a ``module.name``. Looked up only if that module is loaded: one the
    command never imported cannot have raised it (and importing it here would cost what the
    command saved, peewee or the job engine)."""
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(exc, getattr(loaded, name))

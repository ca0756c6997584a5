"""``location list --json``, ``jobs list --json``, ``--version`` and ``duplicates PATH... --json`` of
an unchanged tree answered before the CLI loads.

A cold start of these commands is mostly the reading of the modules they import from disk; the CLI
(argparse, pathlib, typing, the library's error modules) doubles what a bare listing needs
(tests/perf/README.md, "Where the cold list commands' time goes"). ``answer`` recognises these
command lines in their plain forms and, on a healthy library (``library.light_reads``), prints the
same line the CLI prints. Anything else, an unusual argument or a library that is missing,
damaged, read-only, of another schema, or holds a job stored as running, returns None: the CLI then
runs as always, so every error, recovery and migration stays its own. A duplicate search is
answered here only when nothing changed since the last one with its settings
(``commands.duplicates_unchanged``): the rest of a search is the job's.
"""

from __future__ import annotations

import os
import sys

from sd_desktop import __version__

_LISTS = (["location", "list"], ["jobs", "list"])
DEFAULT_LIMIT = 50  # as ``jobs list --limit``
DB_NAME = "library.db"  # as ``light_reads.DB_NAME`` (tested)
# ``duplicates --mode``: as ``commands.duplicates.MODES`` (tested)
DUPLICATE_MODES = {
    "size": "size",
    "name-size": "name_size",
    "name_size": "name_size",
    "content": "content",
    "deep": "deep",
}


def answer(argv: list[str]) -> int | None:
    """The exit code once the command line was answered here; None when the CLI must answer it."""
    if argv == ["--version"]:
        sys.stdout.write(f"sd-desktop {__version__}\n")
        return 0
    parsed = _parse(argv)
    if parsed is None:
        return None
    words, library, limit, mode = parsed
    if library is None:
        from sd_desktop.library.home import default_library_path

        library = default_library_path()
    if words[0] == "duplicates":
        return _duplicates(library, words[1:], mode)
    return _listing(words[0], library, limit)


def _duplicates(library: str, search_paths: list[str], mode: str) -> int | None:
    if not os.path.isfile(os.path.join(library, DB_NAME)):
        return None  # no library yet: the first search is the job's, and nothing is walked twice
    from sd_desktop.ops.files.duplicate_detection import walk_ahead

    # the walk starts before the check's modules are imported and the library read: cold, all of
    # them wait on the disk, and at once they take the time of the longest (``walk_ahead``)
    ahead = walk_ahead.start(search_paths)
    try:
        from sd_desktop.commands.duplicates_unchanged import answer as unchanged_search

        return unchanged_search(library, search_paths, mode, ahead)
    finally:
        if ahead is not None:
            ahead.stop()  # before the CLI starts the job (and its processes) when the tree changed


def _listing(command: str, library: str, limit: int) -> int | None:
    import sqlite3

    from sd_desktop.library import light_reads

    conn = light_reads.open_healthy(library)
    if conn is None:
        return None
    try:
        if command == "location":
            output = {"locations": light_reads.location_rows(conn)}
        else:
            jobs = light_reads.job_summaries(conn, limit)
            if jobs is None:
                return None
            output = {"jobs": jobs}
    except (sqlite3.Error, ValueError):  # the CLI says what is wrong with the library
        return None
    finally:
        conn.close()
    return _emit({"event": "result", "job_id": None, "status": "completed", "output": output, "errors": []})


def _parse(argv: list[str]) -> tuple[list[str], str | None, int, str] | None:
    """``(words, --library or None, --limit, --mode)`` of ``[--library DIR] [--json] location|jobs list``
    (``--limit N`` after ``jobs list``) or ``duplicates PATH... [--mode MODE]``, with ``--library`` and
    ``--json`` anywhere, as argparse reads them (the last ``--library`` wins); None for any other line
    (abbreviations, ``--``, help, other options, a value that looks like an option, output as text,
    a path that does not exist: argparse's own errors)."""
    words: list[str] = []
    library: str | None = None
    limit = DEFAULT_LIMIT
    mode = "content"
    as_json = False
    ended = seen_option = False
    it = iter(argv)
    for arg in it:
        # argparse takes the paths of ``duplicates`` in one run: no path after an option that follows one
        ended = ended or (not arg.startswith("-") and len(words) > 1 and words[0] == "duplicates" and seen_option)
        if arg.startswith("-") and len(words) > 1:
            seen_option = True
        if arg == "--json":
            as_json = True
            continue
        name, eq, value = arg.partition("=")
        if name in ("--library", "--limit", "--mode"):
            if not eq:
                value = next(it, "")
            if not value or value.startswith("-"):
                return None
            if name == "--library":
                library = value
            elif name == "--limit" and words == ["jobs", "list"] and value.isascii() and value.isdigit():
                limit = int(value)
            elif name == "--mode" and words[:1] == ["duplicates"] and value in DUPLICATE_MODES:
                mode = DUPLICATE_MODES[value]
            else:
                return None
            continue
        if arg.startswith("-") or ended:
            return None
        words.append(arg)
    if not as_json:
        return None
    if words[:1] == ["duplicates"] and len(words) > 1 and all(map(os.path.lexists, words[1:])):
        return words, library, limit, mode
    return (words, library, limit, mode) if words in _LISTS else None


def _emit(obj: dict) -> int:
    """One JSON line on stdout, as ``commands.common.emit_json`` writes it."""
    import json

    try:
        sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's final flush must not fail
    return 0

"""The jobs reach files only through their volume's backend (``ctx.backend``, ``volumes.backend``):
no module under ``sd_desktop/ops`` calls the ``os`` file-system functions (or the builtin ``open``)
itself, except where the allowlists below say why. A new direct call fails here with its place; a
call that is allowed must be listed with its exact count, so a second one is noticed too."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import sd_desktop

OPS = Path(sd_desktop.__file__).parent / "ops"

# the calls that read (or open) files, folders and their metadata
OS_CALLS = {
    "scandir",
    "listdir",
    "walk",
    "fwalk",
    "stat",
    "lstat",
    "fstat",
    "fstatat",
    "statvfs",
    "open",
    "read",
    "pread",
    "readv",
    "preadv",
    "readlink",
    "access",
}
OS_PATH_CALLS = {
    "exists",
    "lexists",
    "isdir",
    "isfile",
    "islink",
    "ismount",
    "getsize",
    "getmtime",
    "getctime",
    "getatime",
    "realpath",
    "samefile",
}

# whole modules (or folders) left as they are, relative to sd_desktop/ops
ALLOWED_MODULES = {
    # the live index follows the local disk's inotify events (a capability of the local file system)
    "indexing/live.py": "inotify: local only",
    "indexing/live_inotify.py": "inotify: local only",
    # the app's own caches, not files of a volume
    "media/thumbnail/sidecars.py": "the library's thumbnail folder",
    "media/thumbnail/freedesktop.py": "the per-user thumbnail cache (~/.cache/thumbnails); sources go through fs",
}

# single calls left as they are: (module, call) -> exact count
ALLOWED_CALLS = {
    # the pipe from the walk-ahead process (digests of folders it listed), not a file of a volume
    ("files/duplicate_detection/walk_ahead.py", "os.read"): 1,
    # the walk-ahead child lists the local disk with ``os`` alone, forked before any heavy import (the
    # backend's module included: a cold start's module reads are what it races); its digests are
    # compared with the index's, so a walk that differed would only make the search run in full
    ("files/duplicate_detection/walk_ahead.py", "os.lstat"): 1,
    ("files/duplicate_detection/walk_ahead.py", "os.open"): 1,
    ("files/duplicate_detection/walk_ahead.py", "os.path.realpath"): 1,
    ("files/duplicate_detection/walk_ahead.py", "os.scandir"): 1,
    # a thumbnail the window made of a remote picture, read back from the library's own folder
    ("media/thumbnail/remote.py", "open"): 1,
    # a written thumbnail, in the library's own folder
    ("media/thumbnail/generate.py", "os.open"): 1,
    ("media/thumbnail/job.py", "os.path.exists"): 1,
    # the window's side, before any job runs: a refresh's config built from the local folder the
    # window names, and the folder a view shows resolved to look it up in the library
    ("indexing/refresh.py", "os.path.realpath"): 1,
    ("files/disk_listing.py", "os.path.realpath"): 1,
    # a keep rule's folders resolved as the search resolved its roots, to compare paths of results
    ("files/duplicate_detection/select.py", "os.path.realpath"): 1,
}


def _allowed_module(rel: str) -> bool:
    return any(rel == m or rel.startswith(m + "/") for m in ALLOWED_MODULES)


def direct_calls(path: Path) -> list[tuple[int, str]]:
    """(line, call) of every direct file-system read in ``path``."""
    tree = ast.parse(path.read_bytes())
    imported = {  # ``from os import stat`` (and ``from os.path import isdir``) count too
        alias.asname or alias.name: f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module in ("os", "os.path")
        for alias in node.names
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        fn = node.func
        name = None
        if isinstance(fn, ast.Name):
            if fn.id == "open":
                name = "open"
            elif fn.id in imported:
                name = imported[fn.id]
        elif isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name) and fn.value.id == "os":
            if fn.attr in OS_CALLS:
                name = f"os.{fn.attr}"
        elif (
            isinstance(fn, ast.Attribute)
            and isinstance(fn.value, ast.Attribute)
            and isinstance(fn.value.value, ast.Name)
            and (fn.value.value.id, fn.value.attr) == ("os", "path")
            and fn.attr in OS_PATH_CALLS
        ):
            name = f"os.path.{fn.attr}"
        if name is not None and (name == "open" or name.rpartition(".")[2] in OS_CALLS | OS_PATH_CALLS):
            found.append((node.lineno, name))
    return sorted(found)


def test_ops_read_files_only_through_the_backend():
    problems = []
    counts: Counter[tuple[str, str]] = Counter()
    lines: dict[tuple[str, str], list[int]] = {}
    for path in sorted(OPS.rglob("*.py")):
        rel = path.relative_to(OPS).as_posix()
        if _allowed_module(rel):
            continue
        for line, name in direct_calls(path):
            counts[(rel, name)] += 1
            lines.setdefault((rel, name), []).append(line)
    for key, n in sorted(counts.items()):
        if n != ALLOWED_CALLS.get(key, 0):
            rel, name = key
            where = ", ".join(str(line) for line in lines[key])
            problems.append(f"ops/{rel}:{where}: {name}() called directly ({n}x); read through the backend")
    assert problems == [], "\n".join(problems)


def test_the_allowlists_name_what_exists():
    # an entry left behind after its module moved or its call went would allow the next one unseen
    for module in ALLOWED_MODULES:
        assert (OPS / module).exists(), module
    for (rel, name), n in ALLOWED_CALLS.items():
        found = [c for _line, c in direct_calls(OPS / rel) if c == name]
        assert len(found) == n, (rel, name, len(found))


def test_the_scan_sees_each_form_of_call(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text(
        "import os\nfrom os import scandir as sd\nfrom os.path import isdir\n"
        "os.lstat(b'/')\nos.path.realpath('.')\nopen('x')\nsd('.')\nisdir('.')\nos.fsencode('x')\n"
    )
    assert direct_calls(sample) == [
        (4, "os.lstat"),
        (5, "os.path.realpath"),
        (6, "open"),
        (7, "os.scandir"),
        (8, "os.path.isdir"),
    ]

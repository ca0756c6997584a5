"""The write-side jobs (copy/move, delete, trash, link, new folder, the remote download's local side),
the exports and the window's rename change files only through the volume's backend
(``sd_desktop.volumes.local_writes``), read from their source: no direct call of an ``os``/``shutil``
write function (nor one handed to a worker thread), of a write-mode ``os.open`` or ``open``, of ``fcntl.ioctl``
(FICLONE) or of the local primitives (``localfs``) that the backend wraps. What must stay is in
ALLOWED, each with why."""

from __future__ import annotations

import ast
from pathlib import Path

import sd_desktop

PACKAGE = Path(sd_desktop.__file__).parent
FILES = PACKAGE / "ops" / "files"
WRITE_SIDE = [
    *sorted((FILES / "copy").glob("*.py")),
    *sorted((FILES / "delete").glob("*.py")),
    *sorted((FILES / "trash").glob("*.py")),
    *sorted((FILES / "link").glob("*.py")),
    FILES / "new_folder.py",
    FILES / "remote_copy.py",  # the download's local side: the partial file, its placing
    PACKAGE / "ui" / "rename.py",
    PACKAGE / "ui" / "job_submit.py",
    PACKAGE / "ui" / "new_folder.py",
    FILES / "rename.py",
    FILES / "text_export.py",
    FILES / "duplicate_detection" / "export.py",  # the exports the user asks for
    FILES / "validation" / "export.py",
]
OS_WRITES = {
    "rename", "replace", "renames", "unlink", "remove", "rmdir", "removedirs", "mkdir", "makedirs",
    "link", "symlink", "utime", "chmod", "fchmod", "lchmod", "chown", "fchown", "lchown", "truncate",
    "ftruncate", "write", "pwrite", "writev", "pwritev", "sendfile", "copy_file_range", "splice",
    "fsync", "fdatasync", "sync", "setxattr", "removexattr", "mkfifo", "mknod",
}  # fmt: skip
# the local primitives the backend wraps (``volumes/localfs.py``, formerly ``ops/files/fsops.py``)
PRIMITIVES = {
    "rename_noreplace", "rename_noreplace_at", "rename_noreplace_between", "fsync_dir", "syncfs",
    "unlink_quietly", "start_writeback",
}  # fmt: skip
WRITE_FLAGS = {"O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"}

# (module, call) -> why it stays. Keep it short: each entry is a write that does not go through
# the backend.
ALLOWED: dict[tuple[str, str], str] = {}


def _name_of(f: ast.expr) -> str | None:
    """``os.unlink`` for ``os.unlink``, ``rename_noreplace`` for a bare name, else None."""
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
        return f"{f.value.id}.{f.attr}"
    if isinstance(f, ast.Name):
        return f.id
    return None


def _is_write(name: str) -> bool:
    head, _, attr = name.rpartition(".")
    return (
        (head == "os" and attr in OS_WRITES)
        or head == "shutil"
        or name == "fcntl.ioctl"
        or (attr in PRIMITIVES and head in ("", "fsops", "localfs"))
    )


def _writes_flags(call: ast.Call) -> bool:
    flags = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "flags"), None)
    if flags is None:
        return False
    return any(isinstance(n, ast.Attribute) and n.attr in WRITE_FLAGS for n in ast.walk(flags))


def _builtin_open_writes(call: ast.Call) -> bool:
    """``open(p, "w")`` and the like: a file written past the backend."""
    mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and any(c in mode.value for c in "wax+")


def direct_writes(path: Path) -> list[str]:
    """``module:line call`` for each direct write call in ``path`` that ALLOWED does not list."""
    module = path.relative_to(PACKAGE.parent).with_suffix("").as_posix().replace("/", ".")
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module in ("os", "shutil"):
            # ``from os import unlink`` would hide the call from the scan below
            for alias in node.names:
                if node.module == "shutil" or alias.name in OS_WRITES:
                    found.append((node.lineno, f"{module}:{node.lineno} from {node.module} import {alias.name}"))
            continue
        if not isinstance(node, ast.Call):
            continue
        name = _name_of(node.func)
        if name is not None and (
            _is_write(name)
            or (name == "os.open" and _writes_flags(node))
            or (name == "open" and _builtin_open_writes(node))
        ):
            if (module, name) not in ALLOWED:
                found.append((node.lineno, f"{module}:{node.lineno} {name}"))
        # a write handed to a worker: ``run_blocking(os.fsync, fd)``, ``to_thread(rename_noreplace, ...)``
        for arg in node.args:
            passed = _name_of(arg)
            if passed is not None and _is_write(passed) and (module, passed) not in ALLOWED:
                found.append((node.lineno, f"{module}:{node.lineno} {passed}"))
    return [text for _line, text in sorted(found)]


def test_write_side_jobs_change_files_only_through_the_backend():
    found = [hit for path in WRITE_SIDE for hit in direct_writes(path)]
    assert found == [], f"{len(found)} direct write calls (go through the volume's backend):\n" + "\n".join(found)


def test_the_scan_sees_direct_writes(tmp_path):
    """The scan itself: each kind of direct write is found, reads and backend calls are not."""
    probe = PACKAGE / "ops" / "files" / "_probe_writes.py"
    probe.write_text(
        "import os, shutil, fcntl\n"
        "os.unlink(b'a')\n"
        "os.open(b'a', os.O_WRONLY | os.O_CREAT)\n"
        "os.open(b'a', os.O_RDONLY)\n"
        "shutil.rmtree(b'a')\n"
        "fcntl.ioctl(1, 2, 3)\n"
        "rename_noreplace(b'a', b'b')\n"
        "ctx.run_blocking(os.fsync, 3)\n"
        "asyncio.to_thread(rename_noreplace, b'a', b'b')\n"
        "ctx.run_blocking(vol.fsync, 3)\n"
        "open(b'a', 'w', encoding='utf-8')\n"
        "open(b'a', mode='ab')\n"
        "open(b'a', 'rb')\n"
        "vol.unlink(b'a')\n"
        "os.lstat(b'a')\n"
        "from os import rmdir, lstat\n"
    )
    try:
        assert [hit.split(" ", 1)[1] for hit in direct_writes(probe)] == [
            "os.unlink",
            "os.open",
            "shutil.rmtree",
            "fcntl.ioctl",
            "rename_noreplace",
            "os.fsync",
            "rename_noreplace",
            "open",
            "open",
            "from os import rmdir",
        ]
    finally:
        probe.unlink()

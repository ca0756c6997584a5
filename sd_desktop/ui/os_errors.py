"""Failed file-system calls said in plain words ("You are not allowed to change this folder"),
never as ``[Errno 13] Permission denied: '/x'``; and the checks a new file name must pass."""

from __future__ import annotations

import errno
import os

from sd_desktop import paths

NAME_MAX = 255  # bytes in one name on Linux, macOS and Windows file systems alike


def plain_os_error(exc: OSError, name: bytes | None = None) -> str:
    """One sentence for ``exc``; ``name`` is the item it was about (its base name is shown)."""
    what = f"“{paths.display(os.path.basename(name))}”" if name else "The item"
    code = exc.errno
    if code in (errno.EACCES, errno.EPERM):
        return "You are not allowed to change this folder"
    if code == errno.EROFS:
        return "This folder is on a read-only disk"
    if code == errno.EEXIST:
        return f"{what} is already here"
    if code == errno.ENOENT:
        return f"{what} is no longer here"
    if code == errno.ENOSPC or code == errno.EDQUOT:
        return "The disk is full"
    if code == errno.ENAMETOOLONG:
        return "The name is too long"
    if code == errno.EBUSY:
        return f"{what} is in use"
    return (exc.strerror or str(exc)).rstrip(".")


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be one file name, or None when it can."""
    if not name.strip():
        return "A name cannot be empty"
    if "/" in name:
        return "A name cannot contain “/”"
    if "\0" in name:
        return "A name cannot contain a NUL character"
    if name in (".", ".."):
        return "“.” and “..” cannot be used as names"
    if len(os.fsencode(name)) > NAME_MAX:
        return f"The name is too long (at most {NAME_MAX} bytes)"
    return None

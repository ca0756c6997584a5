"""What counts as lint, and the re-check of one finding just before it is trashed.

Shared by the lint job (which finds) and the delete job (which trashes findings only if they still
are what was found), so both apply the same rules. Nothing here follows a symlink.

* ``empty_folder``: a folder with no entries, or only folders that are themselves empty (as
  czkawka and rmlint count them). Only the highest such folder is reported: trashing it takes the
  empty ones inside with it. A folder that cannot be read is never called empty.
* ``empty_file``: a regular file of 0 bytes.
* ``broken_symlink``: a symlink whose target does not exist (a loop counts as broken).
* ``temporary_file``: a regular file named ``~$*``, ``*.tmp``, ``.DS_Store`` or ``Thumbs.db``
  (case-insensitive but for ``.DS_Store``); an empty one is reported as temporary, not empty.
* ``wrong_extension``: content of another known kind than its extension says (the validator's
  check, ``ops.files.corruption``); never trashed: it holds real data, it wants a new name.
"""

from __future__ import annotations

import stat

from sd_desktop.volumes.backend import LOCAL, VolumeBackend

EMPTY_FOLDER = "empty_folder"
EMPTY_FILE = "empty_file"
BROKEN_SYMLINK = "broken_symlink"
WRONG_EXTENSION = "wrong_extension"
TEMPORARY_FILE = "temporary_file"
TYPES = (EMPTY_FOLDER, EMPTY_FILE, BROKEN_SYMLINK, WRONG_EXTENSION, TEMPORARY_FILE)
TRASHABLE = (EMPTY_FOLDER, EMPTY_FILE, BROKEN_SYMLINK, TEMPORARY_FILE)


def is_temporary_name(name: bytes) -> bool:
    """Names editors and file managers leave behind (``~$report.docx``, ``x.tmp``, ``.DS_Store``)."""
    low = name.lower()
    return name.startswith(b"~$") or low.endswith(b".tmp") or name == b".DS_Store" or low == b"thumbs.db"


def is_broken_link(path: bytes, fs: VolumeBackend = LOCAL) -> bool:
    """True when ``path`` is a symlink whose target (followed all the way) does not exist."""
    try:
        if not stat.S_ISLNK(fs.lstat(path).st_mode):
            return False
    except OSError:
        return False
    try:
        fs.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError as exc:
        return exc.errno == 40  # ELOOP: a loop of links leads nowhere
    return False


def holds_only_empty_folders(folder: bytes, fs: VolumeBackend = LOCAL) -> bool:
    """True when ``folder`` is a real folder (not a link) with nothing below it but folders.
    Raises ``OSError`` when some folder below cannot be listed (then nobody can say)."""
    if not stat.S_ISDIR(fs.lstat(folder).st_mode):
        return False
    todo = [folder]
    while todo:
        with fs.scandir(todo.pop()) as it:
            for entry in it:
                if not entry.is_dir(follow_symlinks=False):
                    return False
                todo.append(entry.path)
    return True


def recheck(kind: str, path: bytes, size: int, mtime_ns: int, fs: VolumeBackend = LOCAL) -> str | None:
    """None when ``path`` still is the finding ``kind`` (with the ``size`` and ``mtime_ns`` seen, for
    a temporary file); else why it may not be trashed now (one line)."""
    try:
        st = fs.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return "already gone"
    except OSError as exc:
        return f"cannot check it again: {exc.strerror or exc}; kept"
    if kind == EMPTY_FILE:
        if not stat.S_ISREG(st.st_mode):
            return "no longer a regular file; kept"
        return None if st.st_size == 0 else f"no longer empty ({st.st_size} bytes now); kept"
    if kind == BROKEN_SYMLINK:
        if not stat.S_ISLNK(st.st_mode):
            return "no longer a symlink; kept"
        return None if is_broken_link(path, fs) else "the link works again (its target exists now); kept"
    if kind == EMPTY_FOLDER:
        try:
            return None if holds_only_empty_folders(path, fs) else "no longer empty; kept"
        except OSError as exc:
            return f"cannot list it again: {exc.strerror or exc}; kept"
    if kind == TEMPORARY_FILE:
        if not stat.S_ISREG(st.st_mode):
            return "no longer a regular file; kept"
        if st.st_size != size or st.st_mtime_ns != mtime_ns:
            return "changed since the lint (size or modification time); kept"
        return None
    return f"{kind} findings are never trashed; kept"

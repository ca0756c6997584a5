"""Where a library's engine socket lives, and the ownership checks on both of its ends.

The socket is ``<library>/engine.sock``. A Unix socket's path is limited (108 bytes on Linux, 104
on macOS, the final NUL included); a library deeper than that gets its socket under
``$XDG_RUNTIME_DIR/sd-desktop/`` (else ``<tmp>/sd-desktop-<uid>/``), named by a hash of the
library's real path, so the engine and its clients compute the same place. That folder is the
user's alone (0700, owned by them); the socket is 0600; a client refuses a socket another user
owns, and the engine refuses a peer of another user (``SO_PEERCRED``).
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import tempfile
from pathlib import Path

SOCKET_NAME = "engine.sock"
# sun_path's size, the terminating NUL included
PATH_LIMITS = {"linux": 108, "darwin": 104}
DEFAULT_LIMIT = 104


class AddressError(OSError):
    """The socket or its folder is not safely ours (another owner, wrong kind of file, open mode)."""


def path_limit() -> int:
    return PATH_LIMITS.get(sys.platform, DEFAULT_LIMIT)


def socket_path(library_folder: os.PathLike | str) -> Path:
    """The engine socket of the library in ``library_folder`` (see the module's docstring)."""
    real = os.path.realpath(os.fsencode(library_folder))
    beside = os.path.join(real, os.fsencode(SOCKET_NAME))
    if len(beside) < path_limit():
        return Path(os.fsdecode(beside))
    digest = hashlib.blake2s(real, digest_size=12).hexdigest()
    return runtime_dir() / f"{digest}.sock"


def runtime_dir() -> Path:
    """The per-user folder for sockets too long to live in their library."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base:
        return Path(base) / "sd-desktop"
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"sd-desktop-{uid}"


def prepare_folder(sock: Path) -> None:
    """Make sure the socket's folder exists and, when it is the runtime folder, is the user's alone."""
    folder = sock.parent
    if folder != runtime_dir():
        return  # the library folder: its own permissions apply, the socket itself is 0600
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = os.lstat(folder)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise AddressError(f"{folder} is not a folder of yours; remove it or set XDG_RUNTIME_DIR")
    if st.st_mode & 0o077:
        os.chmod(folder, 0o700)


def check_socket_owner(sock: Path) -> None:
    """Refuse a socket that is not a socket of this user's (another user could answer for the engine).
    ``FileNotFoundError`` when there is none."""
    st = os.lstat(sock)
    if not stat.S_ISSOCK(st.st_mode):
        raise AddressError(f"{sock} is not a socket; remove it")
    if st.st_uid != os.getuid():
        raise AddressError(f"refused the engine socket {sock}: it belongs to uid {st.st_uid}, not to you")


def remove_stale(sock: Path) -> None:
    """Remove what a dead engine left at ``sock`` (called by the engine that holds the lock)."""
    try:
        st = os.lstat(sock)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        raise AddressError(f"{sock} is a folder; remove it")
    os.unlink(sock)

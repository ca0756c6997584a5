"""The freedesktop.org Trash (Linux and the other free desktops), with the specification's checks.

A file on the home's device goes to the home trash, ``$XDG_DATA_HOME/Trash``. A file on another
device goes to its volume's trash: ``$topdir/.Trash/$uid`` when ``$topdir/.Trash`` is a real folder
with the sticky bit, else ``$topdir/.Trash-$uid``; either must be a real folder (not a link) owned
by this user with mode 0700, and is created so when missing. A volume without such a folder has no
trash: the item is refused (FAULTS 12, 19), never copied to another device, never unlinked.

Why not send2trash here: it picks the trash folder itself and trusts any existing
``.Trash-$uid`` (a planted link hands the file to another user), copies across devices when the
rename fails, and leaves a ``.trashinfo`` behind when the move fails; checking its choice
beforehand would race with its use. Here each trash folder is opened without following links and
checked through its descriptor, and the move is a rename relative to those descriptors, so the
folder checked is the folder used. The ``.trashinfo`` is created with ``O_EXCL`` (it reserves the
name) and removed again when the rename fails. The optional ``directorysizes`` cache is not kept.
"""

from __future__ import annotations

import errno
import itertools
import os
import stat
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, unquote_to_bytes

from sd_desktop import paths
from sd_desktop.volumes.localfs import rename_noreplace_between

INFO_SUFFIX = b".trashinfo"
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_PRIVATE_DIR = _DIR | os.O_NOFOLLOW


class TrashUnavailable(OSError):
    """The item's volume has no trash this user may safely use; nothing was moved."""


class AlreadyInTrash(OSError):
    """The item is inside a trash folder's ``files/``: trashing it again would lose its real
    original path (its new record would name the trash itself). Nothing was moved."""


@dataclass(frozen=True)
class Trashed:
    """Where one item went."""

    path: bytes  # the item now: <trash_dir>/files/<name>
    info_path: bytes  # its record: <trash_dir>/info/<name>.trashinfo
    trash_dir: bytes
    original: bytes  # the absolute path it had


@dataclass(frozen=True)
class TrashInfo:
    """A ``.trashinfo`` file read back."""

    path: bytes  # as stored: absolute, or relative to the volume's top folder (topdir trashes)
    deletion_date: str


def trashinfo_of(item: bytes) -> bytes:
    """The record of the trashed item ``<trash>/files/<name>``: ``<trash>/info/<name>.trashinfo``."""
    files, name = os.path.split(item)
    return os.path.join(os.path.dirname(files), b"info", name + INFO_SUFFIX)


def home_trash() -> bytes:
    """``$XDG_DATA_HOME/Trash`` (``~/.local/share/Trash`` when unset or not absolute)."""
    base = os.environb.get(b"XDG_DATA_HOME", b"")
    if not os.path.isabs(base):  # the base directory spec says a relative value is invalid
        base = os.path.join(os.path.expanduser(b"~"), b".local", b"share")
    return os.path.join(base, b"Trash")


def trash_holding(path: paths.PathLike) -> bytes | None:
    """The trash folder whose ``files/`` holds ``path`` (at any depth below it), else None.

    By the layout alone, no I/O: the home trash, and ``.Trash-$uid`` or ``.Trash/$uid`` folders of
    any user (so another user's trash is never taken for an ordinary folder either)."""
    p = os.path.normpath(os.path.abspath(os.fsencode(path)))
    homes = {os.path.normpath(home_trash())}
    parts = p.split(b"/")
    for i in range(len(parts) - 2, 0, -1):  # a "files" component with something below it
        if parts[i] != b"files":
            continue
        trash_dir = b"/".join(parts[:i]) or b"/"
        name = parts[i - 1]
        if (
            trash_dir in homes
            or (name.startswith(b".Trash-") and name[7:].isdigit())
            or (name.isdigit() and i >= 2 and parts[i - 2] == b".Trash")
        ):
            return trash_dir
    return None


def trash(path: paths.PathLike, now: datetime | None = None) -> Trashed:
    """Move ``path`` (a link itself, never its target; a folder with its contents) to its trash.

    Raises ``TrashUnavailable`` when its volume has no usable trash, ``OSError`` when the move
    fails; in both cases the item is where it was and no ``.trashinfo`` is left behind."""
    path = os.path.abspath(os.fsencode(path))
    parent, name = os.path.split(path)
    if not name:
        raise OSError(errno.EINVAL, "the root folder cannot go to the trash")
    pfd = os.open(parent, _DIR)
    try:
        st = os.lstat(name, dir_fd=pfd)
        if st.st_dev != os.fstat(pfd).st_dev:
            raise OSError(errno.EBUSY, "a mount point cannot go to the trash; unmount it first")
        real_parent = os.path.realpath(parent)
        original = os.path.join(real_parent, name)
        holder = trash_holding(path) or trash_holding(original) or _in_real_home_trash(original)
        if holder is not None:
            raise AlreadyInTrash(
                errno.EEXIST,
                f"it is already in the trash ({paths.display(holder)}); restore it or delete it permanently there",
            )
        home = home_trash()
        if st.st_dev == _device_of(home):
            trash_dir, files_fd, info_fd = _open_home_trash(home)
            stored = original  # the home trash records absolute paths
        else:
            topdir = _topdir(real_parent, st.st_dev)
            trash_dir, files_fd, info_fd = _open_topdir_trash(topdir)
            stored = os.path.relpath(original, topdir)  # the volume may be mounted elsewhere next time
        try:
            if stat.S_ISDIR(st.st_mode) and os.path.realpath(trash_dir).startswith(original + b"/"):
                raise OSError(errno.EINVAL, "the trash folder is inside this folder; it cannot go into itself")
            date = (now or datetime.now()).strftime("%Y-%m-%dT%H:%M:%S")
            body = (
                b"[Trash Info]\nPath=" + quote(stored, safe="/").encode() + b"\nDeletionDate=" + date.encode() + b"\n"
            )
            given = _move(pfd, name, files_fd, info_fd, body, trash_dir)
        finally:
            os.close(files_fd)
            os.close(info_fd)
    finally:
        os.close(pfd)
    return Trashed(
        path=os.path.join(trash_dir, b"files", given),
        info_path=os.path.join(trash_dir, b"info", given + INFO_SUFFIX),
        trash_dir=trash_dir,
        original=original,
    )


def read_trashinfo(info_path: paths.PathLike) -> TrashInfo:
    """Read a ``.trashinfo``: the ``Path`` percent-decoded to raw bytes, and the ``DeletionDate``."""
    with open(os.fsencode(info_path), "rb") as f:
        lines = f.read().split(b"\n")
    values: dict[bytes, bytes] = {}
    in_group = False
    for line in lines:
        if line.startswith(b"["):
            in_group = line.strip() == b"[Trash Info]"
        elif in_group and b"=" in line:
            key, _, value = line.partition(b"=")
            values.setdefault(key.strip(), value.strip())
    if b"Path" not in values:
        raise ValueError(f"{paths.display(info_path)} has no Path in a [Trash Info] group")
    return TrashInfo(unquote_to_bytes(values[b"Path"]), values.get(b"DeletionDate", b"").decode("ascii", "replace"))


def _in_real_home_trash(original: bytes) -> bytes | None:
    """The home trash when ``original`` (a real path) is below its ``files/`` reached through links."""
    real_files = os.path.realpath(os.path.join(home_trash(), b"files"))
    return home_trash() if paths.is_within(original, real_files) and original != real_files else None


def _move(pfd: int, name: bytes, files_fd: int, info_fd: int, body: bytes, trash_dir: bytes) -> bytes:
    """Reserve a free name with an O_EXCL ``.trashinfo``, then rename the item under that name."""
    try:
        name_max = os.fpathconf(info_fd, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    for candidate in _candidates(name, name_max - len(INFO_SUFFIX)):
        info_name = candidate + INFO_SUFFIX
        try:
            fd = os.open(
                info_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=info_fd
            )
        except FileExistsError:
            continue
        try:
            try:
                view = memoryview(body)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)  # a crash after the rename must not leave a trashed item with an empty record
            finally:
                os.close(fd)
            rename_noreplace_between(pfd, name, files_fd, candidate)
        except FileExistsError:
            _unlink_quietly(info_name, info_fd)  # an orphan in files/ holds this name: try the next one
            continue
        except OSError as exc:
            _unlink_quietly(info_name, info_fd)
            if exc.errno == errno.EXDEV:
                raise TrashUnavailable(
                    errno.EXDEV,
                    f"the trash folder {paths.display(os.path.join(trash_dir, b'files'))} is on another file "
                    "system than this item; it was not copied there",
                ) from exc
            raise
        return candidate
    raise AssertionError("unreachable")  # _candidates never ends


def _candidates(name: bytes, limit: int):
    """``name.ext``, ``name.2.ext``, ``name.3.ext``, ...; shortened to fit ``limit`` bytes."""
    base, ext = os.path.splitext(name)
    if len(ext) > 16:  # not an extension worth keeping: a dot inside a long name
        base, ext = name, b""
    for n in itertools.count(1):
        tail = (b"" if n == 1 else b"." + str(n).encode()) + ext
        yield _shorten(base, limit - len(tail)) + tail


def _shorten(base: bytes, room: int) -> bytes:
    if len(base) <= room:
        return base
    cut = base[: max(room, 1)]
    try:
        base.decode("utf-8")
    except UnicodeDecodeError:
        return cut  # not UTF-8 anyway: cut at the byte
    for _ in range(4):  # keep a UTF-8 name valid: drop a character cut in half
        try:
            cut.decode("utf-8")
            break
        except UnicodeDecodeError:
            cut = cut[:-1]
    return cut


def _unlink_quietly(name: bytes, dir_fd: int) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass


def _device_of(path: bytes) -> int:
    """The device of ``path``, or of its nearest existing parent (the home trash appears on first use)."""
    while True:
        try:
            return os.stat(path).st_dev
        except FileNotFoundError:
            parent = os.path.dirname(path)
            if parent == path:
                raise
            path = parent


def _topdir(real_parent: bytes, device: int) -> bytes:
    """The top folder of the mounted file system holding ``real_parent``."""
    top = real_parent
    while True:
        up = os.path.dirname(top)
        if up == top or os.stat(up).st_dev != device:
            return top
        top = up


def _open_home_trash(home: bytes) -> tuple[bytes, int, int]:
    os.makedirs(home, 0o700, exist_ok=True)
    fd = os.open(home, _DIR)
    try:
        return (home, *_files_and_info(fd, home))
    finally:
        os.close(fd)


def _open_topdir_trash(topdir: bytes) -> tuple[bytes, int, int]:
    """``$topdir/.Trash/$uid`` or ``$topdir/.Trash-$uid``, each used only if it passes the checks."""
    uid = str(os.getuid()).encode()
    problems: list[str] = []
    top_fd = os.open(topdir, _DIR)
    try:
        for where in ((b".Trash", uid), (b".Trash-" + uid,)):
            try:
                trash_fd = _open_checked(top_fd, where, topdir)
            except _Unusable as exc:
                if str(exc):
                    problems.append(str(exc))
                continue
            trash_dir = os.path.join(topdir, *where)
            try:
                return (trash_dir, *_files_and_info(trash_fd, trash_dir))
            except OSError as exc:
                problems.append(f"{paths.display(trash_dir)}: {exc.strerror or exc}")
            finally:
                os.close(trash_fd)
    finally:
        os.close(top_fd)
    raise TrashUnavailable(
        errno.EPERM,
        f"the volume at {paths.display(topdir)} has no trash this user can safely use ("
        + "; ".join(problems)
        + "); delete it permanently instead if that is what you want",
    )


class _Unusable(Exception):
    """A candidate trash folder fails a check (the message says which; empty: it just is not there)."""


def _open_checked(top_fd: int, where: tuple[bytes, ...], topdir: bytes) -> int:
    """Open ``.Trash/$uid`` (``where`` has two parts) or ``.Trash-$uid`` (one part), checked."""
    if len(where) == 2:
        shared = os.path.join(topdir, where[0])
        fd = _open_shared(top_fd, where[0], shared)
        try:
            return _private(fd, where[1], os.path.join(shared, where[1]))
        finally:
            os.close(fd)
    return _private(top_fd, where[0], os.path.join(topdir, where[0]))


def _open_shared(top_fd: int, name: bytes, shown: bytes) -> int:
    """``$topdir/.Trash``: a real folder (not a link) with the sticky bit, or not used."""
    try:
        before = os.lstat(name, dir_fd=top_fd)
    except FileNotFoundError:
        raise _Unusable("") from None
    if stat.S_ISLNK(before.st_mode):
        raise _Unusable(f"{paths.display(shown)} is a symbolic link, not used")
    if not stat.S_ISDIR(before.st_mode):
        raise _Unusable(f"{paths.display(shown)} is not a folder, not used")
    try:
        fd = os.open(name, _PRIVATE_DIR, dir_fd=top_fd)
    except OSError as exc:
        raise _Unusable(f"cannot open {paths.display(shown)}: {exc.strerror}") from None
    st = os.fstat(fd)
    if (st.st_dev, st.st_ino) != (before.st_dev, before.st_ino) or not st.st_mode & stat.S_ISVTX:
        os.close(fd)
        raise _Unusable(f"{paths.display(shown)} has no sticky bit, not used")
    return fd


def _private(dir_fd: int, name: bytes, shown: bytes) -> int:
    """A user's own trash folder: a real folder (not a link) owned by this user, mode 0700;
    created so when missing."""
    uid = os.getuid()
    created = False
    try:
        os.mkdir(name, 0o700, dir_fd=dir_fd)
        created = True
    except FileExistsError:
        pass
    except OSError as exc:
        raise _Unusable(f"cannot create {paths.display(shown)}: {exc.strerror}") from None
    before = os.lstat(name, dir_fd=dir_fd)
    if stat.S_ISLNK(before.st_mode):
        raise _Unusable(f"{paths.display(shown)} is a symbolic link, not used")
    if not stat.S_ISDIR(before.st_mode):
        raise _Unusable(f"{paths.display(shown)} is not a folder, not used")
    try:
        fd = os.open(name, _PRIVATE_DIR, dir_fd=dir_fd)
    except OSError as exc:
        raise _Unusable(f"cannot open {paths.display(shown)}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != (before.st_dev, before.st_ino):
            raise _Unusable(f"{paths.display(shown)} was replaced while being checked, not used")
        if st.st_uid != uid:
            raise _Unusable(f"{paths.display(shown)} belongs to user {st.st_uid}, not to you ({uid}), not used")
        if created:
            os.fchmod(fd, 0o700)  # whatever the umask took away or a setgid parent added
        elif st.st_mode & 0o777 != 0o700:
            raise _Unusable(f"{paths.display(shown)} has mode {st.st_mode & 0o777:04o}, not 0700, not used")
    except BaseException:
        os.close(fd)
        raise
    return fd


def _files_and_info(trash_fd: int, trash_dir: bytes) -> tuple[int, int]:
    files_fd = _subdir(trash_fd, b"files", trash_dir)
    try:
        return files_fd, _subdir(trash_fd, b"info", trash_dir)
    except BaseException:
        os.close(files_fd)
        raise


def _subdir(trash_fd: int, name: bytes, trash_dir: bytes) -> int:
    """``files`` or ``info`` inside a trash folder: a real folder, created (0700) when missing."""
    try:
        os.mkdir(name, 0o700, dir_fd=trash_fd)
    except FileExistsError:
        pass
    try:
        return os.open(name, _PRIVATE_DIR, dir_fd=trash_fd)
    except OSError as exc:
        if exc.errno in (errno.ENOTDIR, errno.ELOOP):
            raise OSError(
                exc.errno, f"{paths.display(os.path.join(trash_dir, name))} is not a folder (or is a link), not used"
            ) from None
        raise

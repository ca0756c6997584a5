"""The walk of an unchanged-tree check (``unchanged.check``), started before the rest of the check is
imported or read.

Cold, a search of an unchanged tree waits on the disk twice: for the inodes of every folder and
file (the walk) and for the modules the check imports and the library it reads; warm, both are CPU
(tests/perf/README.md, "Duplicates: the unchanged tree as a whole process"). One after the other
they add up. ``WalkAhead`` lists the tree in a process of its own, forked at the start while this
one is still single-threaded and small, so the two overlap on the disk and on two cores: threads
of this process would share its GIL, and the walk's threads (each ``stat`` gives the GIL up and
asks for it back) starved the check's imports and queries of it (warm: a 2 ms query took 0.19 s).

It lists what the check's walk lists (``file_listing.walk_threaded`` with the default filter and no
reference folder: the plain search, the only one walked ahead), each folder's digest as a walker
makes it (``file_listing.digest_of`` of the msgpack of its rows). It sends over a pipe the settings
it walked with, then each folder and its digest, then the paths it could not read; the check takes
its folders when those settings are its own (``settings``) and walks itself otherwise. Where there
is no ``fork``, nothing is walked ahead (``start`` gives None).

Forked before anything heavy is imported, in either process: cold, the listing's module
(``file_listing``: dataclasses, typing, pathlib, the volume backends, ctypes, hashlib) took 0.1 s
to read before the walk could start. The walking process imports only ``msgpack``, ``blake3``
and the threads' modules and lists with ``os`` alone, as ``file_listing._list_dir`` lists the local
disk for that filter (``test_walk_ahead``: the same folders, the same digests, the same failures).
"""

from __future__ import annotations

import os
import stat

THREADS = 2  # listing at once, as ``unchanged.THREADS``
# what the walk is, as the check's settings name it: ``filter_fields(ScanFilter())``, no reference
# folder; a folder's digest is ``file_listing.digest_of`` (tested)
FILTER_FIELDS = [0, None, [], True, False]
DIGEST_BYTES = 16
DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
PIPE_BYTES = 1 << 20  # the pipe's buffer: the walk seldom waits for a reader busy importing
BATCH = 256  # folders a write


def start(search_paths: list[str]) -> WalkAhead | None:
    """A walk of ``search_paths`` under way in a process of its own; None where processes cannot be
    forked (the check then walks itself)."""
    if not hasattr(os, "fork"):
        return None
    return WalkAhead(search_paths)


class WalkAhead:
    """A walk of ``search_paths`` running in a forked process from the moment it is made."""

    def __init__(self, search_paths: list[str]):
        # (filter fields, roots, references) the walk used, once read
        self.settings: tuple[list, list[bytes], list[bytes]] | None = None
        self.failed: list[bytes] = []  # folders or files the walk could not read
        self.broken = False  # the walk ended without saying it was done: the check must not take it
        self.ended = False  # the walk said it was done (its process ends by itself)
        self._unpacker = None
        self._read, write = os.pipe()
        try:
            import fcntl

            fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except (ImportError, AttributeError, OSError):
            pass  # the default buffer: the walk waits for the reader sooner, nothing else changes
        self._pid = os.fork()
        if self._pid == 0:  # the walking process: it never returns to the caller's code
            code = 1
            try:
                os.close(self._read)
                _walk(search_paths, write)
                code = 0
            finally:
                os._exit(code)
        os.close(write)

    def _items(self):
        """Each message the walk sent, as it comes; at the end of the pipe, ``broken`` says whether
        the walk said it was done."""
        import msgpack

        if self._unpacker is None:
            self._unpacker = msgpack.Unpacker(raw=False, use_list=True)
        while True:
            yield from self._unpacker
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                return
            self._unpacker.feed(chunk)

    def read_settings(self) -> tuple[list, list[bytes], list[bytes]] | None:
        """The settings the walk used (the first message); None when it sent none."""
        if self.settings is None and not self.broken:
            for item in self._items():
                fields, roots, references = item
                self.settings = (fields, roots, references)
                break
            else:
                self.broken = True
        return self.settings

    def folders(self):
        """Each folder listed and the digest of its files, as they come, until the walk ends (read
        ``settings`` first); then ``failed`` and ``broken`` are set."""
        self.read_settings()
        if self.broken:
            return
        for item in self._items():
            if isinstance(item, dict):  # the end: what could not be read
                self.failed = item["failed"]
                self.ended = True
                return
            yield from item
        self.broken = True  # the pipe ended without the end message

    def stop(self) -> None:
        """End the walk if it still runs and reap its process: a command that goes on to start
        processes of its own must not leave one behind."""
        if not self.ended:  # else it is ending by itself (``_walk`` sends the end last)
            import signal  # not before: cold, its module is read after the walk's last folder

            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os.waitpid(self._pid, 0)
        os.close(self._read)


def _walk(search_paths: list[str], out: int) -> None:
    """The walking process's work: the messages ``WalkAhead`` reads, written to ``out``."""
    import queue  # not ``concurrent.futures``: it imports ``logging`` and more
    import threading

    failed: list[bytes] = []  # the first ends the walk (the job reports it, running its own walk)
    roots = _resolve_roots(search_paths)
    todo: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    done: queue.SimpleQueue[tuple[bytes, list[tuple], list[bytes]]] = queue.SimpleQueue()

    def work() -> None:
        while (folder := todo.get()) is not None:
            try:
                files, subdirs = _list_dir(folder, failed)
            except BaseException:  # anything but a disk's error: the walk is not taken (never hangs)
                failed.append(folder)
                files, subdirs = [], []
            done.put((folder, files, subdirs))

    outstanding = 0
    not_folders: list[tuple[bytes, os.stat_result | None]] = []  # roots that are files or else
    for root in roots:
        try:
            st = os.lstat(root)
        except OSError:
            failed.append(root)
            break
        if stat.S_ISDIR(st.st_mode):
            todo.put(root)
            outstanding += 1
        else:
            not_folders.append((root, st if stat.S_ISREG(st.st_mode) else None))
    for _ in range(THREADS if outstanding and not failed else 0):
        threading.Thread(target=work, daemon=True).start()
    # read while the threads list (cold, these modules take ~15 ms to read)
    import msgpack
    from blake3 import blake3

    packb = msgpack.packb

    def send(obj) -> None:
        data = memoryview(packb(obj))
        while data:
            data = data[os.write(out, data) :]

    send([FILTER_FIELDS, roots, []])
    batch: list[tuple[bytes, bytes]] = []
    for root, st in not_folders:  # a regular file: that file when it is not empty
        rows = [] if st is None or st.st_size == 0 else [_row(root, st)]
        batch.append((root, blake3(packb(rows)).digest(length=DIGEST_BYTES)))
    while outstanding and not failed:
        folder, files, subdirs = done.get()
        outstanding -= 1
        for sub in subdirs:
            todo.put(sub)
        outstanding += len(subdirs)
        # a walker packs a folder's rows so, and digests what it packed (``listing_processes``)
        batch.append((folder, blake3(packb(files)).digest(length=DIGEST_BYTES)))
        if len(batch) >= BATCH:
            send(batch)
            batch = []
    if batch and not failed:
        send(batch)
    send({"failed": list(failed)})  # the process ends with the threads still listing, if any


def _resolve_roots(search_paths: list[str]) -> list[bytes]:
    """``file_listing.resolve_roots``: real paths, without repeats and roots nested in another."""
    kept: list[bytes] = []
    for root in sorted({os.path.realpath(os.fsencode(p)) for p in search_paths}, key=lambda p: (len(p), p)):
        if not any(root == k or root.startswith(k.rstrip(b"/") + b"/") for k in kept):
            kept.append(root)
    return sorted(kept)


def _list_dir(folder: bytes, failed: list[bytes]) -> tuple[list[tuple], list[bytes]]:
    """The non-empty regular files of ``folder`` as rows (``file_listing.row_of``) and its
    sub-folders, sorted: ``file_listing._list_dir`` for the default filter, no reference folder."""
    files: list[tuple] = []
    subdirs: list[bytes] = []
    try:
        it = os.scandir(folder)
    except OSError:
        failed.append(folder)
        return files, subdirs
    try:
        dir_fd: int | None = os.open(folder, DIR_FLAGS)
    except OSError:
        dir_fd = None
    stat_at = os.stat
    with it:
        try:
            for entry in it:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        subdirs.append(entry.path)
                        continue
                    if not entry.is_file(follow_symlinks=False):
                        continue
                    if dir_fd is None:
                        st = entry.stat(follow_symlinks=False)
                    else:
                        st = stat_at(entry.name, dir_fd=dir_fd, follow_symlinks=False)
                except FileNotFoundError:
                    continue  # vanished mid-walk: not a problem
                except OSError:
                    failed.append(entry.path)
                    continue
                if st.st_size > 0:
                    files.append(_row(entry.path, st))
        except OSError:
            failed.append(folder)
        finally:
            if dir_fd is not None:
                os.close(dir_fd)
    subdirs.sort()
    return files, subdirs


def _row(path: bytes, st: os.stat_result) -> tuple:
    """``file_listing.row_of`` for the default filter, no reference folder."""
    return (path, st.st_size, st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_nlink, False)

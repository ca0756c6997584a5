"""Reading many files on one thread while the kernel already fetches the next ones.

Files read one after another leave a cold disk idle between requests. Threads keep several
requests in flight, but they fight over the GIL: every read and stat hands it round. Here the files
are opened a window ahead of the one being read, and the kernel is asked for the bytes that will be
read (``posix_fadvise(WILLNEED)`` starts the reads and returns). By the time the one reading thread
gets to a file, its bytes are usually in the page cache already.

On a cold disk of many small files this is several times faster than one thread reading in turn or
many threads taking turns (figures in tests/perf/README.md). Without ``posix_fadvise`` (not Linux
or BSD) the files are simply read in turn.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from sd_desktop.volumes.backend import LOCAL, VolumeBackend

T = TypeVar("T")

WINDOW_FILES = 64  # files opened ahead: well under the usual 1,024 open-file limit
WINDOW_BYTES = 32 * 1024 * 1024  # bytes asked for ahead: enough to keep the disk busy, little page cache
FILE_ADVICE_LIMIT = 8 * 1024 * 1024  # of a big file, only the start: the kernel's own readahead follows


def opened_ahead(
    items: Iterable[T],
    open_item: Callable[[T], int],
    span: Callable[[T], tuple[int, int]],
    errors: tuple[type[BaseException], ...] = (OSError,),
    window_files: int = WINDOW_FILES,
    window_bytes: int = WINDOW_BYTES,
    backend: VolumeBackend = LOCAL,
) -> Iterator[tuple[T, int | BaseException]]:
    """``(item, fd)`` for each item in the given order, or ``(item, error)`` when ``open_item`` raised
    one of ``errors``. ``span(item)`` is the (offset, length) that will be read. Each fd is closed when
    the next item is asked for, and every fd still open when the iteration is left early. The fds are
    ``backend``'s (``open_item`` opened them there): it is told what will be read, and closes them."""
    will_need, close = backend.will_need, backend.close
    window: deque[tuple[T, int | BaseException, int]] = deque()
    ahead = 0
    try:
        for item in items:
            try:
                fd: int | BaseException = open_item(item)
            except errors as exc:
                window.append((item, exc, 0))
            else:
                offset, length = span(item)
                length = min(length, FILE_ADVICE_LIMIT)
                if length > 0:
                    will_need(fd, offset, length)
                window.append((item, fd, length))
                ahead += length
            while len(window) > window_files or ahead > window_bytes:
                item, fd, length = window.popleft()
                ahead -= length
                try:
                    yield item, fd
                finally:
                    if isinstance(fd, int):
                        close(fd)
        while window:
            item, fd, _length = window.popleft()
            try:
                yield item, fd
            finally:
                if isinstance(fd, int):
                    close(fd)
    finally:
        for _item, fd, _length in window:
            if isinstance(fd, int):
                close(fd)

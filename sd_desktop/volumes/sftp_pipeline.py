"""Pipelined SFTP reads and writes of one open file: up to ``REQUESTS`` block requests in flight,
kept in flight across the caller's chunks, so the connection never runs dry while the caller writes
and flushes (a download) or reads the next local chunk (an upload).

asyncssh's ``SFTPClientFile.read(size)`` and ``write(data)`` split one call into parallel requests
too, but each call drains its requests before it returns and a read reassembles its blocks into a
``bytearray`` (then copies it to ``bytes``). Reading 256 MiB in 16 MiB calls in-process cost
0.7-1.3 s of CPU that way against 0.5-0.65 s with a steady 32 in flight; in a whole ``copy``
process the difference is lost in the start and the fsyncs (``tests/perf/README.md``). What the
pipeline is for: a reader opened early keeps its file's requests going (the next small files of a
download), and a chunk's write no longer waits for the pipe to drain. The file must be opened
with ``block_size=0``: one ``read``/``write`` call is then exactly one SFTP request.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

BLOCK = 261120  # bytes per request: what OpenSSH's sftp-server allows (limits@openssh.com), and its client uses
REQUESTS = 32  # requests in flight (as OpenSSH's client is told in ``volumes/openssh.py``)
AHEAD = 128  # blocks read but not yet taken (32 MiB): what a reader holds while its caller writes


def block_size(sftp: Any) -> int:
    """``BLOCK``, or less when the server's limits say so (0 in the limits: not stated)."""
    limits = getattr(sftp, "limits", None)
    reads = int(getattr(limits, "max_read_len", 0) or 0)
    writes = int(getattr(limits, "max_write_len", 0) or 0)
    return min([BLOCK, *(n for n in (reads, writes) if n > 0)])


class ReadPipeline:
    """Bytes ``[offset, end)`` of ``file`` in order, ``read(n)`` at a time; each block waited for
    at most ``timeout`` seconds (``TimeoutError`` past that). A file that ends early ends the
    stream early: ``read`` then returns less, and ``b""`` after the last byte."""

    def __init__(
        self, file: Any, offset: int, end: int, timeout: float, block: int = BLOCK, requests: int = REQUESTS
    ) -> None:
        self._file, self._next, self._end = file, offset, end
        self._timeout, self._block, self._requests = timeout, block, requests
        self._blocks: deque[tuple[int, int, asyncio.Future[bytes]]] = deque()
        self._flying = 0
        self._done = False
        self._rest = b""  # bytes of a block past the last read
        self._fill()

    def _fill(self) -> None:
        while (
            not self._done
            and self._next < self._end
            and self._flying < self._requests
            and len(self._blocks) < AHEAD + self._requests
        ):
            length = min(self._block, self._end - self._next)
            future = asyncio.ensure_future(self._file.read(length, self._next))
            future.add_done_callback(self._landed)
            self._blocks.append((self._next, length, future))
            self._flying += 1
            self._next += length

    def _landed(self, future: asyncio.Future[bytes]) -> None:
        self._flying -= 1
        _retrieve(future)
        self._fill()

    async def read(self, want: int) -> bytes:
        """The next ``want`` bytes, fewer at the end (so a caller's chunks keep their boundaries)."""
        parts: list[bytes] = [self._rest] if self._rest else []
        got = len(self._rest)
        self._rest = b""
        while got < want and self._blocks and not self._done:
            offset, length, future = self._blocks[0]
            data = future.result() if future.done() else await asyncio.wait_for(future, self._timeout)
            self._blocks.popleft()
            while data and len(data) < length:  # a short read before the end: ask for the rest
                more = await asyncio.wait_for(self._file.read(length - len(data), offset + len(data)), self._timeout)
                if not more:
                    break
                data += more
            if len(data) < length:  # the file ends here (it shrank since it was listed)
                self._done = True
                self.cancel()
            parts.append(data)
            got += len(data)
            self._fill()
        if got > want:  # the rest of the last block starts the next read
            cut = len(parts[-1]) - (got - want)
            parts[-1], self._rest = parts[-1][:cut], parts[-1][cut:]
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def cancel(self) -> None:
        """Drop the requests in flight (their answers are ignored when they come)."""
        self._done = True
        while self._blocks:
            self._blocks.pop()[2].cancel()


class WritePipeline:
    """``write(data)`` appends at the next offset of ``file`` in ``block`` requests, waiting only
    when ``requests`` are in flight; ``drain()`` waits for every one. Each request is waited for at
    most ``timeout`` seconds (``TimeoutError`` past that); the first failure is raised."""

    def __init__(self, file: Any, offset: int, timeout: float, block: int = BLOCK, requests: int = REQUESTS) -> None:
        self._file, self._next = file, offset
        self._timeout, self._block, self._requests = timeout, block, requests
        self._flying: deque[asyncio.Future[Any]] = deque()

    async def write(self, data: bytes) -> None:
        view = memoryview(data)
        for start in range(0, len(data), self._block):
            while len(self._flying) >= self._requests:
                await self._oldest()
            piece = view[start : start + self._block]  # asyncssh copies it into its packet: no copy here
            future = asyncio.ensure_future(self._file.write(piece, self._next))
            future.add_done_callback(_retrieve)
            self._flying.append(future)
            self._next += len(piece)

    async def _oldest(self) -> None:
        future = self._flying[0]
        if not future.done():  # a deadline costs a timer: only for a wait
            await asyncio.wait_for(future, self._timeout)
        self._flying.popleft()
        future.result()

    async def drain(self) -> None:
        while self._flying:
            await self._oldest()

    def cancel(self) -> None:
        """Drop the requests in flight (after a failure: the temporary file is written again)."""
        while self._flying:
            self._flying.pop().cancel()


def _retrieve(future: asyncio.Future[Any]) -> None:
    # a failed request is raised to the writer when it waits for it; one left behind by ``cancel``
    # is not logged as "exception was never retrieved"
    if not future.cancelled():
        future.exception()

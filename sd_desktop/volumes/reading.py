"""Reading a whole remote file in ranged requests: the full hash and the bytes some checks need.

One request per ``CHUNK`` bytes keeps memory flat whatever the file's size, and each request has
its own deadline (``RemoteBackend.read_ranges``), so a server that stops answering mid-file costs
one timeout, not a hung job.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import blake3

from sd_desktop.cas import ChangedWhileReading
from sd_desktop.volumes.remote import RemoteBackend

CHUNK = 4 * 1024 * 1024  # bytes per ranged request


async def full_hash(
    backend: RemoteBackend,
    path: str,
    size: int,
    on_chunk: Callable[[bytes], None] | None = None,
    between: Callable[[], Awaitable[None]] | None = None,
) -> str:
    """The blake3 of the ``size`` bytes of ``path`` (the digest ``cas.full_hash`` gives a local copy).
    ``on_chunk`` sees each chunk as it comes; ``between`` is awaited before each request (a job's
    ``check_interrupt``). A file shorter than ``size`` raises ``ChangedWhileReading``."""
    h = blake3.blake3()
    offset = 0
    while offset < size:
        if between is not None:
            await between()
        (data,) = await backend.read_ranges(path, [(offset, min(CHUNK, size - offset))])
        if not data:
            raise ChangedWhileReading(f"shrank to {offset} bytes while it was read")
        h.update(data)
        if on_chunk is not None:
            on_chunk(data)
        offset += len(data)
    return h.hexdigest()

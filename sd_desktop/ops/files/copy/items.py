"""How the copy job keeps its work items in the library's work list (``library.worklist``).

One ``work_item`` per file, folder or link to copy, in plan order (parents before children):
``kind`` is its ``EntryKind``, ``src`` and ``dst`` the source and target paths, ``size`` a file's
size, ``status`` a ``WorkStatus``, ``outcome`` and ``reason`` what became of it (``dst`` becomes
the name actually used when the rename policy picked another). ``data`` packs the rest (msgpack,
short keys): ``m`` the source's mtime_ns, ``mo`` a folder's mode, ``r`` a same-volume move done as
one rename, ``x`` a target folder that existed when planned, ``a`` the answer to a conflict (a
``ConflictPolicy`` value).

A pending item whose target existed when the job was planned has ``outcome == CONFLICT``.
"""

from __future__ import annotations

import msgpack

CONFLICT = "conflict"
# what the copy phase reads of each item
TO_COPY = ("seq", "kind", "src", "dst", "size", "data")


def pack_data(**values) -> bytes:
    """The ``data`` of an item (values that are None are left out)."""
    return msgpack.packb({k: v for k, v in values.items() if v is not None})


def unpack_data(blob: bytes | None) -> dict:
    return msgpack.unpackb(bytes(blob), strict_map_key=False) if blob else {}

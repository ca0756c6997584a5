"""A job's identity: its name and encoded config. Two runs with the same identity are the same job
(``JobManager.enqueue`` continues an active one instead of queueing another)."""

from __future__ import annotations

import blake3


def config_key(name: str, config_blob: bytes) -> str:
    """The ``config_key`` column of a job of ``name`` whose config encodes (``codec.pack``) to ``config_blob``."""
    return blake3.blake3(name.encode() + b"\0" + config_blob).hexdigest()[:32]

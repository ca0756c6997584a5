"""Volumes: mounted file systems (via psutil), free space, and the backends jobs read and write through.

``Volume``, ``VolumeManager`` and ``same_volume`` are imported when first asked for: a helper that
needs only ``volumes.backend`` (a walker process, a cold ``duplicates``) does not pay for psutil."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sd_desktop.volumes.backend import LOCAL, LocalBackend, VolumeBackend

if TYPE_CHECKING:
    from sd_desktop.volumes.manager import Volume, VolumeManager, same_volume

__all__ = ["LOCAL", "LocalBackend", "Volume", "VolumeBackend", "VolumeManager", "same_volume"]


def __getattr__(name: str) -> Any:
    if name in ("Volume", "VolumeManager", "same_volume"):
        from sd_desktop.volumes import manager

        return getattr(manager, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

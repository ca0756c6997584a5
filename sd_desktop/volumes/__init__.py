"""Volumes: mounted file systems (via psutil), free space, and the local file-system backend."""

from sd_desktop.volumes.backend import LOCAL, LocalBackend, VolumeBackend
from sd_desktop.volumes.manager import Volume, VolumeManager, same_volume

__all__ = ["LOCAL", "LocalBackend", "Volume", "VolumeBackend", "VolumeManager", "same_volume"]

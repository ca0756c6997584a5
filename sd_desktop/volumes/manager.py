"""Mounted volumes, free space and "are these two paths on one device?"."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

from sd_desktop import paths

# File systems where overwriting a file in place does not overwrite the old blocks. (XFS shares
# blocks only between reflinked files, and its type name does not say whether reflink is on.)
COPY_ON_WRITE_FS = {"btrfs", "zfs", "apfs", "bcachefs", "overlay", "overlayfs"}
NETWORK_FS = {"nfs", "nfs4", "cifs", "smbfs", "smb3", "sshfs", "fuse.sshfs", "9p", "afs", "davfs", "fuse.rclone"}
PSEUDO_FS = {
    "proc",
    "sysfs",
    "devtmpfs",
    "devpts",
    "cgroup",
    "cgroup2",
    "securityfs",
    "debugfs",
    "tracefs",
    "mqueue",
    "pstore",
    "bpf",
    "configfs",
    "fusectl",
    "hugetlbfs",
    "autofs",
    "binfmt_misc",
    "nsfs",
}


@dataclass(frozen=True)
class Volume:
    mountpoint: str
    device: str
    fstype: str
    total_bytes: int
    free_bytes: int
    read_only: bool

    @property
    def is_network(self) -> bool:
        return self.fstype in NETWORK_FS

    @property
    def is_copy_on_write(self) -> bool:
        return self.fstype in COPY_ON_WRITE_FS


def same_volume(a: paths.PathLike, b: paths.PathLike) -> bool:
    """True when ``a`` and ``b`` (or, for paths not yet created, their nearest existing parents)
    live on the same device, so a rename can move between them."""
    return _device_of(a) == _device_of(b)


def _device_of(path: paths.PathLike) -> int:
    p = os.path.abspath(os.fsencode(path))
    while True:
        try:
            return os.lstat(p).st_dev
        except FileNotFoundError:
            parent = os.path.dirname(p)
            if parent == p:
                raise
            p = parent


class VolumeManager:
    """What is mounted where. Cheap to create; ``volumes()`` asks the OS each time."""

    def volumes(self, include_pseudo: bool = False) -> list[Volume]:
        found: list[Volume] = []
        seen: set[str] = set()
        import psutil  # here: the engine imports this module, and most commands never list volumes

        for part in psutil.disk_partitions(all=include_pseudo):
            if not include_pseudo and part.fstype in PSEUDO_FS:
                continue
            if part.mountpoint in seen:
                continue
            try:
                usage = shutil.disk_usage(part.mountpoint)
            except OSError:
                continue
            seen.add(part.mountpoint)
            found.append(
                Volume(
                    mountpoint=part.mountpoint,
                    device=part.device,
                    fstype=part.fstype,
                    total_bytes=usage.total,
                    free_bytes=usage.free,
                    read_only="ro" in part.opts.split(","),
                )
            )
        return found

    def volume_for(self, path: paths.PathLike) -> Volume | None:
        """The volume whose mount point is the longest prefix of ``path``'s real path."""
        real = os.path.realpath(os.fsdecode(path))
        best: Volume | None = None
        for vol in self.volumes(include_pseudo=True):
            if paths.is_within(real, vol.mountpoint) and (best is None or len(vol.mountpoint) > len(best.mountpoint)):
                best = vol
        return best

    def free_space(self, path: paths.PathLike) -> int:
        """Bytes available to this user on the file system holding ``path`` (or its nearest parent)."""
        p = os.path.abspath(os.fsencode(path))
        while not os.path.exists(p):
            p = os.path.dirname(p)
        return shutil.disk_usage(p).free

    same_volume = staticmethod(same_volume)

"""Fixtures shared with the file-operation tests (the FUSE fault-injection mount, tmpfs and
loop-mounted XFS/btrfs images)."""

from tests.fileops.helpers import mount_faultfs, mount_loop_fs, mount_tmpfs  # noqa: F401

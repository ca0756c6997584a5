"""Fixtures of the file-operation tests (a tmpfs per test for full-disk and trash cases, loop-mounted
XFS and btrfs images for clones)."""

from tests.fileops.helpers import mount_faultfs, mount_loop_fs, mount_tmpfs, mount_xfs  # noqa: F401  (fixtures)

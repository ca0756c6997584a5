"""Fixtures of the file-operation tests (a tmpfs per test for full-disk and trash cases)."""

from tests.fileops.helpers import mount_faultfs, mount_tmpfs  # noqa: F401  (fixtures)

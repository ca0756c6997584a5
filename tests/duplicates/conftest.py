"""Fixtures shared with the file-operation tests (the FUSE fault-injection mount)."""

from tests.fileops.helpers import mount_faultfs  # noqa: F401

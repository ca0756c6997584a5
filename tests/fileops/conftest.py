from tests.fileops.helpers import mount_tmpfs  # noqa: F401  (fixture)

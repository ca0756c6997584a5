"""LinkJob: duplicate copies replaced by hard links or reflinks to the kept file, swapped safely
(verify, link to a temporary name, verify, rename over), and undone by restoring independent copies."""

from sd_desktop.ops.files.link.config import LinkConfig, LinkMethod, LinkOutcome, LinkOutput, LinkTarget
from sd_desktop.ops.files.link.job import LinkJob

__all__ = ["LinkConfig", "LinkJob", "LinkMethod", "LinkOutcome", "LinkOutput", "LinkTarget"]

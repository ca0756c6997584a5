"""The lint job: empty folders and files, broken symlinks, mislabelled and temporary files."""

from sd_desktop.ops.files.lint.config import LintConfig, LintFinding, LintOutput
from sd_desktop.ops.files.lint.job import LintJob

__all__ = ["LintConfig", "LintFinding", "LintJob", "LintOutput"]

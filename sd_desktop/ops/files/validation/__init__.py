"""File validation: existence and stat against the library, integrity checksums, corruption probes."""

from sd_desktop.ops.files.validation.config import ValidationConfig, ValidationMode, ValidationOutput
from sd_desktop.ops.files.validation.job import ValidationJob

__all__ = ["ValidationConfig", "ValidationJob", "ValidationMode", "ValidationOutput"]

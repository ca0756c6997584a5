"""File validation: existence and stat against the library, integrity checksums, corruption probes."""

from sd_desktop.ops.files.validation.job import ValidationConfig, ValidationJob, ValidationMode, ValidationOutput

__all__ = ["ValidationConfig", "ValidationJob", "ValidationMode", "ValidationOutput"]

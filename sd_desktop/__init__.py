"""sd_desktop: a desktop file manager built on a resumable, crash-safe job engine."""

__version__ = "0.1.0"

"""The ThumbnailJob's config, state (a cursor over entry ids) and output dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sd_desktop.jobs.codec import limits
from sd_desktop.ops.media.thumbnail.generate import DEFAULT_MAX_PIXELS, Variant, default_variants


@dataclass
class ThumbnailConfig:
    location_id: int | None = field(default=None, metadata=limits(1))
    path: Path | None = None
    entry_ids: list[int] = field(default_factory=list, metadata=limits(1))
    variants: list[Variant] = field(default_factory=default_variants)
    regenerate: bool = False
    batch_size: int = field(default=50, metadata=limits(1))
    max_concurrency: int = field(default=2, metadata=limits(1, 256))  # worker processes
    time_limit: float = field(default=30.0, metadata=limits(0.001))  # seconds per file
    # pixels decoded into memory per file (after JPEG draft)
    max_pixels: int = field(default=DEFAULT_MAX_PIXELS, metadata=limits(1))
    # queued for on-demand requests (a browser scrolling), not by a person: kept out of the window's
    # job history, which would otherwise get a row per scroll
    on_demand: bool = False


@dataclass
class ThumbnailState:
    phase: str = "generating"  # generating -> cleanup
    cursor: int = 0  # every entry of the scope with id <= cursor is done
    started_at: float = 0.0
    generated: int = 0
    already_present: int = 0
    skipped: int = 0
    failed: int = 0
    previously_failed: int = 0
    requested: int = 0
    removed_orphans: int = 0
    bytes: int = 0
    sidecar_bytes: int = 0
    bytes_seen: int = 0  # sizes of every entry handled, whatever the outcome (progress)
    pause_reason: str = ""  # a volume that went away: shown with the paused job, dropped on resume


@dataclass
class ThumbnailOutput:
    generated: int = 0  # sources decoded and written (all variants)
    already_present: int = 0  # every variant existed (or was made earlier in this run for the same content)
    skipped: int = 0  # not an image, or changed since indexing
    failed: int = 0  # failed in this run (recorded; see the job's errors)
    previously_failed: int = 0  # failed before with the same decoder version: not retried
    requested: int = 0  # on-demand requests handled
    removed_orphans: int = 0  # sidecar files removed by the cleanup
    bytes: int = 0  # source bytes decoded
    sidecar_bytes: int = 0  # bytes of thumbnails written
    variants: list[str] = field(default_factory=list)

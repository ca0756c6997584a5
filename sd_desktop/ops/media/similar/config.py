"""The similar-pictures search's config, state and output dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sd_desktop.jobs.codec import limits
from sd_desktop.ops.media.thumbnail.generate import DEFAULT_MAX_PIXELS

MAX_THRESHOLD = 4 * 4 - 1  # bits: a radius of 3 in each of the index's 4 chunks; more would probe too many buckets

# bits of 64: variants of one picture (resized, re-encoded, rotated by EXIF, brighter, cropped 3 %
# on every side) measured 0..8 bits from their original, different pictures of one style >= 20
DEFAULT_THRESHOLD = 10


@dataclass
class SimilarConfig:
    paths: list[Path] = field(default_factory=list)
    threshold: int = field(default=DEFAULT_THRESHOLD, metadata=limits(0, MAX_THRESHOLD))
    batch_size: int = field(default=50, metadata=limits(1))
    max_concurrency: int = field(default=2, metadata=limits(1, 256))  # decoding worker processes
    time_limit: float = field(default=30.0, metadata=limits(0.001))  # seconds per picture
    max_pixels: int = field(default=DEFAULT_MAX_PIXELS, metadata=limits(1))


@dataclass
class SimilarState:
    phase: str = "plan"  # plan -> hash -> group
    total: int = 0  # pictures listed
    hashed: int = 0  # decoded by this job
    reused: int = 0  # hashes the library had (made with the thumbnails or by an earlier search)
    failed: int = 0


@dataclass
class SimilarOutput:
    # each group: paths (the centre first), distances (bits from paths[0]), sizes, widths, heights,
    # mtimes_ns (as the search saw each file: a removal re-checks it)
    groups: list[dict] = field(default_factory=list)
    group_count: int = 0
    similar_files: int = 0  # pictures in a group, beside its first
    pictures: int = 0  # pictures listed under the paths
    hashed: int = 0
    reused: int = 0
    failed: int = 0
    threshold: int = DEFAULT_THRESHOLD
    hash: str = "phash-64"
    paths: list[str] = field(default_factory=list)
    items_done: int = 0
    items_failed: int = 0

"""Which pictures of a similar-pictures group to keep, and the re-checked removal of the others.

The rules the results view offers, Qt-free so they are tested (and usable) without a window:

* **keep the largest**: the picture with the most pixels, then the most bytes, then the first;
* **keep the sharpest**: the highest ``sharpness`` (variance of the Laplacian of the picture
  decoded at thumbnail scale: a blurred or up-scaled copy has weaker edges), then the largest;
* a group always keeps one picture: the last unmarked one cannot be marked (``can_mark``).

``removal_targets`` turns the marks into the DeleteJob's ``PictureTarget`` s, each naming the
pictures of its group that stay, so the job re-checks both sides right before acting.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from sd_desktop import paths
from sd_desktop.ops.files.delete.config import KeptPicture, PictureTarget

SHARPNESS_SIDE = 256  # px: every picture is measured at this longest side, so sizes compare fairly


@dataclass
class Picture:
    """One picture of a group, as the search reported it."""

    path: str  # os.fsdecode'd (surrogates keep undecodable bytes)
    size: int
    width: int
    height: int
    distance: int = 0  # bits from the group's first picture
    mtime_ns: int = 0
    marked: bool = False  # proposed for removal
    gone: bool = False  # removed since (trashed or deleted)

    @property
    def pixels(self) -> int:
        return self.width * self.height


def groups_of(output: dict) -> list[list[Picture]]:
    """The similar-pictures job's ``output.groups`` as pictures (older outputs lack ``mtimes_ns``)."""
    out = []
    for g in output.get("groups") or []:
        n = len(g["paths"])
        mtimes = g.get("mtimes_ns") or [0] * n
        out.append(
            [
                Picture(
                    os.fsdecode(g["paths"][i]),
                    int(g["sizes"][i]),
                    int(g["widths"][i]),
                    int(g["heights"][i]),
                    int(g["distances"][i]),
                    int(mtimes[i]),
                )
                for i in range(n)
            ]
        )
    return out


def largest(group: Sequence[Picture]) -> int:
    """Index of the picture with the most pixels, then the most bytes (the first on a tie)."""
    return max(range(len(group)), key=lambda i: (group[i].pixels, group[i].size, -i))


def sharpest(group: Sequence[Picture], scores: Sequence[float | None]) -> int:
    """Index of the sharpest picture (an unmeasured one counts least), then the largest."""
    size_rank = {idx: -rank for rank, idx in enumerate(_by_size(group))}
    return max(
        range(len(group)),
        key=lambda i: (scores[i] is not None, scores[i] if scores[i] is not None else 0.0, size_rank[i]),
    )


def _by_size(group: Sequence[Picture]) -> list[int]:
    return sorted(range(len(group)), key=lambda i: (-group[i].pixels, -group[i].size, i))


def mark_all_but(group: Sequence[Picture], keep: int) -> None:
    """Mark every present picture of ``group`` except ``keep`` (gone pictures stay unmarked)."""
    for i, p in enumerate(group):
        p.marked = i != keep and not p.gone


def can_mark(group: Sequence[Picture], index: int) -> bool:
    """A present, unmarked picture may be marked unless it is the last one kept."""
    p = group[index]
    if p.gone:
        return False
    if p.marked:
        return True
    return sum(1 for q in group if not q.gone and not q.marked) > 1


def removal_targets(groups: Sequence[Sequence[Picture]]) -> list[PictureTarget]:
    """The marked pictures as re-checked removals, each naming its group's kept pictures."""
    targets = []
    for group in groups:
        keepers = [KeptPicture(paths.to_path(p.path), p.size, p.mtime_ns) for p in group if not p.gone and not p.marked]
        if not keepers:  # never a whole group (can_mark forbids it; a hand-made list might not)
            continue
        for p in group:
            if p.marked and not p.gone:
                targets.append(PictureTarget(paths.to_path(p.path), p.size, p.mtime_ns, list(keepers)))
    return targets


def sharpness(path: str | bytes, side: int = SHARPNESS_SIDE, max_pixels: int | None = None) -> float | None:
    """Variance of the Laplacian of ``path`` decoded grey at ``side`` px (longest side); None when
    it cannot be decoded. Slow (a decode): run it off the GUI thread."""
    import numpy as np
    from PIL import Image

    from sd_desktop.ops.media.thumbnail.generate import DEFAULT_MAX_PIXELS

    limit = max_pixels or DEFAULT_MAX_PIXELS
    try:
        with Image.open(path) as im:
            w, h = im.size
            # a small picture is scaled up too: measured at its own size it would look sharp
            scale = side / max(w, h, 1)
            target = (max(1, round(w * scale)), max(1, round(h * scale)))
            im.draft("L", target)  # JPEG: decode at 1/2, 1/4 or 1/8 of the size when that is enough
            if im.size[0] * im.size[1] > limit:
                return None  # too large to decode safely (the thumbnails' limit)
            grey = im.convert("L").resize(target, Image.Resampling.BILINEAR)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    a = np.asarray(grey, dtype=np.float32)
    if a.shape[0] < 3 or a.shape[1] < 3:
        return 0.0
    lap = 4 * a[1:-1, 1:-1] - a[:-2, 1:-1] - a[2:, 1:-1] - a[1:-1, :-2] - a[1:-1, 2:]
    return float(lap.var())

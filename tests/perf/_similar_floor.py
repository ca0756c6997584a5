"""The floor of the similar-pictures benchmark: a plain script anyone would write with imagehash.

Open each picture, apply the EXIF orientation, ``imagehash.phash``, compare every pair and join the
close ones with union-find. Prints one JSON line: {"groups": [[path, ...], ...]}."""

from __future__ import annotations

import itertools
import json
import os
import sys

import imagehash
from PIL import Image, ImageOps

try:
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover
    pass


def main(root: str, threshold: int) -> None:
    files = sorted(os.path.join(d, n) for d, _s, ns in os.walk(root) for n in ns if not n.endswith(".json"))
    hashes = []
    for f in files:
        with Image.open(f) as im:
            hashes.append(imagehash.phash(ImageOps.exif_transpose(im)))
    parent = list(range(len(files)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in itertools.combinations(range(len(files)), 2):
        if hashes[a] - hashes[b] <= threshold:
            parent[find(a)] = find(b)
    groups: dict[int, list[str]] = {}
    for i, f in enumerate(files):
        groups.setdefault(find(i), []).append(f)
    print(json.dumps({"groups": [g for g in groups.values() if len(g) > 1]}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))

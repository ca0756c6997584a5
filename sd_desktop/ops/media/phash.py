"""The perceptual hash of a decoded picture: imagehash's 64-bit DCT hash (``phash``), as an int.

A DCT hash keeps the lowest 8x8 frequencies of the picture shrunk to 32x32 greys, one bit each for
above or below their median: resizing, re-encoding (JPEG quality, PNG, WebP, HEIC) and a small
change of brightness barely move it, while two different pictures differ in about half the bits.
The caller hands in the picture already upright (EXIF orientation applied) and shrunk; the
thumbnail decode (``thumbnail.generate``) does that once for both the thumbnails and the hash.

Imported lazily by the decoders: imagehash brings numpy, SciPy and PyWavelets.
"""

from __future__ import annotations

import imagehash
import numpy as np
from PIL import Image

HASH_BITS = 64
_HASH_SIZE = 8  # 8x8 DCT coefficients = 64 bits


def phash_of(im: Image.Image) -> int:
    """The 64-bit perceptual hash of ``im`` (unsigned, first coefficient in the highest bit)."""
    if im.mode not in ("RGB", "L"):
        # transparency over white, as the thumbnails show it, instead of whatever the RGB under alpha 0 is
        if "A" in im.getbands():
            flat = Image.new("RGB", im.size, (255, 255, 255))
            flat.paste(im.convert("RGBA"), mask=im.convert("RGBA").getchannel("A"))
            im = flat
        else:
            im = im.convert("RGB")
    bits = imagehash.phash(im, hash_size=_HASH_SIZE).hash.flatten()
    return int.from_bytes(np.packbits(bits).tobytes(), "big")

"""Make every thumbnail variant of one source image (pure Pillow; runs inside a worker).

One decode per source, variants made largest first (each from the previous one), never upscaled,
alpha kept, EXIF orientation applied (to the shrunk picture, not the full-size one), JPEG
``draft`` when shrinking, the first frame of animations. Hostile input is refused before it costs
memory: a pixel limit on the header's dimensions and on what is actually decoded after ``draft``.
Output goes to a temporary name and is renamed into place, so a final name never holds half a file.

The same decode gives the picture's perceptual hash (``ops.media.phash``, made from the
shrunk upright picture), so finding similar pictures never decodes a picture again. A task
without outputs decodes only for that hash.

This module must stay light to import (worker processes import it): Pillow, pillow-heif and
``sd_desktop.cas`` only; the hash's numpy and SciPy are imported on the first hash.
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from PIL import Image, ImageFile, PngImagePlugin, UnidentifiedImageError

from sd_desktop.volumes.backend import LOCAL, VolumeBackend

try:  # HEIC/HEIF through pillow-heif (AVIF is native in Pillow >= 11.3)
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_VERSION: str | None = pillow_heif.__version__
except ImportError:  # pragma: no cover - pillow-heif is a declared dependency
    HEIF_VERSION = None

# Truncated files are failures, not half-grey thumbnails.
ImageFile.LOAD_TRUNCATED_IMAGES = False

# Pixels the header may declare (a JPEG that big can still be decoded at 1/8 scale)...
DEFAULT_MAX_HEADER_PIXELS = 1_000_000_000
# ...and pixels actually decoded into memory after draft (64 MP RGBA = 256 MB per worker).
DEFAULT_MAX_PIXELS = 64_000_000
# Decompression-bomb guard of Pillow itself, for formats that decode while opening.
Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_HEADER_PIXELS

ORIENTATION = 0x0112  # the EXIF tag
# EXIF orientation -> the transpose that makes the picture upright (as ImageOps.exif_transpose)
TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# the longest side a picture is decoded to when only its hash is wanted: the default thumbnail's
# largest variant, so a hash made with or without thumbnails comes from the same pixels
HASH_SIDE = 512
# decodes above this many pixels (48 MB as RGB) run one at a time across the workers
BIG_DECODE_PIXELS = 16_000_000
FORMATS = {"webp": "WEBP", "jpeg": "JPEG", "png": "PNG"}
ALPHA_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}
# Pillow's own ``thumbnail()`` filter: with a reducing gap of 2 it is as sharp as LANCZOS at these
# sizes and ~30% cheaper to resize (about 7% of a photo's whole decode-resize-encode time)
RESAMPLE = Image.Resampling.BICUBIC
REDUCING_GAP = 2.0

OK, FAILED, SKIPPED, VANISHED, UNREADABLE = "ok", "failed", "skipped", "vanished", "unreadable"
NOT_WRITTEN = "not_written"  # the library's side failed (disk full, read-only): not the picture's fault


Gate = Callable[[int], contextlib.AbstractContextManager]


@dataclass
class Variant:
    """One thumbnail size: ``size`` px on the longest side, stored as ``format``."""

    name: str = "256"
    size: int = 256
    format: str = "webp"
    quality: int = 80


def default_variants() -> list[Variant]:
    return [Variant("256", 256), Variant("512", 512)]


@dataclass
class Output:
    """Where one variant goes: ``tmp`` is written, then renamed to ``final``."""

    variant: Variant
    final: str | bytes
    tmp: str | bytes
    mode: int = 0o666  # permissions of the new file (less the umask); private caches ask for 0o600


@dataclass
class Task:
    key: int  # the entry id (or any key the caller matches results with)
    src: bytes  # absolute path, raw bytes
    cas_id: str | None  # the indexed content, checked before decoding; None: not checked
    outputs: list[Output]
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_header_pixels: int = DEFAULT_MAX_HEADER_PIXELS
    # text chunks of PNG outputs; ``STAMP_KEYS`` are added from the file as it was opened
    png_text: dict[str, str] | None = None
    phash: bool = True  # also make the perceptual hash (``Result.phash``)
    # where ``src`` is read: pickled to a worker process, the local one arrives as that process's own
    backend: VolumeBackend = LOCAL


# what a thumbnail of the freedesktop standard records of its source, read from the opened file
MTIME_KEY, SIZE_KEY = "Thumb::MTime", "Thumb::Size"
WIDTH_KEY, HEIGHT_KEY = "Thumb::Image::Width", "Thumb::Image::Height"


@dataclass
class Made:
    variant: str
    width: int
    height: int
    size: int


@dataclass
class Result:
    key: int
    outcome: str  # OK, FAILED (recorded with a marker), SKIPPED, VANISHED, UNREADABLE
    reason: str = ""
    made: list[Made] = field(default_factory=list)
    source_bytes: int = 0
    errno: int | None = None  # for NOT_WRITTEN
    mtime: int | None = None  # the source's modification time (whole seconds) as it was opened
    phash: int | None = None  # the 64-bit perceptual hash (unsigned), when the task asked for it
    width: int = 0  # the picture upright (EXIF orientation applied), when decoded
    height: int = 0


def decoder_version() -> str:
    """Identifies the decoders: a failure marker is retried when this changes."""
    return f"Pillow {Image.__version__}; pillow-heif {HEIF_VERSION or 'none'}"


# Formats Pillow identifies but cannot decode here (stubs needing handlers, Windows-only,
# Ghostscript, video): such files are unsupported (skipped), not failed pictures.
UNDECODABLE_FORMATS = {"MPEG", "BUFR", "GRIB", "HDF5", "WMF", "EPS"}


def image_extensions() -> set[str]:
    """Lower-case extensions (with the dot) of every format Pillow can decode here."""
    Image.init()
    return {
        ext
        for ext, fmt in Image.registered_extensions().items()
        if fmt in Image.OPEN and fmt not in UNDECODABLE_FORMATS
    }


def image_mimes() -> set[str]:
    """MIME types of the formats Pillow can decode here (``image/svg+xml`` or camera RAW are not)."""
    Image.init()
    return {
        mime
        for fmt, mime in Image.MIME.items()
        if mime.startswith("image/") and fmt in Image.OPEN and fmt not in UNDECODABLE_FORMATS
    }


@functools.cache
def _picture_types() -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(image_mimes()), frozenset(image_extensions())


def is_picture(mime: str | None, name: str | bytes) -> bool:
    """A picture this build can decode, by MIME type (when known) or by the name's extension."""
    mimes, exts = _picture_types()
    if mime and mime.split(";")[0].strip().lower() in mimes:
        return True
    ext = os.path.splitext(os.fsdecode(name))[1].lower()
    return ext in exts


def fitted(width: int, height: int, longest: int) -> tuple[int, int]:
    """The size of ``width`` x ``height`` scaled to ``longest`` px on its longest side, never larger."""
    side = max(width, height)
    if side <= longest:
        return width, height
    scale = longest / side
    return max(1, round(width * scale)), max(1, round(height * scale))


def _normalized(im: Image.Image) -> Image.Image:
    """RGB, or RGBA when the source has any transparency; 16-bit and float scaled to 8 bits."""
    has_alpha = im.mode in ALPHA_MODES or "transparency" in im.info
    if im.mode.startswith("I;16"):
        # 16-bit greyscale (PNG, TIFF): map 0..65535 onto 0..255 instead of clipping at 255
        im = im.convert("I").point(lambda v: v * (1 / 257)).convert("L")
    elif im.mode in ("I", "F"):
        hi = im.getextrema()[1] or 1
        im = im.point(lambda v: v * (255 / hi) if hi > 255 else v).convert("L")
    target = "RGBA" if has_alpha else "RGB"
    return im if im.mode == target else im.convert(target)


def _open_source(task: Task) -> tuple[int, os.stat_result] | Result:
    """Open the source without following symlinks and check it is still the indexed content."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fs = task.backend
    try:
        fd = fs.open(task.src, flags)
    except FileNotFoundError:
        return Result(task.key, VANISHED, "the file is gone")
    except PermissionError:
        return Result(task.key, UNREADABLE, "permission denied")
    except OSError as exc:
        # ELOOP: the entry became a symlink
        return Result(task.key, UNREADABLE, f"cannot open: {exc.strerror or exc}")
    try:
        st = fs.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            fs.close(fd)
            return Result(task.key, SKIPPED, "not a regular file any more")
        if task.cas_id is not None and fs.cas_id_of_fd(fd, st.st_size) != task.cas_id:
            fs.close(fd)
            return Result(task.key, SKIPPED, "changed since it was indexed")
    except OSError as exc:
        fs.close(fd)
        return Result(task.key, UNREADABLE, f"cannot read: {exc.strerror or exc}")
    return fd, st


def make_thumbnails(task: Task, gate: Gate | None = None) -> Result:
    """Decode ``task.src`` once and write every variant; never raises for bad input.

    ``gate(pixels)`` is entered around the decode of anything bigger than ``BIG_DECODE_PIXELS``:
    the pool lets one such decode run at a time, which bounds the memory of all workers together.
    """
    opened = _open_source(task)
    if isinstance(opened, Result):
        return opened
    fd, st = opened
    size, mtime = st.st_size, int(st.st_mtime)
    try:
        with os.fdopen(fd, "rb") as fh, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            made, upright, phash = _decode_and_write(task, fh, gate or _no_gate, st)
        return Result(
            task.key, OK, made=made, source_bytes=size, mtime=mtime, phash=phash, width=upright[0], height=upright[1]
        )
    except _WriteError as exc:
        for out in task.outputs:
            _unlink_quietly(out.tmp)
        return Result(task.key, NOT_WRITTEN, str(exc), source_bytes=size, errno=exc.errno, mtime=mtime)
    except UnidentifiedImageError:
        reason = "not a recognisable image (corrupt, or a format this build cannot read)"
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        reason = f"refused as a decompression bomb: {exc}"
    except _TooLarge as exc:
        reason = str(exc)
    except MemoryError:
        reason = "ran out of memory while decoding"
    except Exception as exc:  # any decoder error (OSError, SyntaxError, ValueError, struct.error, ...)
        text = str(exc) or type(exc).__name__
        if isinstance(exc, OSError) and "truncated" in text:
            reason = f"truncated image: {text}"
        else:
            reason = f"cannot decode: {type(exc).__name__}: {text}"
    for out in task.outputs:
        _unlink_quietly(out.tmp)
    return Result(task.key, FAILED, reason, source_bytes=size, mtime=mtime)


class _TooLarge(Exception):
    pass


class _WriteError(Exception):
    def __init__(self, message: str, errno: int | None):
        super().__init__(message)
        self.errno = errno


def _no_gate(pixels: int) -> contextlib.AbstractContextManager:
    return contextlib.nullcontext()


def _decode_and_write(
    task: Task, fh: BinaryIO, gate: Gate, st: os.stat_result
) -> tuple[list[Made], tuple[int, int], int | None]:
    im = Image.open(fh, formats=None)
    width, height = im.size
    text = None
    if task.png_text is not None:
        text = PngImagePlugin.PngInfo()
        for key, value in task.png_text.items():
            text.add_text(key, value)
        text.add_text(MTIME_KEY, str(int(st.st_mtime)))
        text.add_text(SIZE_KEY, str(st.st_size))
    if width * height > task.max_header_pixels:
        raise _TooLarge(f"too many pixels: {width}x{height} (the limit is {task.max_header_pixels:,})")
    largest = max((o.variant.size for o in task.outputs), default=HASH_SIDE)
    first = fitted(width, height, largest)  # the largest variant, in the stored orientation
    if first != (width, height):
        # JPEG decodes at 1/2, 1/4 or 1/8 scale, staying at least as large as the biggest variant
        im.draft(None, first)
    dw, dh = im.size
    if dw * dh > task.max_pixels:
        raise _TooLarge(
            f"too large to decode safely: {width}x{height} ({dw * dh:,} pixels to decode, the limit is "
            f"{task.max_pixels:,})"
        )
    # The full-size pixels live only inside this block: decode (the first frame of an animation),
    # normalise, shrink to the largest variant. Big decodes pass the gate one at a time.
    with gate(dw * dh) if dw * dh > BIG_DECODE_PIXELS else contextlib.nullcontext():
        im.load()
        # after load: reading EXIF first would load (and swallow a decode error) for some formats
        try:
            orientation = im.getexif().get(ORIENTATION, 1)
        except Exception:  # a broken EXIF block must not cost the thumbnail
            orientation = 1
        im = _normalized(im)
        if first[0] < im.width and first[1] < im.height:
            im = im.resize(first, RESAMPLE, reducing_gap=REDUCING_GAP)
    if orientation in TRANSPOSE:
        im = im.transpose(TRANSPOSE[orientation])  # on the small image: cheap, and no full-size copy
    # sizes come from the source's own dimensions, not the draft's rounded ones (keeps the aspect ratio)
    upright = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
    if text is not None:
        text.add_text(WIDTH_KEY, str(upright[0]))
        text.add_text(HEIGHT_KEY, str(upright[1]))
    phash = None
    if task.phash:
        from sd_desktop.ops.media.phash import phash_of  # numpy + SciPy: only when hashing

        phash = phash_of(im)
    made: list[Made] = []
    current = im
    for out in sorted(task.outputs, key=lambda o: o.variant.size, reverse=True):
        v = out.variant
        target = fitted(*upright, v.size)
        if target[0] > current.width or target[1] > current.height:
            target = fitted(current.width, current.height, v.size)
        if target != current.size:
            current = current.resize(target, RESAMPLE, reducing_gap=REDUCING_GAP)
        made.append(_save(current, out, text))
    return made, upright, phash


def _save(im: Image.Image, out: Output, text: PngImagePlugin.PngInfo | None = None) -> Made:
    v = out.variant
    fmt = FORMATS[v.format]
    if fmt == "JPEG" and im.mode == "RGBA":
        flat = Image.new("RGB", im.size, (255, 255, 255))
        flat.paste(im, mask=im.getchannel("A"))
        im = flat
    params: dict = {"quality": v.quality} if fmt in ("WEBP", "JPEG") else {}
    if fmt == "PNG" and text is not None:
        params["pnginfo"] = text
    try:
        os.makedirs(os.path.dirname(out.final), exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
        with os.fdopen(os.open(out.tmp, flags, out.mode), "wb") as f:
            im.save(f, format=fmt, **params)
            size = f.tell()
        os.replace(out.tmp, out.final)
    except OSError as exc:
        _unlink_quietly(out.tmp)
        if exc.errno is None:  # an encoder error, not the file system's
            raise
        raise _WriteError(f"cannot write the thumbnail {os.fsdecode(out.final)}: {exc.strerror}", exc.errno) from exc
    except BaseException:
        _unlink_quietly(out.tmp)
        raise
    return Made(v.name, im.width, im.height, size)


def _unlink_quietly(path: str | bytes) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass

"""Corruption checks that need no library: does the content match the name, and does it decode?

Shared by the validation job (``validation/checks.py``) and lint (a name that lies about the content).

* the first bytes against the extension (puremagic names what the bytes are when they are not
  what the extension says: "a PNG image named .jpg");
* images: Pillow ``verify()`` then a full ``load()`` when the pixel count is below a limit (a
  decompression bomb is reported, never decoded);
* cheap structure checks: PDF ends with ``%%EOF``, a zip's central directory reads and points
  inside the file, MP4/MOV top-level boxes add up to the file size, RIFF/WAV sizes, ID3 tags.

Only extensions in ``FAMILY_OF`` are checked: for other files nothing is claimed.
"""

from __future__ import annotations

import os
import struct
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import puremagic
from PIL import Image, UnidentifiedImageError

from sd_desktop.volumes.backend import LOCAL, VolumeBackend

HEAD_BYTES = 4096
Pread = Callable[[int, int, int], bytes]  # (fd, length, offset): the backend's ranged read
MAX_PROBE_PIXELS = 64_000_000  # decode only below this; larger images get the header checks only

FAMILY_OF: dict[str, str] = {}
for _family, _exts in {
    "jpeg": "jpg jpeg jpe jfif",
    "png": "png",
    "gif": "gif",
    "webp": "webp",
    "bmp": "bmp",
    "tiff": "tif tiff",
    "pdf": "pdf",
    "zip": "zip docx xlsx pptx odt ods odp epub jar apk",
    "gzip": "gz tgz",
    "bzip2": "bz2",
    "xz": "xz",
    "7z": "7z",
    "mp4": "mp4 m4a m4v mov 3gp",
    "mkv": "mkv webm",
    "mp3": "mp3",
    "flac": "flac",
    "ogg": "ogg oga ogv opus",
    "wav": "wav",
    "avi": "avi",
}.items():
    for _ext in _exts.split():
        FAMILY_OF[_ext] = _family

LABEL = {
    "jpeg": "JPEG image",
    "png": "PNG image",
    "gif": "GIF image",
    "webp": "WebP image",
    "bmp": "BMP image",
    "tiff": "TIFF image",
    "pdf": "PDF document",
    "zip": "zip container",
    "gzip": "gzip archive",
    "bzip2": "bzip2 archive",
    "xz": "xz archive",
    "7z": "7-Zip archive",
    "mp4": "MP4/QuickTime file",
    "mkv": "Matroska/WebM file",
    "mp3": "MP3 audio file",
    "flac": "FLAC audio file",
    "ogg": "Ogg file",
    "wav": "WAV audio file",
    "avi": "AVI video file",
}
PREFERRED_EXT = {
    "jpeg": "jpg",
    "tiff": "tif",
    "zip": "zip",
    "gzip": "gz",
    "bzip2": "bz2",
    "mp4": "mp4",
    "mkv": "mkv",
    "ogg": "ogg",
}
MIME_FAMILY = {
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/bmp": "bmp",
    "image/tiff": "tiff",
    "application/pdf": "pdf",
    "application/zip": "zip",
    "application/gzip": "gzip",
    "application/x-gzip": "gzip",
    "audio/mpeg": "mp3",
    "audio/flac": "flac",
    "audio/x-flac": "flac",
    "audio/ogg": "ogg",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "video/mp4": "mp4",
    "video/quicktime": "mp4",
    "video/x-matroska": "mkv",
    "video/webm": "mkv",
}
IMAGE_FAMILIES = {"jpeg", "png", "gif", "webp", "bmp", "tiff"}


def _mp3(h: bytes) -> bool:
    """ID3 tag or a plausible MPEG audio frame header (sync bits, no reserved version/layer/rate)."""
    if h.startswith(b"ID3"):
        return True
    return (
        len(h) > 3
        and h[0] == 0xFF
        and (h[1] & 0xE0) == 0xE0
        and (h[1] & 0x18) != 0x08
        and (h[1] & 0x06) != 0
        and (h[2] >> 4) not in (0, 15)
        and ((h[2] >> 2) & 3) != 3
    )


def _bmp(h: bytes) -> bool:
    return h.startswith(b"BM") and len(h) >= 18 and int.from_bytes(h[14:18], "little") in (12, 40, 52, 56, 64, 108, 124)


def _mp4(h: bytes) -> bool:
    return len(h) >= 12 and h[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


SIGNATURE: dict[str, Callable[[bytes], bool]] = {
    "jpeg": lambda h: h.startswith(b"\xff\xd8\xff"),
    "png": lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"),
    "gif": lambda h: h[:6] in (b"GIF87a", b"GIF89a"),
    "webp": lambda h: h.startswith(b"RIFF") and h[8:12] == b"WEBP",
    "bmp": _bmp,
    "tiff": lambda h: h[:4] in (b"II*\x00", b"MM\x00*"),
    "pdf": lambda h: b"%PDF-" in h[:1024],
    "zip": lambda h: h[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"),
    "gzip": lambda h: h.startswith(b"\x1f\x8b"),
    "bzip2": lambda h: h.startswith(b"BZh"),
    "xz": lambda h: h.startswith(b"\xfd7zXZ\x00"),
    "7z": lambda h: h.startswith(b"7z\xbc\xaf\x27\x1c"),
    "mp4": _mp4,
    "mkv": lambda h: h.startswith(b"\x1a\x45\xdf\xa3"),
    "mp3": _mp3,
    "flac": lambda h: h.startswith(b"fLaC"),
    "ogg": lambda h: h.startswith(b"OggS"),
    "wav": lambda h: h.startswith(b"RIFF") and h[8:12] == b"WAVE",
    "avi": lambda h: h.startswith(b"RIFF") and h[8:12] == b"AVI ",
}


@dataclass
class Finding:
    type: str
    severity: str
    message: str
    suggested_action: str


def extension_of(path: bytes) -> str:
    name = os.path.basename(path).decode("utf-8", "replace").lower()
    return name.rsplit(".", 1)[1] if "." in name.lstrip(".") else ""


# signatures too weak to name what a file *is* (random bytes match a bare MPEG frame sync about
# once in a few thousand files); they still confirm a file that claims to be that kind
WEAK_FOR_DETECTION = {"mp3": lambda h: h.startswith(b"ID3")}


def detect_family(head: bytes) -> tuple[str | None, str | None]:
    """(family, description) of what the bytes are, from our signatures first, then puremagic."""
    for family, sig in SIGNATURE.items():
        if WEAK_FOR_DETECTION.get(family, sig)(head):
            return family, LABEL[family]
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        matches = []
    # a match on 1-3 bytes is what random data produces: not enough to say what a file is
    matches = [m for m in matches if len(m.byte_match or b"") >= 4]
    for m in matches:
        fam = FAMILY_OF.get(m.extension.lstrip(".").lower()) or MIME_FAMILY.get(m.mime_type)
        if fam:
            return fam, LABEL[fam]
    if matches:
        return None, matches[0].name
    return None, None


def mislabelled(path: bytes, head: bytes) -> Finding | None:
    """An ``extension_mismatch`` finding when ``head`` (the first ``HEAD_BYTES``) is clearly another
    known kind than the extension of ``path`` claims; None when it matches, or nobody can tell."""
    ext = extension_of(path)
    expected = FAMILY_OF.get(ext)
    if expected is None or not head or SIGNATURE[expected](head):
        return None
    family, _what = detect_family(head)
    if family is None or family == expected:
        return None
    new_ext = PREFERRED_EXT.get(family, family)
    return Finding(
        "extension_mismatch", "warning", f"this is a {LABEL[family]} named .{ext}", f"rename it to .{new_ext}"
    )


def check_file(fd: int, path: bytes, size: int, backend: VolumeBackend = LOCAL) -> list[Finding]:
    """Corruption findings for a regular file open in ``backend`` (empty list: nothing wrong found)."""
    ext = extension_of(path)
    expected = FAMILY_OF.get(ext)
    if expected is None:
        return []
    if size == 0:
        return [Finding("empty_file", "error", f"empty file named .{ext}", "restore it from a backup or delete it")]
    head = backend.pread(fd, HEAD_BYTES, 0)
    if not SIGNATURE[expected](head):
        lie = mislabelled(path, head)
        if lie is not None:
            return [lie]
        _family, what = detect_family(head)
        described = f" (looks like: {what})" if what else ""
        return [
            Finding(
                "unrecognized_content",
                "error",
                f"does not start like a {LABEL[expected]}{described}: damaged or mislabelled",
                "open it to check; restore it from a backup if it is damaged",
            )
        ]
    probe = STRUCTURE_CHECKS.get(expected)
    if probe is None:
        return []
    try:
        problem = probe(fd, size, head, backend.pread)
    except OSError:
        raise
    except Exception as exc:  # a hostile file must give a finding, never a crash
        problem = ("corrupt", f"could not be checked: {type(exc).__name__}: {exc}")
    if problem is None:
        return []
    kind, message = problem
    return [Finding(kind, "error", message, "restore it from a backup; the copy on disk is damaged")]


# -- structure checks: None when fine, else (issue type, message) -----------------------
def _image(fd: int, size: int, head: bytes, pread: Pread) -> tuple[str, str] | None:
    data_file = os.fdopen(os.dup(fd), "rb")
    with data_file:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(data_file) as im:
                    im.verify()
                data_file.seek(0)
                with Image.open(data_file) as im:
                    w, h = im.size
                    if w * h > MAX_PROBE_PIXELS:
                        return None  # header and verify() passed; decoding a huge image here costs too much
                    im.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            return ("suspicious_image", f"image dimensions are implausibly large: {exc}")
        except UnidentifiedImageError:
            return ("corrupt_image", "the image decoder does not recognise this file")
        except (OSError, SyntaxError, ValueError, struct.error, EOFError, IndexError) as exc:
            text = str(exc) or type(exc).__name__
            kind = "truncated" if "truncated" in text.lower() else "corrupt_image"
            return (kind, f"the image does not decode: {text}")
    return None


def _pdf(fd: int, size: int, head: bytes, pread: Pread) -> tuple[str, str] | None:
    tail = pread(fd, 2048, max(0, size - 2048))
    if b"%%EOF" not in tail:
        return ("truncated", "PDF has no %%EOF marker at its end: truncated or damaged")
    return None


def _zip(fd: int, size: int, head: bytes, pread: Pread) -> tuple[str, str] | None:
    with os.fdopen(os.dup(fd), "rb") as f:
        try:
            with zipfile.ZipFile(f) as z:
                for info in z.infolist():
                    if info.header_offset + 30 + info.compress_size > size:
                        return ("truncated", f"member {info.filename!r} extends past the end of the file")
        except zipfile.BadZipFile as exc:
            return ("corrupt_archive", f"the zip directory cannot be read: {exc}")
    return None


def _mp4(fd: int, size: int, head: bytes, pread: Pread) -> tuple[str, str] | None:
    offset, seen = 0, set()
    while offset < size:
        hdr = pread(fd, 16, offset)
        if len(hdr) < 8:
            return ("truncated", f"box header cut off at byte {offset}")
        box_size, box_type = struct.unpack(">I4s", hdr[:8])
        if box_size == 1:
            if len(hdr) < 16:
                return ("truncated", f"box header cut off at byte {offset}")
            box_size = struct.unpack(">Q", hdr[8:16])[0]
        elif box_size == 0:
            box_size = size - offset
        if box_size < 8:
            return ("corrupt", f"invalid box size {box_size} at byte {offset}")
        if offset + box_size > size:
            over = offset + box_size - size
            return ("truncated", f"box {box_type.decode('latin-1')!r} runs {over} bytes past the end")
        seen.add(box_type)
        offset += box_size
    if b"moov" not in seen and b"moof" not in seen:
        return ("corrupt", "no movie header (moov box): the file will not play")
    return None


def _riff(fd: int, size: int, head: bytes, pread: Pread) -> tuple[str, str] | None:
    declared = struct.unpack("<I", head[4:8])[0] + 8
    if declared > size:
        return ("truncated", f"RIFF header declares {declared} bytes, the file has {size}")
    return None


def _mp3_check(fd: int, size: int, head: bytes, pread: Pread) -> tuple[str, str] | None:
    if head.startswith(b"ID3") and len(head) >= 10:
        b = head[6:10]
        tag = (b[0] << 21) | (b[1] << 14) | (b[2] << 7) | b[3]
        if 10 + tag >= size:
            return ("truncated", "the ID3 tag runs to (or past) the end: no audio data")
    return None


STRUCTURE_CHECKS: dict[str, Callable[[int, int, bytes, Pread], tuple[str, str] | None]] = {
    **{f: _image for f in IMAGE_FAMILIES},
    "pdf": _pdf,
    "zip": _zip,
    "mp4": _mp4,
    "wav": _riff,
    "avi": _riff,
    "mp3": _mp3_check,
}

__all__ = ["Finding", "check_file", "detect_family"]

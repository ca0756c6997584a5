"""The freedesktop.org Thumbnail Managing Standard: the per-user thumbnail cache that Nautilus,
Dolphin and other programs share, used for files outside the library.

Layout: ``$XDG_CACHE_HOME/thumbnails/{normal,large,x-large,xx-large}/<md5 of the file URI>.png``
(128, 256, 512 and 1024 px on the longest side, never upscaled). Each PNG names its source in text
chunks: ``Thumb::URI`` (the percent-encoded ``file://`` URI of the absolute path, made from its raw
bytes, so undecodable names work) and ``Thumb::MTime`` (the source's modification time in whole
seconds); we add ``Thumb::Size``, ``Thumb::Mime`` and the image's size. A thumbnail is valid only
when URI and MTime (and Size, when present) match the file now; otherwise it is made again.
Failures are recorded as a PNG with the same keys under ``fail/sd-desktop-<version>/``, so a file
that cannot be decoded is not tried again until it changes (or this program does).

Files are written under a temporary name in the same folder (mode 0600) and renamed into place;
folders are made 0700. Decoding goes through ``generate.make_thumbnails`` (the same bomb,
truncation and EXIF handling as the library's thumbnails), in the thumbnail worker pool.

Qt-free, and light to import. The URI is escaped like GLib's ``g_filename_to_uri`` (what Nautilus
and GIO programs hash); names with characters the two libraries escape differently (such as
``[]``) may get their own thumbnail rather than Dolphin's.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import os
import stat
import urllib.parse
from dataclasses import dataclass

from PIL import Image, PngImagePlugin

import sd_desktop
from sd_desktop.ops.media.thumbnail.generate import (
    MTIME_KEY,
    SIZE_KEY,
    Output,
    Task,
    Variant,
    is_picture,
)
from sd_desktop.volumes.backend import LOCAL, VolumeBackend

FLAVORS = {"normal": 128, "large": 256, "x-large": 512, "xx-large": 1024}
# the window's grid shows 256 px; a larger one is scaled down, a 128 px one is better than none
READ_ORDER = ("large", "x-large", "xx-large", "normal")
URI_KEY, MIME_KEY = "Thumb::URI", "Thumb::Mime"
APP = "sd-desktop"
# what GLib leaves unescaped in a path, besides letters, digits and "_.-~" (which quote() keeps)
URI_SAFE = "/!$&'()*+,:=@"
# a thumbnail is small (xx-large PNG: a few MB); anything bigger is not read
MAX_THUMBNAIL_BYTES = 16 * 1024 * 1024
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def cache_root() -> bytes:
    """``$XDG_CACHE_HOME/thumbnails`` (``~/.cache/thumbnails`` when unset or not absolute)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(os.fsencode(base), b"thumbnails")


def file_uri(path: str | bytes) -> str:
    """The ``file://`` URI of ``path`` made absolute, percent-encoded from its raw bytes."""
    raw = os.path.abspath(os.fsencode(path))
    return "file://" + urllib.parse.quote(raw, safe=URI_SAFE)


def thumbnail_name(uri: str) -> bytes:
    return hashlib.md5(uri.encode("ascii")).hexdigest().encode() + b".png"


def fail_dir(root: bytes) -> bytes:
    return os.path.join(root, b"fail", f"{APP}-{sd_desktop.__version__}".encode())


def thumbnail_path(root: bytes, uri: str, flavor: str) -> bytes:
    return os.path.join(root, flavor.encode(), thumbnail_name(uri))


@dataclass(frozen=True)
class Source:
    """A file as it is now: what a thumbnail of it must record."""

    path: bytes  # absolute, raw
    uri: str
    mtime: int  # whole seconds
    size: int


def source_of(path: str | bytes, fs: VolumeBackend = LOCAL) -> Source | None:
    """The file at ``path`` if it is a regular file (symlinks followed, as other file managers do)."""
    raw = os.path.abspath(os.fsencode(path))
    try:
        st = fs.stat(raw)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return Source(raw, file_uri(raw), int(st.st_mtime), st.st_size)


def _read_small(file: bytes) -> bytes | None:
    try:
        fd = os.open(file, _OPEN_FLAGS)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_THUMBNAIL_BYTES:
                return None
            return f.read(MAX_THUMBNAIL_BYTES + 1)
        except OSError:
            return None


def describes(info: dict, source: Source) -> bool:
    """Whether PNG text chunks ``info`` name exactly this source (URI and MTime, Size when present)."""
    try:
        if info.get(URI_KEY) != source.uri or int(float(info.get(MTIME_KEY, ""))) != source.mtime:
            return False
        size = info.get(SIZE_KEY)
        return size is None or int(size) == source.size
    except (TypeError, ValueError):
        return False


def read_valid(file: bytes, source: Source) -> bytes | None:
    """The bytes of the PNG ``file`` if it is a thumbnail of ``source`` as it is now, else None.

    Only the header and the text chunks before the pixels are parsed here (no decoding)."""
    data = _read_small(file)
    if data is None or len(data) > MAX_THUMBNAIL_BYTES:
        return None
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as im:
            info = dict(im.info)
    except Exception:  # not a PNG, or a damaged one: made again
        return None
    return data if describes(info, source) else None


@dataclass
class Found:
    """What the cache holds for one file: a valid thumbnail, or why none will be made, or neither
    (``source`` set: make one)."""

    data: bytes | None = None  # the PNG's bytes
    settled: str | None = None  # why no thumbnail will be made (not a picture, failed before, ...)
    source: Source | None = None
    flavor: str | None = None


def find(
    path: str | bytes, flavors: tuple[str, ...] = READ_ORDER, root: bytes | None = None, fs: VolumeBackend = LOCAL
) -> Found:
    """Look ``path`` up in the cache: the first valid thumbnail among ``flavors``, else whether one
    can be made (a picture, no failure recorded for it as it is now). ``path`` is read through ``fs``."""
    root = cache_root() if root is None else root
    source = source_of(path, fs)
    if source is None:
        return Found(settled="not a regular file")
    for flavor in flavors:
        data = read_valid(thumbnail_path(root, source.uri, flavor), source)
        if data is not None:
            return Found(data=data, source=source, flavor=flavor)
    if not is_picture(None, source.path):
        return Found(settled="not a picture", source=source)
    if os.path.commonpath([root, source.path]) == root:
        return Found(settled="inside the thumbnail cache", source=source)  # no thumbnails of thumbnails
    if read_valid(os.path.join(fail_dir(root), thumbnail_name(source.uri)), source) is not None:
        return Found(settled="failed before", source=source)
    return Found(source=source)


def _make_dir(path: bytes) -> None:
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass


def prepare(root: bytes, flavor: str) -> None:
    """Make the cache's folders (0700) for ``flavor`` and for failures."""
    os.makedirs(os.path.dirname(root), exist_ok=True)
    for folder in (root, os.path.join(root, flavor.encode()), os.path.join(root, b"fail"), fail_dir(root)):
        _make_dir(folder)


def task_for(
    key: int, source: Source, flavor: str = "large", root: bytes | None = None, fs: VolumeBackend = LOCAL
) -> Task:
    """The worker task that writes ``source``'s thumbnail of ``flavor`` into the cache."""
    root = cache_root() if root is None else root
    final = thumbnail_path(root, source.uri, flavor)
    text = {URI_KEY: source.uri, "Software": f"{APP} {sd_desktop.__version__}"}
    mime = mimetypes.guess_type(os.fsdecode(source.path))[0]
    if mime:
        text[MIME_KEY] = mime
    tmp = b"%s.tmp-%d-%d" % (final, os.getpid(), key)
    return Task(
        key,
        source.path,
        None,
        [Output(Variant(flavor, FLAVORS[flavor], "png"), final, tmp, 0o600)],
        png_text=text,
        backend=fs,
    )


def record_failure(
    source: Source, mtime: int | None = None, size: int | None = None, root: bytes | None = None
) -> bool:
    """Write the failure marker of ``source`` (as it was opened: ``mtime``/``size`` when known);
    False when the cache cannot be written (the file is then tried again in the next session)."""
    root = cache_root() if root is None else root
    info = PngImagePlugin.PngInfo()
    info.add_text(URI_KEY, source.uri)
    info.add_text(MTIME_KEY, str(source.mtime if mtime is None else mtime))
    info.add_text(SIZE_KEY, str(source.size if size is None else size))
    info.add_text("Software", f"{APP} {sd_desktop.__version__}")
    folder = fail_dir(root)
    final = os.path.join(folder, thumbnail_name(source.uri))
    tmp = b"%s.tmp-%d" % (final, os.getpid())
    try:
        with os.fdopen(os.open(tmp, _WRITE_FLAGS, 0o600), "wb") as f:
            Image.new("RGBA", (1, 1)).save(f, format="PNG", pnginfo=info)
        os.replace(tmp, final)
        return True
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False

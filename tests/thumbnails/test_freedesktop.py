"""The freedesktop thumbnail cache (files outside the library): names, validity, writing, failures,
and the on-demand maker. Real files, real worker processes, Pillow in a separate process as the
other program that reads our thumbnails."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from sd_desktop.ops.media.thumbnail import freedesktop
from sd_desktop.ops.media.thumbnail.generate import FAILED, OK, make_thumbnails
from sd_desktop.ops.media.thumbnail.ondemand import OnDemandThumbnailer
from tests.thumbnails._rows import picture

READ_PNG = """
import json, sys
from PIL import Image
im = Image.open(sys.argv[1])
print(json.dumps({"format": im.format, "size": im.size, "text": dict(im.text)}))
"""


def read_elsewhere(path: bytes) -> dict:
    """Open a PNG with Pillow in another process, as another program would."""
    out = subprocess.run([sys.executable, "-c", READ_PNG, os.fsdecode(path)], capture_output=True, check=True)
    return json.loads(out.stdout)


@pytest.fixture
def cache(tmp_path, monkeypatch) -> bytes:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    return os.fsencode(tmp_path / "xdg-cache" / "thumbnails")


def nautilus_png(root: bytes, flavor: str, source: Path, color, mtime: int | None = None) -> bytes:
    """A thumbnail as Nautilus writes it: tEXt Thumb::URI and Thumb::MTime, before the pixels."""
    uri = freedesktop.file_uri(os.fsencode(source))
    info = PngImagePlugin.PngInfo()
    info.add_text("Thumb::URI", uri)
    info.add_text("Thumb::MTime", str(int(source.stat().st_mtime) if mtime is None else mtime))
    folder = os.path.join(root, flavor.encode())
    os.makedirs(folder, mode=0o700, exist_ok=True)
    dest = os.path.join(folder, hashlib.md5(uri.encode()).hexdigest().encode() + b".png")
    Image.new("RGB", (256, 192), color).save(dest, pnginfo=info)
    return dest


def test_uri_is_glib_s_from_raw_bytes(cache, tmp_path):
    odd = os.path.join(os.fsencode(tmp_path), b"caf\xe9 [1]#%&'=+,@;!~\xc3\xa9.jpg")  # not UTF-8, then UTF-8
    open(odd, "wb").close()
    uri = freedesktop.file_uri(odd)
    assert uri == "file://" + os.fsdecode(os.fsencode(tmp_path)) + "/caf%E9%20%5B1%5D%23%25&'=+,@%3B!~%C3%A9.jpg"
    assert freedesktop.thumbnail_name(uri) == hashlib.md5(uri.encode()).hexdigest().encode() + b".png"
    # and the whole way through: made from the raw name, found again
    pic = os.path.join(os.fsencode(tmp_path), b"\xff\xfe photo.jpg")
    picture(Path(os.fsdecode(pic)), (640, 480))
    freedesktop.prepare(freedesktop.cache_root(), "large")
    assert make_thumbnails(freedesktop.task_for(1, freedesktop.source_of(pic))).outcome == OK
    assert freedesktop.find(pic).data is not None
    assert freedesktop.file_uri(pic).endswith("/%FF%FE%20photo.jpg")
    gio = shutil.which("gio")
    if gio is not None:  # what Nautilus hashes, where GLib's tools are installed
        info = subprocess.run([gio, "info", odd], capture_output=True, check=True).stdout
        assert f"uri: {uri}\n".encode() in info


def test_made_thumbnail_is_in_the_standard_layout_and_readable_by_another_program(cache, tmp_path):
    src = picture(tmp_path / "outside" / "photo.jpg", (1600, 1200), seed=1, quality=85)
    source = freedesktop.source_of(src)
    freedesktop.prepare(cache, "large")
    result = make_thumbnails(freedesktop.task_for(7, source))
    assert result.outcome == OK and result.mtime == int(src.stat().st_mtime)
    dest = freedesktop.thumbnail_path(cache, source.uri, "large")
    assert dest == os.path.join(cache, b"large", hashlib.md5(source.uri.encode()).hexdigest().encode() + b".png")
    seen = read_elsewhere(dest)
    assert seen["format"] == "PNG" and seen["size"] == [256, 192]
    text = seen["text"]
    assert text["Thumb::URI"] == source.uri
    assert text["Thumb::MTime"] == str(int(src.stat().st_mtime))
    assert text["Thumb::Size"] == str(src.stat().st_size)
    assert text["Thumb::Mime"] == "image/jpeg"
    assert (text["Thumb::Image::Width"], text["Thumb::Image::Height"]) == ("1600", "1200")
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    for folder in (cache, os.path.join(cache, b"large"), os.path.join(cache, b"fail")):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert sorted(os.listdir(os.path.join(cache, b"large"))) == [os.path.basename(dest)]  # no temporary left
    assert freedesktop.find(src).data == open(dest, "rb").read()


def test_small_pictures_are_not_upscaled(cache, tmp_path):
    src = picture(tmp_path / "icon.png", (100, 40))
    freedesktop.prepare(cache, "large")
    assert make_thumbnails(freedesktop.task_for(1, freedesktop.source_of(src))).outcome == OK
    assert read_elsewhere(freedesktop.thumbnail_path(cache, freedesktop.file_uri(src), "large"))["size"] == [100, 40]


def test_a_thumbnail_someone_else_made_is_valid_until_the_file_changes(cache, tmp_path):
    src = picture(tmp_path / "photo.jpg", (640, 480), seed=2)
    theirs = nautilus_png(cache, "large", src, (200, 30, 30))
    found = freedesktop.find(src)
    assert found.data == open(theirs, "rb").read() and found.flavor == "large"
    os.utime(src, (src.stat().st_atime, src.stat().st_mtime + 5))  # MTime no longer matches: stale
    stale = freedesktop.find(src)
    assert stale.data is None and stale.settled is None and stale.source.mtime == int(src.stat().st_mtime)
    nautilus_png(cache, "large", src, (0, 0, 0))  # made again for the file as it is now
    assert freedesktop.find(src).data is not None
    mtime = src.stat().st_mtime
    with open(src, "ab") as f:  # the same MTime, another size: Thumb::Size is absent, so it still matches
        f.write(b"\0")
    os.utime(src, (mtime, mtime))
    assert freedesktop.find(src).data is not None


def test_another_flavor_serves_when_large_is_missing(cache, tmp_path):
    src = picture(tmp_path / "photo.jpg", (640, 480))
    normal = nautilus_png(cache, "normal", src, (4, 5, 6))
    assert freedesktop.find(src).flavor == "normal" and freedesktop.find(src).data == open(normal, "rb").read()
    xx = nautilus_png(cache, "xx-large", src, (1, 2, 3))
    assert freedesktop.find(src).flavor == "xx-large" and freedesktop.find(src).data == open(xx, "rb").read()


def test_wrong_uri_or_damaged_png_is_not_a_thumbnail(cache, tmp_path):
    src = picture(tmp_path / "photo.jpg", (640, 480))
    other = picture(tmp_path / "other.jpg", (640, 480))
    theirs = nautilus_png(cache, "large", other, (9, 9, 9))
    os.rename(theirs, freedesktop.thumbnail_path(cache, freedesktop.file_uri(src), "large"))
    assert freedesktop.find(src).data is None
    with open(freedesktop.thumbnail_path(cache, freedesktop.file_uri(src), "large"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n garbage")
    assert freedesktop.find(src).data is None


def test_what_is_never_made(cache, tmp_path):
    (tmp_path / "notes.txt").write_text("text")
    (tmp_path / "folder.jpg").mkdir()
    assert freedesktop.find(tmp_path / "notes.txt").settled == "not a picture"
    assert freedesktop.find(tmp_path / "folder.jpg").settled == "not a regular file"
    assert freedesktop.find(tmp_path / "gone.jpg").settled == "not a regular file"
    inside = picture(Path(os.fsdecode(cache)) / "large" / "x.png", (300, 300))
    assert freedesktop.find(inside).settled == "inside the thumbnail cache"


def test_failures_are_recorded_under_fail_and_not_retried(cache, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(3000))
    good = picture(tmp_path / "good.jpg", (800, 600))
    done = []
    arrived = threading.Event()

    def on_done(d):
        done.append(d)
        if len(done) == 2:
            arrived.set()

    maker = OnDemandThumbnailer(on_done, idle_seconds=0.5)
    try:
        maker.request([("b", freedesktop.find(broken).source), ("g", freedesktop.find(good).source)])
        assert arrived.wait(60)
        outcomes = {d.key: d.outcome for d in done}
        assert outcomes == {"b": FAILED, "g": OK}
        assert next(d for d in done if d.key == "g").data.startswith(b"\x89PNG")
        marker = os.path.join(freedesktop.fail_dir(cache), freedesktop.thumbnail_name(freedesktop.file_uri(broken)))
        assert freedesktop.fail_dir(cache).endswith(b"/fail/sd-desktop-0.1.0")
        seen = read_elsewhere(marker)
        assert seen["text"]["Thumb::URI"] == freedesktop.file_uri(broken)
        assert seen["text"]["Thumb::MTime"] == str(int(broken.stat().st_mtime))
        assert stat.S_IMODE(os.stat(marker).st_mode) == 0o600
        assert freedesktop.find(broken).settled == "failed before"
        assert maker.submitted == 2
        # a changed file is tried again
        os.utime(broken, (broken.stat().st_atime, broken.stat().st_mtime + 3))
        assert freedesktop.find(broken).settled is None
    finally:
        maker.close()


def test_the_job_and_the_cli_fill_the_cache_for_a_path_outside_every_location(cache, tmp_path, run_cli):
    outside = tmp_path / "outside"
    picture(outside / "a.jpg", (1200, 900), seed=1)
    picture(outside / "deeper" / "b.png", (300, 500), seed=2)
    (outside / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(2000))
    (outside / "notes.txt").write_text("no picture")
    res = run_cli("thumbnails", outside, "--json")
    assert res.returncode == 4, res.stderr  # the broken JPEG failed, the rest is done
    out = res.result["output"]
    assert (out["generated"], out["failed"], out["skipped"], out["already_present"]) == (2, 1, 1, 0)
    for name, size in (("a.jpg", [256, 192]), ("deeper/b.png", [154, 256])):
        uri = freedesktop.file_uri(outside / name)
        seen = read_elsewhere(freedesktop.thumbnail_path(cache, uri, "large"))
        assert seen["size"] == size and seen["text"]["Thumb::URI"] == uri
    assert freedesktop.find(outside / "broken.jpg").settled == "failed before"
    again = run_cli("thumbnails", outside, "--json")
    assert again.returncode == 0, again.stderr
    out = again.result["output"]
    assert (out["generated"], out["already_present"], out["previously_failed"], out["skipped"]) == (0, 2, 1, 1)

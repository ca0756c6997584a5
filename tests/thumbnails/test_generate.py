"""make_thumbnails on real files: sizes, aspect ratios, orientation, alpha, formats, hostile input."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from sd_desktop.cas import cas_id
from sd_desktop.ops.media.thumbnail.generate import (
    FAILED,
    OK,
    SKIPPED,
    UNREADABLE,
    VANISHED,
    Output,
    Task,
    Variant,
    default_variants,
    fitted,
    make_thumbnails,
)
from tests.thumbnails._rows import picture


def task_for(src: Path, out_dir: Path, variants: list[Variant] | None = None, **kw) -> Task:
    variants = variants or default_variants()
    outputs = []
    for v in variants:
        final = str(out_dir / f"thumb_{v.name}.{v.format}")
        outputs.append(Output(v, final, final + ".tmp-test"))
    cas = cas_id(src) if src.exists() and src.is_file() else "0" * 16
    return Task(1, os.fsencode(src), cas, outputs, **kw)


def run(src: Path, out_dir: Path, variants=None, **kw):
    result = make_thumbnails(task_for(src, out_dir, variants, **kw))
    leftovers = [p for p in out_dir.glob("*.tmp-*")] if out_dir.exists() else []
    assert not leftovers, f"temporary files left behind: {leftovers}"
    return result


@pytest.mark.parametrize(
    "size, expect512, expect256",
    [
        ((4000, 3000), (512, 384), (256, 192)),
        ((3000, 4000), (384, 512), (192, 256)),
        ((5000, 500), (512, 51), (256, 26)),
        ((300, 200), (300, 200), (256, 171)),  # never upscaled past the source
        ((100, 60), (100, 60), (100, 60)),
        ((1, 1000), (1, 512), (1, 256)),  # a sliver keeps at least one pixel
    ],
)
def test_variant_sizes_and_aspect_ratios(tmp_path, size, expect512, expect256):
    src = picture(tmp_path / "src.jpg", size, quality=90)
    res = run(src, tmp_path / "out")
    assert res.outcome == OK, res.reason
    made = {m.variant: (m.width, m.height) for m in res.made}
    assert made == {"512": expect512, "256": expect256}
    for name, dims in made.items():
        with Image.open(tmp_path / "out" / f"thumb_{name}.webp") as im:
            assert im.format == "WEBP" and im.size == dims
    assert [m.variant for m in res.made] == ["512", "256"]  # largest first
    assert res.source_bytes == src.stat().st_size


def test_fitted_never_upscales():
    assert fitted(10, 20, 512) == (10, 20)
    assert fitted(1024, 512, 256) == (256, 128)


def _upright() -> Image.Image:
    """Landscape 600x400: red top-left, blue top-right, green bottom-left, grey elsewhere."""
    im = Image.new("RGB", (600, 400), (128, 128, 128))
    im.paste((255, 0, 0), (0, 0, 200, 130))
    im.paste((0, 0, 255), (400, 0, 600, 130))
    im.paste((0, 255, 0), (0, 270, 200, 400))
    return im


# what turns the upright picture into the stored pixels for each EXIF orientation
STORE_AS = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def _close(pixel, colour, tol=40):
    return all(abs(a - b) <= tol for a, b in zip(pixel[:3], colour, strict=True))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_comes_out_upright(tmp_path, orientation):
    stored = _upright()
    if STORE_AS[orientation] is not None:
        stored = stored.transpose(STORE_AS[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    src = tmp_path / f"o{orientation}.jpg"
    stored.save(src, quality=95, exif=exif.tobytes())
    res = run(src, tmp_path / "out")
    assert res.outcome == OK, res.reason
    assert {m.variant: (m.width, m.height) for m in res.made} == {"512": (512, 341), "256": (256, 171)}
    with Image.open(tmp_path / "out" / "thumb_256.webp") as im:
        im = im.convert("RGB")
        w, h = im.size
        assert _close(im.getpixel((10, 10)), (255, 0, 0)), "red belongs top-left"
        assert _close(im.getpixel((w - 10, 10)), (0, 0, 255)), "blue belongs top-right"
        assert _close(im.getpixel((10, h - 10)), (0, 255, 0)), "green belongs bottom-left"
        assert _close(im.getpixel((w - 10, h - 10)), (128, 128, 128))


@pytest.mark.parametrize(
    "name, make",
    [
        ("rgba.png", lambda p: _alpha_image("RGBA").save(p)),
        ("la.png", lambda p: _alpha_image("RGBA").convert("LA").save(p)),
        ("palette.gif", lambda p: _alpha_image("RGBA").convert("RGB").quantize(8).save(p, transparency=0)),
        ("rgba.webp", lambda p: _alpha_image("RGBA").save(p, lossless=True)),
    ],
)
def test_alpha_is_kept(tmp_path, name, make):
    src = tmp_path / name
    make(src)
    res = run(src, tmp_path / "out")
    assert res.outcome == OK, res.reason
    with Image.open(tmp_path / "out" / "thumb_256.webp") as im:
        assert im.mode == "RGBA"
        alpha = im.getchannel("A")
        assert alpha.getextrema()[0] < 10, "a transparent part survives"
        assert alpha.getextrema()[1] > 245, "an opaque part survives"


def _alpha_image(mode: str) -> Image.Image:
    im = Image.new(mode, (400, 300), (0, 0, 0, 0))
    im.paste((200, 50, 50, 255), (100, 75, 300, 225))
    return im


def test_animated_gif_uses_its_first_frame(tmp_path):
    frames = [Image.new("RGB", (320, 240), c) for c in ((255, 0, 0), (0, 0, 255), (0, 255, 0))]
    src = tmp_path / "anim.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=100, loop=0)
    res = run(src, tmp_path / "out")
    assert res.outcome == OK, res.reason
    with Image.open(tmp_path / "out" / "thumb_256.webp") as im:
        assert _close(im.convert("RGB").getpixel((128, 96)), (255, 0, 0))


@pytest.mark.parametrize(
    "name, mode, fmt",
    [
        ("grey16.png", "I;16", "PNG"),
        ("cmyk.jpg", "CMYK", "JPEG"),
        ("mono.bmp", "1", "BMP"),
        ("pic.tiff", "RGB", "TIFF"),
        ("icon.ico", "RGBA", "ICO"),
        ("pic.heic", "RGB", "HEIF"),
        ("pic.avif", "RGB", "AVIF"),
    ],
)
def test_formats_pillow_and_pillow_heif_read(tmp_path, name, mode, fmt):
    src = tmp_path / name
    if mode == "I;16":
        Image.linear_gradient("L").resize((600, 300)).convert("I").point(lambda v: v * 257).convert("I;16").save(src)
    else:
        picture(src, (600, 300), mode=mode, fmt=fmt)
    res = run(src, tmp_path / "out")
    assert res.outcome == OK, res.reason
    dims = {m.variant: (m.width, m.height) for m in res.made}
    if fmt == "ICO":  # Pillow writes icons of at most 256 px
        assert dims["256"][0] <= 256
    else:
        assert dims == {"512": (512, 256), "256": (256, 128)}
    if mode == "I;16":  # 16-bit scaled down, not clipped to white
        with Image.open(tmp_path / "out" / "thumb_256.webp") as im:
            lo, hi = im.convert("L").getextrema()
            assert lo < 30 and hi > 220


def test_jpeg_and_png_variant_formats(tmp_path):
    src = tmp_path / "a.png"
    _alpha_image("RGBA").save(src)
    variants = [Variant("big", 200, "png"), Variant("small", 100, "jpeg", quality=70)]
    res = run(src, tmp_path / "out", variants)
    assert res.outcome == OK, res.reason
    with Image.open(tmp_path / "out" / "thumb_big.png") as im:
        assert im.mode == "RGBA" and im.size == (200, 150)
    with Image.open(tmp_path / "out" / "thumb_small.jpeg") as im:
        assert im.format == "JPEG" and im.size == (100, 75)
        assert _close(im.getpixel((2, 2)), (255, 255, 255)), "transparency flattened onto white for JPEG"


# -- hostile input -----------------------------------------------------------------------------
def _png_with_size(path: Path, width: int, height: int) -> None:
    """A tiny valid-looking PNG whose header claims ``width`` x ``height``."""
    picture(path, (8, 8), fmt="PNG")
    data = bytearray(path.read_bytes())
    ihdr = 8 + 8  # signature, then length + type of the IHDR chunk
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    path.write_bytes(bytes(data))


def test_decompression_bomb_is_a_failure(tmp_path):
    src = tmp_path / "bomb.png"
    _png_with_size(src, 100_000, 100_000)
    res = run(src, tmp_path / "out")
    assert res.outcome == FAILED
    assert "bomb" in res.reason or "too many pixels" in res.reason
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_huge_dimensions_over_the_decode_limit_fail_before_decoding(tmp_path):
    src = tmp_path / "huge.png"
    _png_with_size(src, 20_000, 20_000)  # 400 MP: under the header limit, over the decode limit
    res = run(src, tmp_path / "out")
    assert res.outcome == FAILED
    assert "too large to decode safely" in res.reason


def test_big_jpeg_is_decoded_at_draft_scale_under_the_pixel_limit(tmp_path):
    src = picture(tmp_path / "big.jpg", (4000, 3000), quality=80)
    # 12 MP would break a 2 MP decode limit, but draft decodes it at 1/4 (1000x750)
    res = run(src, tmp_path / "out", max_pixels=2_000_000)
    assert res.outcome == OK, res.reason
    png = picture(tmp_path / "big.png", (4000, 3000))
    res = run(png, tmp_path / "out2", max_pixels=2_000_000)  # PNG has no draft: refused
    assert res.outcome == FAILED and "too large" in res.reason


def test_truncated_and_corrupt_files_are_failures(tmp_path):
    whole = picture(tmp_path / "whole.jpg", (800, 600), quality=90).read_bytes()
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(whole[: len(whole) // 2])
    res = run(truncated, tmp_path / "out1")
    assert res.outcome == FAILED and "truncated" in res.reason

    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(os.urandom(5000))
    res = run(garbage, tmp_path / "out2")
    assert res.outcome == FAILED and "not a recognisable image" in res.reason

    bad_body = tmp_path / "bad_body.png"
    data = bytearray(picture(tmp_path / "ok.png", (300, 300)).read_bytes())
    data[60:400] = b"\x00" * 340  # IDAT damaged, header intact
    bad_body.write_bytes(bytes(data))
    res = run(bad_body, tmp_path / "out3")
    assert res.outcome == FAILED and res.reason


def test_vanished_changed_and_special_files(tmp_path):
    src = picture(tmp_path / "a.jpg", (300, 200))
    task = task_for(src, tmp_path / "out")
    src.unlink()
    assert make_thumbnails(task).outcome == VANISHED

    src = picture(tmp_path / "b.jpg", (300, 200), seed=1)
    task = task_for(src, tmp_path / "out")
    picture(src, (300, 200), seed=2)  # rewritten after indexing: not the content we were asked for
    res = make_thumbnails(task)
    assert res.outcome == SKIPPED and "changed" in res.reason

    target = picture(tmp_path / "c.jpg", (300, 200))
    link = tmp_path / "link.jpg"
    link.symlink_to(target)
    task = task_for(target, tmp_path / "out")
    task.src = os.fsencode(link)
    assert make_thumbnails(task).outcome == UNREADABLE  # never follows a symlink

    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    task = task_for(target, tmp_path / "out")
    task.src = os.fsencode(fifo)
    res = make_thumbnails(task)  # must not block on the FIFO
    assert res.outcome == SKIPPED and "regular" in res.reason

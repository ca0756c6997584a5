#!/usr/bin/env python3
"""Deterministic test-tree generator with a ground-truth manifest (tests and benchmarks).

The project's own copy, adapted from the shared benchmark tooling so a fresh clone needs nothing
outside the repository. Import ``main`` or run it as a script; never read ``../shared`` at run time.

    python3 make_corpus.py OUT_DIR --files N --seed S [--images K] [--large]
                           [--profile standard|small] [--dup-frac F] [--near-frac F]

Layout written:
    OUT_DIR/tree/           the tree to scan (looks like a home folder)
    OUT_DIR/manifest.json   ground truth (totals, duplicate groups, traps)

Everything is a pure function of (--files, --seed, --images, --large, --profile,
--dup-frac, --near-frac): same arguments -> byte-identical tree, names and mtimes.

Ground truth is computed at the end by re-reading every regular file from disk
(full blake3 + the Spacedrive-style sampled "CAS id"), so accidental collisions
(e.g. two 1-byte files with the same byte) are part of the truth, not a surprise.

What the tree contains (N = --files regular files in total):
  * originals with a log-uniform-by-bucket size distribution (many tiny files,
    some MB-sized; --large adds 3 files of 64/128/200 MiB + one copy of the 64 MiB one)
  * exact duplicates (--dup-frac of N): copies under other names / other dirs;
    about 40 % keep the same basename (matters for the name+size mode)
  * near-duplicates (--near-frac of N), three kinds:
      same_size        same size as a source, different content (half keep the name)
      same_head_4k     identical except the last byte (same first 4 KiB, other tail)
      sample_collision identical except one byte that the sampled CAS id never reads
                       -> the sampled hash says "duplicate", the bytes say "no"
  * empty files (all "identical"; reported separately, not as a duplicate group)
  * hidden files and hidden directories (.config, .cache, .git-like dirs)
  * a few symlinks: to files, to a directory, and one dangling
  * --images K JPEG/PNG images made with Pillow (phone-photo and screenshot sizes)
  * --folder-copies: under Copies/, a project folder (a 1.5 MiB file, hidden and empty files, an
    empty sub-folder, nested sub-folders) and an exact copy of it, three near misses of it (one
    byte changed in the middle of the big file where the sampled CAS id never reads, one extra
    file, one file renamed) and copies of a few folders of the tree; the manifest's
    "folder_groups" are the duplicate folders found on disk (see ``folder_truth``). Without the
    flag nothing of this is written and the random draws are those of earlier versions.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import random
import shutil
import sys
import time
from collections import defaultdict

try:
    import blake3
except ImportError:  # pragma: no cover
    sys.exit("pip install blake3")

# --- Spacedrive-style sampled content id (re-implemented from its description) ----------
SAMPLE_COUNT = 4
SAMPLE_SIZE = 10 * 1024
HEADER_OR_FOOTER = 8 * 1024
MINIMUM_FILE_SIZE = 100 * 1024


def sample_ranges(size: int) -> list[tuple[int, int]]:
    """Byte ranges (offset, length) read by the sampled CAS id for a file > 100 KiB."""
    jump = (size - 2 * HEADER_OR_FOOTER) // SAMPLE_COUNT
    r = [(0, HEADER_OR_FOOTER)]
    r += [(HEADER_OR_FOOTER + i * jump, SAMPLE_SIZE) for i in range(SAMPLE_COUNT)]
    r.append((size - HEADER_OR_FOOTER, HEADER_OR_FOOTER))
    return r


def cas_id_bytes(data: bytes) -> str:
    size = len(data)
    h = blake3.blake3()
    h.update(size.to_bytes(8, "little"))
    if size <= MINIMUM_FILE_SIZE:
        h.update(data)
    else:
        for off, ln in sample_ranges(size):
            h.update(data[off : off + ln])
    return h.hexdigest()[:16]


def unsampled_offset(size: int) -> int:
    """An offset that the sampled CAS id does not read (middle of the gap after sample 1)."""
    jump = (size - 2 * HEADER_OR_FOOTER) // SAMPLE_COUNT
    gap_start = HEADER_OR_FOOTER + jump + SAMPLE_SIZE
    gap_end = HEADER_OR_FOOTER + 2 * jump
    assert gap_end - gap_start > 16, size
    return (gap_start + gap_end) // 2


# --- tree shape -----------------------------------------------------------------------------
# (root dir, weight for dirs, weight for files, extensions, dir-name vocabulary)
ROOTS = [
    (
        "Documents",
        3,
        3,
        ["pdf", "docx", "txt", "odt", "xlsx", "md"],
        ["Work", "Taxes", "Letters", "Invoices", "Archive", "Notes", "Reports", "Scans", "CV", "School"],
    ),
    (
        "Pictures",
        2,
        2,
        ["jpg", "jpeg", "png", "heic", "gif"],
        ["Camera", "Screenshots", "Holiday", "Family", "Wallpapers", "Edited", "Export", "2019", "2021", "2023"],
    ),
    (
        "Music",
        1,
        1,
        ["mp3", "flac", "m4a", "ogg"],
        ["Albums", "Live", "Podcasts", "Singles", "Various Artists", "Soundtracks"],
    ),
    ("Videos", 1, 0.3, ["mp4", "mkv", "mov", "webm"], ["Clips", "Movies", "Recordings", "Phone"]),
    (
        "Downloads",
        1,
        2,
        ["zip", "pdf", "deb", "tar.gz", "exe", "iso", "png", "csv"],
        ["old", "unsorted", "installers", "papers"],
    ),
    (
        "Projects",
        6,
        5,
        ["py", "js", "ts", "json", "md", "rs", "c", "h", "html", "css", "lock", "toml"],
        [
            "src",
            "lib",
            "tests",
            "docs",
            "node_modules",
            "build",
            "dist",
            "components",
            "utils",
            "vendor",
            "assets",
            "scripts",
            "pkg",
            "internal",
            "api",
        ],
    ),
    ("Desktop", 1, 1, ["txt", "png", "desktop", "pdf"], ["stuff", "todo", "tmp"]),
    (
        ".config",
        1,
        1,
        ["conf", "json", "ini", "toml", "xml", "yaml"],
        ["app", "editor", "shell", "systemd", "autostart", "fontconfig"],
    ),
    (
        ".cache",
        2,
        2,
        ["bin", "tmp", "cache", "idx", "db"],
        ["thumbnails", "pip", "browser", "fontconfig", "mesa_shader_cache"],
    ),
    (
        ".local/share",
        1,
        1,
        ["db", "json", "xbel", "desktop", "png"],
        ["Trash", "recently-used", "applications", "keyrings", "fonts"],
    ),
]
UNICODE_WORDS = ["Фото", "résumé", "naïve café", "日本語", "Ελληνικά", "straße", "ñandú"]
FILE_STEMS = [
    "report",
    "IMG",
    "notes",
    "index",
    "main",
    "README",
    "data",
    "untitled",
    "backup",
    "scan",
    "invoice",
    "photo",
    "track",
    "config",
    "utils",
    "test",
    "draft",
    "export",
    "Screenshot from 2023",
    "My Document",
    "setup",
    "module",
    "chapter",
    "summary",
]
MAX_DEPTH = 12

# size buckets: (probability, lo, hi) log-uniform in [lo, hi]; lo == 0 -> empty file
PROFILES = {
    "standard": [
        (0.03, 0, 0),
        (0.02, 1, 64),
        (0.48, 64, 4096),
        (0.315, 4096, 65536),
        (0.15, 65536, 1 << 20),
        (0.005, 1 << 20, 8 << 20),
    ],
    "small": [(0.05, 0, 0), (0.03, 1, 64), (0.67, 64, 4096), (0.24, 4096, 65536), (0.01, 65536, 1 << 20)],
}
LARGE_SIZES = [64 << 20, 128 << 20, 200 << 20]


def draw_size(rng: random.Random, profile) -> int:
    x = rng.random()
    acc = 0.0
    for p, lo, hi in profile:  # noqa: B007 - the chosen bucket is used after the loop
        acc += p
        if x <= acc:
            break
    if hi == 0:
        return 0
    return int(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def content(key: int, seed: int, size: int) -> bytes:
    """Deterministic pseudo-random bytes (blake3 XOF, ~1 GB/s)."""
    if size == 0:
        return b""
    return blake3.blake3(f"{seed}:{key}".encode()).digest(length=size)


class Namer:
    """Unique names per directory."""

    def __init__(self):
        self.used: dict[str, set[str]] = defaultdict(set)

    def take(self, d: str, name: str) -> str:
        used = self.used[d]
        if name not in used:
            used.add(name)
            return name
        stem, dot, ext = name.partition(".")
        i = 1
        while True:
            cand = f"{stem} ({i}){dot}{ext}"
            if cand not in used:
                used.add(cand)
                return cand
            i += 1

    def free(self, d: str, name: str) -> bool:
        return name not in self.used[d]


def build_dirs(rng, n_dirs, namer):
    dirs = []  # (relpath, depth, root_idx)
    by_root = defaultdict(list)
    for ri, (root, *_r) in enumerate(ROOTS):
        depth = root.count("/") + 1
        if "/" in root:
            parent = root.rsplit("/", 1)[0]
            if not any(d[0] == parent for d in dirs):
                dirs.append((parent, depth - 1, ri))
        dirs.append((root, depth, ri))
        by_root[ri].append(len(dirs) - 1)
    weights = [r[1] for r in ROOTS]
    counter = 0
    while len(dirs) < n_dirs:
        ri = rng.choices(range(len(ROOTS)), weights)[0]
        cand = by_root[ri]
        pidx = cand[rng.randrange(len(cand))]
        ppath, pdepth, _ = dirs[pidx]
        if pdepth >= MAX_DEPTH:
            continue
        vocab = ROOTS[ri][4]
        x = rng.random()
        if x < 0.04:
            base = "." + rng.choice(["git", "thumbnails", "venv", "idea", "hidden", "local"])
        elif x < 0.07:
            base = rng.choice(UNICODE_WORDS)
        elif x < 0.5:
            base = rng.choice(vocab)
        else:
            base = f"{rng.choice(vocab)}_{counter}"
        counter += 1
        name = namer.take(ppath, base)
        path = f"{ppath}/{name}"
        dirs.append((path, pdepth + 1, ri))
        by_root[ri].append(len(dirs) - 1)
    return dirs


def make_image(rng: random.Random, cache: dict, kind: str, w: int, h: int) -> bytes:
    from PIL import Image, ImageChops, ImageDraw

    key = (w, h)
    if key not in cache:
        r = Image.linear_gradient("L").resize((w, h))
        g = Image.linear_gradient("L").rotate(90).resize((w, h))
        n = Image.effect_noise((max(1, w // 4), max(1, h // 4)), 50).resize((w, h), Image.BILINEAR)
        fine = Image.effect_noise((w, h), 25)
        b = Image.blend(n, fine, 0.5)
        cache[key] = Image.merge("RGB", (r, g, b))
    img = ImageChops.offset(cache[key], rng.randrange(w), rng.randrange(h))
    d = ImageDraw.Draw(img)
    for _ in range(rng.randrange(8, 30)):
        x, y = rng.randrange(w), rng.randrange(h)
        s = rng.randrange(max(8, w // 40), max(16, w // 4))
        col = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        if kind == "png":
            d.rectangle((x, y, x + s, y + s // 3), fill=col)
        else:
            d.ellipse((x, y, x + s, y + s), fill=col)
    bio = io.BytesIO()
    if kind == "png":
        # screenshot-like: flat areas compress; keep the noise out of most of it
        flat = Image.new("RGB", (w, h), (rng.randrange(200, 256),) * 3)
        mask = Image.new("L", (w, h), 0)
        md = ImageDraw.Draw(mask)
        md.rectangle((0, 0, w // 3, h), fill=255)
        img = Image.composite(img, flat, mask)
        img.save(bio, "PNG", compress_level=6)
    else:
        img.save(bio, "JPEG", quality=rng.choice([85, 88, 92]))
    return bio.getvalue()


# --- similar pictures: variants of one picture (truth groups) and look-alikes that are not --------
SIMILAR_VARIANTS = ("original", "resized", "quality", "png", "webp", "heic", "rotated", "brighter", "cropped")


def _scene(rng: random.Random, w: int, h: int, background=None):
    """A photo-like picture: a soft two-colour background, blurred shapes, a little sensor noise.

    ``background`` (the two colours) is shared by a picture and its look-alikes (same style, other
    shapes); the shapes and their places come from ``rng``."""
    from PIL import Image, ImageDraw, ImageFilter

    top, bottom = background or ((rng.randrange(256), rng.randrange(256), rng.randrange(256)),) * 2
    grad = Image.linear_gradient("L").resize((w, h))
    img = Image.composite(Image.new("RGB", (w, h), bottom), Image.new("RGB", (w, h), top), grad)
    d = ImageDraw.Draw(img)
    for _ in range(rng.randrange(6, 12)):
        x, y = rng.randrange(-w // 8, w), rng.randrange(-h // 8, h)
        sw, sh = rng.randrange(w // 10, w // 2), rng.randrange(h // 10, h // 2)
        col = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        (d.ellipse if rng.random() < 0.6 else d.rectangle)((x, y, x + sw, y + sh), fill=col)
    img = img.filter(ImageFilter.GaussianBlur(max(1, w // 300)))
    noise = Image.effect_noise((w, h), 12).convert("RGB")
    return Image.blend(img, noise, 0.06)


def make_similar_pictures(out_dir: str, seed: int = 0, pictures: int = 6, size=(1200, 900)) -> dict:
    """Write ``pictures`` originals, each with its variants, plus look-alikes, under ``out_dir``.

    Variants of one original (one truth group, in ``SIMILAR_VARIANTS`` order): resized to 40 %,
    re-encoded at JPEG quality 55, PNG, WebP, HEIC (when pillow-heif is there), stored rotated with
    the EXIF orientation that turns it upright, 12 % brighter, cropped by 3 % on every side.
    Look-alikes (``negatives``) are pictures of the same style (the original's background, other
    shapes): no group. Returns (and writes to ``out_dir/similar.json``) the truth, with paths
    relative to ``out_dir``."""
    from PIL import Image, ImageEnhance

    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        heic = True
    except ImportError:  # pragma: no cover - a declared dependency of the app
        heic = False
    rng = random.Random(f"similar-{seed}")
    os.makedirs(out_dir, exist_ok=True)
    w, h = size
    groups, negatives = [], []
    for p in range(pictures):
        colours = tuple((rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(2))
        img = _scene(rng, w, h, colours)
        folder = os.path.join(out_dir, f"set{p:02d}")
        os.makedirs(folder, exist_ok=True)
        files = []

        def save(name, im, fmt, folder=folder, files=files, **params):
            path = os.path.join(folder, name)
            im.save(path, fmt, **params)
            files.append(os.path.relpath(path, out_dir))

        save("original.jpg", img, "JPEG", quality=92)
        save("resized.jpg", img.resize((w * 2 // 5, h * 2 // 5), Image.Resampling.LANCZOS), "JPEG", quality=85)
        save("quality.jpg", img, "JPEG", quality=55)
        save("copy.png", img, "PNG")
        save("copy.webp", img, "WEBP", quality=80)
        if heic:
            save("copy.heic", img, "HEIF", quality=70)
        exif = Image.Exif()
        exif[0x0112] = 6  # "rotate 90 degrees clockwise to show": the pixels are stored turned left
        save("rotated.jpg", img.transpose(Image.Transpose.ROTATE_90), "JPEG", quality=90, exif=exif.tobytes())
        save("brighter.jpg", ImageEnhance.Brightness(img).enhance(1.12), "JPEG", quality=90)
        cx, cy = round(w * 0.03), round(h * 0.03)
        save("cropped.jpg", img.crop((cx, cy, w - cx, h - cy)), "JPEG", quality=90)
        groups.append(files)
        for k in range(2):  # same background and style, other shapes
            path = os.path.join(folder, f"lookalike{k}.jpg")
            _scene(rng, w, h, colours).save(path, "JPEG", quality=90)
            negatives.append(os.path.relpath(path, out_dir))
    truth = {"groups": groups, "negatives": negatives}
    with open(os.path.join(out_dir, "similar.json"), "w") as f:
        json.dump(truth, f, indent=1)
    return truth


IMAGE_SHAPES = [  # (probability, kind, w, h)
    (0.40, "jpg", 4032, 3024),  # 12 MP phone photo
    (0.25, "jpg", 1920, 1080),
    (0.15, "jpg", 1280, 960),
    (0.15, "png", 1920, 1080),  # screenshot
    (0.05, "png", 800, 600),
]


# --- duplicate folders (--folder-copies) ----------------------------------------------------
PROJECT = {  # relative path -> size (None: an empty folder)
    "big.bin": 3 * MINIMUM_FILE_SIZE * 5,  # 1.5 MiB: its middle is far from every CAS sample
    "notes.txt": 1200,
    "empty.txt": 0,
    ".settings": 80,
    "docs/readme.md": 3000,
    "docs/figures/plot.png": 20000,
    "src/main.py": 900,
    "src/util.py": 400,
    "src/lib/core.py": 5000,
    "src/lib/extra.py": 700,
    "src/cache": None,
}


def make_folder_copies(tree: str, dirs: list[str], seed: int, base_t: int, span: int) -> list[dict]:
    """Writes Copies/ (see the module's text); returns the near misses planted, as
    {"kind", "path", "like"} (relative to the tree)."""
    rng = random.Random(f"folder-copies:{seed}")
    top = os.path.join(tree, "Copies")
    atlas = os.path.join(top, "atlas")
    for n, (rel, size) in enumerate(sorted(PROJECT.items())):
        p = os.path.join(atlas, rel)
        if size is None:
            os.makedirs(p, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(content(30_000_000 + n, seed, size))
    copies = {
        name: os.path.join(top, "backup" if name == "atlas" else "", name)
        for name in ("atlas", "atlas (big byte)", "atlas (extra file)", "atlas (renamed file)")
    }
    for dest in copies.values():
        shutil.copytree(atlas, dest, symlinks=True)
    big = os.path.join(copies["atlas (big byte)"], "big.bin")
    with open(big, "r+b") as f:
        offset = unsampled_offset(PROJECT["big.bin"])
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xFF]))
    with open(os.path.join(copies["atlas (extra file)"], "docs", "todo.txt"), "wb") as f:
        f.write(content(30_000_100, seed, 50))
    renamed = copies["atlas (renamed file)"]
    os.rename(os.path.join(renamed, "notes.txt"), os.path.join(renamed, "Notes.txt"))
    # copies of folders of the tree without sub-folders or links (a few files each)
    plain = [
        d
        for d in sorted(dirs)
        if all(e.is_file(follow_symlinks=False) for e in os.scandir(os.path.join(tree, d)))
        and 1 <= len(os.listdir(os.path.join(tree, d))) <= 20
    ]
    for k, d in enumerate(rng.sample(plain, min(3, len(plain)))):
        shutil.copytree(os.path.join(tree, d), os.path.join(top, "saved", f"{k}-{os.path.basename(d)}"), symlinks=True)
    everything = []
    for dp, dn, fn in os.walk(top):
        dn.sort()
        everything += [os.path.join(dp, n) for n in sorted(fn)]
        everything += [os.path.join(dp, n) for n in dn]
    for p in everything + [top]:
        t = base_t + rng.randrange(span)
        os.utime(p, (t, t), follow_symlinks=False)
    rel = lambda p: os.path.relpath(p, tree)  # noqa: E731
    return [
        {"kind": "one_byte_in_the_middle", "path": rel(copies["atlas (big byte)"]), "like": rel(atlas)},
        {"kind": "extra_file", "path": rel(copies["atlas (extra file)"]), "like": rel(atlas)},
        {"kind": "renamed_file", "path": rel(copies["atlas (renamed file)"]), "like": rel(atlas)},
    ]


def folder_truth(tree: str) -> list[list[str]]:
    """Duplicate folders on disk, at their highest level (sorted groups of sorted paths relative to
    ``tree``): folders holding at least one file whose entries are the same, recursively, by name and
    by what they are (a regular file: its bytes; a folder, empty or not: its entries; a symlink: its
    target text). FIFOs, sockets and devices are not content. A group is left out when every folder of
    it is in a folder of one same group. (Folders that are the same files through hard links count as
    one copy for the search; this generator makes no hard links.)"""
    digest, files = {}, {}
    for dp, dn, fn in os.walk(tree, topdown=False):
        parts, count = [], 0
        for name in dn + fn:
            p = os.path.join(dp, name)
            if os.path.islink(p):
                parts.append((name, "l", os.readlink(p)))
            elif os.path.isdir(p):
                parts.append((name, "d", digest[p]))
                count += files[p]
            elif os.path.isfile(p):
                with open(p, "rb") as f:
                    parts.append((name, "f", blake3.blake3(f.read()).hexdigest()))
                count += 1
        digest[dp] = hashlib.sha256(
            json.dumps(sorted(parts), ensure_ascii=False).encode("utf-8", "surrogateescape")
        ).hexdigest()
        files[dp] = count
    by_digest = defaultdict(list)
    for p, d in digest.items():
        if files[p] and p != tree:
            by_digest[d].append(p)
    groups = sorted(sorted(g) for g in by_digest.values() if len(g) > 1)
    group_of = {p: n for n, g in enumerate(groups) for p in g}
    kept = []
    for g in groups:
        owners = {group_of.get(os.path.dirname(p)) for p in g}
        if len(owners) == 1 and None not in owners:
            continue
        kept.append(sorted(os.path.relpath(p, tree) for p in g))
    return sorted(kept)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--files", type=int, required=True, help="total regular files (incl. copies, images)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--images", type=int, default=0)
    ap.add_argument("--large", action="store_true", help="add 64/128/200 MiB files + one large copy")
    ap.add_argument("--profile", choices=sorted(PROFILES), default="standard")
    ap.add_argument("--dup-frac", type=float, default=0.10)
    ap.add_argument("--near-frac", type=float, default=0.02)
    ap.add_argument("--symlinks", type=int, default=None, help="default: max(6, files/2000)")
    ap.add_argument("--folder-copies", action="store_true", help="add duplicate folders and near misses (Copies/)")
    ap.add_argument("--force", action="store_true", help="delete OUT_DIR first if it exists")
    a = ap.parse_args(argv)

    t0 = time.time()
    out = os.path.abspath(a.out_dir)
    tree = os.path.join(out, "tree")
    if os.path.exists(out):
        if not a.force:
            sys.exit(f"{a.out_dir} exists (use --force)")
        shutil.rmtree(out)
    os.makedirs(tree)

    rng = random.Random(a.seed)
    profile = PROFILES[a.profile]
    namer = Namer()
    N = a.files
    n_large = len(LARGE_SIZES) + 1 if a.large else 0
    n_dup = int(round(N * a.dup_frac))
    n_near = int(round(N * a.near_frac))
    n_img = a.images
    n_orig = N - n_dup - n_near - n_img - n_large
    if n_orig < max(10, N // 4):
        sys.exit("too many duplicates/near-duplicates/images for --files")
    n_dirs = max(len(ROOTS) + 2, N // 12)

    dirs = build_dirs(rng, n_dirs, namer)
    for d, _, _ in dirs:
        os.makedirs(os.path.join(tree, d), exist_ok=True)
    # file weights per dir: heavy tail (some dirs hold hundreds of files)
    dir_w = [rng.paretovariate(1.1) * ROOTS[ri][2] for _, _, ri in dirs]
    dirs_by_root = defaultdict(list)
    for i, (_, _, ri) in enumerate(dirs):
        dirs_by_root[ri].append(i)

    # spec: dict(path, size, key, mut, kind, src)
    specs: list[dict] = []

    def new_name(ri, hidden_p=0.02):
        exts = ROOTS[ri][3]
        stem = rng.choice(FILE_STEMS)
        if rng.random() < 0.03:
            stem = rng.choice(UNICODE_WORDS)
        name = f"{stem}_{rng.randrange(100000):05d}.{rng.choice(exts)}"
        if rng.random() < hidden_p:
            name = "." + name
        return name

    def place(dir_idx, name):
        d = dirs[dir_idx][0]
        return f"{d}/{namer.take(d, name)}"

    # originals
    chosen_dirs = rng.choices(range(len(dirs)), dir_w, k=n_orig)
    for i in range(n_orig):
        di = chosen_dirs[i]
        ri = dirs[di][2]
        specs.append(dict(path=place(di, new_name(ri)), size=draw_size(rng, profile), key=i, mut=None, kind="orig"))
    # images (in Pictures / Downloads / Desktop)
    pic_dirs = dirs_by_root[1] * 6 + dirs_by_root[4] + dirs_by_root[6]
    img_cache: dict = {}
    for j in range(n_img):
        x = rng.random()
        acc = 0
        for p, kind, w, h in IMAGE_SHAPES:  # noqa: B007 - the chosen shape is used after the loop
            acc += p
            if x <= acc:
                break
        di = rng.choice(pic_dirs)
        stem = rng.choice(["IMG", "DSC", "PXL", "Screenshot", "photo", "scan"])
        name = f"{stem}_{20150000 + j * 7:08d}.{kind}"
        specs.append(dict(path=place(di, name), size=None, key=n_orig + j, mut=None, kind="image", img=(kind, w, h)))
    # large files
    if a.large:
        vid = dirs_by_root[3]
        for k, sz in enumerate(LARGE_SIZES):
            specs.append(
                dict(
                    path=place(rng.choice(vid), f"recording_{k:02d}.mkv"),
                    size=sz,
                    key=10_000_000 + k,
                    mut=None,
                    kind="large",
                )
            )

    # write originals (images need their real size before copies are planned)
    def write(spec, data):
        p = os.path.join(tree, spec["path"])
        with open(p, "wb") as f:
            f.write(data)

    for s in specs:
        if s["kind"] == "image":
            data = make_image(rng, img_cache, *s["img"])
            s["size"] = len(data)
        else:
            data = content(s["key"], a.seed, s["size"])
        write(s, data)
    img_cache.clear()

    originals = [s for s in specs if s["size"] > 0]
    if a.large:  # one copy of the 64 MiB file
        src = next(s for s in specs if s["kind"] == "large")
        specs.append(
            dict(
                path=place(rng.choice(dirs_by_root[4]), "recording_00 (backup).mkv"),
                size=src["size"],
                src=src,
                kind="dup",
            )
        )

    # exact duplicates: 30 % of the copies go to an already-duplicated source (bigger groups)
    dup_sources: list[dict] = []
    small_srcs = [s for s in originals if s["kind"] != "large"]
    for _ in range(n_dup):
        if dup_sources and rng.random() < 0.3:
            src = rng.choice(dup_sources)
        else:
            src = rng.choice(small_srcs)
            dup_sources.append(src)
        di = rng.choices(range(len(dirs)), dir_w)[0]
        d = dirs[di][0]
        base = src["path"].rsplit("/", 1)[1]
        x = rng.random()
        if x < 0.4 and namer.free(d, base):
            name = base
        elif x < 0.7:
            stem, dot, ext = base.partition(".")
            name = rng.choice([f"{stem} (copy){dot}{ext}", f"Copy of {base}", f"{stem}-1{dot}{ext}"])
        else:
            name = new_name(dirs[di][2])
        specs.append(dict(path=place(di, name), size=src["size"], src=src, kind="dup"))

    # near duplicates
    big_srcs = [s for s in small_srcs if s["size"] > MINIMUM_FILE_SIZE]
    mid_srcs = [s for s in small_srcs if s["size"] > 8192]
    near = []
    for k in range(n_near):
        kind = ["same_size", "same_head_4k", "sample_collision"][k % 3]
        pool = {"same_size": small_srcs, "same_head_4k": mid_srcs, "sample_collision": big_srcs}[kind]
        if not pool:
            kind, pool = "same_size", small_srcs
        src = rng.choice(pool)
        di = rng.choices(range(len(dirs)), dir_w)[0]
        base = src["path"].rsplit("/", 1)[1]
        d = dirs[di][0]
        if kind == "same_size" and rng.random() < 0.5 and namer.free(d, base):
            name = base  # same name + same size, different content: a name+size false positive
        else:
            name = new_name(dirs[di][2])
        spec = dict(path=place(di, name), size=src["size"], src=src, kind=kind)
        if kind == "same_size":
            spec["key"] = 20_000_000 + k
        elif kind == "same_head_4k":
            spec["flip"] = src["size"] - 1
        else:
            spec["flip"] = unsampled_offset(src["size"])
        specs.append(spec)
        near.append(spec)

    # write copies / near-duplicates
    for s in specs:
        if s["kind"] == "dup":
            shutil.copyfile(os.path.join(tree, s["src"]["path"]), os.path.join(tree, s["path"]))
        elif s["kind"] == "same_size":
            write(s, content(s["key"], a.seed, s["size"]))
        elif s["kind"] in ("same_head_4k", "sample_collision"):
            with open(os.path.join(tree, s["src"]["path"]), "rb") as f:
                data = bytearray(f.read())
            data[s["flip"]] ^= 0xFF
            write(s, bytes(data))

    # symlinks
    n_sym = a.symlinks if a.symlinks is not None else max(6, N // 2000)
    symlinks = []
    file_specs = [s for s in specs if s["size"] and s["size"] < (1 << 20)]
    for k in range(n_sym):
        di = rng.randrange(len(dirs))
        d = dirs[di][0]
        if k == 0:
            target_rel = dirs[rng.randrange(len(dirs))][0]  # symlink to a directory
            name = f"link_to_dir_{k}"
        elif k == 1:
            target_rel = f"{d}/does_not_exist.txt"  # dangling
            name = f"dangling_{k}"
        else:
            target_rel = rng.choice(file_specs)["path"]
            name = f"shortcut_{k}.lnk"
        name = namer.take(d, name)
        lp = os.path.join(tree, d, name)
        rel_target = os.path.relpath(os.path.join(tree, target_rel), os.path.join(tree, d))
        os.symlink(rel_target, lp)
        symlinks.append({"path": f"{d}/{name}", "target": target_rel})

    # deterministic mtimes (2012..2024); directories last, deepest first
    base_t = 1325376000  # 2012-01-01
    span = 12 * 365 * 86400
    for s in specs:
        t = base_t + rng.randrange(span)
        os.utime(os.path.join(tree, s["path"]), (t, t))
    for sl in symlinks:
        t = base_t + rng.randrange(span)
        os.utime(os.path.join(tree, sl["path"]), (t, t), follow_symlinks=False)
    for d, _, _ in sorted(dirs, key=lambda x: -x[1]):
        t = base_t + rng.randrange(span)
        os.utime(os.path.join(tree, d), (t, t))
    folder_near_misses = []
    if a.folder_copies:  # its own random stream: the rest of the tree is the one written without the flag
        folder_near_misses = make_folder_copies(tree, [d for d, _, _ in dirs], a.seed, base_t, span)
    os.utime(tree, (base_t + span, base_t + span))
    t_written = time.time()

    # ---- ground truth from disk -------------------------------------------------------
    by_hash = defaultdict(list)
    by_cas = defaultdict(list)
    by_name_size = defaultdict(list)
    total_bytes = 0
    n_files = n_empty = n_hidden = 0
    paths_sizes = []
    for dp, dn, fn in os.walk(tree):
        dn.sort()
        for name in sorted(fn):
            p = os.path.join(dp, name)
            if os.path.islink(p):
                continue
            rel = os.path.relpath(p, tree)
            size = os.path.getsize(p)
            n_files += 1
            total_bytes += size
            if any(part.startswith(".") for part in rel.split("/")):
                n_hidden += 1
            if size == 0:
                n_empty += 1
                continue
            with open(p, "rb") as f:
                data = f.read()
            by_hash[blake3.blake3(data).hexdigest()].append(rel)
            by_cas[cas_id_bytes(data)].append((rel, hashlib.blake2b(data, digest_size=16).digest()))
            by_name_size[(name, size)].append(rel)
            paths_sizes.append((rel, size))
    n_dirs_disk = sum(len(dn) for _, dn, _ in os.walk(tree))  # symlinked dirs are listed as dirs by os.walk
    n_dirs_disk -= sum(1 for s in symlinks if os.path.isdir(os.path.join(tree, s["path"])))
    dup_groups = sorted(sorted(v) for v in by_hash.values() if len(v) > 1)
    size_of = dict(paths_sizes)
    redundant_bytes = sum(size_of[g[0]] * (len(g) - 1) for g in dup_groups)
    cas_false = []  # same sampled CAS id, different bytes
    for v in by_cas.values():
        if len({h for _, h in v}) > 1:
            cas_false.append(sorted(p for p, _ in v))
    content_group_of = {p: i for i, g in enumerate(dup_groups) for p in g}
    ns_groups = [sorted(v) for v in by_name_size.values() if len(v) > 1]
    ns_false = [g for g in ns_groups if len({content_group_of.get(p, p) for p in g}) > 1]
    size_groups = defaultdict(int)
    for _, s in paths_sizes:
        size_groups[s] += 1

    manifest = {
        "generator": "make_corpus.py",
        "args": {
            "files": N,
            "seed": a.seed,
            "images": n_img,
            "large": a.large,
            "profile": a.profile,
            "dup_frac": a.dup_frac,
            "near_frac": a.near_frac,
            "symlinks": n_sym,
        },
        "tree": "tree",
        "totals": {
            "files": n_files,
            "dirs": n_dirs_disk,  # excluding the tree root itself
            "symlinks": len(symlinks),
            "entries_find": 1 + n_dirs_disk + n_files + len(symlinks),  # `find tree | wc -l`
            "bytes": total_bytes,
            "empty_files": n_empty,
            "hidden_files": n_hidden,
            "images": n_img,
        },
        "duplicates": {
            "note": "non-empty regular files with identical content; symlinks excluded",
            "groups": len(dup_groups),
            "files_in_groups": sum(len(g) for g in dup_groups),
            "redundant_files": sum(len(g) - 1 for g in dup_groups),
            "redundant_bytes": redundant_bytes,
        },
        "traps": {
            "sampled_casid_false_groups": len(cas_false),
            "name_size_groups": len(ns_groups),
            "name_size_groups_not_all_same_content": len(ns_false),
            "size_only_groups_nonempty": sum(1 for c in size_groups.values() if c > 1),
            "near_duplicates_planted": {
                k: sum(1 for s in near if s["kind"] == k) for k in ("same_size", "same_head_4k", "sample_collision")
            },
        },
        "duplicate_groups": dup_groups,
        "sampled_casid_false_groups": cas_false,
        "near_duplicates": [{"kind": s["kind"], "path": s["path"], "like": s["src"]["path"]} for s in near],
        "empty_files": None,
        "symlinks": symlinks,
        "images": sorted(s["path"] for s in specs if s["kind"] == "image"),
    }
    if a.folder_copies:
        manifest["args"]["folder_copies"] = True
        manifest["folder_groups"] = folder_truth(tree)
        manifest["folder_near_misses"] = folder_near_misses
    timing = {"write_s": round(t_written - t0, 2), "truth_s": round(time.time() - t_written, 2)}
    manifest["empty_files"] = sorted(
        os.path.relpath(os.path.join(dp, n), tree)
        for dp, _, fn in os.walk(tree)
        for n in fn
        if not os.path.islink(os.path.join(dp, n)) and os.path.getsize(os.path.join(dp, n)) == 0
    )
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
    t = manifest["totals"]
    print(
        json.dumps(
            {
                "totals": t,
                "duplicates": {k: v for k, v in manifest["duplicates"].items() if k != "note"},
                "traps": manifest["traps"],
                "timing": timing,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()

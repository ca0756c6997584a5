"""ValidationJob: basic (vs the library), integrity (full blake3 vs the stored hash), corruption probes."""

from __future__ import annotations

import io
import os
import struct
import zipfile

import pytest
from PIL import Image

from sd_desktop.ops.files.validation import ValidationConfig, ValidationMode
from tests.duplicates._helpers import run_job, write
from tests.validation._library_rows import index_tree

MTIME = 1_600_000_000


def validate(library, *targets, mode=ValidationMode.BASIC, **kw):
    info = run_job(library, "file_validation", ValidationConfig(targets=list(targets), mode=mode, **kw))
    assert info.status.succeeded, (info.error, info.errors)
    return info.output


def by_type(out: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for i in out["issues"]:
        found.setdefault(i["type"], []).append(i)
    return found


def names(issues: list[dict]) -> list[str]:
    return sorted(os.path.basename(i["path"]) for i in issues)


def image_bytes(fmt: str, size=(64, 48)) -> bytes:
    bio = io.BytesIO()
    Image.effect_noise(size, 40).convert("RGB").save(bio, fmt)
    return bio.getvalue()


@pytest.fixture
def indexed(library, tmp_path):
    root = tmp_path / "loc"
    for n in range(5):
        write(root / "docs" / f"f{n}.txt", os.urandom(1000 + n), MTIME)
    write(root / "keep.txt", b"unchanged", MTIME)
    index_tree(library, root)
    return root


def test_basic_clean_tree_has_no_issues(library, indexed):
    out = validate(library, indexed)
    assert out["issues"] == []
    assert out["files_checked"] == 6


def test_basic_missing_size_and_mtime(library, indexed):
    os.unlink(indexed / "docs" / "f0.txt")
    write(indexed / "docs" / "f1.txt", b"shorter", MTIME)
    os.utime(indexed / "docs" / "f2.txt", (MTIME + 1, MTIME + 1))  # within the 2-second FAT tolerance
    os.utime(indexed / "docs" / "f3.txt", (MTIME + 60, MTIME + 60))
    write(indexed / "docs" / "brand_new.txt", b"new")
    out = validate(library, indexed)
    found = by_type(out)
    assert names(found["missing"]) == ["f0.txt"] and found["missing"][0]["severity"] == "error"
    assert names(found["size_changed"]) == ["f1.txt"]
    assert names(found["mtime_changed"]) == ["f3.txt"]
    assert names(found["new"]) == ["brand_new.txt"]
    assert set(found) == {"missing", "size_changed", "mtime_changed", "new"}
    for i in out["issues"]:
        assert i["message"] and i["suggested_action"] and i["severity"] in ("critical", "error", "warning", "info")
    # a sub-folder of a location is compared with its own entries only
    sub = validate(library, indexed / "docs" / "f1.txt")
    assert [i["type"] for i in sub["issues"]] == ["size_changed"]


def test_one_byte_flip_in_the_middle_of_50_mb(library, tmp_path):
    root = tmp_path / "loc"
    big = root / "big.bin"
    root.mkdir()
    with open(big, "wb") as f:
        for _ in range(50):
            f.write(os.urandom(1 << 20))
    os.utime(big, (MTIME, MTIME))
    write(root / "edited.txt", b"version one", MTIME)
    index_tree(library, root)
    assert validate(library, root, mode=ValidationMode.INTEGRITY)["issues"] == []
    with open(big, "r+b") as f:  # bit rot: one byte in the middle, size and mtime untouched
        f.seek(25 * (1 << 20) + 12345)
        b = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([b[0] ^ 0x01]))
    os.utime(big, (MTIME, MTIME))
    write(root / "edited.txt", b"version two", MTIME + 3600)
    out = validate(library, root, mode=ValidationMode.INTEGRITY)
    found = by_type(out)
    assert names(found["content_changed_mtime_same"]) == ["big.bin"]
    assert found["content_changed_mtime_same"][0]["severity"] == "critical"
    assert names(found["modified"]) == ["edited.txt"] and found["modified"][0]["severity"] == "info"
    assert out["bytes_read"] >= 50 << 20


def test_integrity_reports_moved_missing_and_unhashed(library, tmp_path):
    root = tmp_path / "loc"
    write(root / "a" / "photo.bin", os.urandom(5000), MTIME)
    write(root / "gone.bin", os.urandom(5000), MTIME)
    index_tree(library, root)
    os.rename(root / "a" / "photo.bin", root / "renamed.bin")
    os.unlink(root / "gone.bin")
    out = validate(library, root, mode=ValidationMode.INTEGRITY)
    found = by_type(out)
    assert names(found["moved"]) == ["photo.bin"] and found["moved"][0]["new_path"].endswith("renamed.bin")
    assert names(found["missing"]) == ["gone.bin"]
    assert "new" not in found, "the moved file is not also reported as new"
    other = tmp_path / "loc2"
    write(other / "x.bin", b"x", MTIME)
    index_tree(library, other, with_hashes=False)
    out = validate(library, other, mode=ValidationMode.INTEGRITY)
    assert [i["type"] for i in out["issues"]] == ["not_hashed"]


def test_corruption_checks(library, tmp_path):
    d = tmp_path / "files"
    jpeg = image_bytes("JPEG", (200, 150))
    write(d / "good.jpg", jpeg)
    write(d / "good.png", image_bytes("PNG"))
    write(d / "png_named.jpg", image_bytes("PNG"))
    write(d / "truncated.jpg", jpeg[: len(jpeg) // 2])
    write(d / "random.pdf", os.urandom(4000))
    write(d / "cut.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n" + b"x" * 500)
    write(d / "ok.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w") as z:
        z.writestr("a.txt", os.urandom(3000))
    write(d / "good.zip", bio.getvalue())
    write(d / "cut.zip", bio.getvalue()[:-30])
    mp4 = struct.pack(">I4s", 16, b"ftyp") + b"isom\0\0\0\0" + struct.pack(">I4s", 8 + 100, b"moov") + b"\0" * 100
    write(d / "good.mp4", mp4)
    write(d / "cut.mp4", mp4[:-10])
    write(d / "notes.txt", os.urandom(100))  # no claim is made about unknown kinds
    out = validate(library, d, mode=ValidationMode.CORRUPTION)
    found = {os.path.basename(i["path"]): i for i in out["issues"]}
    assert set(found) == {"png_named.jpg", "truncated.jpg", "random.pdf", "cut.pdf", "cut.zip", "cut.mp4"}
    assert found["png_named.jpg"]["type"] == "extension_mismatch"
    assert "PNG" in found["png_named.jpg"]["message"] and ".png" in found["png_named.jpg"]["suggested_action"]
    assert found["truncated.jpg"]["type"] in ("truncated", "corrupt_image")
    assert found["truncated.jpg"]["severity"] == "error"
    assert found["random.pdf"]["type"] == "unrecognized_content"
    assert found["cut.pdf"]["type"] == "truncated"
    assert found["cut.zip"]["type"] in ("corrupt_archive", "truncated")
    assert found["cut.mp4"]["type"] == "truncated"
    assert out["files_checked"] == 12
    # outside any location, basic mode says once that there is nothing to compare with
    basic = validate(library, d)
    assert [i["type"] for i in basic["issues"]] == ["not_indexed"]


def test_complete_mode_and_deleted_file(library, tmp_path):
    root = tmp_path / "loc"
    write(root / "pic.jpg", image_bytes("JPEG"), MTIME)
    write(root / "doomed.txt", b"bye", MTIME)
    index_tree(library, root)
    os.unlink(root / "doomed.txt")
    write(root / "pic.jpg", image_bytes("PNG"), MTIME)  # replaced: a PNG under a .jpg name
    out = validate(library, root, mode=ValidationMode.COMPLETE)
    types = {(os.path.basename(i["path"]), i["type"]) for i in out["issues"]}
    assert ("doomed.txt", "missing") in types
    assert ("pic.jpg", "extension_mismatch") in types
    assert ("pic.jpg", "modified") in types
    assert out["counts"]["error"] == 1


def test_unreadable_and_vanished_paths(library, tmp_path):
    d = tmp_path / "d"
    write(d / "a.txt", b"a")
    os.mkfifo(d / "fifo.jpg")  # never opened
    os.symlink("missing-target.jpg", d / "dangling.jpg")
    out = validate(library, d, mode=ValidationMode.CORRUPTION)
    assert out["issues"] == []
    assert out["files_checked"] == 1


def test_undecodable_and_odd_names_survive(library, tmp_path):
    root = tmp_path / "loc"
    root.mkdir()
    raw = os.fsencode(root) + b"/-caf\xe9\nname.jpg"
    with open(raw, "wb") as f:
        f.write(image_bytes("PNG"))
    write(root / "plain.txt", b"x", MTIME)
    index_tree(library, root)
    out = validate(library, root, mode=ValidationMode.COMPLETE)
    [found] = out["issues"]
    assert found["type"] == "extension_mismatch" and os.fsencode(found["path"]) == raw
    os.unlink(raw)
    out = validate(library, root)
    [gone] = out["issues"]
    assert gone["type"] == "missing" and os.fsencode(gone["path"]) == raw


def test_permission_checks_only_when_asked(library, tmp_path):
    d = tmp_path / "d"
    write(d / "locked.txt", b"secret")
    write(d / "open.txt", b"hello")
    os.chmod(d / "locked.txt", 0o000)
    try:
        plain = validate(library, d, mode=ValidationMode.CORRUPTION)
        checked = validate(library, d, mode=ValidationMode.CORRUPTION, check_permissions=True)
    finally:
        os.chmod(d / "locked.txt", 0o644)
    if os.geteuid() != 0:  # a normal user cannot open it at all: always reported
        assert names(by_type(plain)["unreadable"]) == ["locked.txt"]
        return
    assert plain["issues"] == []
    [found] = checked["issues"]
    assert found["type"] == "permissions" and found["path"].endswith("locked.txt")


def test_decompression_bomb_is_reported_not_decoded(library, tmp_path):
    import zlib

    png = bytearray(image_bytes("PNG", (8, 8)))
    # IHDR data starts at byte 16 (8 signature + 4 length + 4 type): claim 60000 x 60000 pixels
    png[16:24] = struct.pack(">II", 60000, 60000)
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))
    write(tmp_path / "d" / "bomb.png", bytes(png))
    out = validate(library, tmp_path / "d", mode=ValidationMode.CORRUPTION)
    [found] = out["issues"]
    assert found["type"] == "suspicious_image" and found["severity"] == "error"


def test_a_failed_read_of_the_library_fails_the_job_instead_of_reporting_every_file_new(library, indexed, monkeypatch):
    """The entries are read on a thread of their own while the walk lists: its failure is the job's."""
    import sqlite3

    from sd_desktop.ops.files.validation import listing

    def broken(*_a, **_k):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(listing, "_entries_below", broken)
    info = run_job(library, "file_validation", ValidationConfig(targets=[indexed], mode=ValidationMode.BASIC))
    assert info.status.value == "failed" and "disk I/O error" in info.error
    monkeypatch.undo()
    assert validate(library, indexed)["issues"] == []


def test_entries_are_paired_whether_the_walk_or_the_read_of_the_library_ends_first(library, indexed, monkeypatch):
    import time

    from sd_desktop.ops.files.validation import listing

    original = listing._entries_below

    def slow(*a, **k):
        time.sleep(0.3)  # the walk of this small tree is over long before
        return original(*a, **k)

    os.unlink(indexed / "docs" / "f1.txt")
    write(indexed / "new.txt", b"new", MTIME)
    expected = by_type(validate(library, indexed))
    monkeypatch.setattr(listing, "_entries_below", slow)
    got = by_type(validate(library, indexed))
    assert got == expected and names(got["missing"]) == ["f1.txt"] and names(got["new"]) == ["new.txt"]

"""Modes and persistence: MIME from magic bytes, ephemeral runs, the deep-mode follow-up, CLI errors."""

from __future__ import annotations

import io

from PIL import Image

from sd_desktop.jobs import registered
from sd_desktop.library import Library
from tests.indexing.helpers import index_path, snapshot, write


def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, "PNG")
    return buf.getvalue()


def test_mime_and_kind_come_from_magic_bytes_not_the_extension(tmp_path):
    tree = tmp_path / "t"
    write(tree / "really-a-png.txt", png_bytes())
    write(tree / "photo.jpg", b"plain words, not a jpeg\n")
    write(tree / "doc.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    write(tree / "noise.bin", bytes(range(256)) * 4)
    lib = Library.open(tmp_path / "lib")
    try:
        index_path(lib, tree)
        rows = snapshot(lib)
    finally:
        lib.close()
    assert rows[b"really-a-png.txt"][14] == "image/png" and rows[b"really-a-png.txt"][19] == "image"
    assert rows[b"photo.jpg"][14] == "text/plain" and rows[b"photo.jpg"][19] == "text"
    assert rows[b"doc.pdf"][14] == "application/pdf" and rows[b"doc.pdf"][19] == "document"
    assert rows[b"noise.bin"][14] is None


def test_ephemeral_counts_without_writing_entries(run_cli, small_corpus, library_dir):
    res = run_cli("index", small_corpus / "tree", "--ephemeral", "--all", "--json")
    assert res.returncode == 0, res.stderr
    out = res.result["output"]
    manifest_totals = __import__("json").loads((small_corpus / "manifest.json").read_text())["totals"]
    assert (out["files"], out["dirs"], out["symlinks"], out["bytes"]) == (
        manifest_totals["files"],
        manifest_totals["dirs"],
        manifest_totals["symlinks"],
        manifest_totals["bytes"],
    )
    assert out["hashed"] == manifest_totals["files"] - manifest_totals["empty_files"]
    assert out["entries_written"] == 0 and out["persistence"] == "ephemeral"
    lib = Library.open(library_dir)
    try:
        counts = lib.read_sync(
            lambda c: (
                c.execute("SELECT COUNT(*) FROM entry").fetchone()[0],
                c.execute("SELECT COUNT(*) FROM location").fetchone()[0],
                c.execute("SELECT COUNT(*) FROM content_identity").fetchone()[0],
            )
        )
    finally:
        lib.close()
    assert counts == (0, 0, 0)


def test_deep_mode_chains_thumbnails_when_that_job_exists(tmp_path):
    write(tmp_path / "t/img.png", png_bytes())
    lib = Library.open(tmp_path / "lib")
    try:
        info = index_path(lib, tmp_path / "t", mode="deep")
        children = lib.read_sync(lambda c: c.execute("SELECT name FROM job WHERE parent_id = ?", (info.id,)).fetchall())
    finally:
        lib.close()
    if "thumbnails" in registered():
        assert children == [("thumbnails",)]
    else:
        assert children == []  # skipped silently while this build has no thumbnail job


def test_cli_errors_are_one_line(run_cli, tmp_path):
    missing = run_cli("index", tmp_path / "nope")
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    f = write(tmp_path / "file.txt", "x")
    not_dir = run_cli("index", f)
    assert not_dir.returncode == 2 and "not a folder" in not_dir.stderr
    write(tmp_path / "outer/inner/x.txt", "x")
    assert run_cli("location", "add", tmp_path / "outer" / "inner").returncode == 0
    contains = run_cli("index", tmp_path / "outer")
    assert contains.returncode == 1 and "contains the location" in contains.stderr
    inside = run_cli("index", tmp_path / "outer" / "inner", "--mode", "shallow", "--json")
    assert inside.returncode == 0 and inside.result["output"]["files"] == 1

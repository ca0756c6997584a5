"""Hard links inside a copied tree are copied as separate files (as GNOME Files, Dolphin and
Finder do), with one note saying the copy takes more space; a same-volume move keeps them linked."""

from __future__ import annotations

import os

from sd_desktop.ops.files.copy import CopyConfig
from tests.fileops.helpers import outcomes, run_job


def _linked_tree(root):
    (root / "sub").mkdir(parents=True)
    (root / "data.bin").write_bytes(b"shared bytes" * 1000)
    os.link(root / "data.bin", root / "sub" / "other-name.bin")
    os.link(root / "data.bin", root / "third.bin")
    (root / "alone.txt").write_bytes(b"no links")


def test_hard_links_are_copied_as_separate_files_with_a_note(library, tmp_path):
    src = tmp_path / "src"
    _linked_tree(src)
    dest = tmp_path / "dest"

    info = run_job(library, "file_copy", CopyConfig(sources=[src], destination=dest))

    assert outcomes(info)["src"]["outcome"] == "copied"
    copies = [dest / "src" / "data.bin", dest / "src" / "sub" / "other-name.bin", dest / "src" / "third.bin"]
    assert len({c.stat().st_ino for c in copies}) == 3 and all(c.stat().st_nlink == 1 for c in copies)
    assert all(c.read_bytes() == b"shared bytes" * 1000 for c in copies)
    copies[0].write_bytes(b"changed")  # independent files: the other copies keep their content
    assert copies[1].read_bytes() == b"shared bytes" * 1000
    notes = [e["message"] for e in info.errors]
    assert len(notes) == 1 and "3 copied names are hard links to 1 file " in notes[0]
    assert "more space" in notes[0]


def test_same_volume_move_keeps_hard_links(library, tmp_path):
    src = tmp_path / "src"
    _linked_tree(src)
    dest = tmp_path / "dest"

    info = run_job(library, "file_copy", CopyConfig(sources=[src], destination=dest, move=True))

    assert info.status.value == "completed" and info.errors == []
    assert (dest / "src" / "data.bin").stat().st_ino == (dest / "src" / "third.bin").stat().st_ino

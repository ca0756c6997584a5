"""Exports the user asks for are written through the volume's backend (``ops.files.text_export``):
a failed export leaves the file that was there whole and no temporary file; a leftover temporary
name (a link an export stopped by a kill did not make, or its half file) is never written through."""

from __future__ import annotations

import os

import pytest

from sd_desktop.ops.files.text_export import write_text_atomically


def test_an_export_replaces_the_file_and_leaves_no_temporary(tmp_path):
    dest = tmp_path / "dups.csv"
    dest.write_text("old")
    write_text_atomically(dest, lambda f: f.write("a,b\n"))
    assert dest.read_text() == "a,b\n"
    assert sorted(os.listdir(tmp_path)) == ["dups.csv"]


def test_a_failed_export_keeps_the_old_file_whole(tmp_path):
    dest = tmp_path / "dups.csv"
    dest.write_text("old")

    def fail(f) -> None:
        f.write("half")
        raise ValueError("stopped")

    with pytest.raises(ValueError, match="stopped"):
        write_text_atomically(dest, fail)
    assert dest.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["dups.csv"]


def test_a_link_at_the_temporary_name_is_not_written_through(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (tmp_path / ".dups.csv.sd-tmp").symlink_to(victim)
    write_text_atomically(tmp_path / "dups.csv", lambda f: f.write("rows"))
    assert victim.read_text() == "keep"
    assert (tmp_path / "dups.csv").read_text() == "rows"
    assert not (tmp_path / "dups.csv").is_symlink()

"""A folder replaced by a file of the same name (FAULTS 13: entries changing mid-walk): the files the
library has below it are missing, the file in its place is new, the job completes; never
"Not a directory" as an internal error or a crash."""

from __future__ import annotations

import os
import shutil

import pytest

from sd_desktop.ops.files.validation import ValidationConfig, ValidationMode
from tests.duplicates._helpers import run_job, write
from tests.validation._library_rows import index_tree

MTIME = 1_600_000_000


def findings(out: dict) -> list[tuple[str, str, str]]:
    """(type, severity, path relative to the tree) of every issue, sorted."""
    return sorted((i["type"], i["severity"], i["path"]) for i in out["issues"])


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "loc"
    write(root / "a.txt", b"a" * 10, MTIME)
    write(root / "sub" / "b.txt", b"b" * 20, MTIME)
    write(root / "sub" / "deeper" / "c.txt", b"c" * 30, MTIME)
    return root


def swap_for_a_file(folder) -> None:
    shutil.rmtree(folder)
    folder.write_bytes(b"now a file")


@pytest.mark.parametrize("mode", [ValidationMode.BASIC, ValidationMode.COMPLETE])
def test_an_indexed_folder_now_a_file(library, tree, mode):
    index_tree(library, tree)
    swap_for_a_file(tree / "sub")
    info = run_job(library, "file_validation", ValidationConfig(targets=[tree], mode=mode))
    assert info.status.value == "completed", (info.error, info.errors)
    sub = str(tree / "sub")
    assert findings(info.output) == [
        ("missing", "error", f"{sub}/b.txt"),
        ("missing", "error", f"{sub}/deeper/c.txt"),
        ("new", "info", sub),
    ]
    assert info.output["files_checked"] == 2


def test_a_folder_swapped_for_a_file_between_listing_and_checking(library, tree, monkeypatch):
    """The walk lists the three files, then sub becomes a file and a.txt a symlink before they are opened."""
    from sd_desktop.ops.files.validation import job as job_module

    index_tree(library, tree)
    real_list_items = job_module.list_items

    def list_then_swap(*args, **kwargs):
        listing = real_list_items(*args, **kwargs)
        swap_for_a_file(tree / "sub")
        os.unlink(tree / "a.txt")
        os.symlink("sub", tree / "a.txt")  # never followed: O_NOFOLLOW refuses it (ELOOP)
        return listing

    monkeypatch.setattr(job_module, "list_items", list_then_swap)
    info = run_job(library, "file_validation", ValidationConfig(targets=[tree], mode=ValidationMode.COMPLETE))
    assert info.status.value == "completed", (info.error, info.errors)
    sub = str(tree / "sub")
    assert findings(info.output) == [
        ("missing", "error", f"{sub}/b.txt"),
        ("missing", "error", f"{sub}/deeper/c.txt"),
        ("type_changed", "warning", str(tree / "a.txt")),
    ]
    assert info.output["files_checked"] == 0


def test_cli_validate_of_a_path_that_is_now_a_file(run_cli, tree):
    """``validate loc/sub`` when the library has sub as a folder and the disk has a file there."""
    assert run_cli("index", tree, "--mode", "deep", "--json").returncode == 0
    swap_for_a_file(tree / "sub")
    res = run_cli("validate", tree / "sub", "--mode", "complete", "--json")
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    sub = str(tree / "sub")
    assert findings(res.result["output"]) == [
        ("missing", "error", f"{sub}/b.txt"),
        ("missing", "error", f"{sub}/deeper/c.txt"),
        ("new", "info", sub),
    ]
    assert res.result["errors"] == []
    os.unlink(tree / "sub")
    res = run_cli("validate", tree / "sub" / "b.txt")  # below a path that is gone: a usage error, one line
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "no such file or folder" in res.stderr

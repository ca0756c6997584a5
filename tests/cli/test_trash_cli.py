"""``sd-desktop trash list|restore|empty`` as real subprocesses: JSON rows, restore by original or
trash path (a conflict restored beside, never over a file), exit codes 0 / 4 / 1 / 2."""

from __future__ import annotations

import os
from pathlib import Path

from sd_desktop.ops.files.delete.freedesktop_trash import home_trash


def trash_dir() -> Path:
    return Path(os.fsdecode(home_trash()))


def make(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("_", ".")).write_text(text)
    return folder


def test_list_json_rows(run_cli, tmp_path):
    docs = make(tmp_path / "docs", a_txt="alpha", b_txt="bravo!")
    assert run_cli("delete", docs / "a.txt", docs / "b.txt").returncode == 0
    res = run_cli("trash", "list", "--json")
    assert res.returncode == 0, res.stderr
    out = res.result["output"]
    rows = sorted(out["items"], key=lambda r: r["name"])
    assert [(r["name"], r["original_path"], r["size"], r["trash_path"]) for r in rows] == [
        ("a.txt", str(docs / "a.txt"), 5, str(trash_dir() / "files" / "a.txt")),
        ("b.txt", str(docs / "b.txt"), 6, str(trash_dir() / "files" / "b.txt")),
    ]
    assert all(len(r["deleted_at"]) == 19 for r in rows)
    assert out["total_size"] == 11 and out["orphans"] == []
    text = run_cli("trash", "list")
    assert text.returncode == 0 and text.stderr == "2 items, 11 B\n"
    assert sorted(line.split()[-1] for line in text.stdout.splitlines()) == [str(docs / "a.txt"), str(docs / "b.txt")]


def test_restore_by_original_path_and_by_trash_path_conflict_goes_beside(run_cli, tmp_path):
    docs = make(tmp_path / "docs", a_txt="old a", b_txt="old b")
    assert run_cli("delete", docs / "a.txt", docs / "b.txt").returncode == 0
    (docs / "a.txt").write_text("new a")  # the place is taken again
    res = run_cli("trash", "restore", docs / "a.txt", trash_dir() / "files" / "b.txt", "--json")
    assert res.returncode == 0, res.stderr
    out = res.result["output"]
    assert [(r["outcome"], r["restored_to"]) for r in out["outcomes"]] == [
        ("renamed", str(docs / "a (restored).txt")),
        ("restored", str(docs / "b.txt")),
    ]
    assert (docs / "a.txt").read_text() == "new a" and (docs / "a (restored).txt").read_text() == "old a"
    assert (docs / "b.txt").read_text() == "old b"
    assert os.listdir(trash_dir() / "files") == [] and os.listdir(trash_dir() / "info") == []


def test_restore_takes_the_newest_trashed_item_of_a_path(run_cli, tmp_path):
    docs = make(tmp_path / "docs", a_txt="first")
    assert run_cli("delete", docs / "a.txt").returncode == 0
    make(docs, a_txt="second")
    assert run_cli("delete", docs / "a.txt").returncode == 0
    res = run_cli("trash", "restore", docs / "a.txt")
    assert res.returncode == 0, res.stderr
    assert (docs / "a.txt").read_text() == "second"
    assert [r["name"] for r in run_cli("trash", "list", "--json").result["output"]["items"]] == ["a.txt"]


def test_restore_exit_codes_some_and_all_failed(run_cli, tmp_path):
    docs = make(tmp_path / "docs", a_txt="a")
    assert run_cli("delete", docs / "a.txt").returncode == 0
    res = run_cli("trash", "restore", docs / "a.txt", docs / "never.txt", "--json")
    assert res.returncode == 4, res.stderr
    assert res.stderr == f"sd-desktop: no trashed item of {docs}/never.txt; nothing restored from there\n"
    out = res.result["output"]
    assert [(r["path"], r["outcome"]) for r in out["outcomes"]] == [
        (str(docs / "never.txt"), "failed"),
        (str(trash_dir() / "files" / "a.txt"), "restored"),
    ]
    assert (out["restored"], out["failed"]) == (1, 1)
    res = run_cli("trash", "restore", docs / "never.txt")
    assert (res.returncode, res.stdout) == (1, "")
    assert res.stderr == f"sd-desktop: no trashed item of {docs}/never.txt; nothing restored from there\n"
    # an item whose record is lost cannot be restored: the job runs and fails it
    lost = trash_dir() / "files" / "lost.bin"
    lost.write_bytes(b"?")
    res = run_cli("trash", "restore", lost)
    assert res.returncode == 1, res.stderr
    assert "cannot restore: it has no .trashinfo record: where it came from is unknown" in res.stdout
    assert lost.exists() and "Traceback" not in res.stderr


def test_empty_needs_yes(run_cli, tmp_path):
    docs = make(tmp_path / "docs", a_txt="12345")
    assert run_cli("delete", docs / "a.txt").returncode == 0
    (trash_dir() / "info" / "orphan.txt.trashinfo").write_text("[Trash Info]\nPath=/nowhere/orphan.txt\n")
    res = run_cli("trash", "empty")
    assert (res.returncode, res.stdout) == (2, "")
    assert res.stderr == (
        "sd-desktop: error: emptying the trash deletes 1 item (5 B) permanently: add --yes to confirm "
        "(nothing was deleted)\n"
    )
    assert os.listdir(trash_dir() / "files") == ["a.txt"]
    res = run_cli("trash", "empty", "--yes", "--json")
    assert res.returncode == 0, res.stderr
    out = res.result["output"]
    assert (out["mode"], out["deleted"], out["failed"]) == ("permanent", 2, 0)
    assert os.listdir(trash_dir() / "files") == [] and os.listdir(trash_dir() / "info") == []
    res = run_cli("trash", "empty", "--yes")
    assert (res.returncode, res.stderr) == (0, "the trash is already empty\n")
    res = run_cli("trash", "list")
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "the trash is empty\n")

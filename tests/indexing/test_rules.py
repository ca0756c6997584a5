"""Rule toggles: narrow visible defaults, opt-in hidden/.git/dev folders/.gitignore/globs, --all,
and the library's own folder never indexed."""

from __future__ import annotations

from sd_desktop.library import Library
from tests.indexing.helpers import index, index_path, snapshot, write


def make_tree(root):
    for rel in (
        "doc.txt",
        ".DS_Store",
        "photos/Thumbs.db",
        "photos/desktop.ini",
        "photos/img.jpg",
        ".Trash-1000/files/old.txt",
        "lost+found/x",
        ".config/app.toml",
        "proj/.git/HEAD",
        "proj/node_modules/lib/index.js",
        "proj/__pycache__/m.pyc",
        "proj/src/main.py",
        "proj/src/debug.log",
        "proj/src/keep.log",
        "proj/build/out.o",
        "proj/tmp/scratch.txt",
        "proj/.gitignore",
        "proj/src/.gitignore",
        "notes/draft.bak",
    ):
        write(root / rel, rel)
    write(root / "proj/.gitignore", "*.log\nbuild/\n")
    write(root / "proj/src/.gitignore", "!keep.log\n")


def paths_of(lib) -> set[str]:
    return {p.decode() for p in snapshot(lib)}


def test_default_rules_skip_only_os_junk(tmp_path):
    make_tree(tmp_path / "t")
    lib = Library.open(tmp_path / "lib")
    try:
        out = index_path(lib, tmp_path / "t", mode="shallow").output
        got = paths_of(lib)
    finally:
        lib.close()
    for junk in (".DS_Store", "photos/Thumbs.db", "photos/desktop.ini", ".Trash-1000", "lost+found"):
        assert junk not in got
    assert out["skipped"] == 5
    # build/ and tmp/ are NOT hidden by default (unlike the seed); hidden files, .git and dev folders are kept
    for kept in ("proj/build/out.o", "proj/tmp/scratch.txt", ".config/app.toml", "proj/.git/HEAD"):
        assert kept in got
    assert "proj/node_modules/lib/index.js" in got and "proj/src/debug.log" in got


def test_all_entries_indexes_everything(tmp_path):
    make_tree(tmp_path / "t")
    lib = Library.open(tmp_path / "lib")
    try:
        index_path(lib, tmp_path / "t", mode="shallow", all_entries=True, rules={"ignore_hidden": True})
        got = paths_of(lib)
    finally:
        lib.close()
    assert {".DS_Store", "photos/Thumbs.db", ".Trash-1000/files/old.txt", "lost+found/x", ".config"} <= got


def test_opt_in_rules(tmp_path):
    make_tree(tmp_path / "t")
    lib = Library.open(tmp_path / "lib")
    try:
        rules = {
            "ignore_hidden": True,
            "ignore_git": True,
            "ignore_dev_folders": True,
            "respect_gitignore": True,
            "ignore_globs": ["*.bak"],
        }
        index_path(lib, tmp_path / "t", mode="shallow", rules=rules)
        got = paths_of(lib)
    finally:
        lib.close()
    assert ".config" not in got and "proj/.git" not in got and "proj/.gitignore" not in got
    assert "proj/node_modules" not in got and "proj/__pycache__" not in got
    assert "proj/src/debug.log" not in got and "proj/build" not in got  # from proj/.gitignore
    assert "proj/src/keep.log" in got  # re-included by the deeper proj/src/.gitignore
    assert "notes/draft.bak" not in got and "notes" in got
    assert "proj/src/main.py" in got and "proj/tmp/scratch.txt" in got


def test_gitignore_alone_and_rules_change_on_reindex(tmp_path):
    make_tree(tmp_path / "t")
    lib = Library.open(tmp_path / "lib")
    try:
        index_path(lib, tmp_path / "t", mode="shallow")
        assert "proj/build/out.o" in paths_of(lib)
        out = index(lib, {"location_id": 1, "mode": "shallow", "rules": {"respect_gitignore": True}}).output
        got = paths_of(lib)
        assert "proj/build" not in got and "proj/src/debug.log" not in got and "proj/src/keep.log" in got
        assert "proj/.gitignore" in got  # the file itself is not ignored by its patterns
        assert out["deleted"] == 3  # build/, build/out.o, debug.log
    finally:
        lib.close()


def test_library_folder_inside_a_location_is_never_indexed(tmp_path):
    root = tmp_path / "home"
    write(root / "file.txt", "x")
    lib = Library.open(root / "my-library")  # the library lives inside the indexed folder
    try:
        info = index_path(lib, root, all_entries=True)
        got = paths_of(lib)
    finally:
        lib.close()
    assert got == {"", "file.txt"}
    assert info.output["skipped"] == 1

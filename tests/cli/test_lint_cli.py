"""``sd-desktop lint`` as real subprocesses on real trees: every finding type found exactly (and
nothing else on a generated tree whose manifest says what it holds), FIFOs and unreadable folders
(a non-critical error, no hang), undecodable names, ``--json`` rows, and ``--trash``: each finding
re-checked just before it goes (one that changed is skipped with the reason), exit codes 0/4/1/2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sd_desktop.ops.files.delete.freedesktop_trash import home_trash
from tests.conftest import REPO, cli_env

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 24
ODD = os.fsdecode(b"caf\xe9.tmp")  # latin-1 bytes: not UTF-8


def rows(res) -> list[tuple[str, str]]:
    return sorted((f["type"], f["path"]) for f in res.result["output"]["findings"])


def trashed() -> list[str]:
    files = Path(os.fsdecode(home_trash())) / "files"
    return sorted(os.listdir(files)) if files.exists() else []


def plant(tree: Path) -> dict[str, list[str]]:
    """One of each finding (and things that are none) in ``tree``; what lint must report."""
    (tree / "hollow" / "a" / "b").mkdir(parents=True)  # only empty folders: reported once, at the top
    (tree / "bare").mkdir()
    (tree / "keeps" / "inner").mkdir(parents=True)
    (tree / "keeps" / "file.txt").write_bytes(b"x")  # "keeps" is not empty; "keeps/inner" is
    (tree / "nil.txt").write_bytes(b"")
    (tree / "gone-link").symlink_to("no/such/target")
    (tree / "good-link").symlink_to("keeps/file.txt")
    (tree / "loop").symlink_to("loop")
    (tree / "photo.jpg").write_bytes(PNG)
    (tree / "real.png").write_bytes(PNG)
    (tree / "~$report.docx").write_bytes(b"lock")
    (tree / "scratch.TMP").write_bytes(b"")  # empty and temporary: reported as temporary
    (tree / ".DS_Store").write_bytes(b"meta")
    (tree / "Thumbs.db").write_bytes(b"thumbs")
    os.mkfifo(tree / "pipe.jpg")  # never opened: a FIFO named like a picture must not hang the walk
    os.mkfifo(tree / "keeps" / "fifo")
    (tree / os.fsdecode(b"caf\xe9.tmp")).write_bytes(b"odd name")
    t = str(tree)
    return {
        "empty_folder": [f"{t}/bare", f"{t}/hollow", f"{t}/keeps/inner"],
        "empty_file": [f"{t}/nil.txt"],
        "broken_symlink": [f"{t}/gone-link", f"{t}/loop"],
        "wrong_extension": [f"{t}/photo.jpg"],
        "temporary_file": [
            f"{t}/.DS_Store",
            f"{t}/Thumbs.db",
            f"{t}/caf\\xe9.tmp",
            f"{t}/scratch.TMP",
            f"{t}/~$report.docx",
        ],
    }


def expected_rows(expected: dict[str, list[str]]) -> list[tuple[str, str]]:
    return sorted((kind, path) for kind, found in expected.items() for path in found)


def test_every_finding_type_exactly(run_cli, tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    expected = plant(tree)
    res = run_cli("lint", tree, "--json", timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.result["status"] == "completed"
    assert rows(res) == expected_rows(expected)
    out = res.result["output"]
    assert out["counts"] == {k: len(v) for k, v in expected.items()}
    wrong = next(f for f in out["findings"] if f["type"] == "wrong_extension")
    assert wrong["message"] == "this is a PNG image named .jpg: rename it to .png"
    assert set(wrong) == {"path", "type", "message", "size", "mtime_ns"}
    text = run_cli("lint", tree)
    assert text.returncode == 0
    assert text.stdout.splitlines()[-1] == (
        "3 empty_folder, 1 empty_file, 2 broken_symlink, 1 wrong_extension, 5 temporary_file"
    )


def _corpus_truth(tree: Path, manifest: dict) -> list[tuple[str, str]]:
    """What lint must find in a generated tree, from its manifest (empty files, symlinks) and a
    plain bottom-up walk (temporary names, folders with nothing but folders below them)."""
    found = []
    temp = lambda name: name.startswith("~$") or name.lower().endswith(".tmp") or name in (".DS_Store", "Thumbs.db")  # noqa: E731
    for rel in manifest["empty_files"]:
        if not temp(os.path.basename(rel)):
            found.append(("empty_file", str(tree / rel)))
    for link in manifest["symlinks"]:
        if not (tree / link["target"]).exists():
            found.append(("broken_symlink", str(tree / link["path"])))
    empty: dict[str, bool] = {}
    for folder, dirs, files in os.walk(tree, topdown=False):
        links = [d for d in dirs if os.path.islink(os.path.join(folder, d))]
        empty[folder] = not files and not links and all(empty[os.path.join(folder, d)] for d in dirs if d not in links)
        found += [
            ("temporary_file", os.path.join(folder, f))
            for f in files
            if temp(f) and not os.path.islink(os.path.join(folder, f))
        ]
    for folder, is_empty in empty.items():
        parent = os.path.dirname(folder)
        if is_empty and folder != str(tree) and (parent == str(tree) or not empty[parent]):
            found.append(("empty_folder", folder))
    return sorted(found)


def test_a_generated_tree_gives_its_known_findings_and_nothing_else(run_cli, tmp_path, small_corpus):
    tree = tmp_path / "tree"
    shutil.copytree(small_corpus / "tree", tree, symlinks=True)
    manifest = json.loads((small_corpus / "manifest.json").read_text())
    truth = _corpus_truth(tree, manifest)
    kinds = {k for k, _ in truth}
    assert {"empty_file", "broken_symlink", "temporary_file"} <= kinds, "the corpus holds these already"
    assert len([1 for k, _ in truth if k == "broken_symlink"]) == 1  # the one dangling link of the manifest
    res = run_cli("lint", tree, "--json", timeout=120)
    assert res.returncode == 0, res.stderr
    assert rows(res) == truth, "its images are what they say, its random files claim nothing"
    planted = tree / "planted"
    planted.mkdir()
    expected = plant(planted)
    res = run_cli("lint", tree, "--json", timeout=120)
    assert res.returncode == 0, res.stderr
    assert rows(res) == sorted(truth + expected_rows(expected))


def _without_root_read_rights() -> list[str]:
    """As ``test_exit_codes``: drop root's read-anything capabilities, so mode 000 means unreadable."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv (util-linux) to drop root's read-anything capabilities")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--inh-caps=-all"]


def test_an_unreadable_folder_is_a_non_critical_error_and_never_empty(library_dir, tmp_path):
    tree = tmp_path / "tree"
    (tree / "locked").mkdir(parents=True)
    (tree / "outer" / "locked-inside").mkdir(parents=True)  # "outer" holds only a folder nobody can list
    (tree / "nil.txt").write_bytes(b"")
    os.mkfifo(tree / "fifo.png")
    os.chmod(tree / "locked", 0)
    os.chmod(tree / "outer" / "locked-inside", 0)
    try:
        cmd = [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), "lint", str(tree), "--json"]
        proc = subprocess.run(
            _without_root_read_rights() + cmd, capture_output=True, text=True, env=cli_env(), cwd=REPO, timeout=60
        )
    finally:
        os.chmod(tree / "locked", 0o755)
        os.chmod(tree / "outer" / "locked-inside", 0o755)
    assert proc.returncode == 4, proc.stderr
    result = [json.loads(line) for line in proc.stdout.splitlines() if '"event": "result"' in line][-1]
    assert result["status"] == "completed_with_errors"
    assert sorted(e["path"] for e in result["errors"]) == [str(tree / "locked"), str(tree / "outer" / "locked-inside")]
    assert all(e["message"] == "cannot list folder: Permission denied" for e in result["errors"])
    assert [(f["type"], f["path"]) for f in result["output"]["findings"]] == [("empty_file", str(tree / "nil.txt"))]


def test_trash_re_checks_each_finding_and_skips_what_changed(run_cli, tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    expected = plant(tree)
    (tree / "grows.txt").write_bytes(b"")
    res = run_cli("lint", tree, "--json")
    assert res.returncode == 0, res.stderr
    findings = {f["path"]: f for f in res.result["output"]["findings"]}
    # between the lint and the trashing: each kind changes once
    (tree / "grows.txt").write_bytes(b"now it has content")
    (tree / "bare" / "new.txt").write_bytes(b"moved in")
    (tree / "no" / "such").mkdir(parents=True)
    (tree / "no" / "such" / "target").write_bytes(b"the link works again")
    (tree / "Thumbs.db").write_bytes(b"rewritten, longer")
    lint = [
        {k: findings[p][k] for k in ("path", "type", "size", "mtime_ns")}
        for p in sorted(findings)
        if findings[p]["type"] != "wrong_extension" and "\\x" not in p  # JSON shows raw bytes as text only
    ]
    res = run_cli("jobs", "run", "delete", "--config", json.dumps({"mode": "trash", "lint": lint}), "--json")
    assert res.returncode == 4, res.stderr
    out = res.result["output"]
    outcomes = {o["path"]: (o["outcome"], o["reason"]) for o in out["outcomes"]}
    t = str(tree)
    assert {p: v for p, v in outcomes.items() if v[0] == "skipped"} == {
        f"{t}/grows.txt": ("skipped", "no longer empty (18 bytes now); kept"),
        f"{t}/bare": ("skipped", "no longer empty; kept"),
        f"{t}/gone-link": ("skipped", "the link works again (its target exists now); kept"),
        f"{t}/Thumbs.db": ("skipped", "changed since the lint (size or modification time); kept"),
    }
    assert (out["trashed"], out["skipped"], out["failed"]) == (len(lint) - 4, 4, 0)
    for path in (f"{t}/grows.txt", f"{t}/bare/new.txt", f"{t}/gone-link", f"{t}/Thumbs.db", f"{t}/photo.jpg"):
        assert os.path.lexists(path), path
    assert trashed() == sorted(os.path.basename(p) for p, v in outcomes.items() if v[0] == "trashed")
    assert len(trashed()) == 7, (
        outcomes
    )  # 12 planted, less the mislabelled and the odd name, plus grows.txt, less 4 skipped
    assert len(expected["temporary_file"]) == 5


def test_lint_trash_moves_the_chosen_types_to_the_home_trash(run_cli, tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    plant(tree)
    res = run_cli("lint", tree, "--trash", "empty_file,temporary_file,empty_folder,broken_symlink", "--yes", "--json")
    assert res.returncode == 0, res.stderr
    results = [o for o in res.lines if o.get("event") == "result"]
    assert [r["name"] for r in results] == ["lint", "delete"]
    assert results[1]["output"]["trashed"] == 11 and results[1]["output"]["skipped"] == 0
    assert trashed() == sorted(
        [
            ".DS_Store",
            "Thumbs.db",
            ODD,
            "bare",
            "gone-link",
            "hollow",
            "inner",
            "loop",
            "nil.txt",
            "scratch.TMP",
            "~$report.docx",
        ]
    )
    left = sorted(os.listdir(tree))
    assert left == ["good-link", "keeps", "photo.jpg", "pipe.jpg", "real.png"]
    again = run_cli("lint", tree, "--json")
    assert rows(again) == [("wrong_extension", str(tree / "photo.jpg"))]
    # only one type: the rest stays
    res = run_cli("lint", tree, "--trash", "empty_file", "--yes")
    assert res.returncode == 0 and res.stderr.endswith("nothing to trash: no empty_file found\n")


@pytest.mark.parametrize(
    "args, line",
    [
        (["--trash", "empty_file"], "--trash moves the findings to the trash: add --yes to confirm (nothing was done)"),
        (
            ["--trash", "wrong_extension", "--yes"],
            "wrong_extension findings hold real content: rename them, they are never trashed",
        ),
        (
            ["--trash", "junk", "--yes"],
            "--trash: unknown type 'junk' (types: empty_folder, empty_file, broken_symlink, temporary_file)",
        ),
        (
            ["--trash", ",", "--yes"],
            "--trash needs one or more types: empty_folder, empty_file, broken_symlink, temporary_file",
        ),
    ],
)
def test_usage_errors_exit_2_and_touch_nothing(run_cli, tmp_path, library_dir, args, line):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "nil.txt").write_bytes(b"")
    res = run_cli("lint", tree, *args)
    assert (res.returncode, res.stderr, res.stdout) == (2, f"sd-desktop: error: {line}\n", "")
    assert (tree / "nil.txt").exists() and trashed() == []


def test_a_missing_path_is_a_usage_error(run_cli, tmp_path):
    res = run_cli("lint", tmp_path / "nope")
    assert res.returncode == 2 and "no such file or folder" in res.stderr and "Traceback" not in res.stderr


def test_every_trash_failing_exits_1(run_cli, tmp_path):
    """Each finding changed before the trashing: nothing was done, the job failed (exit 1)."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "nil.txt").write_bytes(b"")
    res = run_cli("lint", tree, "--json")
    [f] = res.result["output"]["findings"]
    (tree / "nil.txt").write_bytes(b"content")
    lint = [{k: f[k] for k in ("path", "type", "size", "mtime_ns")}]
    res = run_cli("jobs", "run", "delete", "--config", json.dumps({"mode": "trash", "lint": lint}), "--json")
    assert res.returncode == 1, res.stderr
    assert res.result["status"] == "failed" and trashed() == []
    bad = run_cli("jobs", "run", "delete", "--config", json.dumps({"mode": "permanent", "confirm": True, "lint": lint}))
    assert bad.returncode == 1 and "lint findings go to the trash only; nothing was deleted" in bad.stderr
    assert (tree / "nil.txt").read_bytes() == b"content"

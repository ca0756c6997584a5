"""The duplicate-folder search against the exact-duplicate search of the same tree, as a person runs
them (whole processes, ``harness``): ``sd-desktop --library L duplicates TREE --folders --json``
against ``sd-desktop --library L duplicates TREE --json``, each with L emptied before every run
(nothing in the hash cache), alternating, warm page cache (a cold run would drop the caches of
everyone on a shared machine; the walk is the same for both). Goal: folders <= 1.2x files.

Every run of ours must give the duplicate folders found on disk by the generator's own
``folder_truth``, and every run of the file search the manifest's groups.
Corpus: ``small200k`` (``--files 200000 --seed 2 --profile small``, as the indexer benchmark), kept
under ``SD_DESKTOP_PERF_CACHE`` when set.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.perf.harness import Goal, Report, Step, checkout_env, measure, sd_desktop

pytestmark = [pytest.mark.perf, pytest.mark.timeout(1800)]
RUNS = 3
ARGS = ["--files", "200000", "--seed", "2", "--profile", "small"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    from tests.support.make_corpus import main as make_corpus

    cache = os.environ.get("SD_DESKTOP_PERF_CACHE")
    out = (Path(cache) if cache else tmp_path_factory.mktemp("perf")) / "small200k"
    if not (out / "manifest.json").exists():
        shutil.rmtree(out, ignore_errors=True)
        make_corpus([str(out), *ARGS])
    return out


def result_of(stdout: str) -> dict:
    (result,) = [obj for obj in map(json.loads, stdout.splitlines()) if obj.get("event") == "result"]
    assert result["status"] == "completed", result
    return result["output"]


def test_folders_vs_exact_duplicates_200k(corpus, tmp_path):
    from tests.support.make_corpus import folder_truth

    tree = (corpus / "tree").resolve()
    manifest = json.loads((corpus / "manifest.json").read_text())
    files_truth = sorted(sorted(str(tree / p) for p in g) for g in manifest["duplicate_groups"])
    folders_truth = folder_truth(str(tree))

    def check_folders(stdout: str) -> None:
        out = result_of(stdout)
        assert sorted(sorted(os.path.relpath(p, tree) for p in g["paths"]) for g in out["folder_groups"]) == (
            folders_truth
        )

    def check_files(stdout: str) -> None:
        assert sorted(sorted(g["paths"]) for g in result_of(stdout)["groups"]) == files_truth

    def emptied(library: Path):
        return lambda: shutil.rmtree(library, ignore_errors=True)

    folders = Step(
        "sd-desktop duplicates --folders, empty library",
        [*sd_desktop(), "--library", tmp_path / "a", "duplicates", tree, "--folders", "--json"],
        env=checkout_env(),
        before=emptied(tmp_path / "a"),
        check=check_folders,
    )
    files = Step(
        "sd-desktop duplicates, empty library",
        [*sd_desktop(), "--library", tmp_path / "b", "duplicates", tree, "--json"],
        env=checkout_env(),
        before=emptied(tmp_path / "b"),
        check=check_files,
    )
    ours, floor = measure([folders, files], RUNS, "warm")
    report = Report("duplicate folders, small200k, whole processes, warm: --folders vs the file search")
    report.note(f"duplicate folders on disk: {len(folders_truth)} groups")
    report.series(ours, floor)
    report.ratio("duplicates --folders / duplicates", ours, floor, goal=Goal("<=", 1.2))
    report.print()

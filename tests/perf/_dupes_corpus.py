"""The standard 20,000-file benchmark corpus, generated once per session, or reused from
``SD_DESKTOP_PERF_CORPUS`` (a folder made by ``tests/support/make_corpus.py`` with the same arguments)
or from ``SD_DESKTOP_PERF_CACHE/std20k`` (generated there on first use and kept)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

STD20K_ARGS = ["--files", "20000", "--seed", "1", "--images", "200"]


def _is_std20k(folder: Path) -> bool:
    if not (folder / "manifest.json").exists():
        return False
    args = json.loads((folder / "manifest.json").read_text())["args"]
    return args["files"] == 20000 and args["seed"] == 1 and args["images"] == 200


def std20k(tmp_path_factory) -> Path:
    given = os.environ.get("SD_DESKTOP_PERF_CORPUS")
    if given and _is_std20k(Path(given)):
        return Path(given)
    from tests.support.make_corpus import main as make_corpus

    cache = os.environ.get("SD_DESKTOP_PERF_CACHE")
    out = Path(cache) / "std20k" if cache else tmp_path_factory.mktemp("perf") / "std20k"
    if not _is_std20k(out):
        make_corpus([str(out), *STD20K_ARGS, "--force"])  # a run cut short leaves a partial tree
    return out


def warm(tree: Path) -> None:
    """Read every file once so the page cache holds the tree (the 'warm' condition)."""
    subprocess.run(f"find {tree} -type f -print0 | xargs -0 cat > /dev/null", shell=True, check=False)

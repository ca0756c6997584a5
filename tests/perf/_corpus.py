"""The standard 20,000-file benchmark corpus, generated once per session (or reused from
``SD_DESKTOP_PERF_CORPUS``, a folder made by ``tests/support/make_corpus.py`` with the same arguments)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

STD20K_ARGS = ["--files", "20000", "--seed", "1", "--images", "200"]


def std20k(tmp_path_factory) -> Path:
    given = os.environ.get("SD_DESKTOP_PERF_CORPUS")
    if given and (Path(given) / "manifest.json").exists():
        manifest = json.loads((Path(given) / "manifest.json").read_text())
        if manifest["args"]["files"] == 20000 and manifest["args"]["seed"] == 1:
            return Path(given)
    from tests.support.make_corpus import main as make_corpus

    out = tmp_path_factory.mktemp("perf") / "std20k"
    make_corpus([str(out), *STD20K_ARGS])
    return out


def warm(tree: Path) -> None:
    """Read every file once so the page cache holds the tree (the 'warm' condition)."""
    subprocess.run(f"find {tree} -type f -print0 | xargs -0 cat > /dev/null", shell=True, check=False)


def drop_caches() -> bool:
    """Empty the page cache (needs root); False when this machine does not allow it."""
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False

"""A/B of whole ``sd-desktop`` processes: two checkouts of the project (before and after a change),
alternating, warm page cache, a fresh library per round; medians of wall and CPU time.

    python tests/perf/ab_before_after.py OLD_CHECKOUT NEW_CHECKOUT TREE [ROUNDS [STEPS]]

(e.g. ``git worktree add /tmp/old <commit>``). Each step runs ``python -m sd_desktop`` with
``PYTHONPATH`` set to one checkout, so both run in this interpreter's environment. STEPS picks
some of the steps by their keys, comma-separated (default: content,duplicates,again,list; also
``shallow``: ``index --mode shallow``); the steps of a round share one fresh library, in order.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def run(code: str, lib: str, *args: str) -> tuple[float, float]:
    env = dict(os.environ, PYTHONPATH=code, QT_QPA_PLATFORM="offscreen")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled once, as an installed app is
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "sd_desktop", "--library", lib, *args, "--json"], env=env, capture_output=True, cwd="/"
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 4):
        print("FAILED", code, args, proc.returncode, proc.stderr[-500:].decode(errors="replace"))
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    old, new, tree = sys.argv[1:4]
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    keys = sys.argv[5].split(",") if len(sys.argv) > 5 else ["content", "duplicates", "again", "list"]
    known = {
        "shallow": ("index --mode shallow", ("index", tree, "--mode", "shallow")),
        "content": ("index --mode content", ("index", tree, "--mode", "content")),
        "duplicates": ("duplicates, first search", ("duplicates", tree)),
        "again": ("duplicates, unchanged tree again", ("duplicates", tree)),
        "list": ("location list", ("location", "list")),
    }
    steps = dict(known[k] for k in keys)
    results: dict[str, dict[str, list[tuple[float, float]]]] = {k: {"old": [], "new": []} for k in steps}
    for r in range(rounds):
        order = (("old", old), ("new", new)) if r % 2 == 0 else (("new", new), ("old", old))
        for which, code in order:
            lib = tempfile.mkdtemp(prefix=f"ab-{which}-")
            try:
                for name, args in steps.items():
                    results[name][which].append(run(code, lib, *args))
            finally:
                shutil.rmtree(lib, ignore_errors=True)
    for name, d in results.items():
        ow, nw = (statistics.median(w for w, _ in d[k]) for k in ("old", "new"))
        oc, nc = (statistics.median(c for _, c in d[k]) for k in ("old", "new"))
        print(
            f"{name:34s} wall {ow:6.2f} -> {nw:6.2f} s ({nw / ow:4.2f}) | cpu {oc:6.2f} -> {nc:6.2f} s ({nc / oc:4.2f})"
            f" | walls old {[round(w, 2) for w, _ in d['old']]} new {[round(w, 2) for w, _ in d['new']]}"
        )


if __name__ == "__main__":
    main()

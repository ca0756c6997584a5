"""A/B of the engine's hot read paths in-process, between two checkouts (before and after a change),
alternating, warm page cache; per step the median wall and CPU seconds and the ratios new/old (of the
medians and of the fastest runs: on a busy machine the fastest run is the one least disturbed).

    python tests/perf/ab_hot_paths.py OLD_CHECKOUT NEW_CHECKOUT TREE_200K TREE_20K [ROUNDS]

Each measurement is a fresh ``python -c`` with ``PYTHONPATH`` set to one checkout, so the two run
the same interpreter on the same files; only the code differs. The steps call the functions whole
jobs spend their time in, with their default arguments (which both checkouts accept):

* ``walk``: the indexer's walk (``resumable_walk.Walker``) over the 200k tree;
* ``list``: the duplicate search's listing (``file_listing.Walk``, fd-relative ``stat``) over 20k files;
* ``identify``: ``identify.identify_batch`` (sampled cas_id and MIME) of the 20k files;
* ``stages``: the duplicate search's first reads (``stages.Pipeline.read_as_listed``) of the 20k files;
* ``validate``: ``validation.checks.check_item`` (integrity hash) of the 20k files;
* ``content``, ``deep``, ``shallow``: a whole indexer job in this process, into a fresh library: a first
  content index of the 20k files, the deep pass after it, a first shallow index of the 200k tree.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys

STEP = r"""
import os, sys, time
tree200k, tree20k, step = sys.argv[1], sys.argv[2], sys.argv[3]
from sd_desktop.ops.indexing.rules import RuleSet
from sd_desktop.ops.indexing.config import IndexerRules
from sd_desktop.ops.indexing.resumable_walk import Walker
from sd_desktop.ops.files.file_listing import Walk, ScanFilter
def files20k():
    return [f for _d, fs in Walk([os.fsencode(tree20k)], ScanFilter(), [], lambda p, m: None) for f in fs]
if step == "walk":
    root = os.fsencode(tree200k)
    t, c = time.perf_counter(), time.process_time()
    w = Walker(root, [(b"", 0)], None, RuleSet(IndexerRules(), all_entries=True, root=root))
    n = 0
    while not w.done:
        n += w.batch(16000).entries
elif step == "list":
    t, c = time.perf_counter(), time.process_time()
    n = len(files20k())
elif step == "identify":
    from sd_desktop.ops.indexing.identify import identify_batch
    files = files20k()
    root = os.fsencode(tree20k)
    cands = [(i, f.path[len(root) + 1:], f.size, f.mtime_ns, f.inode, None, None) for i, f in enumerate(files)]
    t, c = time.perf_counter(), time.process_time()
    n = len(identify_batch(root, cands, False).done)
elif step == "stages":
    from sd_desktop.ops.files.duplicate_detection.stages import Pipeline
    files = files20k()
    t, c = time.perf_counter(), time.process_time()
    n = len(Pipeline(deep=False).read_as_listed(iter(files), lambda f: False))
elif step in ("content", "deep", "shallow"):
    import asyncio, shutil, tempfile
    from sd_desktop import ops
    from sd_desktop.jobs import JobManager
    ops.load_all()
    from sd_desktop.library import Library
    from sd_desktop.library.locations import add_location
    tree = tree200k if step == "shallow" else tree20k
    folder = tempfile.mkdtemp(prefix="ab-hot-")
    lib = Library.open(folder)
    loc = add_location(lib, tree)
    async def index(mode):
        manager = JobManager(lib, run_queued=False)
        await manager.start()
        try:
            job = await manager.enqueue("indexer", {"location_id": loc, "mode": mode, "all_entries": True})
            return await manager.wait_tree(job)
        finally:
            await manager.shutdown()
    if step == "deep":
        asyncio.run(index("content"))
    t, c = time.perf_counter(), time.process_time()
    n = asyncio.run(index(step)).output["files"]
    lib.close()
    shutil.rmtree(folder)
elif step == "validate":
    from sd_desktop.ops.files.validation.checks import Modes, check_item
    from sd_desktop.ops.files.validation.listing import Item
    files = files20k()
    modes = Modes(basic=True, integrity=True, corruption=False, permissions=False)
    stat5 = lambda f: [f.size, f.mtime_ns, f.ctime_ns, f.inode, f.device]
    items = [Item(f.path, stat5(f) + ["x"], stat5(f), True) for f in files]
    t, c = time.perf_counter(), time.process_time()
    n = sum(check_item(i, modes).checked for i in items)
print(time.perf_counter() - t, time.process_time() - c, n)
"""

STEPS = ("walk", "list", "identify", "stages", "validate", "content", "deep", "shallow")


def run(code: str, step: str, tree200k: str, tree20k: str) -> tuple[float, float, int]:
    env = dict(os.environ, PYTHONPATH=code)
    out = subprocess.run(
        [sys.executable, "-c", STEP, tree200k, tree20k, step], env=env, capture_output=True, text=True, cwd="/"
    )
    if out.returncode != 0:
        raise SystemExit(f"{code} {step}: {out.stderr[-800:]}")
    wall, cpu, n = out.stdout.split()
    return float(wall), float(cpu), int(n)


def main() -> None:
    old, new, tree200k, tree20k = sys.argv[1:5]
    rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    steps = sys.argv[6].split(",") if len(sys.argv) > 6 else STEPS
    times: dict[str, dict[str, list[tuple[float, float]]]] = {s: {"old": [], "new": []} for s in steps}
    for step in steps:  # warm the page cache, and check both count the same
        counts = {which: run(code, step, tree200k, tree20k)[2] for which, code in (("old", old), ("new", new))}
        assert counts["old"] == counts["new"], (step, counts)
    for r in range(rounds):
        order = (("old", old), ("new", new)) if r % 2 == 0 else (("new", new), ("old", old))
        for step in steps:
            for which, code in order:
                times[step][which].append(run(code, step, tree200k, tree20k)[:2])
    print(f"in-process hot paths, {rounds} alternating rounds (load average {os.getloadavg()[0]:.1f})")
    for step in steps:
        line = f"  {step:9s}"
        for i, what in ((0, "wall"), (1, "cpu")):
            o = [t[i] for t in times[step]["old"]]
            n = [t[i] for t in times[step]["new"]]
            line += (
                f"  {what}: old {statistics.median(o):.3f} s new {statistics.median(n):.3f} s,"
                f" new/old median {statistics.median(n) / statistics.median(o):.3f} min {min(n) / min(o):.3f}"
            )
        print(line)


if __name__ == "__main__":
    main()

"""Cold A/B of the first duplicate search as whole processes: checkouts (or copies) of the project and
``jdupes -r``, alternating run by run (the order rotating each round), page cache dropped before every
run, a fresh library for each of ours; medians of wall and CPU time and of the phases, taken from the
time each ``--json`` line arrives (start: the job's first event; walk: from there to the hashing
stage; tail: from the completion to the exit).

    python tests/perf/ab_cold_duplicates.py TREE ROUNDS CHECKOUT [CHECKOUT|ENV=VALUE,...] ...

A checkout may carry environment settings after ``|`` (e.g. ``/w/new|SD_DESKTOP_WALKER=always``).
Root only (``/proc/sys/vm/drop_caches``). Runs the venv's ``sd-desktop`` beside this interpreter with
``PYTHONPATH`` set to the checkout, compiled first, as the benchmark does.
"""

from __future__ import annotations

import compileall
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def drop_caches() -> None:
    subprocess.run(["sync"], check=True)
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def ours(spec: str, tree: str) -> dict[str, float]:
    code, _, extra = spec.partition("|")
    env = dict(os.environ, PYTHONPATH=code, QT_QPA_PLATFORM="offscreen")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(kv.split("=", 1) for kv in extra.split(",") if kv)
    lib = tempfile.mkdtemp(prefix="ab-cold-")
    shutil.rmtree(lib)
    script = Path(sys.executable).with_name("sd-desktop")
    argv = [str(script)] if script.exists() else [sys.executable, "-m", "sd_desktop"]
    try:
        drop_caches()
        cpu, start = children_cpu(), time.perf_counter()
        marks: dict[str, float] = {}
        last: dict = {}
        with subprocess.Popen(
            [*argv, "--library", lib, "duplicates", tree, "--json"], stdout=subprocess.PIPE, env=env
        ) as p:
            assert p.stdout is not None
            for line in p.stdout:
                last = json.loads(line)
                now = time.perf_counter() - start
                if last.get("event") == "started":
                    marks.setdefault("start", now)
                if last.get("phase") == "hashing":
                    marks.setdefault("hash", now)
                if last.get("event") == "completed":
                    marks.setdefault("done", now)
        marks["exit"] = time.perf_counter() - start
        marks["cpu"] = children_cpu() - cpu
        if last.get("event") != "result" or last.get("status") != "completed":
            raise SystemExit(f"{spec}: the search did not complete: {str(last)[:300]}")
        if {"start", "hash", "done"} <= marks.keys():
            marks["walk"] = marks["hash"] - marks["start"]
            marks["tail"] = marks["exit"] - marks["done"]
        return marks
    finally:
        shutil.rmtree(lib, ignore_errors=True)


def jdupes(tree: str) -> dict[str, float]:
    drop_caches()
    cpu, start = children_cpu(), time.perf_counter()
    subprocess.run(["jdupes", "-r", "-q", tree], stdout=subprocess.DEVNULL, check=True)
    return {"exit": time.perf_counter() - start, "cpu": children_cpu() - cpu}


def main() -> None:
    tree, rounds, specs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    for spec in specs:
        compileall.compile_dir(Path(spec.partition("|")[0]) / "sd_desktop", quiet=1)
    names = [*specs, "jdupes"]
    runs: dict[str, list[dict[str, float]]] = {n: [] for n in names}
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            runs[name].append(jdupes(tree) if name == "jdupes" else ours(name, tree))
    floor = statistics.median(m["exit"] for m in runs["jdupes"])
    for name, marks in runs.items():
        keys = [k for k in marks[0] if all(k in m for m in marks)]
        medians = " ".join(f"{k} {statistics.median(m[k] for m in marks):.3f}" for k in keys)
        wall = statistics.median(m["exit"] for m in marks)
        print(f"{name}: {medians} | walls {[round(m['exit'], 2) for m in marks]} | / jdupes {wall / floor:.3f}")


if __name__ == "__main__":
    main()

"""Whole-process benchmarks: a command timed as a person runs it, alternating with its floor.

Each timed run is a fresh process (interpreter start, imports, library open and exit included), so
nothing stays warm between runs except what a person's machine keeps warm too: the page cache, which
``cold`` empties before every timed run (``sync`` + ``/proc/sys/vm/drop_caches``, root only).

    steps = [Step("ours", [*sd_desktop(), "--library", lib, "duplicates", tree, "--json"], before=fresh),
             Step("jdupes -r", ["jdupes", "-r", "-q", tree])]
    series = measure(steps, runs=5, cache="cold")
    report = Report("duplicates, cold")
    report.series(*series)
    report.ratio("ours / jdupes -r", series[0], series[1], goal=Goal("<", 1.0))
    report.print()

The steps of one measurement alternate run by run (the order rotating each round), so a machine that
slows down or speeds up halfway hits every step alike; each series keeps every run, and the report
gives the median with the spread (min-max) and the CPU time of the process and the children it
waited for. A ratio's spread comes from the runs of the same round. Goals are printed as MET or
NOT MET from the figure of this run; ``SD_DESKTOP_PERF_STRICT=1`` turns a NOT MET into a failure.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

REPO = Path(__file__).resolve().parents[2]
Cache = Literal["warm", "cold"]


def sd_desktop() -> list[str]:
    """The command a person runs: the venv's ``sd-desktop`` console script when it is installed
    there, else the same entry point through ``python -m sd_desktop`` (same imports, same process)."""
    script = Path(sys.executable).with_name("sd-desktop")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "sd_desktop"]


def checkout_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for ``sd_desktop()``: this checkout's code first on ``PYTHONPATH`` (kept
    from the caller otherwise), so the console script runs the code under test.

    Its bytecode is compiled first and ``PYTHONDONTWRITEBYTECODE`` dropped: an installed package
    has its ``.pyc`` files (pip compiles them), so a run that compiled every module from source
    would time the compiler (about 0.15 s of each command's start on this machine)."""
    compile_checkout()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.update(extra or {})
    return env


_compiled: list[bool] = []


def compile_checkout() -> None:
    """Write the bytecode of this checkout's ``sd_desktop`` (once per process; up-to-date files are
    skipped), as installing it would."""
    if not _compiled:
        import compileall

        compileall.compile_dir(REPO / "sd_desktop", quiet=1)
        _compiled.append(True)


def drop_caches() -> bool:
    """Empty the page cache, dentries and inodes (the 'cold' state); False when not allowed (not root)."""
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def can_drop_caches() -> bool:
    return os.access("/proc/sys/vm/drop_caches", os.W_OK)


@dataclass
class Step:
    """One command to time. ``before`` runs untimed before every run (a fresh library, an empty
    destination) and before the caches are dropped; ``check`` gets the run's stdout, untimed, and
    raises if the run did the wrong thing. ``stdout=False`` sends the output to ``/dev/null``."""

    label: str
    argv: Sequence[str | os.PathLike]
    env: Mapping[str, str] | None = None
    before: Callable[[], None] | None = None
    check: Callable[[str], None] | None = None
    stdout: bool = True
    cwd: str | os.PathLike | None = None


@dataclass
class Sample:
    wall: float  # seconds from fork to exit
    cpu: float  # user + system seconds of the process and every child it waited for


@dataclass
class Series:
    label: str
    cache: Cache
    samples: list[Sample] = field(default_factory=list)

    @property
    def walls(self) -> list[float]:
        return [s.wall for s in self.samples]

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def spread(self) -> tuple[float, float]:
        return min(self.walls), max(self.walls)

    def describe(self) -> str:
        lo, hi = self.spread
        return (
            f"median {self.median:.3f} s ({lo:.3f}-{hi:.3f} over {len(self.samples)} runs, "
            f"CPU {self.cpu:.3f} s): " + " ".join(f"{t:.3f}" for t in self.walls)
        )


@dataclass
class Ratio:
    label: str
    value: float  # median of a / median of b
    per_round: list[float]  # a / b within each round: how much of the ratio is noise

    def describe(self) -> str:
        return f"{self.value:.3f} (rounds {min(self.per_round):.3f}-{max(self.per_round):.3f})"


def run_once(step: Step) -> Sample:
    """Run ``step`` as a process once, timed; raise if it fails or its check does."""
    with tempfile.TemporaryFile() as out:
        # CPU of a child shows in RUSAGE_CHILDREN once it is waited for, with its own waited children
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [os.fspath(a) for a in step.argv],
            stdout=out if step.stdout else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=dict(step.env) if step.env is not None else None,
            cwd=step.cwd,
            check=False,
        )
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if proc.returncode != 0:
            raise AssertionError(
                f"{step.label}: exit {proc.returncode}: {proc.stderr.decode(errors='replace')[-2000:]}"
            )
        if step.check is not None:
            out.seek(0)
            step.check(out.read().decode("utf-8", errors="surrogateescape"))
    return Sample(wall, cpu)


def measure(steps: Sequence[Step], runs: int = 5, cache: Cache = "warm", warmup: bool = True) -> list[Series]:
    """Time each step ``runs`` times, alternating (round i starts with step i mod n).

    warm: every step runs once untimed first (unless ``warmup`` is False: the caller warmed what
    the steps read), so the page cache holds what it reads.
    cold: the page cache is dropped right before every timed run (after ``before``); raises
    ``PermissionError`` when this machine does not allow it (check ``can_drop_caches()`` first)."""
    if cache == "cold" and not can_drop_caches():
        raise PermissionError("cannot drop the page cache here (needs root)")
    series = [Series(step.label, cache) for step in steps]
    if cache == "warm" and warmup:
        for step in steps:
            if step.before is not None:
                step.before()
            run_once(step)
    for r in range(runs):
        order = [(r + k) % len(steps) for k in range(len(steps))]
        for i in order:
            step = steps[i]
            if step.before is not None:
                step.before()
            if cache == "cold":
                drop_caches()
            series[i].samples.append(run_once(step))
    return series


def ratio(label: str, a: Series, b: Series) -> Ratio:
    """``a`` over ``b``: medians, and the same ratio round by round (runs of one round are neighbours)."""
    per_round = [x.wall / y.wall for x, y in zip(a.samples, b.samples, strict=True)]
    return Ratio(label, a.median / b.median, per_round)


def strict() -> bool:
    return bool(os.environ.get("SD_DESKTOP_PERF_STRICT"))


OPS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda v, g: v < g,
    "<=": lambda v, g: v <= g,
    ">": lambda v, g: v > g,
    ">=": lambda v, g: v >= g,
}


@dataclass(frozen=True)
class Goal:
    """A goal a figure must meet, e.g. ``Goal("<", 1.0)``."""

    op: str
    limit: float

    def met(self, value: float) -> bool:
        return OPS[self.op](value, self.limit)

    def text(self, value: float) -> str:
        return f"goal {self.op} {self.limit:g}: {'MET' if self.met(value) else 'NOT MET'}"


@dataclass
class Report:
    """Lines of one benchmark's figures, goals judged on this run's figures only."""

    title: str
    lines: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.lines.append(text)

    def series(self, *series: Series) -> None:
        for s in series:
            self.lines.append(f"{s.label} [{s.cache}]: {s.describe()}")

    def ratio(self, label: str, a: Series, b: Series, goal: Goal | None = None) -> Ratio:
        r = ratio(label, a, b)
        self.figure(f"{label} [{a.cache}]", r.value, goal, detail=r.describe())
        return r

    def figure(self, label: str, value: float, goal: Goal | None = None, detail: str | None = None) -> bool | None:
        """One figure of this run, judged against ``goal`` if given (returns whether it is met)."""
        text = f"{label}: {detail or f'{value:.3f}'}"
        if goal is None:
            self.lines.append(text)
            return None
        self.lines.append(f"{text}  ({goal.text(value)})")
        if not goal.met(value):
            self.missed.append(f"{label} = {value:.3f}, {goal.text(value)}")
        return goal.met(value)

    def print(self) -> None:
        load = os.getloadavg()
        print(f"\n{self.title} (load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; {os.cpu_count()} CPUs)")
        for line in self.lines:
            print(f"  {line}")
        if strict():
            assert not self.missed, self.missed

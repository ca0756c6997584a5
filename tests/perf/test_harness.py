"""The whole-process benchmark harness itself (not a benchmark: runs in the default suite).

Real processes, tiny ones: what is timed, in which order, what a failed run or check does, and
that a goal is reported MET only when this run's figure meets it.
"""

from __future__ import annotations

import sys

import pytest

from tests.perf import harness
from tests.perf.harness import Goal, Report, Series, Step, measure, run_once


def py(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_runs_alternate_and_rotate_and_every_run_is_a_fresh_process(tmp_path):
    log = tmp_path / "log"
    steps = [
        Step(label, py(f"import os; open({str(log)!r}, 'a').write('{label}' + str(os.getpid()) + ' ')"))
        for label in ("a", "b")
    ]
    series = measure(steps, runs=3, cache="warm")
    runs = [(w[0], w[1:]) for w in log.read_text().split()]
    # one untimed warm-up each, then rounds whose first step rotates: ab, ba, ab
    assert [label for label, _ in runs] == ["a", "b", "a", "b", "b", "a", "a", "b"]
    assert len({pid for _, pid in runs}) == 8
    assert [s.label for s in series] == ["a", "b"]
    assert [len(s.samples) for s in series] == [3, 3]


def test_wall_and_cpu_are_the_process_s_own(tmp_path):
    sleeper = run_once(Step("sleep", py("import time; time.sleep(0.3)")))
    spinner = run_once(
        Step("spin", py("import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass"))
    )
    assert sleeper.wall >= 0.3 and sleeper.cpu < 0.25
    assert spinner.cpu >= 0.3


def test_before_runs_untimed_before_every_run_and_check_sees_stdout(tmp_path):
    seen: list[str] = []
    calls: list[int] = []
    step = Step("echo", py("print('hello')"), before=lambda: calls.append(1), check=seen.append)
    measure([step], runs=2, cache="warm")
    assert (len(calls), seen) == (3, ["hello\n"] * 3)


def test_a_failing_run_or_check_fails_the_measurement():
    with pytest.raises(AssertionError, match="exit 3"):
        run_once(Step("fails", py("import sys; sys.exit(3)")))

    def check(out: str) -> None:
        assert out == "right\n"

    with pytest.raises(AssertionError):
        run_once(Step("wrong", py("print('wrong')"), check=check))


def test_cold_needs_permission_to_drop_the_page_cache(monkeypatch):
    monkeypatch.setattr(harness, "can_drop_caches", lambda: False)
    with pytest.raises(PermissionError):
        measure([Step("x", py("pass"))], runs=1, cache="cold")


def series_of(label: str, *walls: float) -> Series:
    return Series(label, "warm", [harness.Sample(w, w) for w in walls])


def test_median_spread_ratio_and_verdicts(monkeypatch, capsys):
    ours, floor = series_of("ours", 3.0, 1.0, 2.0), series_of("floor", 2.0, 2.0, 1.0)
    assert (ours.median, ours.spread) == (2.0, (1.0, 3.0))
    monkeypatch.delenv("SD_DESKTOP_PERF_STRICT", raising=False)
    report = Report("t")
    r = report.ratio("ours / floor", ours, floor, goal=Goal("<", 1.0))
    assert (r.value, r.per_round) == (1.0, [1.5, 0.5, 2.0])
    assert report.figure("fast enough", 40.0, Goal("<=", 50)) is True
    assert report.figure("too slow", 60.0, Goal("<=", 50)) is False
    report.print()
    out = capsys.readouterr().out
    assert "ours / floor [warm]: 1.000 (rounds 0.500-2.000)  (goal < 1: NOT MET)" in out
    assert "fast enough: 40.000  (goal <= 50: MET)" in out
    assert "too slow: 60.000  (goal <= 50: NOT MET)" in out
    monkeypatch.setenv("SD_DESKTOP_PERF_STRICT", "1")
    with pytest.raises(AssertionError):
        report.print()


def test_the_console_script_runs_this_checkout():
    proc = run_once(Step("version", [*harness.sd_desktop(), "--version"], env=harness.checkout_env()))
    assert proc.wall > 0

"""FAULTS 17 through real subprocesses: a config of the wrong shape exits 2 with one line naming the
field before anything runs; the files it would have touched are all still there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import cli_env

DEEP = "[" * 3000 + "]" * 3000

# (job, --config, what the one line must say)
CASES = [
    ("delete", '{"targets":"abc","mode":"permanent","confirm":true}',
     "targets: expected a list of paths, got the string 'abc'"),
    ("duplicate_detection", '{"search_paths":"/x"}', "search_paths: expected a list of paths, got the string '/x'"),
    ("delete", '{"targets":["a","b","c"],"mdoe":"permanent","confirm":true}',
     "mdoe: unknown field (did you mean 'mode'?); the known fields are: targets, mode, confirm, passes, "
     "force_hardlinks, guarded"),
    ("delete", '{"targets":["a"],"mode":"permanent","confirm":true,"passes":"abc"}',
     "passes: expected an integer, got the string 'abc'"),
    ("delete", '{"targets":["a"],"mode":"permanent","confirm":true,"passes":NaN}',
     "passes: expected an integer, got the number nan"),
    ("duplicate_detection", '{"search_paths":["."],"min_size":1e29}',
     "min_size: expected an integer, got the number 1e+29"),
    ("delete", "null", "expected an object (DeleteConfig), got null"),
    ("delete", '{"targets":["a"],"mode":"permanent","confirm":true,"guarded":' + DEEP + "}",
     "the JSON is nested too deeply"),
    ("delete", DEEP, "the JSON is nested too deeply"),
    ("delete", '{"targets":["a"],"mode":"trash","mode":"permanent","confirm":true}', "'mode' is given twice"),
]  # fmt: skip


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "sd_desktop", "--library", str(cwd.parent / "lib"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=cli_env(), timeout=120, cwd=cwd)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The current folder of the command: files ``a``, ``b`` and ``c``."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    for name in "abc":
        (cwd / name).write_text(name)
    return cwd


@pytest.mark.parametrize(("job", "config", "says"), CASES, ids=[f"{c[0]}-{c[2][:24]}" for c in CASES])
def test_a_wrong_config_exits_2_in_one_line_and_touches_nothing(folder, job, config, says):
    res = _run(folder, "jobs", "run", job, "--config", config)
    assert res.returncode == 2, res.stderr
    assert res.stdout == ""
    [line] = res.stderr.splitlines()
    assert line.startswith(f"sd-desktop: error: bad --config for {job}: ")
    assert says in line
    assert sorted(p.name for p in folder.iterdir()) == ["a", "b", "c"]
    assert not (folder.parent / "lib").exists()  # refused before the library opened: no job row


def test_a_typed_command_out_of_bounds_exits_2_and_deletes_nothing(folder):
    res = _run(folder, "delete", "a", "--mode", "permanent", "--yes", "--passes", "0")
    assert res.returncode == 2, res.stderr
    assert res.stderr.splitlines() == [
        "sd-desktop: error: bad config for delete: passes: the integer 0 is below the minimum 1"
    ]
    assert sorted(p.name for p in folder.iterdir()) == ["a", "b", "c"]


def test_the_right_shape_runs(folder):
    """The control: the same command with a list deletes exactly the files listed."""
    res = _run(folder, "jobs", "run", "delete", "--config", '{"targets":["a","b"],"mode":"permanent","confirm":true}')
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["c"]

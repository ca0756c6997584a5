"""Bad command lines cost nothing: an unknown first word is a usage error (never a window), options are
taken before or after the command, every command speaks --json, and a mistyped copy destination is
refused before anything is created. Real subprocesses, with no display: a GUI start would fail loudly."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sd_desktop.cli import build_parser, command_names, wants_gui
from tests.conftest import REPO, cli_env

EXTRA_JOBS = {"SD_DESKTOP_EXTRA_JOBS": "tests.engine.jobs_for_tests"}
COMMAND_LIST = ", ".join(command_names())


def headless_env(extra: dict | None = None) -> dict:
    """The CLI's environment without any display: a window that opens by mistake makes Qt abort."""
    env = cli_env(extra)
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(name, None)
    return env


def sd(*args, cwd: Path = REPO, env: dict | None = None) -> subprocess.CompletedProcess:
    """``sd-desktop ARGS...`` as it is typed: no --library added (the default one is a tmp dir here)."""
    cmd = [sys.executable, "-m", "sd_desktop", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, env=headless_env(env), timeout=120, cwd=cwd)


def result_of(proc: subprocess.CompletedProcess) -> dict:
    [line] = [json.loads(x) for x in proc.stdout.splitlines() if x.strip() and json.loads(x).get("event") == "result"]
    return line


def default_library() -> Path:
    return Path(os.environ["SD_DESKTOP_HOME"])  # set per test by conftest's _isolated_home


# -- an unknown first word ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "word, line",
    [
        ("frobnicate", f"unknown command 'frobnicate' (commands: {COMMAND_LIST}; or a folder to open)"),
        ("dupliactes", "unknown command 'dupliactes'; did you mean 'duplicates'?"),
        ("valdiate", "unknown command 'valdiate'; did you mean 'validate'?"),
        ("Jobs", "unknown command 'Jobs'; did you mean 'jobs'?"),
        ("./no/such/folder", "no such file or folder: ./no/such/folder"),
    ],
)
def test_an_unknown_first_word_is_a_usage_error_not_a_window(tmp_path, word, line):
    for args in ([word], ["--library", tmp_path / "lib", word, "--json"], [word, "--help"]):
        res = sd(*args, cwd=tmp_path)
        assert (res.returncode, res.stderr, res.stdout) == (2, f"sd-desktop: error: {line}\n", ""), args
    assert not (tmp_path / "lib").exists() and not default_library().exists(), "no library opened: no window"


def test_what_opens_the_window_still_does(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert wants_gui([])
        assert wants_gui([str(folder)])
        assert wants_gui(["photos"])  # relative to where it is typed
        assert wants_gui(["--library", "lib", str(folder)])
        assert wants_gui(["--add-location", str(folder), "--quit-when-idle"])
        assert wants_gui(["--index-mode", "deep", "--add-location", "photos"])
        assert wants_gui(["--add-location", "not-there-yet"])  # an option's value is not a first word
        assert wants_gui(["--lib", "jobs"])  # abbreviated as argparse allows: "jobs" is the library here
        assert wants_gui(["--help"]) and wants_gui(["--version"])
        assert not wants_gui(["frobnicate"]) and not wants_gui(["photoz"])
        assert not wants_gui(["jobs", "list"]) and not wants_gui(["--library", "lib", "jobs", "list"])
    finally:
        os.chdir(cwd)
    from sd_desktop import __version__

    res = sd("--version")
    assert (res.returncode, res.stdout) == (0, f"sd-desktop {__version__}\n")
    res = sd("--help")
    assert res.returncode == 0 and res.stdout.startswith("usage: sd-desktop")
    assert COMMAND_LIST in " ".join(res.stdout.split())  # the epilog is wrapped


# -- --library and --json before or after the command -------------------------------------------
def test_library_and_json_after_the_command(tmp_path):
    lib = tmp_path / "lib"
    folder = tmp_path / "photos"
    folder.mkdir()
    res = sd("location", "add", folder, "--library", lib, "--json")
    assert res.returncode == 0, res.stderr
    for args in (
        ("location", "list", "--library", lib, "--json"),
        ("--library", lib, "location", "list", "--json"),
        ("--json", "location", "list", "--library", lib),
        ("--json", "--library", lib, "location", "list"),
        ("location", "--library", lib, "--json", "list"),
    ):
        res = sd(*args)
        assert res.returncode == 0, (args, res.stderr)
        assert [row["path"] for row in result_of(res)["output"]["locations"]] == [str(folder)], args
    res = sd("jobs", "list", "--library", lib, "--json")
    assert res.returncode == 0 and result_of(res)["output"]["jobs"] == []
    res = sd("--library", tmp_path / "elsewhere", "jobs", "list", "--library", lib, "--json")
    assert res.returncode == 0 and not (tmp_path / "elsewhere").exists(), "the one after the command wins"
    assert not default_library().exists()


def _leaves(parser: argparse.ArgumentParser | None = None) -> list[str]:
    """Every command as typed ("jobs list", "info"): the parsers without sub-commands of their own."""
    parser = parser or build_parser()
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found += _leaves(child) if child._subparsers else [child.prog.removeprefix("sd-desktop ")]
    return sorted(found)


# arguments that make each command run for real in a fresh library, with the exit code expected
JSON_RUNS: dict[str, tuple[list[str], int]] = {
    "copy": (["{d}/f.txt", "{tmp}/out"], 0),
    "delete": (["{d}/f.txt"], 0),
    "duplicates": (["{d}"], 0),
    "index": (["{d}"], 0),
    "info": (["{d}/f.txt"], 0),
    "jobs cancel": (["1"], 1),  # no job 1: a failure, not a usage error
    "jobs clear": ([], 0),
    "jobs list": ([], 0),
    "jobs resume": (["1"], 1),
    "jobs run": (["test_count", "--config", '{"n": 2}'], 0),
    "jobs schema": ([], 0),
    "jobs show": (["1"], 1),
    "lint": (["{d}"], 0),
    "location add": (["{d}"], 0),
    "location list": ([], 0),
    "location mode": (["1", "deep"], 1),
    "location remove": (["1"], 1),
    "location schedule": (["1", "off"], 1),
    "similar": (["{d}"], 0),
    "thumbnails": ([], 0),
    "trash empty": (["--yes"], 0),
    "trash list": ([], 0),
    "trash restore": (["{d}/f.txt"], 1),  # nothing trashed from there: a failed item
    "validate": (["{d}"], 0),
    "volume add": (["local-fs", "{d}", "--scheme", "fs"], 0),  # OpenDAL's local file system service
    "volume list": ([], 0),
    "volume remove": (["nosuch"], 1),
}


# runs until a signal and prints no result: tests/serve runs it
NOT_ONE_SHOT = {"serve"}


def test_the_json_table_covers_every_command_help_lists():
    assert sorted(JSON_RUNS) == [c for c in _leaves() if c not in NOT_ONE_SHOT]
    top = " ".join(sd("--help").stdout.split())
    assert f"Headless commands: {COMMAND_LIST} " in top
    assert sorted(command_names()) == sorted({c.split()[0] for c in _leaves()})
    for group in ("jobs", "location", "trash"):
        listed = sd(group, "--help").stdout.split("{", 1)[1].split("}", 1)[0].split(",")
        assert sorted(f"{group} {name}" for name in listed) == [c for c in _leaves() if c.startswith(group + " ")]


@pytest.mark.parametrize("command", sorted(JSON_RUNS))
def test_every_command_accepts_json(tmp_path, command):
    d = tmp_path / "d"
    d.mkdir()
    (d / "f.txt").write_bytes(b"some content")
    args, code = JSON_RUNS[command]
    args = [a.replace("{d}", str(d)).replace("{tmp}", str(tmp_path)) for a in args]
    res = sd("--library", tmp_path / "lib", *command.split(), *args, "--json", env=EXTRA_JOBS)
    assert res.returncode == code, res.stderr
    assert "Traceback" not in res.stderr
    if code == 0:
        assert result_of(res)["status"] in ("completed", "completed_with_errors")
    else:
        assert res.stderr.count("\n") == 1 and res.stderr.startswith("sd-desktop: no ")


# -- a mistyped copy destination ------------------------------------------------------------------
@pytest.mark.parametrize("move", [False, True])
def test_a_copy_into_a_missing_parent_is_refused_unless_mkpath(tmp_path, move):
    src = tmp_path / "src"
    src.mkdir()
    (src / "f.txt").write_bytes(b"precious")
    lib = tmp_path / "lib"
    dest = tmp_path / "typo" / "a" / "b" / "c"
    flag = ["--move"] if move else []
    res = sd("--library", lib, "copy", *flag, src, dest)
    assert (res.returncode, res.stdout) == (2, "")
    assert res.stderr == (
        f"sd-desktop: error: the destination's parent folder {dest.parent} does not exist ({tmp_path / 'typo'} "
        "is missing); check the path, or add --mkpath to create it; nothing was copied\n"
    )
    assert not (tmp_path / "typo").exists() and (src / "f.txt").read_bytes() == b"precious"
    assert not lib.exists(), "refused before the library was opened: no job"

    res = sd("--library", lib, "copy", *flag, src, dest, "--mkpath", "--json")
    assert res.returncode == 0, res.stderr
    assert (dest / "src" / "f.txt").read_bytes() == b"precious"
    assert (src / "f.txt").exists() is not move


def test_a_copy_into_a_new_last_folder_still_creates_it(tmp_path):
    """Only DEST's own last part missing: created, as with ``cp -r SRC NEWDIR``."""
    src = tmp_path / "f.txt"
    src.write_bytes(b"x")
    res = sd("--library", tmp_path / "lib", "copy", src, tmp_path / "new")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "new" / "f.txt").read_bytes() == b"x"
    res = sd("--library", tmp_path / "lib", "copy", src, tmp_path / "f.txt" / "sub")
    assert (res.returncode, res.stderr) == (
        2,
        f"sd-desktop: error: the destination's parent {src} is not a folder; nothing was copied\n",
    )

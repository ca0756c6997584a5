"""FAULTS 16, two processes on one library: commands on a library that ``sd-desktop serve`` serves
run their job in the engine and print the same events and result, with the same exit code, as when
they run alone; signals, a killed client and a killed engine behave as the README says; a one-shot
command that holds the library is a clear refusal."""

from __future__ import annotations

import json
import shutil
import signal

import pytest

from tests.conftest import CliResult
from tests.serve.conftest import EXTRA, client, wait_for


def _tree(root):
    (root / "a").mkdir(parents=True)
    for i in range(3):
        (root / "a" / f"f{i}.txt").write_text(f"file {i}\n")
        (root / f"copy{i}.txt").write_text("same content\n")
    (root / "a" / "same.txt").write_text("same content\n")
    return root


def _place(arg: str, root) -> str:
    if arg.startswith("dest-TREE"):
        return str(root.parent / f"dest-{root.name}")
    return arg.replace("TREE", str(root))


def _kinds(res: CliResult) -> list[str]:
    """The events in order, a run of progress events as one (their number depends on timing)."""
    kinds: list[str] = []
    for obj in res.lines:
        if not (obj["event"] == "progress" and kinds and kinds[-1] == "progress"):
            kinds.append(obj["event"])
    return kinds


def _same_shape(a: CliResult, b: CliResult, root_a, root_b) -> None:
    assert (a.returncode, a.stderr) == (b.returncode, b.stderr.replace(str(root_b), str(root_a)))
    assert _kinds(a) == _kinds(b)
    if not a.lines:  # refused before any job: one line on stderr, compared above
        return
    ra, rb = a.result, b.result
    assert set(ra) == set(rb) and set(ra["output"]) == set(rb["output"])
    assert (ra["status"], ra["job_id"], ra.get("error_count")) == (rb["status"], rb["job_id"], rb.get("error_count"))


def test_commands_through_the_engine_print_what_they_print_alone(tmp_path, run_cli, start_engine):
    served, alone = tmp_path / "served", tmp_path / "alone"
    root_a = _tree(tmp_path / "tree-a")
    root_b = tmp_path / "tree-b"
    shutil.copytree(root_a, root_b)
    engine = start_engine(served)

    def both(*args, fix=lambda r, other: r):
        a = run_cli(*[_place(x, root_a) for x in args], library=served)
        b = run_cli(*[_place(x, root_b) for x in args], library=alone)
        _same_shape(a, b, root_a, root_b)
        return a, b

    a, _ = both("index", "TREE", "--json")
    assert a.returncode == 0 and a.result["output"]["files"] == 7
    a, b = both("location", "list", "--json")
    assert [loc["files"] for loc in a.result["output"]["locations"]] == [7]
    a, _ = both("duplicates", "TREE", "--json")
    assert (a.returncode, a.result["output"]["group_count"], a.result["output"]["duplicate_files"]) == (0, 1, 3)
    (root_a.parent / "dest-tree-a").mkdir()
    (root_b.parent / "dest-tree-b").mkdir()
    a, _ = both("copy", "TREE/a", "dest-TREE", "--json")
    assert a.returncode == 0 and (root_a.parent / "dest-tree-a" / "a" / "same.txt").read_text() == "same content\n"
    a, _ = both("location", "add", "TREE/a", "--json")  # inside the first location: refused alike
    assert a.returncode == 1 and "is inside the location" in a.stderr
    other_a, other_b = tmp_path / "other-a", tmp_path / "other-b"
    other_a.mkdir(), other_b.mkdir()
    a = run_cli("location", "add", other_a, "--json", library=served)
    b = run_cli("location", "add", other_b, "--json", library=alone)
    assert (a.returncode, a.result["output"]["id"]) == (b.returncode, b.result["output"]["id"]) == (0, 2)
    a, _ = both("location", "mode", "2", "deep", "--json")
    assert a.result["output"]["index_mode"] == "deep"
    a, _ = both("location", "remove", "2", "--json")
    assert a.result["output"] == {"removed": 2}
    a, _ = both("jobs", "show", "1", "--json")
    assert (a.result["name"], a.result["status"]) == ("indexer", "completed")
    a, b = both("jobs", "list", "--json")
    jobs = a.result["output"]["jobs"]
    assert [(j["name"], j["status"]) for j in jobs] == [(j["name"], j["status"]) for j in b.result["output"]["jobs"]]
    assert [j["name"] for j in jobs] == ["file_copy", "duplicate_detection", "indexer"]
    a, _ = both("jobs", "clear", "--json")
    assert a.result["output"] == {"removed": 3}
    # the engine ran them: it served every command and is still up
    assert engine.proc.poll() is None
    code, err = engine.stop()
    assert code == 0, err
    assert "sd-desktop index) connected" in err and "sd-desktop copy) connected" in err


def _count(library, tmp_path, n=400, delay=0.02, *extra):
    markers = tmp_path / "markers"
    markers.mkdir(exist_ok=True)
    config = json.dumps({"n": n, "delay": delay, "marker_dir": str(markers)})
    proc = client(library, "jobs", "run", "test_count", "--config", config, *extra)
    wait_for(lambda: (markers / "step-1").exists() or proc.poll() is not None, what="the job's first step")
    assert proc.poll() is None, proc.communicate()
    return proc, markers


def _job(run_cli, library, job_id=1):
    [job] = [
        j for j in run_cli("jobs", "list", "--json", library=library).result["output"]["jobs"] if j["id"] == job_id
    ]
    return job


def test_sigint_pauses_the_clients_job_in_the_engine(tmp_path, run_cli, start_engine):
    library = tmp_path / "lib"
    engine = start_engine(library)
    proc, _ = _count(library, tmp_path, 120, 0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 3
    assert err.strip() == "job 1 paused; continue it with: sd-desktop jobs resume 1"
    assert _job(run_cli, library)["status"] == "paused"
    assert engine.proc.poll() is None
    # the same command continues it, through the engine, to its end
    res = run_cli("jobs", "resume", "1", "--json", library=library, env=EXTRA)
    assert (res.returncode, res.result["status"], res.result["output"]["count"]) == (0, "completed", 120)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGHUP], ids=["killed", "terminal-closed"])
def test_a_killed_client_leaves_its_job_running_to_its_end(tmp_path, run_cli, start_engine, sig):
    library = tmp_path / "lib"
    start_engine(library)
    proc, markers = _count(library, tmp_path, 60, 0.02)
    proc.send_signal(sig)
    proc.communicate()
    assert proc.returncode == -sig
    wait_for(lambda: _job(run_cli, library)["status"] == "completed", what="the job's completion")
    assert len(list(markers.iterdir())) == 60


def test_a_killed_engine_ends_its_client_with_the_job_to_resume(tmp_path, run_cli, start_engine):
    library = tmp_path / "lib"
    engine = start_engine(library)
    proc, _ = _count(library, tmp_path, 100, 0.02)
    engine.proc.kill()
    engine.proc.communicate()
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert err.strip() == (
        f"sd-desktop: the engine serving the library (PID {engine.proc.pid}) stopped; "
        "continue job 1 with: sd-desktop jobs resume 1"
    )
    # the lock went with the engine: the next command runs on its own
    res = run_cli("jobs", "resume", "1", "--json", library=library, env=EXTRA)
    assert (res.returncode, res.result["status"], res.result["output"]["count"]) == (0, "completed", 100)


def test_sigterm_to_serve_pauses_the_jobs_and_exits_0(tmp_path, run_cli, start_engine):
    library = tmp_path / "lib"
    engine = start_engine(library)
    proc, _ = _count(library, tmp_path)
    code, err = engine.stop(signal.SIGTERM)
    assert code == 0, err
    out, cerr = proc.communicate(timeout=30)
    assert (proc.returncode, cerr.strip()) == (3, "job 1 paused; continue it with: sd-desktop jobs resume 1")
    assert not engine.socket.exists()
    job = _job(run_cli, library)
    assert (job["status"], job["interrupted"]) == ("paused", 0)


def test_a_one_shot_command_serves_nobody(tmp_path, run_cli):
    library = tmp_path / "lib"
    proc, _ = _count(library, tmp_path)
    try:
        res = run_cli("location", "add", tmp_path, library=library)
        assert res.returncode == 1
        assert res.stderr.strip() == (
            f"sd-desktop: library in use by PID {proc.pid} (sd-desktop jobs run, which serves no other "
            "commands); wait for it or run `sd-desktop serve`"
        )
        serve = run_cli("serve", library=library, timeout=60)
        assert serve.returncode == 1 and "wait for it to finish, then run `sd-desktop serve` again" in serve.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 3


def test_read_only_commands_read_beside_the_engine(tmp_path, run_cli, start_engine):
    library = tmp_path / "lib"
    start_engine(library)
    proc, _ = _count(library, tmp_path)
    try:
        res = run_cli("jobs", "list", "--json", library=library)
        assert res.returncode == 0
        assert [(j["id"], j["status"]) for j in res.result["output"]["jobs"]] == [(1, "running")]
        res = run_cli("info", tmp_path, "--json", library=library)
        assert res.returncode == 0
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


def test_jobs_cancel_through_the_engine_stops_a_running_job(tmp_path, run_cli, start_engine):
    library = tmp_path / "lib"
    start_engine(library)
    proc, _ = _count(library, tmp_path, 400, 0.02, "--json")
    res = run_cli("jobs", "cancel", "1", "--json", library=library, env=EXTRA)
    assert (res.returncode, res.result["status"]) == (0, "cancelled")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and json.loads(out.splitlines()[-1])["status"] == "cancelled"


def test_closed_stdout_pauses_the_job_as_alone(tmp_path, run_cli, start_engine):
    library = tmp_path / "lib"
    start_engine(library)
    config = json.dumps({"n": 400, "delay": 0.02})
    proc = client(library, "jobs", "run", "test_count", "--config", config, "--json")
    proc.stdout.readline()  # the queued event came
    proc.stdout.close()  # the reader goes away, as `| head -1` does
    err = proc.stderr.read()
    proc.wait(timeout=30)
    assert proc.returncode == 3
    assert "standard output was closed; stopping the job" in err
    wait_for(lambda: _job(run_cli, library)["status"] == "paused", what="the pause")


def test_a_job_the_engine_does_not_know_is_one_line(tmp_path, run_cli, start_engine):
    library = tmp_path / "lib"
    engine = start_engine(library, {"SD_DESKTOP_EXTRA_JOBS": ""})  # the tests' jobs: this command's only
    res = run_cli("jobs", "run", "test_count", "--config", '{"n": 1}', library=library, env=EXTRA)
    assert res.returncode == 1
    assert res.stderr.startswith("sd-desktop: the engine serving the library refused: ") and "test_count" in res.stderr
    assert res.stderr.count("\n") == 1
    assert engine.proc.poll() is None


def test_duplicates_delete_runs_its_follow_up_in_the_engine(tmp_path, run_cli, start_engine):
    library = tmp_path / "lib"
    root = _tree(tmp_path / "tree")
    start_engine(library)
    res = run_cli("duplicates", root, "--delete", "keep-oldest", "--json", library=library)
    assert res.returncode == 0, res.stderr
    search, removal = [obj for obj in res.lines if obj["event"] == "result"]
    assert (search["name"], removal["name"], removal["status"]) == ("duplicate_detection", "delete", "completed")
    left = [p for p in [*root.glob("copy*.txt"), root / "a" / "same.txt"] if p.exists()]
    assert len(left) == 1
    jobs = run_cli("jobs", "list", "--json", library=library).result["output"]["jobs"]
    assert [(j["name"], j["parent_id"]) for j in jobs] == [("delete", 1), ("duplicate_detection", None)]


def test_sigint_pauses_a_job_still_waiting_its_turn_and_no_other(tmp_path, run_cli, start_engine):
    """The engine runs two jobs at a time: a third command's job waits queued. Its Ctrl+C pauses that
    job (not the two others, which are not its own)."""
    library = tmp_path / "lib"
    start_engine(library)
    (tmp_path / "one").mkdir(), (tmp_path / "two").mkdir()
    first, _ = _count(library, tmp_path / "one", 400, 0.02)
    second, _ = _count(library, tmp_path / "two", 400, 0.02)
    third = client(library, "jobs", "run", "test_count", "--config", json.dumps({"n": 5, "tag": "third"}))
    try:
        wait_for(lambda: [j["status"] for j in _jobs(run_cli, library)] == ["queued", "running", "running"])
        third.send_signal(signal.SIGINT)
        out, err = third.communicate(timeout=30)
        assert (third.returncode, err.strip()) == (3, "job 3 paused; continue it with: sd-desktop jobs resume 3")
        assert [j["status"] for j in _jobs(run_cli, library)] == ["paused", "running", "running"]
    finally:
        for proc in (first, second):
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=30)
    assert (first.returncode, second.returncode) == (3, 3)


def _jobs(run_cli, library):
    return run_cli("jobs", "list", "--json", library=library).result["output"]["jobs"]


def test_neither_the_window_nor_a_second_engine_opens_a_served_library(tmp_path, run_cli, start_engine):
    library = tmp_path / "lib"
    engine = start_engine(library)
    res = run_cli("--quit-when-idle", library=library, timeout=60)  # the window, on the served library
    assert res.returncode == 1
    line = res.stderr.strip().splitlines()[-1]
    assert line == f"sd-desktop: library in use by PID {engine.proc.pid} (sd-desktop serve, {library})"
    res = run_cli("serve", library=library, timeout=60)  # nor a second engine
    assert (res.returncode, res.stderr) == (
        1,
        f"sd-desktop: an engine already serves this library (PID {engine.proc.pid}, sd-desktop serve)\n",
    )


def test_duplicate_folders_and_their_removal_run_in_the_engine(tmp_path, run_cli, start_engine):
    library = tmp_path / "lib"
    root = tmp_path / "tree"
    for name in ("a", "copy-b"):
        (root / name / "sub").mkdir(parents=True)
        (root / name / "sub" / "f.txt").write_bytes(b"the same bytes")
        (root / name / "g.bin").write_bytes(b"x" * 5000)
    start_engine(library)
    res = run_cli("duplicates", root, "--folders", "--delete", "keep-shortest-path", "--json", library=library)
    assert res.returncode == 0, res.stderr
    search, removal = [obj for obj in res.lines if obj["event"] == "result"]
    assert (search["name"], removal["name"], removal["status"]) == ("duplicate_folders", "delete", "completed")
    assert [g["paths"] for g in search["output"]["folder_groups"]] == [[str(root / "a"), str(root / "copy-b")]]
    assert sorted(p.name for p in root.iterdir()) == ["a"]

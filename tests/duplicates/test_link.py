"""``duplicates --link hardlink|reflink --yes``: extra copies replaced by links to the kept file, as
real subprocesses on real files (tmpfs for "no reflink" and "another device", loop-mounted XFS and
btrfs for reflinks), never a moment where a path is missing (kill -9 mid-way), and the undo that
gives linked paths their own bytes again."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import blake3
import pytest

from sd_desktop.ops.files.duplicate_detection import DuplicateConfig
from sd_desktop.ops.files.duplicate_detection.link_plan import plan_links
from sd_desktop.ops.files.extents import share_all_blocks
from sd_desktop.ops.files.link import LinkConfig, LinkMethod, LinkTarget
from tests.conftest import REPO, cli_env
from tests.duplicates._helpers import run_job
from tests.fileops.helpers import temp_leftovers

OLD = 1_500_000_000  # the kept copies are the oldest (keep-oldest, the default)
NOBODY = 65534
NO_REFLINK = "no reflink support on this file system (it cannot share blocks between files)"
INLINE = "too small to share blocks (stored inline with its metadata): nothing comes back"
OTHER_DEVICE = "on another file system than the kept copy (hard links and reflinks need one file system)"


def _write(path: Path, data: bytes, mtime: int | None = None, mode: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if mode is not None:
        path.chmod(mode)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def _hashes(root: Path) -> dict[str, str]:
    """blake3 of every regular file under ``root`` (temporary names left out), by relative path."""
    found = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if name.startswith(".sd-desktop-"):
                continue
            p = Path(folder) / name
            found[str(p.relative_to(root))] = blake3.blake3(p.read_bytes()).hexdigest()
    return found


def _ino(path: Path) -> int:
    return os.lstat(path).st_ino


def _outcomes(result: dict) -> dict[str, tuple[str, str | None]]:
    return {Path(o["path"]).name: (o["outcome"], o["reason"]) for o in result["output"]["outcomes"]}


def test_hard_links_replace_the_extra_copies_and_a_second_run_finds_nothing(tmp_path, run_cli):
    root = tmp_path / "tree"
    x, y = os.urandom(40_000), os.urandom(70_000)
    _write(root / "a" / "x.bin", x, OLD)
    _write(root / "b" / "x.bin", x)
    _write(root / "c" / "x copy.bin", x)
    _write(root / "a" / "y.bin", y, OLD)
    _write(root / "b" / "y.bin", y)
    _write(root / "alone.bin", os.urandom(1000))
    before = _hashes(root)

    res = run_cli("duplicates", root, "--link", "hardlink", "--yes", "--json")

    assert res.returncode == 0, res.stderr
    result = res.result
    assert result["name"] == "link_duplicates" and result["status"] == "completed"
    out = result["output"]
    assert (out["linked"], out["already"], out["skipped"], out["failed"]) == (3, 0, 0, 0)
    assert out["bytes_saved"] == 2 * 40_000 + 70_000
    assert _ino(root / "b" / "x.bin") == _ino(root / "c" / "x copy.bin") == _ino(root / "a" / "x.bin")
    assert _ino(root / "b" / "y.bin") == _ino(root / "a" / "y.bin")
    assert _hashes(root) == before  # every name kept, with its bytes
    assert temp_leftovers(root) == []

    again = run_cli("duplicates", root, "--link", "hardlink", "--yes", "--json")

    assert again.returncode == 0, again.stderr
    # names of one inode are never duplicates to link again: only the search ran
    assert again.result["name"] == "duplicate_detection"
    assert again.result["output"]["group_count"] == 0
    assert "nothing to link" in again.stderr


def test_link_without_yes_or_on_unverified_results_is_refused(tmp_path, run_cli):
    root = tmp_path / "tree"
    data = os.urandom(5000)
    _write(root / "a", data, OLD)
    _write(root / "b", data)
    inodes = (_ino(root / "a"), _ino(root / "b"))

    res = run_cli("duplicates", root, "--link", "hardlink")
    assert res.returncode == 2
    assert res.stderr.strip() == "sd-desktop: error: --link replaces files by links: add --yes to confirm"

    res = run_cli("duplicates", root, "--link", "reflink", "--yes", "--mode", "size")
    assert res.returncode == 2
    assert res.stderr.strip() == (
        "sd-desktop: error: --link needs --mode content or deep: size and name-size results are not verified"
    )
    assert (_ino(root / "a"), _ino(root / "b")) == inodes
    assert run_cli("jobs", "list", "--json").result["output"]["jobs"] == []


def test_hard_links_leave_another_owner_or_mode_alone_unless_asked(tmp_path, run_cli):
    root = tmp_path / "tree"
    data = os.urandom(8000)
    _write(root / "kept", data, OLD, 0o644)
    _write(root / "mode", data, mode=0o600)
    _write(root / "owner", data, mode=0o644)
    os.chown(root / "owner", NOBODY, NOBODY)
    _write(root / "plain", data, mode=0o644)
    before = _hashes(root)

    res = run_cli("duplicates", root, "--link", "hardlink", "--yes", "--json")

    assert res.returncode == 4, res.stderr  # two copies skipped for safety: completed with errors
    got = _outcomes(res.result)
    assert got["plain"] == ("linked", None)
    assert got["mode"] == (
        "skipped",
        "another mode (600) than the kept copy (644): a hard link would give it the kept copy's "
        "(--ignore-metadata links it anyway)",
    )
    assert got["owner"] == (
        "skipped",
        "another owner (65534:65534) than the kept copy (0:0): a hard link would give it the kept copy's "
        "(--ignore-metadata links it anyway)",
    )
    assert os.stat(root / "owner").st_uid == NOBODY and _ino(root / "owner") != _ino(root / "kept")

    res = run_cli("duplicates", root, "--link", "hardlink", "--yes", "--ignore-metadata", "--json")

    assert res.returncode == 0, res.stderr
    assert _outcomes(res.result) == {"mode": ("linked", None), "owner": ("linked", None)}
    assert len({_ino(root / n) for n in ("kept", "mode", "owner", "plain")}) == 1
    assert _hashes(root) == before


@pytest.mark.parametrize("method", ["hardlink", "reflink"])
def test_a_copy_on_another_device_is_skipped(tmp_path, run_cli, mount_tmpfs, method):
    other = mount_tmpfs("other", "1m")
    data = os.urandom(20_000)
    _write(tmp_path / "here" / "kept.bin", data, OLD)
    _write(other / "copy.bin", data)
    inode = _ino(other / "copy.bin")

    res = run_cli("duplicates", tmp_path / "here", other, "--link", method, "--yes", "--json")

    assert res.returncode == 1, res.stderr  # the only copy was skipped: nothing was done
    assert _outcomes(res.result) == {"copy.bin": ("skipped", OTHER_DEVICE)}
    assert _ino(other / "copy.bin") == inode and (other / "copy.bin").read_bytes() == data


def test_reflinks_on_a_file_system_without_them_are_skipped(tmp_path, run_cli, mount_tmpfs):
    fs = mount_tmpfs("plain", "1m")
    data = os.urandom(30_000)
    _write(fs / "kept.bin", data, OLD)
    _write(fs / "one.bin", data)
    _write(fs / "two.bin", data)
    inodes = {n: _ino(fs / n) for n in ("kept.bin", "one.bin", "two.bin")}

    res = run_cli("duplicates", fs, "--link", "reflink", "--yes", "--json")

    assert res.returncode == 1, res.stderr
    assert _outcomes(res.result) == {"one.bin": ("skipped", NO_REFLINK), "two.bin": ("skipped", NO_REFLINK)}
    assert {n: _ino(fs / n) for n in inodes} == inodes
    assert temp_leftovers(fs) == []


@pytest.mark.parametrize("fstype", ["xfs", "btrfs"])
def test_reflinks_share_blocks_keep_each_files_metadata_and_are_recognised_next_time(
    tmp_path, run_cli, mount_loop_fs, fstype
):
    fs = mount_loop_fs("cow", fstype, *(["-m", "reflink=1"] if fstype == "xfs" else []))
    data = os.urandom(1024 * 1024 + 123)
    _write(fs / "kept.bin", data, OLD, 0o644)
    _write(fs / "sub" / "mine.bin", data, 1_600_000_123, 0o600)
    os.chown(fs / "sub" / "mine.bin", NOBODY, NOBODY)
    _write(fs / "sub" / "other.bin", data, 1_700_000_000, 0o640)
    tiny = os.urandom(500)  # btrfs keeps it inside its metadata: no block to share
    _write(fs / "tiny-kept.bin", tiny, OLD)
    _write(fs / "sub" / "tiny.bin", tiny)
    before = _hashes(fs)
    mine = os.stat(fs / "sub" / "mine.bin")

    res = run_cli("duplicates", fs, "--link", "reflink", "--yes", "--json")

    assert res.returncode == 0, res.stderr
    out = res.result["output"]
    if fstype == "btrfs":
        assert (out["linked"], out["already"], out["bytes_saved"]) == (2, 1, 2 * len(data))
        assert _outcomes(res.result)["tiny.bin"] == ("already", INLINE)
    else:
        assert (out["linked"], out["already"], out["bytes_saved"]) == (3, 0, 2 * len(data) + 500)
    now = os.stat(fs / "sub" / "mine.bin")
    assert (now.st_mode, now.st_uid, now.st_gid, now.st_mtime_ns) == (
        mine.st_mode,
        NOBODY,
        NOBODY,
        mine.st_mtime_ns,
    )
    assert oct(os.stat(fs / "sub" / "other.bin").st_mode & 0o777) == "0o640"
    for name in ("sub/mine.bin", "sub/other.bin"):
        assert share_all_blocks(os.fsencode(fs / "kept.bin"), os.fsencode(fs / name))
    extents = subprocess.run(["filefrag", "-v", str(fs / "sub" / "mine.bin")], capture_output=True, text=True)
    assert "shared" in extents.stdout
    assert _hashes(fs) == before

    again = run_cli("duplicates", fs, "--link", "reflink", "--yes", "--json")

    assert again.returncode == 0, again.stderr
    out = again.result["output"]
    assert (out["linked"], out["already"], out["bytes_saved"]) == (0, 3, 0)
    reason = "already shares all its blocks with the kept copy (a reflink)"
    assert _outcomes(again.result) == {
        "mine.bin": ("already", reason),
        "other.bin": ("already", reason),
        "tiny.bin": ("already", INLINE if fstype == "btrfs" else reason),
    }


def _search_and_plan(library, root: Path) -> list[dict]:
    info = run_job(library, "duplicate_detection", DuplicateConfig(search_paths=[root]))
    assert info.status.value == "completed"
    return plan_links(info.output, "keep-oldest").targets


def _link(library, targets: list[dict], method: LinkMethod = LinkMethod.HARDLINK, **extra):
    config = LinkConfig(
        targets=[LinkTarget(**{k: Path(v) if k in ("path", "keeper") else v for k, v in t.items()}) for t in targets],
        method=method,
        confirm=True,
        **extra,
    )
    return run_job(library, "link_duplicates", config)


def test_copies_changed_since_the_search_stay_and_linked_ones_are_already_done(library, tmp_path):
    root = tmp_path / "tree"
    data = os.urandom(50_000)
    _write(root / "kept", data, OLD)
    _write(root / "same", data)
    changed = _write(root / "changed", data, 1_650_000_000)
    targets = _search_and_plan(library, root)
    # rewritten after the search: same size, its mtime put back (FAULTS 5)
    _write(changed, data[:-1] + bytes([data[-1] ^ 1]), 1_650_000_000)

    info = _link(library, targets)

    assert info.status.value == "completed_with_errors"
    got = {Path(o["path"]).name: (o["outcome"], o["reason"]) for o in info.output["outcomes"]}
    assert got == {
        "same": ("linked", None),
        "changed": ("skipped", "its content changed since the search; left as it is"),
    }

    again = _link(library, [t for t in targets if t["path"].endswith("same")])

    assert again.status.value == "completed"
    assert [(o["outcome"], o["reason"]) for o in again.output["outcomes"]] == [
        ("already", "already the same file as the kept copy (one inode)")
    ]


def test_a_kept_copy_changed_since_the_search_links_nothing(library, tmp_path):
    root = tmp_path / "tree"
    data = os.urandom(50_000)
    kept = _write(root / "kept", data, OLD)
    _write(root / "one", data)
    _write(root / "two", data)
    targets = _search_and_plan(library, root)
    _write(kept, b"x" + data[1:], OLD)

    info = _link(library, targets)

    assert info.status.value == "failed"
    reasons = {o["reason"] for o in info.output["outcomes"]}
    assert reasons == {f"the kept copy {kept} changed since the search"}
    assert len({_ino(root / n) for n in ("kept", "one", "two")}) == 3


def test_undo_gives_each_still_linked_path_its_own_bytes_and_metadata_back(library, tmp_path):
    root = tmp_path / "tree"
    data = os.urandom(300_000)
    _write(root / "kept", data, OLD, 0o644)
    _write(root / "private", data, 1_650_000_000, 0o600)
    _write(root / "relinked", data, 1_660_000_000, 0o644)
    linked = _link(library, _search_and_plan(library, root), ignore_metadata=True)
    assert linked.status.value == "completed"
    assert len({_ino(root / n) for n in ("kept", "private", "relinked")}) == 1
    # after the linking, someone made "relinked" a file of its own again: the undo leaves it alone
    (root / "relinked").unlink()
    _write(root / "relinked", data, 1_670_000_000, 0o644)
    undo = [
        {k: o[k] for k in ("path", "keeper", "size", "hash", "mode", "uid", "gid", "atime_ns", "mtime_ns")}
        for o in linked.output["outcomes"]
        if o["outcome"] == "linked"
    ]

    info = _link(library, undo, LinkMethod.COPY)

    assert info.status.value == "completed_with_errors"
    got = {Path(o["path"]).name: (o["outcome"], o["reason"]) for o in info.output["outcomes"]}
    assert got == {
        "private": ("restored", None),
        "relinked": ("skipped", f"no longer linked to {root / 'kept'}; left as it is"),
    }
    st = os.stat(root / "private")
    assert st.st_ino != _ino(root / "kept") and st.st_nlink == 1 and os.stat(root / "kept").st_nlink == 1
    assert (oct(st.st_mode & 0o777), st.st_mtime_ns) == ("0o600", 1_650_000_000 * 10**9)
    assert (root / "private").read_bytes() == data and (root / "kept").read_bytes() == data
    assert temp_leftovers(root) == []


def _cli(library_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "sd_desktop", "--library", str(library_dir), *map(str, args)]


def _linked_tree(root: Path, groups: int, copies: int, size: int) -> dict[str, str]:
    for g in range(groups):
        data = os.urandom(size)
        _write(root / f"g{g:03}" / "kept.bin", data, OLD)
        for c in range(copies):
            _write(root / f"g{g:03}" / f"copy{c}.bin", data)
    return _hashes(root)


def _all_linked(root: Path, groups: int, copies: int) -> bool:
    return all(
        _ino(root / f"g{g:03}" / f"copy{c}.bin") == _ino(root / f"g{g:03}" / "kept.bin")
        for g in range(groups)
        for c in range(copies)
    )


@pytest.mark.parametrize("then", ["rerun", "cancel"])
def test_kill_9_before_a_rename_leaves_every_path_and_the_rerun_cleans_up_and_continues(tmp_path, library_dir, then):
    """Killed (strace injects SIGKILL) as it is about to rename a linked temporary name over a copy:
    that copy is still there and whole, and the temporary name beside it is removed when the same
    command runs again (the rest is linked) or when the job is cancelled (nothing more is)."""
    if shutil.which("strace") is None:
        pytest.skip("needs strace (installed by scripts/setup.sh --test)")
    root = tmp_path / "tree"
    before = _linked_tree(root, groups=6, copies=2, size=20_000)
    run = subprocess.run(_cli(library_dir, "location", "list"), capture_output=True, env=cli_env(), cwd=REPO)
    assert run.returncode == 0
    # worker threads count their own renames: the second rename of one of them is a swap's
    cmd = ["strace", "-f", "-qq", "-o", os.devnull, "-e", "trace=rename", "-e", "inject=rename:signal=SIGKILL:when=2"]
    killed = subprocess.run(
        cmd + _cli(library_dir, "duplicates", root, "--link", "hardlink", "--yes", "--json"),
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=REPO,
        timeout=120,
    )

    assert killed.returncode == -signal.SIGKILL or killed.returncode == 128 + signal.SIGKILL, killed.stderr
    assert _hashes(root) == before  # every path there, with its bytes
    assert len(temp_leftovers(root)) == 1  # the link that was about to replace a copy
    assert not _all_linked(root, 6, 2)

    if then == "cancel":
        cancel = subprocess.run(
            _cli(library_dir, "jobs", "cancel", "2"), capture_output=True, text=True, env=cli_env(), cwd=REPO
        )
        assert cancel.returncode == 0, cancel.stderr
        assert temp_leftovers(root) == []
        assert _hashes(root) == before
        return
    rerun = subprocess.run(
        _cli(library_dir, "duplicates", root, "--link", "hardlink", "--yes", "--json"),
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=REPO,
        timeout=120,
    )

    assert rerun.returncode == 0, rerun.stderr
    result = json.loads(rerun.stdout.splitlines()[-1])
    assert result["name"] == "link_duplicates" and result["status"] == "completed"
    assert result["output"]["items_done"] == 12
    assert _all_linked(root, 6, 2)
    assert _hashes(root) == before
    assert temp_leftovers(root) == []


def test_kill_9_mid_way_through_many_copies_loses_nothing_and_the_rerun_continues(tmp_path, library_dir):
    groups, copies = 150, 2
    root = tmp_path / "tree"
    before = _linked_tree(root, groups, copies, size=256 * 1024)
    proc = subprocess.Popen(
        _cli(library_dir, "duplicates", root, "--link", "hardlink", "--yes", "--json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=cli_env(),
        cwd=REPO,
    )
    killed_at = None
    try:
        for line in proc.stdout:
            event = json.loads(line)
            if event.get("name") == "link_duplicates" and 0 < (event.get("done") or 0) < groups * copies:
                proc.send_signal(signal.SIGKILL)
                killed_at = event["done"]
                break
    finally:
        proc.kill()
        proc.wait()
    assert killed_at is not None, "the linking ended before it could be killed"

    assert _hashes(root) == before
    assert not _all_linked(root, groups, copies)

    rerun = subprocess.run(
        _cli(library_dir, "duplicates", root, "--link", "hardlink", "--yes", "--json"),
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=REPO,
        timeout=300,
    )

    assert rerun.returncode == 0, rerun.stderr
    assert "continuing the interrupted linking" not in rerun.stderr  # --json: no words on stderr
    result = json.loads(rerun.stdout.splitlines()[-1])
    assert result["name"] == "link_duplicates" and result["status"] == "completed"
    assert result["output"]["items_done"] == groups * copies
    assert _all_linked(root, groups, copies)
    assert _hashes(root) == before
    assert temp_leftovers(root) == []


def test_sigterm_pauses_the_linking_and_the_same_command_continues_it(tmp_path, library_dir):
    groups, copies = 150, 2
    root = tmp_path / "tree"
    before = _linked_tree(root, groups, copies, size=256 * 1024)
    proc = subprocess.Popen(
        _cli(library_dir, "duplicates", root, "--link", "hardlink", "--yes", "--json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
        cwd=REPO,
    )
    lines = []
    for line in proc.stdout:
        lines.append(json.loads(line))
        if lines[-1].get("name") == "link_duplicates" and 0 < (lines[-1].get("done") or 0) < groups * copies:
            proc.send_signal(signal.SIGTERM)
            break
    rest, err = proc.communicate(timeout=60)
    lines += [json.loads(x) for x in rest.splitlines() if x.strip()]

    assert proc.returncode == 3, err  # paused, stored: the contract's "interrupted"
    assert lines[-1]["name"] == "link_duplicates" and lines[-1]["status"] == "paused"
    assert _hashes(root) == before and temp_leftovers(root) == []

    rerun = subprocess.run(
        _cli(library_dir, "duplicates", root, "--link", "hardlink", "--yes"),
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=REPO,
        timeout=300,
    )

    assert rerun.returncode == 0, rerun.stderr
    assert "continuing the interrupted linking of duplicates (job 2)" in rerun.stderr
    assert _all_linked(root, groups, copies) and _hashes(root) == before


def test_hard_links_on_the_generated_tree_lose_nothing_and_join_exactly_the_truth_groups(
    small_corpus, tmp_path, run_cli
):
    """The generator's tree (its duplicate groups and traps: sampled content-id collisions, near
    duplicates, empty files, links) linked whole: every path keeps its bytes, each true group ends
    as one file (one inode), nothing outside a group is touched, and a second run links nothing."""
    tree = tmp_path / "tree"
    shutil.copytree(small_corpus / "tree", tree, symlinks=True)
    truth = json.loads((small_corpus / "manifest.json").read_text())["duplicate_groups"]
    before = _regular_hashes(tree)
    inodes_before = {rel: _ino(tree / rel) for rel in before}
    res = run_cli("duplicates", tree, "--link", "hardlink", "--yes", "--json", timeout=300)
    assert res.returncode == 0, res.stderr
    assert _regular_hashes(tree) == before  # every path is there, with its bytes
    grouped = {rel for group in truth for rel in group}
    for group in truth:
        assert len({_ino(tree / rel) for rel in group}) == 1, group
    assert {rel for rel in before if rel not in grouped and _ino(tree / rel) != inodes_before[rel]} == set()
    again = run_cli("duplicates", tree, "--link", "hardlink", "--yes", "--json", timeout=300)
    assert again.returncode == 0, again.stderr
    assert [o for o in again.result["output"].get("outcomes", []) if o["outcome"] != "skipped"] == []


def _regular_hashes(root: Path) -> dict[str, str]:
    """``_hashes`` of the regular files only (the generated tree holds symlinks, dangling ones too)."""
    found = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            p = Path(folder) / name
            if not name.startswith(".sd-desktop-") and not p.is_symlink():
                found[str(p.relative_to(root))] = blake3.blake3(p.read_bytes()).hexdigest()
    return found

"""The duplicate-deletion guard (FAULTS 5, 7, 8, and 2 for hard links), as unit tests of
``guard.check_group`` and through the DeleteJob."""

from __future__ import annotations

import os
from pathlib import Path

from sd_desktop.cas import full_hash
from sd_desktop.ops.files.delete import DeleteConfig, DeleteMode, GuardedTarget
from sd_desktop.ops.files.delete.guard import REFUSED_ALL, check_group, groups
from tests.fileops.helpers import run_job

CONTENT = b"the same bytes in every copy\n" * 500


def scanned(path: Path, keepers: list[Path]) -> GuardedTarget:
    """What a duplicate scan would hand over for ``path``."""
    st = os.lstat(path)
    return GuardedTarget(path=path, size=st.st_size, mtime_ns=st.st_mtime_ns, hash=full_hash(path), keepers=keepers)


def copies(tmp_path: Path, n: int) -> list[Path]:
    found = []
    for i in range(n):
        p = tmp_path / f"copy{i}"
        p.write_bytes(CONTENT)
        found.append(p)
    return found


def test_verified_group_is_allowed(tmp_path):
    keep, a, b = copies(tmp_path, 3)
    verdicts = check_group([scanned(a, [keep]), scanned(b, [keep])])
    assert [v.allowed for v in verdicts] == [True, True]


def test_duplicate_rewritten_with_same_size_and_restored_mtime_is_skipped(tmp_path):
    keep, doomed, other = copies(tmp_path, 3)
    targets = [scanned(doomed, [keep]), scanned(other, [keep])]
    st = os.lstat(doomed)
    doomed.write_bytes(CONTENT.replace(b"same", b"SAME", 1))  # same size, different content
    os.utime(doomed, ns=(st.st_atime_ns, st.st_mtime_ns))  # mtime put back: only the hash can tell
    assert os.lstat(doomed).st_size == st.st_size and os.lstat(doomed).st_mtime_ns == st.st_mtime_ns
    verdicts = {v.target.path.name: v for v in check_group(targets)}
    assert not verdicts["copy1"].allowed and "content changed" in verdicts["copy1"].reason
    assert verdicts["copy2"].allowed


def test_kept_copy_removed_after_the_scan_skips_the_group(tmp_path):
    keep, a, b = copies(tmp_path, 3)
    targets = [scanned(a, [keep]), scanned(b, [keep])]
    keep.unlink()
    verdicts = check_group(targets)
    assert not any(v.allowed for v in verdicts)
    assert all(v.reason.startswith("no verified copy is kept") and "is gone" in v.reason for v in verdicts)


def test_kept_copy_changed_after_the_scan_skips_the_group(tmp_path):
    keep, a = copies(tmp_path, 2)
    targets = [scanned(a, [keep])]
    keep.write_bytes(b"edited since")
    assert not check_group(targets)[0].allowed


def test_selection_covering_every_copy_is_refused(tmp_path):
    a, b = copies(tmp_path, 2)
    assert [v.reason for v in check_group([scanned(a, []), scanned(b, [])])] == [REFUSED_ALL, REFUSED_ALL]
    # each named the other as "kept", but both are doomed: still every copy
    verdicts = check_group([scanned(a, [b]), scanned(b, [a])])
    assert [v.reason for v in verdicts] == [REFUSED_ALL, REFUSED_ALL]


def test_hard_link_of_the_doomed_file_as_keeper_is_refused(tmp_path):
    (doomed,) = copies(tmp_path, 1)
    link = tmp_path / "hardlink"
    os.link(doomed, link)
    verdict = check_group([scanned(doomed, [link])])[0]
    assert not verdict.allowed
    assert "same inode" in verdict.reason


def test_groups_split_by_hash_and_drop_repeated_paths(tmp_path):
    a, b = copies(tmp_path, 2)
    (tmp_path / "other").write_bytes(b"different")
    t_other = scanned(tmp_path / "other", [a])
    grouped = groups([scanned(a, [b]), scanned(a, [b]), t_other])
    assert [len(g) for g in grouped] == [1, 1]


def test_guarded_delete_job_rechecks_at_run_time(library, tmp_path):
    keep, doomed, changed = copies(tmp_path, 3)
    lonely1, lonely2 = tmp_path / "lonely1", tmp_path / "lonely2"
    lonely1.write_bytes(b"only two copies")
    lonely2.write_bytes(b"only two copies")
    guarded = [scanned(doomed, [keep]), scanned(changed, [keep]), scanned(lonely1, []), scanned(lonely2, [])]
    st = os.lstat(changed)
    changed.write_bytes(CONTENT.replace(b"copy", b"COPY", 1))
    os.utime(changed, ns=(st.st_atime_ns, st.st_mtime_ns))
    config = DeleteConfig(mode=DeleteMode.PERMANENT, confirm=True, guarded=guarded)
    info = run_job(library, "delete", config)
    rows = {Path(r["path"]).name: r for r in info.output["outcomes"]}
    assert rows["copy1"]["outcome"] == "deleted" and not doomed.exists()
    assert rows["copy2"]["outcome"] == "skipped" and changed.exists()
    assert rows["lonely1"]["outcome"] == "skipped" and "every copy" in rows["lonely1"]["reason"]
    assert lonely1.exists() and lonely2.exists() and keep.read_bytes() == CONTENT
    extra = DeleteConfig(targets=[keep], mode=DeleteMode.PERMANENT, confirm=True, guarded=guarded[:1])
    refused = run_job(library, "delete", extra)
    assert refused.status.value == "failed" and keep.exists()

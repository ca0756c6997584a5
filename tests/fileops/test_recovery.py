"""Crash recovery of one copy batch, deterministically: the state a kill -9 leaves between a file
being placed (or a source removed) and that result being committed, fed to ``BatchRunner``."""

from __future__ import annotations

import os
import shutil

from sd_desktop.enums import EntryKind, WorkStatus
from sd_desktop.ops.files.copy.execute import BatchRunner, Item
from sd_desktop.ops.files.fsops import temp_name


def runner(tmp_path, move=False, policy="skip") -> tuple[BatchRunner, list]:
    errors: list = []
    r = BatchRunner(
        7,
        move=move,
        verify=False,
        policy=policy,
        dest_root=os.fsencode(tmp_path),
        should_stop=lambda: False,
        add_error=lambda p, m: errors.append((p, m)),
    )
    return r, errors


def item(src, dst, inflight=True, seq=1, rename=False) -> Item:
    st = os.lstat(src) if os.path.lexists(src) else os.lstat(dst)
    return Item(
        seq,
        EntryKind.FILE,
        os.fsencode(src),
        os.fsencode(dst),
        st.st_size,
        st.st_mtime_ns,
        False,
        rename,
        0,
        None,
        inflight,
    )


def test_copy_finished_before_the_kill_is_recognised(tmp_path):
    src, dst = tmp_path / "a", tmp_path / "out" / "a"
    dst.parent.mkdir()
    src.write_bytes(b"content")
    shutil.copy2(src, dst)  # placed, with the source's mtime, but never committed
    results, _ = runner(tmp_path)[0].run([item(src, dst)])
    assert (results[0].status, results[0].outcome) == (WorkStatus.DONE, "copied")
    assert "before the interruption" in results[0].reason


def test_without_the_inflight_mark_an_existing_target_is_a_conflict(tmp_path):
    src, dst = tmp_path / "a", tmp_path / "out" / "a"
    dst.parent.mkdir()
    src.write_bytes(b"content")
    shutil.copy2(src, dst)
    results, _ = runner(tmp_path)[0].run([item(src, dst, inflight=False)])
    assert results[0].status == WorkStatus.SKIPPED


def test_move_placed_but_source_not_yet_removed_finishes_after_comparing(tmp_path):
    src, dst = tmp_path / "a", tmp_path / "out" / "a"
    dst.parent.mkdir()
    src.write_bytes(b"content")
    shutil.copy2(src, dst)
    results, _ = runner(tmp_path, move=True)[0].run([item(src, dst)])
    assert (results[0].status, results[0].outcome) == (WorkStatus.DONE, "moved")
    assert not src.exists() and dst.read_bytes() == b"content"


def test_move_with_a_differing_target_keeps_both(tmp_path):
    src, dst = tmp_path / "a", tmp_path / "out" / "a"
    dst.parent.mkdir()
    src.write_bytes(b"content")
    dst.write_bytes(b"CONTENT")  # same size and mtime, other bytes
    st = os.stat(src)
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))
    run, errors = runner(tmp_path, move=True)
    results, _ = run.run([item(src, dst)])
    assert results[0].status == WorkStatus.FAILED and "differs" in errors[0][1]
    assert src.read_bytes() == b"content" and dst.read_bytes() == b"CONTENT"


def test_same_volume_rename_done_before_the_kill(tmp_path):
    src, dst = tmp_path / "a", tmp_path / "out" / "a"
    dst.parent.mkdir()
    src.write_bytes(b"content")
    it = item(src, dst, rename=True)
    os.rename(src, dst)
    results, _ = runner(tmp_path, move=True)[0].run([it])
    assert (results[0].status, results[0].outcome) == (WorkStatus.DONE, "moved")


def test_leftover_temp_file_of_the_killed_batch_is_replaced(tmp_path):
    src, dst = tmp_path / "a", tmp_path / "out" / "a"
    dst.parent.mkdir()
    src.write_bytes(b"full content")
    tmp = temp_name(os.fsencode(dst), 7, 1)
    with open(tmp, "wb") as f:
        f.write(b"full")  # half-written when the process died
    results, _ = runner(tmp_path)[0].run([item(src, dst)])
    assert (results[0].status, results[0].outcome) == (WorkStatus.DONE, "copied")
    assert dst.read_bytes() == b"full content" and not os.path.exists(tmp)

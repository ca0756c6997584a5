""" "Replace with Links…" in the duplicate view: it asks first (how much space comes back; hard links
by default, reflinks only where the file system can share blocks), runs the LinkJob with progress in
the job panel, and Undo gives every linked copy its own bytes and metadata again."""

from __future__ import annotations

import os

from sd_desktop.ops.files.duplicate_detection import DuplicateConfig
from sd_desktop.ops.files.duplicate_detection.select import Policy
from sd_desktop.ops.files.extents import share_all_blocks


def _tree(root, groups: int, size: int) -> None:
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    for i in range(groups):
        data = os.urandom(size)
        (root / "a" / f"f{i}.bin").write_bytes(data)
        (root / "b" / f"f{i}.bin").write_bytes(data)
        (root / "b" / f"f{i}.bin").chmod(0o644)
        os.utime(root / "b" / f"f{i}.bin", ns=(1_600_000_000 * 10**9 + i, 1_600_000_000 * 10**9 + i))


def _ask_links(window, qtbot, root):
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000):
        window.result_tabs.run_find_duplicates(DuplicateConfig(search_paths=[root]))
    view = window.result_tabs.views[-1]
    view.auto_mark(Policy.KEEP_MATCHING, "*/a/*")
    assert view.link_button.isEnabled()
    view.link_button.click()
    qtbot.waitUntil(lambda: getattr(window.prompts.last_dialog, "objectName", lambda: "")() == "confirm_link_dialog")
    dialog = window.prompts.last_dialog
    assert dialog.isVisible()
    return view, dialog


def _ino(path) -> int:
    return os.lstat(path).st_ino


def test_replace_with_links_asks_then_links_and_undo_restores_the_copies(window, qtbot, tmp_path, artifacts):
    root = tmp_path / "d"
    _tree(root, groups=3, size=400_000)
    copies = {i: (root / "b" / f"f{i}.bin").read_bytes() for i in range(3)}
    view, dialog = _ask_links(window, qtbot, root)

    title = dialog.findChild(type(view.summary), "confirm_link_title").text()
    assert title == "<b>Replace 3 copies with links? 1.2 MB comes back.</b>"
    assert dialog.hardlink.isChecked()  # the default
    assert not dialog.reflink.isEnabled()  # the test folder's file system cannot share blocks
    dialog.grab().save(str(artifacts / "duplicates-replace-with-links-dialog.png"))
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000) as blocker:
        dialog.link_button.click()

    info = blocker.args[0]
    assert info.name == "link_duplicates" and info.status.value == "completed"
    assert info.config["method"] == "hardlink" and info.output["linked"] == 3
    assert info.output["bytes_saved"] == 3 * 400_000
    for i in range(3):
        assert _ino(root / "b" / f"f{i}.bin") == _ino(root / "a" / f"f{i}.bin")
        assert (root / "b" / f"f{i}.bin").read_bytes() == copies[i]
    assert view.banner.text() == "3 files replaced by a link."
    assert view.headline.text() == "Every duplicate group is resolved"
    # the job panel's history lists it, as every job the window ran
    history = window.jobs.history_model
    window.job_pane.set_expanded(True)
    qtbot.waitUntil(lambda: any(history.job(r).name == "link_duplicates" for r in range(history.rowCount())))
    window.resize(1100, 700)
    qtbot.wait(300)
    window.grab().save(str(artifacts / "duplicates-replaced-with-links.png"))

    stack = window.job_submit.undo_stack
    assert window.actions["fa_undo"].isEnabled() and stack.undoText() == "Replace 3 items with links"
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000) as blocker:
        window.actions["fa_undo"].trigger()

    undo = blocker.args[0]
    assert undo.name == "link_duplicates" and undo.config["method"] == "copy"
    assert [o["outcome"] for o in undo.output["outcomes"]] == ["restored"] * 3
    for i in range(3):
        st = os.lstat(root / "b" / f"f{i}.bin")
        assert st.st_ino != _ino(root / "a" / f"f{i}.bin") and st.st_nlink == 1
        assert st.st_mtime_ns == 1_600_000_000 * 10**9 + i  # its own metadata, as before the link
        assert (root / "b" / f"f{i}.bin").read_bytes() == copies[i]
    qtbot.waitUntil(lambda: view.headline.text().startswith("3 duplicate groups"))


def test_reflinks_are_offered_where_the_file_system_shares_blocks(window, qtbot, mount_loop_fs, artifacts):
    fs = mount_loop_fs("cow", "xfs", "-m", "reflink=1")
    _tree(fs / "d", groups=2, size=300_000)
    view, dialog = _ask_links(window, qtbot, fs / "d")

    assert dialog.reflink.isEnabled() and dialog.hardlink.isChecked()
    dialog.reflink.setChecked(True)
    dialog.grab().save(str(artifacts / "duplicates-replace-with-reflinks-dialog.png"))
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000) as blocker:
        dialog.link_button.click()

    info = blocker.args[0]
    assert info.config["method"] == "reflink" and info.output["linked"] == 2
    for i in range(2):
        a, b = fs / "d" / "a" / f"f{i}.bin", fs / "d" / "b" / f"f{i}.bin"
        assert _ino(a) != _ino(b) and share_all_blocks(os.fsencode(a), os.fsencode(b))
    assert [n for n in os.listdir(fs / "d" / "b") if n.startswith(".sd-desktop-")] == []

    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000) as blocker:
        window.actions["fa_undo"].trigger()

    undo = blocker.args[0]
    assert [o["outcome"] for o in undo.output["outcomes"]] == ["restored"] * 2
    for i in range(2):
        a, b = fs / "d" / "a" / f"f{i}.bin", fs / "d" / "b" / f"f{i}.bin"
        assert not share_all_blocks(os.fsencode(a), os.fsencode(b)) and a.read_bytes() == b.read_bytes()
        assert os.lstat(b).st_mtime_ns == 1_600_000_000 * 10**9 + i


def test_a_copy_that_cannot_be_linked_is_said_in_its_group(window, qtbot, tmp_path):
    root = tmp_path / "m"
    _tree(root, groups=2, size=10_000)
    (root / "b" / "f1.bin").chmod(0o600)  # a hard link would give it the kept copy's mode
    view, dialog = _ask_links(window, qtbot, root)
    with qtbot.waitSignal(window.job_submit.jobHandled, timeout=30000) as blocker:
        dialog.link_button.click()

    assert blocker.args[0].status.value == "completed_with_errors"
    assert _ino(root / "b" / "f0.bin") == _ino(root / "a" / "f0.bin")
    assert _ino(root / "b" / "f1.bin") != _ino(root / "a" / "f1.bin")
    reason = (
        "another mode (600) than the kept copy (644): a hard link would give it the kept copy's "
        "(--ignore-metadata links it anyway)"
    )
    note = next(g.note for g in view.model.groups if g.note)
    assert note == "not replaced by a link: " + reason
    assert view.banner.text() == f"1 file replaced by a link, 1 skipped because of this: {reason}."

"""DeleteJob on real files: trash with its .trashinfo, symlinks never followed, confirmation
required, secure overwrite proven through a descriptor opened before the delete, hard-link
refusal, trash failure as an error (never a silent unlink), library entries removed."""

from __future__ import annotations

import os
from pathlib import Path

from sd_desktop.library.locations import add_location
from sd_desktop.ops.files.copy import CopyConfig
from sd_desktop.ops.files.delete import DeleteConfig, DeleteMode
from tests.fileops.helpers import make_tree, run_job


def delete(lib, targets, **kw):
    return run_job(lib, "delete", DeleteConfig(targets=[Path(t) for t in targets], **kw))


def rows(info) -> dict[str, dict]:
    return {Path(r["path"]).name: r for r in info.output["outcomes"]}


def test_trash_writes_trashinfo_under_xdg_data_home(run_cli, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"to the trash")
    target = tmp_path / "target.txt"
    target.write_bytes(b"link target")
    link = tmp_path / "link"
    os.symlink(target, link)
    res = run_cli("delete", victim, link, "--json")
    assert res.returncode == 0, res.stderr
    assert [r["outcome"] for r in res.result["output"]["outcomes"]] == ["trashed", "trashed"]
    trash = Path(os.environ["XDG_DATA_HOME"]) / "Trash"
    info = (trash / "info" / "victim.txt.trashinfo").read_text()
    assert f"Path={victim}" in info.replace("%2F", "/") and "DeletionDate=" in info
    assert (trash / "files" / "victim.txt").read_bytes() == b"to the trash"
    assert not victim.exists()
    assert os.path.islink(trash / "files" / "link")  # the link itself went to the trash
    assert target.read_bytes() == b"link target"


def test_trash_unavailable_is_an_error_and_deletes_nothing(library, tmp_path, mount_tmpfs):
    """FAULT 12: no usable trash on the file's volume."""
    disk = mount_tmpfs("vol", "2m")
    (disk / ".Trash-0").write_bytes(b"a file where the trash folder would go")
    victim = disk / "keep-me.txt"
    victim.write_bytes(b"still here")
    info = delete(library, [victim])
    assert info.status.value == "failed"  # its only path stayed: nothing was done (FAULTS 20)
    row = rows(info)["keep-me.txt"]
    assert row["outcome"] == "failed" and "trash" in row["reason"]
    assert victim.read_bytes() == b"still here"


def test_delete_through_symlinks_leaves_the_targets(library, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_bytes(b"precious")
    tree = tmp_path / "tree"
    tree.mkdir()
    os.symlink(outside, tree / "dir-link")
    os.symlink(outside / "precious", tree / "file-link")
    (tree / "plain").write_bytes(b"x")
    top_link = tmp_path / "top-link"
    os.symlink(outside, top_link)
    info = delete(library, [tree, top_link], mode=DeleteMode.PERMANENT, confirm=True)
    assert info.status.value == "completed"
    assert not tree.exists() and not os.path.lexists(top_link)
    assert (outside / "precious").read_bytes() == b"precious"
    assert rows(info)["tree"]["outcome"] == "deleted"
    assert info.output["files_deleted"] == 1


def test_permanent_and_secure_without_confirmation_are_refused(library, run_cli, tmp_path):
    victim = tmp_path / "v"
    victim.write_bytes(b"v")
    for mode in (DeleteMode.PERMANENT, DeleteMode.SECURE):
        info = delete(library, [victim], mode=mode)
        assert info.status.value == "failed" and "confirmation" in info.error
    assert victim.read_bytes() == b"v"
    res = run_cli("delete", victim, "--mode", "permanent")
    assert res.returncode == 2 and "--yes" in res.stderr
    assert victim.exists()
    res = run_cli("delete", victim, "--mode", "permanent", "--yes", "--json", library=tmp_path.parent / "cli-lib")
    assert res.returncode == 0 and res.result["output"]["outcomes"][0]["outcome"] == "deleted"
    assert not victim.exists()


def test_secure_delete_overwrites_before_unlinking(library, tmp_path):
    secret = b"TOP-SECRET-" * 30_000
    (tmp_path / "box").mkdir()
    victim = tmp_path / "box" / "secret.txt"
    victim.write_bytes(secret)
    fd = os.open(victim, os.O_RDONLY)  # keeps the inode alive after the unlink
    try:
        info = delete(library, [victim], mode=DeleteMode.SECURE, confirm=True, passes=2)
        assert info.status.value == "completed"
        assert rows(info)["secret.txt"]["outcome"] == "deleted"
        left = os.pread(fd, len(secret) + 10, 0)
    finally:
        os.close(fd)
    assert len(left) == len(secret)
    assert left != secret and b"TOP-SECRET" not in left
    assert os.listdir(tmp_path / "box") == []  # no renamed leftover either
    assert any(
        "no guarantee" in w or "guarantees nothing" in w or "nothing is guaranteed" in w
        for w in info.output["warnings"]
    )


def test_secure_delete_says_it_overwrote_only_when_it_did(library, tmp_path):
    """The caveat begins "secure delete overwrote the file's blocks": not after a refusal, a link,
    an empty file or an empty folder, where nothing was overwritten."""
    shared = tmp_path / "shared"
    shared.write_bytes(b"shared content")
    os.link(shared, tmp_path / "other-name")
    os.symlink(shared, tmp_path / "link")
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "empty-folder").mkdir()
    names = ["shared", "link", "empty", "empty-folder"]
    info = delete(library, [tmp_path / n for n in names], mode=DeleteMode.SECURE, confirm=True)
    assert [rows(info)[n]["outcome"] for n in names] == ["skipped", "deleted", "deleted", "deleted"]
    assert info.output["warnings"] == []
    (tmp_path / "box").mkdir()
    (tmp_path / "box" / "real").write_bytes(b"secret")
    info = delete(library, [tmp_path / "box", tmp_path / "shared"], mode=DeleteMode.SECURE, confirm=True)
    assert [r["outcome"] for r in info.output["outcomes"]] == ["deleted", "skipped"]
    assert len(info.output["warnings"]) == 1
    assert info.output["warnings"][0].startswith("secure delete overwrote the file's blocks")


def test_secure_delete_refuses_hard_linked_files_unless_forced(library, tmp_path):
    victim = tmp_path / "victim"
    victim.write_bytes(b"shared content")
    other = tmp_path / "other-name"
    os.link(victim, other)
    info = delete(library, [victim], mode=DeleteMode.SECURE, confirm=True)
    row = rows(info)["victim"]
    assert row["outcome"] == "skipped" and "hard links" in row["reason"]
    assert victim.read_bytes() == b"shared content" and other.read_bytes() == b"shared content"
    info = delete(library, [victim], mode=DeleteMode.SECURE, confirm=True, force_hardlinks=True)
    assert rows(info)["victim"]["outcome"] == "deleted" and not victim.exists()
    assert other.read_bytes() != b"shared content"  # forced: the other name's content was overwritten too


def test_permanent_delete_of_a_tree_removes_library_entries(library, tmp_path):
    loc = tmp_path / "loc"
    loc.mkdir()
    add_location(library, loc)
    src = tmp_path / "src"
    (src / "deep" / "er").mkdir(parents=True)
    (src / "deep" / "er" / "f").write_bytes(b"f")
    (src / "g").write_bytes(b"g")
    (loc / "keep").write_bytes(b"k")
    assert run_job(library, "file_copy", CopyConfig(sources=[src, loc / "keep"], destination=loc / "in")).status.value
    paths_before = library.read_sync(lambda c: {bytes(r[0]) for r in c.execute("SELECT path FROM entry")})
    assert b"in/src/deep/er/f" in paths_before
    info = delete(library, [loc / "in" / "src"], mode=DeleteMode.PERMANENT, confirm=True)
    assert info.status.value == "completed" and info.output["files_deleted"] == 2
    left = library.read_sync(lambda c: {bytes(r[0]) for r in c.execute("SELECT path FROM entry")})
    assert not any(p.startswith(b"in/src") for p in left)
    assert b"in/keep" in left
    assert not (loc / "in" / "src").exists() and (loc / "in" / "keep").exists()


def test_missing_target_is_reported_not_fatal(library, tmp_path):
    (tmp_path / "here").write_bytes(b"h")
    info = delete(library, [tmp_path / "gone", tmp_path / "here"], mode=DeleteMode.PERMANENT, confirm=True)
    assert rows(info)["gone"]["outcome"] == "skipped"
    assert rows(info)["here"]["outcome"] == "deleted"


def test_permanent_delete_never_enters_another_mounted_file_system(library, tmp_path, mount_tmpfs):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "f").write_bytes(b"f")
    (tree / "mnt").mkdir()
    inner = mount_tmpfs("tree/mnt", "1m")
    (inner / "on-the-other-fs").write_bytes(b"keep")
    info = delete(library, [tree], mode=DeleteMode.PERMANENT, confirm=True)
    assert rows(info)["tree"]["outcome"] == "failed"
    assert (inner / "on-the-other-fs").read_bytes() == b"keep"
    assert not (tree / "f").exists()
    assert any("another file system" in e["message"] for e in info.errors)


def test_permanent_delete_of_hostile_names(library, tmp_path):
    """FAULT 3: newlines, a leading dash, undecodable bytes, 250-byte names, dangling links."""
    tree = make_tree(tmp_path / "tree")
    os.mkfifo(tree / "fifo")
    info = delete(library, [tree], mode=DeleteMode.PERMANENT, confirm=True)
    assert info.status.value == "completed", info.errors
    assert not tree.exists()
    assert info.output["files_deleted"] == 7


async def _pause_mid_tree(lib, config: DeleteConfig):
    import asyncio

    from sd_desktop.jobs import JobManager

    manager = JobManager(lib, run_queued=True)
    await manager.start()
    reached = asyncio.Event()
    manager.events.add_listener(
        lambda e: reached.set() if e.kind == "progress" and (e.progress or {}).get("bytes_done", 0) > 0 else None
    )
    try:
        job_id = await manager.enqueue("delete", config)
        await asyncio.wait_for(reached.wait(), 60)
        await manager.pause(job_id)
        paused = await manager.wait(job_id)
        left = sorted(os.listdir(config.targets[0]))
        await manager.resume(job_id)
        return paused, left, await manager.wait(job_id)
    finally:
        await manager.shutdown()


def test_pause_inside_a_folder_then_resume_finishes_it(library, tmp_path):
    import asyncio

    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(20):
        (tree / f"f{i:02d}").write_bytes(b"s" * 1024 * 1024)
    config = DeleteConfig(targets=[tree], mode=DeleteMode.SECURE, confirm=True, passes=3)
    paused, left, done = asyncio.run(_pause_mid_tree(library, config))
    assert paused.status.value == "paused"
    assert 0 < len(left) < 20  # stopped part-way through the folder
    assert all(n.startswith("f") for n in left)  # nothing under a scrambled name
    assert done.status.value == "completed"
    assert not tree.exists()
    assert done.output["files_deleted"] == 20

"""ThumbnailJob through a real JobManager: scopes, counts, markers, regenerate, cleanup, pause/resume."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from pathlib import Path

import pytest
from PIL import Image

from sd_desktop.jobs import JobStatus
from sd_desktop.ops.media.thumbnail.generate import decoder_version
from sd_desktop.ops.media.thumbnail.sidecars import UNRECORDED_GRACE
from tests.thumbnails._rows import index_tree, picture
from tests.thumbnails.conftest import run_thumbnails, sidecar_rows, temporaries


def test_location_job_makes_every_variant_and_counts_honestly(library, pictures, indexed):
    info = run_thumbnails(library, {"location_id": 1})
    assert info.status is JobStatus.COMPLETED_WITH_ERRORS
    out = info.output
    # 6 distinct pictures, a second entry of photo0's content, notes.txt, broken.jpg
    assert out["generated"] == 6
    assert out["already_present"] == 1
    assert out["skipped"] == 1
    assert out["failed"] == 1
    assert out["bytes"] > 0 and out["sidecar_bytes"] > 0
    assert [e["path"] for e in info.errors] == [str(pictures / "broken.jpg")]

    rows = sidecar_rows(library)
    assert len(rows) == 12
    for cas, variant, fmt, rel, width, height, size, _created in rows:
        assert fmt == "webp"
        assert rel == f"{cas[:2]}/{cas[2:4]}/{cas}_{variant}.webp"  # sharded by cas_id, two hex levels
        with Image.open(library.sidecar_dir / rel) as im:
            assert im.format == "WEBP" and im.size == (width, height)
        assert (library.sidecar_dir / rel).stat().st_size == size
        assert max(width, height) <= int(variant)
    dims = {(r[1], r[4], r[5]) for r in rows}
    assert ("512", 512, 384) in dims and ("256", 144, 256) in dims and ("512", 400, 200) in dims
    assert not temporaries(library)

    failures = library.read_sync(
        lambda c: c.execute("SELECT decoder_version, reason FROM thumbnail_failure").fetchall()
    )
    assert len(failures) == 1 and failures[0][0] == decoder_version()

    again = run_thumbnails(library, {"location_id": 1})
    assert again.status is JobStatus.COMPLETED
    assert again.output["generated"] == 0 and again.output["already_present"] == 7
    assert again.output["previously_failed"] == 1 and again.output["failed"] == 0
    assert sidecar_rows(library) == rows  # nothing rewritten

    # a thumbnail file removed behind the library's back is made again, and only that one
    (library.sidecar_dir / rows[0][3]).unlink()
    third = run_thumbnails(library, {"location_id": 1})
    assert third.output["generated"] == 1
    assert (library.sidecar_dir / rows[0][3]).exists()


def test_regenerate_rewrites_and_retries_failures(library, pictures, indexed):
    run_thumbnails(library, {"location_id": 1})
    before = {r[3]: r[7] for r in sidecar_rows(library)}
    info = run_thumbnails(library, {"location_id": 1, "regenerate": True})
    assert info.output["generated"] == 6
    assert info.output["already_present"] == 1  # the copy shares its content: made once per run
    assert info.output["failed"] == 1 and info.output["previously_failed"] == 0
    after = {r[3]: r[7] for r in sidecar_rows(library)}
    assert after.keys() == before.keys()
    assert all(after[k] > before[k] for k in before)


def test_failures_are_retried_when_the_decoder_version_changes(library, pictures, indexed):
    good = pictures / "photo1.jpg"
    from sd_desktop.cas import cas_id

    good_cas = cas_id(good)
    library.write_sync(
        lambda c: c.execute(
            "INSERT INTO thumbnail_failure (cas_id, decoder_version, reason, created_at) VALUES (?, ?, ?, ?)",
            (good_cas, "Pillow 1.0; pillow-heif none", "old decoder could not", time.time()),
        )
    )
    info = run_thumbnails(library, {"location_id": 1})
    assert info.output["generated"] == 6 and info.output["previously_failed"] == 0
    markers = dict(library.read_sync(lambda c: c.execute("SELECT cas_id, decoder_version FROM thumbnail_failure")))
    assert good_cas not in markers, "a success clears the old marker"
    broken = cas_id(pictures / "broken.jpg")
    assert markers == {broken: decoder_version()}

    library.write_sync(lambda c: c.execute("UPDATE thumbnail_failure SET decoder_version = 'Pillow 1.0'"))
    info = run_thumbnails(library, {"location_id": 1})
    assert info.output["failed"] == 1 and info.output["previously_failed"] == 0


def test_entry_ids_and_path_scopes(library, pictures, indexed):
    ids = [indexed["photo2.jpg"], indexed["notes.txt"]]
    info = run_thumbnails(library, {"entry_ids": ids})
    assert info.status is JobStatus.COMPLETED
    assert (info.output["generated"], info.output["skipped"]) == (1, 1)
    assert len(sidecar_rows(library)) == 2

    info = run_thumbnails(library, {"path": str(pictures / "sub")})
    assert info.output["generated"] == 3  # tall.jpg, logo.png, copy.jpg (photo0's content, new here)
    assert len(sidecar_rows(library)) == 8

    info = run_thumbnails(library, {"path": str(pictures / "photo3.jpg")})
    assert info.output["generated"] == 1 and len(sidecar_rows(library)) == 10
    # a path outside every location goes to the freedesktop cache: tests/thumbnails/test_freedesktop.py


def test_bad_config_fails_with_a_clear_message(library, indexed):
    info = run_thumbnails(library, {"location_id": 1, "variants": [{"name": "x", "size": 64, "format": "gif"}]})
    assert info.status is JobStatus.FAILED and "unknown thumbnail format 'gif'" in info.error
    info = run_thumbnails(library, {"location_id": 99})
    assert info.status is JobStatus.FAILED and "no location with id 99" in info.error


def test_custom_variants_from_a_dict(library, indexed):
    info = run_thumbnails(library, {"entry_ids": [indexed["photo0.jpg"]], "variants": [{"name": "64", "size": 64}]})
    assert info.output["variants"] == ["64"]
    rows = sidecar_rows(library)
    assert [(r[1], r[4], r[5]) for r in rows] == [("64", 64, 48)]


def test_vanished_file_is_an_error_without_a_marker(library, pictures, indexed):
    (pictures / "photo3.jpg").unlink()
    info = run_thumbnails(library, {"location_id": 1})
    assert info.output["failed"] == 2  # broken.jpg and the vanished one
    assert any("photo3.jpg" in e["path"] and "gone" in e["message"] for e in info.errors)
    assert library.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM thumbnail_failure").fetchone()[0]) == 1


def test_cleanup_removes_orphans_only(library, pictures, indexed):
    run_thumbnails(library, {"location_id": 1})
    rows = sidecar_rows(library)
    tall = [r for r in rows if r[4] < r[5]]  # the portrait picture's two variants
    assert len(tall) == 2
    library.write_sync(lambda c: c.execute("DELETE FROM entry WHERE id = ?", (indexed["sub/tall.jpg"],)))

    side = Path(library.sidecar_dir)
    old = time.time() - 3600
    expired = time.time() - UNRECORDED_GRACE - 3600
    stray = side / "ab" / "cd" / "abcd000000000000_256.webp"  # no row knows it, unused for the grace period
    stray_tmp = side / "ab" / "cd" / "abcd000000000000_512.webp.tmp-99999999-7"  # a dead writer's
    cached = side / "ab" / "cd" / "abcd000000000002_256.webp"  # unrecorded, used an hour ago (the window's)
    fresh = side / "ab" / "cd" / "abcd000000000001_256.webp"  # just written by another running job
    foreign = side / "ab" / "cd" / "README.txt"  # not ours: never touched
    for p in (stray, stray_tmp, cached, fresh, foreign):
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    for p in (stray_tmp, cached):
        os.utime(p, (old, old))
    for p in (stray, foreign):
        os.utime(p, (expired, expired))
    os.utime(fresh, (time.time() + 3600, time.time() + 3600))

    info = run_thumbnails(library, {"location_id": 1})
    assert info.output["removed_orphans"] == 4  # tall's 2 + stray + stray_tmp
    assert not any((side / r[3]).exists() for r in tall)
    assert not stray.exists() and not stray_tmp.exists()
    assert cached.exists() and fresh.exists() and foreign.exists()
    left = sidecar_rows(library)
    assert len(left) == 10 and all((side / r[3]).exists() for r in left)


def test_pause_then_resume_continues_at_the_entry_it_reached(library, tmp_path):
    root = tmp_path / "many"
    for i in range(24):
        picture(root / f"p{i:02}.jpg", (1200, 900), seed=i, quality=80)
    index_tree(library, root)
    seen: dict = {}

    def on_event(manager, ev):
        done = (ev.progress or {}).get("done", 0)
        if ev.kind == "progress" and done >= 6 and "paused" not in seen:
            seen["paused"] = done
            asyncio.get_running_loop().create_task(manager.pause(ev.job_id))

    async def go():
        from sd_desktop.jobs import JobManager

        manager = JobManager(library)
        manager.events.add_listener(lambda ev: on_event(manager, ev))
        await manager.start()
        job_id = await manager.enqueue("thumbnails", {"location_id": 1, "batch_size": 3, "max_concurrency": 1})
        paused = await manager.wait(job_id)
        made_while_paused = len(sidecar_rows(library))
        state = library.read_sync(lambda c: c.execute("SELECT state FROM job WHERE id = ?", (job_id,)).fetchone()[0])
        await manager.resume(job_id)
        done = await manager.wait(job_id)
        await manager.shutdown()
        return paused, made_while_paused, state, done

    paused, made_while_paused, state, done = asyncio.run(go())
    assert paused.status is JobStatus.PAUSED
    assert state is not None and 0 < made_while_paused < 48
    assert done.status is JobStatus.COMPLETED
    # resumed at its cursor: nothing was found "already present", nothing was made twice
    assert done.output["generated"] == 24 and done.output["already_present"] == 0
    assert len(sidecar_rows(library)) == 48
    assert not temporaries(library)


def test_time_limit_stops_a_slow_file_and_the_job_goes_on(library, tmp_path):
    root = tmp_path / "slow"
    picture(root / "a_huge.png", (5000, 5000), compress_level=1)  # 25 MP PNG: no draft, slow to decode
    picture(root / "b_small.jpg", (300, 200))
    ids = index_tree(library, root)
    info = run_thumbnails(library, {"entry_ids": list(ids.values()), "time_limit": 0.05, "max_concurrency": 1})
    # the small picture usually makes it in 50 ms; on a loaded machine it may not, which is no defect
    assert info.output["failed"] + info.output["generated"] == 2 and info.output["failed"] >= 1
    huge = [e for e in info.errors if "a_huge.png" in e["path"]]
    assert huge and "0.05 s limit" in huge[0]["message"]
    assert not temporaries(library)
    assert library.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM thumbnail_failure").fetchone()[0]) >= 1
    # the killed worker was replaced: the same job definition with a sane limit makes the rest
    again = run_thumbnails(library, {"entry_ids": [ids["b_small.jpg"]], "regenerate": True})
    assert again.output["generated"] == 1


def test_thread_workers_make_the_same_thumbnails(library, pictures, indexed, monkeypatch):
    monkeypatch.setenv("SD_DESKTOP_THUMBNAIL_WORKERS", "threads")
    info = run_thumbnails(library, {"location_id": 1})
    assert (info.output["generated"], info.output["failed"]) == (6, 1)
    assert len(sidecar_rows(library)) == 12


def test_undecodable_names_and_no_write_beside_the_source(library, tmp_path):
    root = tmp_path / "names"
    root.mkdir()
    odd = os.path.join(os.fsencode(root), b"caf\xe9 \xff.jpg")  # not UTF-8
    picture(Path(os.fsdecode(odd)), (800, 600))
    picture(root / "-leading dash\nnewline.png", (300, 300), mode="RGBA")
    ids = index_tree(library, root)
    before = sorted(os.listdir(os.fsencode(root)))
    info = run_thumbnails(library, {"location_id": 1})
    assert info.status is JobStatus.COMPLETED
    assert info.output["generated"] == 2 and len(ids) == 2
    assert sorted(os.listdir(os.fsencode(root))) == before, "nothing is ever written beside a source"


def _mount_tiny_tmpfs(where: Path) -> bool:
    where.mkdir(parents=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(where)], capture_output=True)
    return proc.returncode == 0


def test_full_disk_stops_the_job_with_a_clear_message(tmp_path, pictures):
    tiny = tmp_path / "tiny"
    if not _mount_tiny_tmpfs(tiny):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        from sd_desktop.library import Library

        folder = tmp_path / "lib"
        folder.mkdir()
        (folder / "sidecars").symlink_to(tiny)  # the cache lives on a 64 KB file system
        (tiny / "filler").write_bytes(b"\0" * 60 * 1024)
        lib = Library.open(folder)
        try:
            index_tree(lib, pictures)
            info = run_thumbnails(lib, {"location_id": 1})
            assert info.status is JobStatus.FAILED
            assert "No space left" in info.error and "free some space" in info.error
            from sd_desktop.cas import cas_id

            markers = lib.read_sync(lambda c: [r[0] for r in c.execute("SELECT cas_id FROM thumbnail_failure")])
            assert set(markers) <= {cas_id(pictures / "broken.jpg")}, "a full disk is not the pictures' fault"
            assert not temporaries(lib)
            for rel in lib.read_sync(lambda c: [r[0] for r in c.execute("SELECT path FROM sidecar")]):
                with Image.open(lib.sidecar_dir / rel) as im:  # what was recorded is whole
                    im.load()
        finally:
            lib.close()
    finally:
        subprocess.run(["umount", "-l", str(tiny)], capture_output=True)


def test_unsupported_files_are_skipped_and_mime_finds_pictures_without_extension(library, tmp_path):
    root = tmp_path / "kinds"
    root.mkdir()
    (root / "drawing.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    (root / "clip.mpg").write_bytes(b"\x00\x00\x01\xba" + os.urandom(4000))
    (root / "raw.cr2").write_bytes(b"II*\x00" + os.urandom(4000))
    picture(root / "noext", (500, 400), fmt="PNG")
    ids = index_tree(library, root)
    mimes = {"drawing.svg": "image/svg+xml", "raw.cr2": "image/x-canon-cr2", "noext": "image/png"}
    library.write_sync(
        lambda c: c.executemany("UPDATE entry SET mime = ? WHERE id = ?", [(m, ids[n]) for n, m in mimes.items()])
    )
    info = run_thumbnails(library, {"location_id": 1})
    assert info.status is JobStatus.COMPLETED, info.errors
    assert (info.output["generated"], info.output["skipped"], info.output["failed"]) == (1, 3, 0)
    assert library.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM thumbnail_failure").fetchone()[0]) == 0


def test_progress_moves_picture_by_picture_within_a_batch(library, tmp_path):
    """One batch of 10 pictures: the job panel's count rises as each picture is made, not at the
    batch's end."""
    root = tmp_path / "batch"
    for i in range(10):
        picture(root / f"p{i}.png", (2400, 1800), seed=i)  # PNG: no draft, each decode takes a while
    index_tree(library, root)
    dones: list[int] = []

    async def go():
        from sd_desktop.jobs import JobManager

        manager = JobManager(library)
        manager.events.add_listener(
            lambda ev: (
                dones.append(ev.progress["done"])
                if ev.kind == "progress" and ev.progress and ev.progress.get("phase") == "generating"
                else None
            )
        )
        await manager.start()
        job_id = await manager.enqueue("thumbnails", {"location_id": 1, "batch_size": 50, "max_concurrency": 1})
        info = await manager.wait(job_id)
        await manager.shutdown()
        return info

    info = asyncio.run(go())
    assert info.status is JobStatus.COMPLETED and info.output["generated"] == 10
    assert any(0 < d < 10 for d in dones), dones
    assert dones == sorted(dones) and dones[-1] == 10
